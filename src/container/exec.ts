// `exec`: a new process in a running container, following runc's
// execProcess/setnsProcess: the same init binary in join mode setns()es into
// every namespace of the container (user first; the pid namespace takes
// effect in the child it forks), reports the child's pid, we move that pid
// into the container's cgroup before it runs anything, then send the plan
// (terminal, LSM label, rlimits, NNP, seccomp, user, caps, cwd, exec).
// Foreground: signals forwarded, the exit code returned (128+signal when
// killed). Detached: the pid file is written before we return.
import { lastCap } from './host-caps.ts';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { Process, NamespaceType } from '../spec/types.ts';
import { SkiffError } from '../errors.ts';
import { loadProcessFile } from '../spec/load.ts';
import { validateProcess } from '../spec/validate.ts';
import { CLONE_FLAGS } from '../config/namespaces.ts';
import { buildExecPlan } from '../plan/exec.ts';
import { encodePlan } from '../plan/encode.ts';
import type { Plan } from '../plan/types.ts';
import { Attr, Mode, Msg } from '../native/protocol.ts';
import { waitExit, type WaitStatus } from '../native/addon.ts';
import { InitFailed, InitProcess, bootstrapMessage, closeQuietly, type StdioSlot } from './init-process.ts';
import { describeInitError } from './errors.ts';
import { loadContainer, type Loaded } from './load.ts';
import { lookupHome } from './passwd.ts';
import { compileSeccompFor, connectListener, containerProcessState, setNotifyState } from './seccomp.ts';
import { cpuMask } from '../plan/security.ts';
import { writePidFile } from './create.ts';
import { DirLock } from './state.ts';
import { FORWARDED } from './run.ts';
import { ConsoleRelay, checkPreservedFds, checkTerminal, closeConsoleSocket, consolePlan, hostWinsize, openConsoleSocket, receiveConsole, type ConsoleFds } from './console.ts';

export interface ExecOptions {
  root?: string;
  id: string;
  /** --process: a process.json (replaces everything below up to `detach`) */
  processFile?: string;
  /** the command and its arguments */
  args?: string[];
  cwd?: string;
  env?: string[];
  tty?: boolean;
  /** "uid[:gid]" */
  user?: string;
  additionalGids?: number[];
  /** added to the bounding, effective and permitted sets (and ambient when the config has inheritable) */
  caps?: string[];
  /** undefined: as in the config */
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds?: number;
  /** --cgroup: "[controller[,controller]:]path" sub-cgroups of the container's */
  cgroup?: string[];
  ignorePaused?: boolean;
  stdio?: [StdioSlot, StdioSlot, StdioSlot];
  strict?: boolean;
  onWarning?: (m: string) => void;
  /** library API: once the process runs, hand it over (pid, exit, pty master)
   * and return 0 at once: no signal forwarding, no relay, no waiting */
  onSpawn?: (p: { pid: number; exit: Promise<WaitStatus>; consoleMaster?: number }) => void;
}

/** Namespaces are joined in this order: user first (it grants the rights to
 * join the others), mount last (after it, host /proc paths are gone). */
const JOIN_ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

