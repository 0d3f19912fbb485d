// Container config → init plan. Every decision about what the init does is
// made here; the C side only executes. The order follows runc's
// standard_init: rootfs (mounts, devices), prestart/createRuntime sync,
// createContainer hooks, pivot_root, hostname, sysctls, readonly/masked
// paths, rlimits, NNP, user and capabilities, lookup, exec fifo,
// startContainer hooks, seccomp, exec.
import { posix } from 'node:path';
import type { Hook, Spec } from '../spec/types.ts';
import { ptr } from '../errors.ts';
import { MS, parseMountOptions, propagationFlags } from '../config/mount-options.ts';
import { CLONE_FLAGS, type NamespacePlan } from '../config/namespaces.ts';
import { SyncKind } from '../native/protocol.ts';
import { bytes, str, strv, u64, type Plan, type PlanOp } from './types.ts';
import { capsToMasks, type CapMasks } from './caps.ts';
import { CAP_LAST_CAP, capName } from '../spec/capabilities.ts';
import { rlimitNumber } from './rlimits.ts';
import { rlimitValue } from '../spec/rlimits.ts';
import { SpecError } from '../errors.ts';
import type { CgroupMount } from '../cgroups/mounts.ts';
import { allCpus, checkPostFilterSyscalls, cpuMask, ioprioValue, personalityValue, schedAttr, type PostFilterSyscall } from './security.ts';

/** What the SECCOMP op loads; with `notify`, the listener fd goes to a connected socket with the state JSON. */
export interface SeccompPlan {
  program: Buffer;
  flags: number;
  notify?: {
    /** the init's fd of the socket connected to linux.seccomp.listenerPath */
    socketFd: number;
    /** containerProcessState JSON (create fills in the pid once it is known: setNotifyState) */
    state: string;
  };
}

/** LSM settings the host supports (the caller checked; see src/container/lsm.ts). */
export interface LsmPlan {
  /** file under /proc/self/attr for the AppArmor exec profile: "apparmor/exec" (5.8+) or "exec" */
  apparmorAttr?: string;
}

export interface CreatePlanInput {
  id: string;
  spec: Spec;
  /** absolute host path of the rootfs */
  rootfs: string;
  ns: NamespacePlan;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** state JSON handed to createContainer/startContainer hooks */
  hookState?: (status: 'creating' | 'created') => string;
  /** is the bind-mount source a directory? (stat on the host) */
  isDir: (hostPath: string) => boolean;
  /** is this host path on a procfs? (statfs; for binds onto /proc) */
  isProcfs?: (hostPath: string) => boolean;
  /** flags of the host mount holding the rootfs that a remount must keep (locked in a user ns) */
  rootfsLockedFlags?: number;
  /** what a config mount of type "cgroup" becomes (relative to its destination) */
  cgroupMounts?: (readonly: boolean) => CgroupMount[];
  /** compiled seccomp program, when the config has one */
  seccomp?: SeccompPlan;
  /** LSM specifics of the host */
  lsm?: LsmPlan;
  /** HOME from the container's /etc/passwd, when the env has none */
  home?: string;
  /** first fd that belongs to skiff, not the container (3 + preserved fds) */
  firstPrivateFd: number;
  /** /proc/kcore exists on the host (for the /dev/core symlink) */
  hasKcore?: boolean;
  /** highest capability the kernel knows (/proc/sys/kernel/cap_last_cap) */
  lastCap?: number;
  /** caps this runtime can grant at all (its own bounding set) */
  availableCaps?: bigint;
  /** process.terminal: the pty to make (its master goes over the console socket) */
  console?: ConsoleOpts;
}

/** A pty for process.terminal: the init's fd of the connected console socket. */
export interface ConsoleOpts {
  socketFd: number;
  /** process.consoleSize */
  rows?: number;
  cols?: number;
}

/** The PTY op: made in the container's devpts, /dev/console bound to it for a container's init. */
export function addConsoleOps(add: AddFn, c: ConsoleOpts, mountConsole: boolean): void {
  add('PTY', [str('/dev/pts/ptmx'), u64(c.socketFd), u64(c.rows ?? 0), u64(c.cols ?? 0), u64(mountConsole ? 1 : 0)], '/process/terminal', `open a pty${mountConsole ? ', bind it on /dev/console' : ''}, send its master to the console socket`);
}

