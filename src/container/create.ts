// `create`: bundle → validated spec → plan → init, following the seed:
// state dir + exec fifo, spawn the init, bootstrap (namespaces), learn the
// container's pid, apply cgroups before it runs, send the plan, run the
// prestart/createRuntime hooks at the sync point, record the state.
import { chmodSync, chownSync, closeSync, existsSync, statfsSync, openSync, readFileSync, renameSync, statSync, writeFileSync, constants as C } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { userInfo } from 'node:os';
import type { Spec, State } from '../spec/types.ts';
import { OCI_VERSION } from '../spec/types.ts';
import { loadBundle } from '../spec/load.ts';
import { validateSpec } from '../spec/validate.ts';
import { SkiffError } from '../errors.ts';
import { planNamespaces, NS_PROC_NAME, CLONE_FLAGS } from '../config/namespaces.ts';
import { effectiveResources } from '../config/devices.ts';
import { buildCreatePlan } from '../plan/build.ts';
import { encodePlan, formatPlan } from '../plan/encode.ts';
import type { Plan } from '../plan/types.ts';
import { Attr, Mode, Msg, SyncKind } from '../native/protocol.ts';
import { native } from '../native/addon.ts';
import { Writer } from '../native/tlv.ts';
import { runHooks } from '../hooks/run.ts';
import { cgroupMountsForContainer, createCgroupManager, type CgroupManager } from '../cgroups/index.ts';
import { crashPoint } from './crash.ts';
import { mark } from '../util/trace.ts';
import { InitFailed, InitProcess, bootstrapMessage, closeQuietly, strerror, type StdioSlot } from './init-process.ts';
import { DEFAULT_ROOT, DirLock, FIFO, makeContainerDir, procStat, removeContainerDir, validateId, writeState, type StoredState } from './state.ts';
import { describeInitError } from './errors.ts';
import { lookupHome } from './passwd.ts';
import { checkAvailableCaps, lastCap } from './host-caps.ts';
import { compileSeccompFor, connectListener, containerProcessState, setNotifyState } from './seccomp.ts';
import { checkLsm } from './lsm.ts';
import { cpuMask } from '../plan/security.ts';
import { checkPreservedFds, checkTerminal, closeConsoleSocket, consolePlan, hostWinsize, openConsoleSocket, receiveConsole, withListenEnv, type ConsoleFds } from './console.ts';

export interface CreateOptions {
  id: string;
  /** the bundle directory (config.json is read from it unless `spec` is given) */
  bundle: string;
  /** an in-memory config instead of <bundle>/config.json */
  spec?: Spec;
  root?: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** systemd socket activation: the first listenFds of the preserved fds are
   * LISTEN_FDS; the process gets LISTEN_FDS=N and LISTEN_PID=1 (as runc) */
  listenFds?: number;
  /** the caller stays attached (`run` without -d): a terminal's pty master
   * comes back in Created.consoleMaster instead of going to --console-socket */
  foreground?: boolean;
  stdio?: [StdioSlot, StdioSlot, StdioSlot];
  strict?: boolean;
  onWarning?: (msg: string) => void;
  /** --debug: what skiff decided (the init plan), one message per call */
  onDebug?: (msg: string) => void;
  /** library API: checked between steps; an abort rolls everything back and rejects with signal.reason */
  signal?: AbortSignal;
  /** library API: an in-process createRuntime hook, run after the config's prestart/createRuntime hooks */
  onCreateRuntime?: (state: State) => void | Promise<void>;
}

export interface Created {
  state: StoredState;
  dir: string;
  /** the container's init pid (a child of this process until it exits) */
  pid: number;
  warnings: string[];
  /** the pty master, with foreground and process.terminal */
  consoleMaster?: number;
}

export function hookStateJson(s: Pick<StoredState, 'id' | 'bundle' | 'annotations'>, status: string, pid: number): string {
  const o: Record<string, unknown> = { ociVersion: OCI_VERSION, id: s.id, status, pid, bundle: s.bundle };
  if (s.annotations && Object.keys(s.annotations).length) o.annotations = s.annotations;
  return JSON.stringify(o);
}