/** Returns the exit code of the process (detached: 0 once it runs). */
export async function execProcess(opts: ExecOptions): Promise<number> {
  const c = loadContainer(opts.root, opts.id);
  if (c.status === 'stopped') throw new SkiffError('cannot exec in a stopped container');
  if (c.status === 'creating') throw new SkiffError('cannot exec in a container that is still being created');
  if (c.status === 'paused' && !opts.ignorePaused) throw new SkiffError('cannot exec in a paused container (use --ignore-paused to override)');
  const { process: proc, base } = execProcessSpec(opts, c);
  checkLsm(proc);
  const detach = !!opts.detach;
  checkTerminal(!!proc.terminal, detach, opts.consoleSocket);
  const preserve = opts.preserveFds ?? 0;
  if (!Number.isInteger(preserve) || preserve < 0 || preserve > 1000) throw new SkiffError(`--preserve-fds: invalid value ${opts.preserveFds}`);
  checkPreservedFds(preserve);
  const subCgroups = parseSubCgroups(opts.cgroup ?? []);
  const config = c.state.config;
  const pid1 = c.state.pid;

  const sc = compileSeccompFor(config, opts.onWarning);
  const plan: Plan = buildExecPlan({
    process: proc,
    base,
    // a notify listener's socket is the init's private fd after the console socket
    seccomp: sc && { ...sc, notify: sc.listenerPath ? { socketFd: 3 + preserve + 1 + (proc.terminal ? 1 : 0), state: '' } : undefined },
    home: lookupHome(`/proc/${pid1}/root`, proc.user.uid, proc.env),
    chroot: c.state.namespaces?.mount ? undefined : `/proc/${pid1}/root`,
    lastCap: lastCap(),
    firstPrivateFd: 3 + preserve,
    // a foreground pty starts with our terminal's size, before the process runs
    console: proc.terminal ? consolePlan(preserve, 0, proc.consoleSize ?? (detach ? undefined : hostWinsize())) : undefined,
  });
  const join = Object.entries(c.state.namespaces ?? {})
    .map(([type, path]) => ({ type: type as NamespaceType, flag: CLONE_FLAGS[type as NamespaceType], path }))
    .filter((j) => j.flag !== undefined)
    .sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type));

  let console: ConsoleFds | undefined;
  let listener: number | undefined;
  let init: InitProcess | undefined;
  let pid = 0;
  let exit: Promise<WaitStatus> | undefined;
  let consoleMaster: number | undefined;
  // a shared lock: `delete` cannot tear the container down while we join it
  const lock = DirLock.acquire(c.dir, false);
  try {
    if (proc.terminal) console = openConsoleSocket(opts.consoleSocket);
    if (sc?.listenerPath) listener = connectListener(sc.listenerPath);
    const privateFds = console ? [console.child] : [];
    if (listener !== undefined) privateFds.push(listener);
    init = new InitProcess({ stdio: opts.stdio, preserveFds: preserve, privateFds });
    const initialCpus = proc.execCPUAffinity?.initial;
    init.send(bootstrapMessage({ mode: Mode.EXEC, cloneFlags: 0, join, firstPrivateFd: init.firstPrivateFd, cpuAffinity: initialCpus !== undefined ? cpuMask(initialCpus, `${base}/execCPUAffinity/initial`) : undefined }));
    const m = await nextOrDescribe(init, plan);
    if (!m) throw new SkiffError('init exited before reporting the process pid');
    if (m.type !== Msg.PID) throw new SkiffError(`init protocol error: unexpected message ${m.type} during bootstrap`);
    pid = InitProcess.u32(m, Attr.PID);
    if (listener !== undefined) setNotifyState(plan, containerProcessState({ id: c.state.id, bundle: c.state.bundle, pid, status: 'running', annotations: c.state.annotations, metadata: sc?.listenerMetadata }));
    // a detached exec must not keep us alive watching its process
    if (!detach || opts.onSpawn) exit = waitExit(pid);
    // the process is blocked reading its plan: it runs nothing outside the cgroup
    joinCgroup(c, pid, subCgroups);
    init.send(encodePlan(plan));
    for (;;) {
      const r = await nextOrDescribe(init, plan);
      if (!r) throw new SkiffError('init exited before the process was ready');
      if (r.type === Msg.DONE) break;
      throw new SkiffError(`init protocol error: unexpected message ${r.type}`);
    }
    if (console?.parent !== undefined) consoleMaster = receiveConsole(console);
    if (opts.pidFile) writePidFile(opts.pidFile, pid);
  } catch (e) {
    init?.close();
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await (exit ?? waitExit(pid));
    }
    throw e;
  } finally {
    closeConsoleSocket(console);
    if (listener !== undefined) closeQuietly(listener);
    lock?.release();
  }
  init.close();
  if (opts.onSpawn) {
    opts.onSpawn({ pid, exit: exit!, consoleMaster });
    return 0;
  }
  if (detach) return 0;

  const relay = consoleMaster !== undefined ? new ConsoleRelay(consoleMaster) : undefined;
  const handlers: [NodeJS.Signals, () => void][] = [];
  for (const sig of FORWARDED) {
    if (relay && sig === 'SIGWINCH') continue;
    const h = () => {
      try {
        process.kill(pid, sig);
      } catch {
        /* exited */
      }
    };
    process.on(sig, h);
    handlers.push([sig, h]);
  }
  const st = await exit!;
  for (const [sig, h] of handlers) process.off(sig, h);
  await relay?.finish();
  return st.signal ? 128 + st.signal : st.code;
}

async function nextOrDescribe(init: InitProcess, plan: Plan) {
  try {
    return await init.next();
  } catch (e) {
    if (e instanceof InitFailed) throw new SkiffError(describeInitError(plan, e.detail));
    throw e;
  }
}