/** runc's default device nodes, created in every container with its own /dev. */
export const DEFAULT_DEVICES = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
] as const;

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const PR_SET_NO_NEW_PRIVS = 38;
const PR_SET_KEEPCAPS = 8;

const makedev = (major: number, minor: number): bigint =>
  (BigInt(minor & 0xff) | (BigInt(major & 0xfff) << 8n) | (BigInt(minor & ~0xff) << 12n) | (BigInt(major & ~0xfff) << 32n));

export function buildCreatePlan(inp: CreatePlanInput): Plan {
  const ops: PlanOp[] = [];
  const add = (op: PlanOp['op'], args: PlanOp['args'], source: string, what: string) => ops.push({ op, args, source, what });
  const { spec, rootfs, ns } = inp;
  const proc = spec.process!;
  const userns = ns.has('user');

  // a cgroup namespace is created only now, after the parent moved us into
  // the container's cgroups, so that its root is the container's cgroup
  if (ns.creates('cgroup')) add('UNSHARE', [u64(CLONE_FLAGS.cgroup)], '/linux/namespaces', 'new cgroup namespace');
  // runc's init is always a session leader (nsexec's setsid), terminal or not
  if (!proc.terminal) add('SETSID', [], 'runtime', 'new session');
  if (!inp.noNewKeyring) add('KEYRING', [str(`_ses.${inp.id}`)], '', 'join a new session keyring');

  // ---- rootfs ----
  if (ns.has('mount')) {
    // Nothing may be shared while we pivot (pivot_root refuses shared
    // mounts) and nothing must propagate to the host: rslave (or rprivate).
    // The requested rootfsPropagation is applied to the new / after pivot.
    const prop = spec.linux?.rootfsPropagation?.endsWith('private') ? MS.PRIVATE | MS.REC : MS.SLAVE | MS.REC;
    add('MOUNT', [str(''), str('/'), str(''), u64(prop), str(''), u64(0)], spec.linux?.rootfsPropagation ? '/linux/rootfsPropagation' : '', 'set / propagation so nothing leaks to the host');
    add('MOUNT', [str(rootfs), str(rootfs), str(''), u64(MS.BIND | MS.REC), str(''), u64(0)], '/root/path', `bind the rootfs ${rootfs} onto itself`);
  }
  add('SET_ROOT', [str(rootfs)], '/root/path', 'resolve container paths inside the rootfs');

  // without a mount namespace runc sets up no mounts at all (they would land
  // on the host): only the chroot below
  const mounts = ns.has('mount') ? spec.mounts ?? [] : [];
  let devIsBind = false;
  mounts.forEach((m, i) => {
    const src = ptr('mounts', i);
    const o = parseMountOptions(m.options);
    if (o.unsupported.length) throw new SpecError(ptr('mounts', i, 'options'), `mount option ${o.unsupported.join(', ')} is not supported`);
    if (m.uidMappings || m.gidMappings) throw new SpecError(ptr('mounts', i, 'uidMappings'), 'id-mapped mounts are not supported');
    // relative destinations are relative to / (runc 1.1 accepts them with a warning)
    const dest = posix.join('/', m.destination);
    const isBind = m.type === 'bind' || (o.flags & MS.BIND) !== 0;
    if (isBind && dest === '/dev') devIsBind = true;
    checkProcMount(m.type, dest, isBind ? m.source : undefined, inp.isProcfs, i);
    if (m.type === 'cgroup' && inp.cgroupMounts) {
      addCgroupMounts(add, dest, inp.cgroupMounts((o.flags & MS.RDONLY) !== 0), src, (o.flags & MS.RDONLY) !== 0);
      return;
    }
    if (isBind) {
      const source = m.source ?? '';
      const dir = inp.isDir(source);
      add(dir ? 'MKDIR_ALL' : 'MKFILE', [str(dest), u64(dir ? 0o755 : 0o644)], src, `${dir ? 'mkdir' : 'create'} ${dest}`);
      add('MOUNT', [str(source), str(dest), str(''), u64(MS.BIND | (o.flags & MS.REC)), str(''), u64(1)], src, `bind ${source} on ${dest}`);
      // bind mounts ignore other flags until a remount
      const extra = o.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
      if (extra) add('MOUNT', [str(''), str(dest), str(''), u64(MS.BIND | MS.REMOUNT | extra), str(''), u64(1)], src, `remount ${dest} (${(m.options ?? []).join(',')})`);
    } else {
      add('MKDIR_ALL', [str(dest), u64(0o755)], src, `mkdir ${dest}`);
      add('MOUNT', [str(m.source ?? m.type ?? 'none'), str(dest), str(m.type ?? ''), u64(o.flags), str(withMountLabel(o.data, m.type, spec.linux?.mountLabel).join(',')), u64(1)], src, `mount ${m.type ?? ''} ${m.source ?? ''} on ${dest}`);
    }
    for (const p of o.propagation) add('MOUNT', [str(''), str(dest), str(''), u64(p), str(''), u64(1)], ptr('mounts', i, 'options'), `propagation of ${dest}`);
  });

  // ---- /dev ----
  if (ns.has('mount') && !devIsBind) {
    const devices = [
      ...DEFAULT_DEVICES.map((d) => ({ ...d, fileMode: 0o666, uid: 0, gid: 0, source: 'default device' })),
      ...(spec.linux?.devices ?? []).map((d, i) => ({ ...d, source: ptr('linux', 'devices', i) })),
    ];
    const seen = new Map<string, number>();
    devices.forEach((d, i) => seen.set(posix.normalize(d.path), i));
    devices.forEach((d, i) => {
      const path = posix.normalize(d.path);
      if (seen.get(path) !== i) return; // a config device overrides the default of the same path
      const typeBits = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
      const mode = typeBits | ((d.fileMode ?? 0o666) & 0o7777);
      if (userns && d.type !== 'p') {
        // mknod is not allowed in a user namespace: bind the host's node
        add('MKFILE', [str(path), u64(0o644)], d.source, `create ${path}`);
        add('MOUNT', [str(path), str(path), str(''), u64(MS.BIND), str(''), u64(1)], d.source, `bind host ${path}`);
      } else {
        add('MKNOD', [str(path), u64(mode), u64(makedev(d.major ?? 0, d.minor ?? 0)), u64(d.uid ?? 0), u64(d.gid ?? 0)], d.source, `mknod ${path} ${d.type} ${d.major ?? 0}:${d.minor ?? 0}`);
      }
    });
    const links: [string, string][] = [
      ['/proc/self/fd', '/dev/fd'],
      ['/proc/self/fd/0', '/dev/stdin'],
      ['/proc/self/fd/1', '/dev/stdout'],
      ['/proc/self/fd/2', '/dev/stderr'],
    ];
    if (inp.hasKcore) links.push(['/proc/kcore', '/dev/core']);
    links.push(['pts/ptmx', '/dev/ptmx']);
    for (const [target, link] of links) add('SYMLINK', [str(target), str(link)], 'default /dev symlinks', `symlink ${link} -> ${target}`);
  }

  // ---- hooks in the runtime namespace, then createContainer ----
  add('SYNC', [u64(SyncKind.CREATE_RUNTIME)], '/hooks', 'parent runs prestart and createRuntime hooks');
  const hookState = inp.hookState ?? (() => '{}');
  if (spec.hooks?.createContainer?.length) add('CHDIR', [str(rootfs)], '/hooks/createContainer', 'hooks run with the rootfs as cwd');
  (spec.hooks?.createContainer ?? []).forEach((h, i) => add('RUN_HOOK', hookArgs(h, hookState('creating')), ptr('hooks', 'createContainer', i), `hook ${h.path}`));

  // ---- switch root ----
  if (ns.has('mount')) {
    add('PIVOT_ROOT', [str(rootfs), u64(inp.noPivot ? 1 : 0)], inp.noPivot ? '--no-pivot' : '/root/path', inp.noPivot ? 'move the rootfs to / and chroot' : 'pivot_root into the rootfs');
  } else {
    add('PIVOT_ROOT', [str(rootfs), u64(2)], '/root/path', 'chroot into the rootfs (no mount namespace)');
  }
  if (ns.has('mount') && spec.linux?.rootfsPropagation) {
    const p = propagationFlags(spec.linux.rootfsPropagation)!;
    add('MOUNT', [str(''), str('/'), str(''), u64(p), str(''), u64(1)], '/linux/rootfsPropagation', `make / ${spec.linux.rootfsPropagation}`);
  }
  add('MKDIR_ALL', [str(posix.normalize(proc.cwd)), u64(0o755)], '/process/cwd', `mkdir ${proc.cwd}`);
  // runc: after the mounts, before the rootfs is made read-only
  if (inp.console) addConsoleOps(add, inp.console, ns.has('mount'));
  if (spec.root?.readonly) {
    add('MOUNT', [str(''), str('/'), str(''), u64(MS.BIND | MS.REMOUNT | MS.RDONLY | (inp.rootfsLockedFlags ?? 0)), str(''), u64(1)], '/root/readonly', 'remount / read-only');
  }

  if (spec.hostname !== undefined && ns.has('uts')) add('SETHOSTNAME', [str(spec.hostname)], '/hostname', `hostname ${spec.hostname}`);
  if (spec.domainname !== undefined && ns.has('uts')) add('SETDOMAINNAME', [str(spec.domainname)], '/domainname', `domainname ${spec.domainname}`);
  for (const [k, v] of Object.entries(spec.linux?.sysctl ?? {})) {
    add('WRITE_FILE', [str('/proc/sys'), str(k.replace(/\./g, '/')), str(v)], ptr('linux', 'sysctl', k), `sysctl ${k}=${v}`);
  }
  // the mount's own flags are kept (the fallback remount reads them with statfs)
  const keepFlags = MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME | MS.RELATIME;
  (spec.linux?.readonlyPaths ?? []).forEach((p, i) =>
    add('READONLY_PATH', [str(p), u64(keepFlags)], ptr('linux', 'readonlyPaths', i), `read-only ${p} (mount flags kept)`));
  (spec.linux?.maskedPaths ?? []).forEach((p, i) => add('MASK_PATH', [str(p)], ptr('linux', 'maskedPaths', i), `mask ${p}`));
  if (spec.linux?.personality) add('PERSONALITY', [u64(personalityValue(spec.linux.personality))], '/linux/personality', `personality ${spec.linux.personality.domain}`);
  // LSM labels take effect at the exec (attr/exec); the caller checked the host has the LSM
  if (proc.apparmorProfile) {
    const attr = inp.lsm?.apparmorAttr ?? 'apparmor/exec';
    add('WRITE_FILE', [str('/proc/self/attr'), str(attr), str(`exec ${proc.apparmorProfile}`)], '/process/apparmorProfile', `apparmor profile ${proc.apparmorProfile} at exec`);
  }
  if (proc.selinuxLabel) add('WRITE_FILE', [str('/proc/self/attr'), str('exec'), str(proc.selinuxLabel)], '/process/selinuxLabel', `selinux label ${proc.selinuxLabel} at exec`);

  addProcessOps(add, proc, {
    home: inp.home,
    lastCap: inp.lastCap,
    availableCaps: inp.availableCaps,
    seccomp: inp.seccomp,
    firstPrivateFd: inp.firstPrivateFd,
    startHooks: (spec.hooks?.startContainer ?? []).map((h, i) => ({ args: hookArgs(h, hookState('created')), source: ptr('hooks', 'startContainer', i), what: `hook ${h.path}` })),
    waitFifo: true,
  });
  return { ops };
}