export async function createContainer(opts: CreateOptions): Promise<Created> {
  opts.signal?.throwIfAborted();
  const root = resolve(opts.root ?? DEFAULT_ROOT);
  validateId(opts.id);
  let spec: Spec;
  let warnings: string[];
  let bundle: string;
  let rootfs: string;
  if (opts.spec) {
    const v = validateSpec(opts.spec, { strict: opts.strict, forCreate: true });
    ({ spec, warnings } = v);
    bundle = resolve(opts.bundle);
    rootfs = resolve(bundle, spec.root!.path);
    if (!existsSync(rootfs)) throw new SkiffError(`/root/path: rootfs ${rootfs} does not exist`, { pointer: '/root/path' });
  } else {
    ({ spec, warnings, bundle, rootfs } = loadBundle(opts.bundle, { strict: opts.strict, forCreate: true }));
  }
  for (const w of warnings) opts.onWarning?.(w);
  const terminal = !!spec.process?.terminal;
  checkTerminal(terminal, !opts.foreground, opts.consoleSocket);

  const ns = planNamespaces(spec.linux?.namespaces);
  const seccomp = compileSeccompFor(spec, opts.onWarning);
  const lsm = checkLsm(spec);
  const preserve = opts.preserveFds ?? 0;
  if (!Number.isInteger(preserve) || preserve < 0 || preserve > 1000) throw new SkiffError(`--preserve-fds: invalid value ${opts.preserveFds}`);
  checkPreservedFds(preserve, opts.listenFds ?? 0);
  const planSpec = opts.listenFds ? withListenEnv(spec, opts.listenFds) : spec;

  // the plan is built (and so validated) before anything exists on the host
  let pid = 0;
  const cgroup: CgroupManager = createCgroupManager({ id: opts.id, cgroupsPath: spec.linux?.cgroupsPath, resources: spec.linux?.resources });
  const plan: Plan = buildCreatePlan({
    id: opts.id,
    spec: planSpec,
    rootfs,
    ns,
    noPivot: opts.noPivot,
    noNewKeyring: opts.noNewKeyring,
    isDir: (p) => {
      try {
        return statSync(p).isDirectory();
      } catch {
        return true; // a missing source fails at mount time with its own error
      }
    },
    isProcfs: (p) => {
      try {
        return statfsSync(p).type === 0x9fa0; // PROC_SUPER_MAGIC
      } catch {
        return false;
      }
    },
    cgroupMounts: (readonly) => cgroupMountsForContainer(cgroup.state, { cgroupns: ns.has('cgroup'), readonly }),
    // a notify listener's socket is the init's last private fd (after the state dir and the console socket)
    seccomp: seccomp && {
      ...seccomp,
      notify: seccomp.listenerPath ? { socketFd: 3 + preserve + 1 + (terminal ? 2 : 1), state: '' } : undefined,
    },
    lsm,
    home: lookupHome(rootfs, spec.process!.user.uid, spec.process!.env),
    firstPrivateFd: 3 + preserve,
    hasKcore: existsSync('/proc/kcore'),
    // a foreground pty starts with our terminal's size, before the process runs
    console: terminal ? consolePlan(preserve, 1, spec.process!.consoleSize ?? (opts.foreground ? hostWinsize() : undefined)) : undefined,
    lastCap: lastCap(),
    availableCaps: checkAvailableCaps(spec.process?.capabilities, '/process/capabilities', opts.strict, opts.onWarning),
  });

  mark('create:plan-built');
  opts.onDebug?.(`init plan for ${opts.id} (${plan.ops.length} ops):\n${formatPlan(plan)}`);
  const dir = makeContainerDir(root, opts.id);
  crashPoint('create:after-statedir');
  let lock: DirLock | null = null;
  let init: InitProcess | undefined;
  let statedirFd: number | undefined;
  let console: ConsoleFds | undefined;
  let listener: number | undefined;
  let cgroupCreated = false;
  const state: StoredState = {
    ociVersion: OCI_VERSION,
    id: opts.id,
    pid: 0,
    startTime: '',
    bundle,
    rootfs,
    created: new Date().toISOString(),
    owner: ownerName(),
    annotations: spec.annotations,
    createComplete: false,
    cgroup: cgroup.state,
    ownPidNs: ns.creates('pid'),
    config: spec,
    root,
  };
  try {
    lock = DirLock.acquire(dir);
    native().mkfifo(join(dir, FIFO), 0o622);
    // the init opens it as the container's root user, after setuid
    chmodSync(join(dir, FIFO), 0o622);
    const rootIds = hostRootIds(spec);
    if (rootIds) chownSync(join(dir, FIFO), rootIds.uid, rootIds.gid);
    crashPoint('create:after-fifo');
    writeState(dir, state);
    crashPoint('create:after-state');
    cgroup.create();
    cgroupCreated = true;
    // record the dirs just made (cgroup.state.created): a crash from here on
    // must leave `delete --force` something to remove
    writeState(dir, state);
    cgroup.set(effectiveResources(spec));
    crashPoint('create:after-cgroup');
    statedirFd = openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
    if (terminal) console = openConsoleSocket(opts.consoleSocket);
    if (seccomp?.listenerPath) listener = connectListener(seccomp.listenerPath);
    const privateFds = console ? [statedirFd, console.child] : [statedirFd];
    if (listener !== undefined) privateFds.push(listener);
    init = new InitProcess({ stdio: opts.stdio, preserveFds: preserve, privateFds });
    crashPoint('create:after-spawn');
    init.send(bootstrapMessage({
      mode: Mode.CREATE,
      cloneFlags: ns.cloneFlags & ~CLONE_FLAGS.cgroup, // unshared by the plan, after cgroups
      join: ns.join,
      timensOffsets: timensOffsets(spec),
      statedirFd: init.privateFdNumbers[0],
      firstPrivateFd: init.firstPrivateFd,
      cpuAffinity: spec.process?.execCPUAffinity?.initial !== undefined ? cpuMask(spec.process.execCPUAffinity.initial, '/process/execCPUAffinity/initial') : undefined,
    }));
    // bootstrap: maps for a new user namespace, then the container's pid
    for (;;) {
      const m = await init.next();
      if (!m) throw new SkiffError('init exited during bootstrap');
      if (m.type === Msg.NEED_MAPS) {
        writeIdMaps(InitProcess.u32(m, Attr.PID), spec);
        init.send(new Writer().message(Msg.MAPS_DONE));
      } else if (m.type === Msg.PID) {
        pid = InitProcess.u32(m, Attr.PID);
        break;
      } else throw new SkiffError(`init protocol error: unexpected message ${m.type} during bootstrap`);
    }
    state.pid = pid;
    state.startTime = procStat(pid)?.startTime ?? '';
    // the filter is loaded after `start`, right before the exec: the container is running by then
    if (listener !== undefined) setNotifyState(plan, containerProcessState({ id: opts.id, bundle, pid, status: 'running', annotations: spec.annotations, metadata: seccomp?.listenerMetadata }));
    opts.signal?.throwIfAborted();
    state.namespaces = Object.fromEntries(
      (spec.linux?.namespaces ?? []).map((n) => [n.type, n.path ?? `/proc/${pid}/ns/${NS_PROC_NAME[n.type]}`]),
    );
    writeState(dir, state);
    crashPoint('create:after-pid');
    // the seed's rule: the container joins its cgroups before it runs anything
    await cgroup.applyAsync(pid);
    if (spec.process?.oomScoreAdj !== undefined) writeFileSync(`/proc/${pid}/oom_score_adj`, String(spec.process.oomScoreAdj));
    crashPoint('create:after-apply');
    // hooks inside the container get the state with the pid known only now
    for (const op of plan.ops) {
      if (op.op !== 'RUN_HOOK') continue;
      op.args[4] = { t: 'str', v: hookStateJson(state, op.source.startsWith('/hooks/startContainer') ? 'created' : 'creating', pid) };
    }
    init.send(encodePlan(plan));
    for (;;) {
      let m;
      try {
        m = await init.next();
      } catch (e) {
        if (e instanceof InitFailed) throw new SkiffError(describeInitError(plan, e.detail), { pointer: plan.ops[e.detail.op]?.source.startsWith('/') ? plan.ops[e.detail.op].source : undefined });
        throw e;
      }
      if (!m) throw new SkiffError('init exited before it was ready');
      if (m.type === Msg.SYNC) {
        if (InitProcess.u32(m, Attr.SYNC_KIND) === SyncKind.CREATE_RUNTIME) {
          crashPoint('create:mid-plan');
          // runc reports "created" here (its status is computed from the live
          // init), and runtime-tools checks for it
          const hs = hookStateJson(state, 'created', pid);
          await runHooks('prestart', spec.hooks?.prestart, hs);
          await runHooks('createRuntime', spec.hooks?.createRuntime, hs);
          opts.signal?.throwIfAborted();
          if (opts.onCreateRuntime) await opts.onCreateRuntime(JSON.parse(hs) as State);
          opts.signal?.throwIfAborted();
        }
        init.send(new Writer().message(Msg.SYNC_ACK));
      } else if (m.type === Msg.DONE) {
        break;
      } else throw new SkiffError(`init protocol error: unexpected message ${m.type}`);
    }
    opts.signal?.throwIfAborted();
    crashPoint('create:before-ready');
    state.createComplete = true;
    writeState(dir, state);
    crashPoint('create:after-ready');
    if (opts.pidFile) writePidFile(opts.pidFile, pid);
    init.close();
    // the master was sent before DONE: it is waiting in the socket
    const consoleMaster = console?.parent !== undefined ? receiveConsole(console) : undefined;
    return { state, dir, pid, warnings, consoleMaster };
  } catch (e) {
    // leave nothing behind: the process, its cgroups, the state dir
    init?.close();
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await waitGone(pid, state.startTime, 2000);
    }
    crashPoint('create:rollback');
    if (cgroupCreated) {
      try {
        cgroup.destroy();
      } catch {
        /* best effort; delete --force retries */
      }
    }
    removeContainerDir(dir);
    throw e;
  } finally {
    closeQuietly(statedirFd);
    closeConsoleSocket(console);
    closeQuietly(listener);
    lock?.release();
  }
}