/** runc's getProcess: --process as is, or the config's process changed by the flags. */
export function execProcessSpec(opts: ExecOptions, c: Pick<Loaded, 'state'>): { process: Process; base: string } {
  if (opts.processFile) {
    const { process, warnings } = loadProcessFile(opts.processFile, { strict: opts.strict });
    for (const w of warnings) opts.onWarning?.(w);
    if (!process.args?.length) throw new SkiffError('args must not be empty');
    return { process, base: '' };
  }
  const p = structuredClone(c.state.config.process) as Process | undefined;
  if (!p) throw new SkiffError('the container config has no process to start from; use --process');
  const args = opts.args ?? [];
  if (!args.length) throw new SkiffError('exec args cannot be empty');
  p.args = args;
  delete p.commandLine;
  if (opts.cwd) p.cwd = opts.cwd;
  if (opts.apparmor) p.apparmorProfile = opts.apparmor;
  if (opts.processLabel) p.selinuxLabel = opts.processLabel;
  if (opts.caps?.length) {
    const caps = (p.capabilities ??= {});
    for (const cap of opts.caps) {
      (caps.bounding ??= []).push(cap);
      (caps.effective ??= []).push(cap);
      (caps.permitted ??= []).push(cap);
      // ambient needs inheritable: only when the config has some (runc)
      if (caps.inheritable) (caps.ambient ??= []).push(cap);
    }
  }
  p.env = [...(p.env ?? []), ...(opts.env ?? [])];
  p.terminal = !!opts.tty;
  if (opts.noNewPrivs !== undefined) p.noNewPrivileges = opts.noNewPrivs;
  if (opts.user) {
    const [uids, gids] = splitOnce(opts.user, ':');
    if (gids !== undefined) p.user.gid = parseId(gids, 'gid');
    p.user.uid = parseId(uids, 'uid');
  }
  for (const g of opts.additionalGids ?? []) {
    if (!Number.isInteger(g) || g < 0) throw new SkiffError(`additional-gids must be a positive number ${g}`);
    (p.user.additionalGids ??= []).push(g);
  }
  const { process, warnings } = validateProcess(p, '/process', { strict: opts.strict });
  for (const w of warnings) opts.onWarning?.(w);
  return { process, base: '/process' };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function parseId(s: string, what: 'uid' | 'gid'): number {
  if (!/^\d+$/.test(s) || Number(s) > 0xffffffff) throw new SkiffError(`bad ${what}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

/** A label for an LSM the host does not have is an error, not silently dropped. */
function checkLsm(p: Process): void {
  if (p.selinuxLabel && !selinuxEnabled()) throw new SkiffError('selinux label is specified in config, but selinux is disabled or not supported');
  if (p.apparmorProfile && !apparmorEnabled()) throw new SkiffError(`apparmor profile ${JSON.stringify(p.apparmorProfile)} is specified, but AppArmor is not enabled on this host`);
}

function apparmorEnabled(): boolean {
  try {
    return existsSync('/sys/kernel/security/apparmor') && readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y');
  } catch {
    return false;
  }
}

function selinuxEnabled(): boolean {
  return existsSync('/sys/fs/selinux/enforce');
}

/** runc's getSubCgroupPaths: controller → sub-path ("" = every controller / cgroup v2). */
export function parseSubCgroups(args: string[]): Map<string, string> {
  const paths = new Map<string, string>();
  for (const a of args) {
    const i = a.indexOf(':');
    if (i >= 0) {
      const path = a.slice(i + 1);
      for (const ctrl of a.slice(0, i).split(',')) {
        if (!ctrl) throw new SkiffError(`invalid --cgroup argument: ${a} (empty <controller> prefix)`);
        if (paths.has(ctrl)) throw new SkiffError(`invalid --cgroup argument(s): controller ${ctrl} specified multiple times`);
        paths.set(ctrl, path);
      }
    } else {
      if (args.length !== 1) throw new SkiffError(`invalid --cgroup argument: ${a} (missing <controller>: prefix)`);
      paths.set('', a);
    }
  }
  return paths;
}

/** The container's cgroup (or a sub-cgroup of it) in every hierarchy. */
function joinCgroup(c: Loaded, pid: number, sub: Map<string, string>): void {
  const cg = c.cgroup();
  if (!cg) return;
  if (sub.size === 0) {
    cg.apply(pid);
    return;
  }
  const paths = { ...cg.state.paths };
  const all = sub.get('');
  for (const [ctrl, base] of Object.entries(paths)) {
    const s = all ?? sub.get(ctrl === '' ? 'unified' : ctrl);
    if (s !== undefined) paths[ctrl] = subPath(base, s);
  }
  for (const ctrl of sub.keys()) {
    if (ctrl !== '' && !(ctrl in paths) && !(ctrl === 'unified' && '' in paths)) throw new SkiffError(`--cgroup: unknown controller ${ctrl}`);
  }
  for (const dir of new Set(Object.values(paths))) {
    try {
      writeFileSync(posix.join(dir, 'cgroup.procs'), String(pid));
    } catch (e) {
      throw new SkiffError(`error adding pid ${pid} to cgroups: ${dir}: ${(e as Error).message}`);
    }
  }
}

function subPath(base: string, sub: string): string {
  const p = posix.join(base, sub);
  if (p !== base && !p.startsWith(base + '/')) throw new SkiffError(`bad sub cgroup path: ${sub}`);
  return p;
}