/** runc's mountCgroupV1/V2: a tmpfs with one mount per hierarchy, read-only at the end if asked. */
function addCgroupMounts(add: AddFn, base: string, list: CgroupMount[], src: string, readonly: boolean): void {
  const links: CgroupMount[] = [];
  let tmpfsRo = 0;
  for (const c of list) {
    const dest = posix.join(base, c.destination);
    const o = parseMountOptions(c.flags);
    if (c.type === 'symlink') {
      links.push(c);
      continue;
    }
    add('MKDIR_ALL', [str(dest), u64(0o755)], src, `mkdir ${dest}`);
    if (c.type === 'bind') {
      add('MOUNT', [str(c.source), str(dest), str(''), u64(MS.BIND | MS.REC), str(''), u64(1)], src, `bind ${c.source} on ${dest}`);
      add('MOUNT', [str(''), str(dest), str(''), u64(MS.BIND | MS.REMOUNT | (o.flags & ~(MS.BIND | MS.REC))), str(''), u64(1)], src, `remount ${dest} (${c.flags.join(',')})`);
    } else if (c.type === 'tmpfs') {
      // written into below; made read-only once the hierarchies are in place
      tmpfsRo = o.flags & MS.RDONLY;
      add('MOUNT', [str(c.source), str(dest), str('tmpfs'), u64(o.flags & ~MS.RDONLY), str(c.data), u64(1)], src, `tmpfs on ${dest}`);
    } else {
      add('MOUNT', [str(c.source), str(dest), str(c.type), u64(o.flags), str(c.data), u64(1)], src, `${c.type} (${c.data}) on ${dest}`);
    }
  }
  for (const l of links) add('SYMLINK', [str(l.source), str(posix.join(base, l.destination))], src, `symlink ${posix.join(base, l.destination)} -> ${l.source}`);
  if (tmpfsRo || (readonly && list.some((c) => c.type === 'tmpfs'))) {
    add('MOUNT', [str(''), str(base), str(''), u64(MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC), str(''), u64(1)], src, `remount ${base} read-only`);
  }
}