/** Host uid/gid of the container's root, when a user namespace maps it elsewhere. */
function hostRootIds(spec: Spec): { uid: number; gid: number } | undefined {
  const find = (m: { containerID: number; hostID: number; size: number }[] | undefined) => {
    const e = (m ?? []).find((x) => x.containerID <= 0 && 0 < x.containerID + x.size);
    return e ? e.hostID - e.containerID : undefined;
  };
  const uid = find(spec.linux?.uidMappings);
  const gid = find(spec.linux?.gidMappings);
  return uid === undefined && gid === undefined ? undefined : { uid: uid ?? 0, gid: gid ?? 0 };
}

function writeIdMaps(pid: number, spec: Spec): void {
  const fmt = (m: { containerID: number; hostID: number; size: number }[] | undefined) =>
    (m ?? []).map((x) => `${x.containerID} ${x.hostID} ${x.size}\n`).join('');
  const uid = fmt(spec.linux?.uidMappings);
  const gid = fmt(spec.linux?.gidMappings);
  try {
    if (gid) writeFileSync(`/proc/${pid}/gid_map`, gid);
    if (uid) writeFileSync(`/proc/${pid}/uid_map`, uid);
  } catch (e) {
    throw new SkiffError(`/linux/uidMappings: writing the user namespace id maps failed: ${(e as Error).message}`, { pointer: '/linux/uidMappings' });
  }
}

function timensOffsets(spec: Spec): string | undefined {
  const t = spec.linux?.timeOffsets;
  if (!t) return undefined;
  const lines: string[] = [];
  for (const [clock, v] of Object.entries(t)) lines.push(`${clock} ${v.secs ?? 0} ${v.nanosecs ?? 0}`);
  return lines.join('\n') + '\n';
}

export function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, abs);
}

export async function waitGone(pid: number, startTime: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    const st = procStat(pid);
    if (!st || st.startTime !== startTime || st.state === 'Z' || st.state === 'X') return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
}

let cachedOwner: string | undefined;
function ownerName(): string {
  if (cachedOwner === undefined) {
    try {
      cachedOwner = userInfo().username;
    } catch {
      cachedOwner = String(process.getuid?.() ?? '');
    }
  }
  return cachedOwner;
}


export { CLONE_FLAGS, strerror };