export /** lxcfs-style files that may be bind-mounted inside /proc (runc's list). */
const VALID_PROC_MOUNTS = new Set(['/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime', '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid']);

/**
 * runc's checkProcMount (CVE-2019-19921): nothing but a procfs may sit on
 * /proc, and inside /proc only a few lxcfs-emulated files may be covered —
 * otherwise an image could hide the real /proc/self/attr or /proc/sys from
 * the init's own writes.
 */
function checkProcMount(type: string | undefined, dest: string, bindSource: string | undefined, isProcfs: ((p: string) => boolean) | undefined, i: number): void {
  if (type === 'proc' || type === 'sysfs') return;
  if (dest === '/proc') {
    if (bindSource && isProcfs?.(bindSource)) return;
    throw new SpecError(ptr('mounts', i, 'destination'), '"/proc" cannot be mounted because it is not of type proc');
  }
  if (dest.startsWith('/proc/') && !VALID_PROC_MOUNTS.has(dest)) {
    throw new SpecError(ptr('mounts', i, 'destination'), `"${dest}" cannot be mounted because it is inside /proc`);
  }
}

type AddFn = (op: PlanOp['op'], args: PlanOp['args'], source: string, what: string) => void;

export interface ProcessOpts {
  /** caps this runtime can grant at all (its own bounding set); others are left out */
  availableCaps?: bigint;
  home?: string;
  lastCap?: number;
  seccomp?: SeccompPlan;
  firstPrivateFd: number;
  startHooks?: { args: PlanOp['args']; source: string; what: string }[];
  /** create: wait on the exec fifo; exec: just close the pipe */
  waitFifo: boolean;
  /** pointer prefix for the process object ("/process" or "" for process.json) */
  base?: string;
}

/**
 * The ops that turn the (rooted) init into the user's process. Shared by create and exec.
 *
 * Seccomp ordering. The filter is loaded last, right before EXEC, so that it
 * filters the user's process and nothing the init itself does (runc 1.1 loads
 * it before the uid/capability changes when noNewPrivileges is false, so a
 * profile must allow setuid, capset, prctl… for the container to start — and
 * runtime-tools' seccomp test fails). Loading a filter needs no_new_privs or
 * CAP_SYS_ADMIN in the effective set:
 *   - noNewPrivileges: the final capabilities are set first, filter, exec;
 *   - CAP_SYS_ADMIN in the final effective set: the same;
 *   - otherwise the first CAPSET keeps CAP_SYS_ADMIN in the effective and
 *     permitted sets (it is still permitted: KEEPCAPS kept the permitted set
 *     across setuid; the bounding set only limits what exec grants), the
 *     filter is loaded, and a second CAPSET drops to the final sets. That
 *     capset is the only syscall the init makes under the filter besides
 *     sendmsg (notify) and execve; the profile must allow it, which the plan
 *     checks with the BPF interpreter (and errors clearly if not). Ambient
 *     caps survive the second capset (they are in the final permitted and
 *     inheritable sets, CAP_SYS_ADMIN is not among them).
 * Scheduler and I/O priority are set while the init is still root with full
 * capabilities (real-time classes need CAP_SYS_NICE); the CPU affinity
 * (execCPUAffinity.final) after the cgroup join, just before the lookup.
 */
export function addProcessOps(add: AddFn, proc: NonNullable<Spec['process']>, o: ProcessOpts): void {
  const base = o.base ?? '/process';
  (proc.rlimits ?? []).forEach((r, i) => {
    add('SETRLIMIT', [u64(rlimitNumber(r.type, `${base}/rlimits/${i}/type`)), u64(rlimitValue(r.soft)), u64(rlimitValue(r.hard))], `${base}/rlimits/${i}`, `${r.type} soft=${r.soft} hard=${r.hard}`);
  });
  if (proc.scheduler) {
    const s = proc.scheduler;
    add('SCHED_SETATTR', [bytes(schedAttr(s, `${base}/scheduler`))], `${base}/scheduler`, `scheduler ${s.policy}${s.nice !== undefined ? ` nice=${s.nice}` : ''}${s.priority !== undefined ? ` priority=${s.priority}` : ''}${s.flags?.length ? ` flags=${s.flags.join('|')}` : ''}${s.policy === 'SCHED_DEADLINE' ? ` runtime=${s.runtime ?? 0} deadline=${s.deadline ?? 0} period=${s.period ?? 0}` : ''}`);
  }
  if (proc.ioPriority) add('IOPRIO_SET', [u64(ioprioValue(proc.ioPriority, `${base}/ioPriority`))], `${base}/ioPriority`, `I/O priority ${proc.ioPriority.class} ${proc.ioPriority.priority ?? 0}`);
  if (proc.noNewPrivileges) add('PRCTL', [u64(PR_SET_NO_NEW_PRIVS), u64(1)], `${base}/noNewPrivileges`, 'no_new_privs');

  add('SET_CLOEXEC_FROM', [u64(o.firstPrivateFd)], 'runtime', `close-on-exec every fd >= ${o.firstPrivateFd}`);
  const caps: CapMasks = capsToMasks(proc.capabilities, `${base}/capabilities`, o.lastCap, o.availableCaps);
  if (caps.dropBounding) add('CAPBSET_DROP', [u64(caps.dropBounding)], `${base}/capabilities/bounding`, `bounding set: keep only ${capNames(((1n << BigInt((o.lastCap ?? CAP_LAST_CAP) + 1)) - 1n) & ~caps.dropBounding)}`);
  add('PRCTL', [u64(PR_SET_KEEPCAPS), u64(1)], 'runtime', 'keep capabilities across setuid');
  const user = proc.user;
  if (user.uid !== 0) add('FIX_STDIO', [u64(user.uid)], `${base}/user/uid`, `stdio owned by uid ${user.uid}`);
  add('SETGROUPS', [bytes(gidBytes(user.additionalGids ?? []))], `${base}/user/additionalGids`, `groups ${(user.additionalGids ?? []).join(',') || '(none)'}`);
  add('SETRESGID', [u64(user.gid)], `${base}/user/gid`, `gid ${user.gid}`);
  add('SETRESUID', [u64(user.uid)], `${base}/user/uid`, `uid ${user.uid}`);
  add('CHDIR', [str(proc.cwd)], `${base}/cwd`, `cwd ${proc.cwd}`);
  add('PRCTL', [u64(PR_SET_KEEPCAPS), u64(0)], 'runtime', 'stop keeping capabilities');
  // CAP_SYS_ADMIN kept until the filter is loaded, unless NNP or the final set has it
  const sysAdmin = 1n << 21n;
  const keepAdmin = !!o.seccomp && !proc.noNewPrivileges && (caps.effective & sysAdmin) === 0n;
  if (keepAdmin) {
    add('CAPSET', [u64(caps.effective | sysAdmin), u64(caps.permitted | sysAdmin), u64(caps.inheritable)], `${base}/capabilities`, `effective, permitted, inheritable (+CAP_SYS_ADMIN until the seccomp filter is loaded)`);
  } else {
    add('CAPSET', [u64(caps.effective), u64(caps.permitted), u64(caps.inheritable)], `${base}/capabilities`, 'effective, permitted, inheritable');
  }
  // the kernel only lets a cap be ambient if it is permitted and inheritable;
  // runc silently ends up without the others, and so do we
  const ambient = caps.ambient & caps.permitted & caps.inheritable;
  if (ambient) add('AMBIENT_RAISE', [u64(ambient)], `${base}/capabilities/ambient`, `raise ambient: ${capNames(ambient)}`);
  add('UMASK', [u64(user.umask ?? 0o022)], `${base}/user/umask`, `umask ${(user.umask ?? 0o022).toString(8)}`);
  const aff = proc.execCPUAffinity;
  if (aff?.final !== undefined) add('CPU_AFFINITY', [bytes(cpuMask(aff.final, `${base}/execCPUAffinity/final`))], `${base}/execCPUAffinity/final`, `CPU affinity ${aff.final}`);
  else if (aff?.initial !== undefined) add('CPU_AFFINITY', [bytes(allCpus())], `${base}/execCPUAffinity/initial`, 'CPU affinity reset to the cgroup\'s CPUs (after the initial one)');

  const args = proc.args ?? [];
  const env = [...(proc.env ?? [])];
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${o.home ?? '/'}`);
  const name = args[0];
  add('LOOKUP', [strv(lookupCandidates(name, env, proc.cwd)), str(name)], `${base}/args/0`, `find ${name}`);
  if (o.waitFifo) add('WAIT_FIFO', [], 'runtime', 'wait for `start` on the exec fifo');
  else add('DONE', [], 'runtime', 'report success to the parent');
  for (const h of o.startHooks ?? []) add('RUN_HOOK', h.args, h.source, h.what);
  if (o.seccomp) {
    const sc = o.seccomp;
    const after: PostFilterSyscall[] = [];
    if (sc.notify) after.push({ name: 'sendmsg', why: 'the init sends the notify fd to the listener with it after loading the filter', notifyOk: false });
    if (keepAdmin) after.push({ name: 'capset', why: 'without noNewPrivileges the init loads the filter with CAP_SYS_ADMIN and drops it with capset afterwards', notifyOk: !!sc.notify });
    after.push({ name: 'execve', why: 'the container\'s process is started with it', notifyOk: !!sc.notify });
    checkPostFilterSyscalls(sc.program, after);
    const n = sc.program.length / 8;
    if (sc.notify) {
      add('SECCOMP', [bytes(sc.program), u64(sc.flags), u64(sc.notify.socketFd), str(sc.notify.state)], '/linux/seccomp', `seccomp filter (${n} insns, flags 0x${sc.flags.toString(16)}); send the notify fd and the state to the listener`);
    } else {
      add('SECCOMP', [bytes(sc.program), u64(sc.flags)], '/linux/seccomp', `seccomp filter (${n} insns${sc.flags ? `, flags 0x${sc.flags.toString(16)}` : ''})`);
    }
    if (keepAdmin) add('CAPSET', [u64(caps.effective), u64(caps.permitted), u64(caps.inheritable)], `${base}/capabilities`, 'drop CAP_SYS_ADMIN: the final effective, permitted, inheritable sets');
  }
  add('EXEC', [strv(args), strv(env)], `${base}/args`, `exec ${args.join(' ')}`);
}

/** "CAP_CHOWN, CAP_KILL" for a mask (numbers for caps beyond the table). */
export function capNames(mask: bigint): string {
  const names: string[] = [];
  for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) names.push(capName(i) ?? `cap ${i}`);
  return names.join(', ') || '(none)';
}

/** SELinux mount label as runc's label.FormatMountLabel: context="…" on the filesystems that take one. */
function withMountLabel(data: string[], type: string | undefined, label: string | undefined): string[] {
  if (!label || !type || !['tmpfs', 'devpts', 'mqueue', 'shm'].includes(type)) return data;
  return [...data, `context="${label}"`];
}

function gidBytes(gids: number[]): Buffer {
  const b = Buffer.alloc(gids.length * 4);
  gids.forEach((g, i) => b.writeUInt32LE(g >>> 0, i * 4));
  return b;
}

/** Where to look for the program, as Go's exec.LookPath does in runc's init. */
export function lookupCandidates(name: string, env: string[], cwd: string): string[] {
  if (name.includes('/')) return [posix.resolve(cwd, name)];
  let path: string | undefined;
  for (const e of env) if (e.startsWith('PATH=')) path = e.slice(5);
  if (path === undefined) return [];
  return path.split(':').map((dir) => posix.resolve(cwd, dir === '' ? '.' : dir, name));
}

function hookArgs(h: Hook, state: string): PlanOp['args'] {
  return [str(h.path), strv(h.args ?? [h.path]), strv(h.env ?? []), u64(h.timeout ?? 0), str(state)];
}

export { makedev };
