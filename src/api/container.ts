// The library API: containers as objects. Every method is a thin wrapper
// over the same functions the CLI calls (src/container/*): the API adds
// in-process conveniences only (stdio as streams, a pty, wait(), hook
// callbacks, AbortSignal, `await using`).
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { LinuxResources, Spec, State } from '../spec/types.ts';
import { NotFoundError, SkiffError, UsageError } from '../errors.ts';
import { createContainer } from '../container/create.ts';
import { startContainer } from '../container/start.ts';
import { killContainer } from '../container/kill.ts';
import { deleteContainer } from '../container/delete.ts';
import { containerState, type ContainerState } from '../container/query.ts';
import { execProcess } from '../container/exec.ts';
import { pauseContainer, resumeContainer } from '../container/pause.ts';
import { updateContainer } from '../container/update.ts';
import { containerEvents } from '../container/events.ts';
import { loadContainer } from '../container/load.ts';
import { DEFAULT_ROOT, isAlive } from '../container/state.ts';
import { native, waitExit, type WaitStatus } from '../native/addon.ts';
import type { CgroupStats } from '../cgroups/index.ts';
import { StdioPipes, collect, ptyStream, type StdioOption, type StdioStreams } from './stdio.ts';
import { tagError, tagged } from './errors.ts';

// Node 20.0-20.3 lack Symbol.asyncDispose; esbuild/tsx lower `await using`
// to Symbol.asyncDispose || Symbol.for('Symbol.asyncDispose').
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

/** How a process ended. */
export interface ExitStatus {
  /** the exit code; 128+n when killed by signal n (as `skiff run` and shells report it);
   * -1 when unknown (a container this process did not create: only its parent can reap it) */
  code: number;
  /** the signal that killed it, or null */
  signal: NodeJS.Signals | null;
}

/** In-process hooks: called with the OCI state, like the config's hook executables (which still run too, first). */
export interface HookCallbacks {
  /** after the namespaces and mounts exist, before pivot_root (the runtime namespace, like createRuntime/prestart);
   * an error aborts create and rolls everything back */
  onCreateRuntime?: (state: State) => void | Promise<void>;
  /** after start released the process; an error is a warning (as for poststart executables) */
  onPoststart?: (state: State) => void | Promise<void>;
  /** after delete removed the container; an error is a warning */
  onPoststop?: (state: State) => void | Promise<void>;
}

export interface CommonOptions {
  /** state directory root (default /run/skiff, as the CLI's --root) */
  root?: string;
  /** warnings (config fields accepted but ignored, failing poststart/poststop hooks, …) */
  onWarning?: (message: string) => void;
}

export interface CreateOptions extends CommonOptions {
  /** container id (default: "skiff-" + 12 random hex digits) */
  id?: string;
  /** a bundle directory: config.json is read from it unless `config` is given */
  bundle?: string;
  /** an in-memory config (runtime-spec config.json as an object); it is not modified */
  config?: Spec;
  /** the root filesystem: overrides config.root.path (relative paths: from the bundle) */
  rootfs?: string;
  /** overrides config.process.terminal: true gives `container.pty` */
  terminal?: boolean;
  /** the process's fds 0-2 (ignored with a terminal): 'pipe' exposes
   * container.stdin/stdout/stderr. Default 'ignore'. */
  stdio?: StdioOption;
  hooks?: HookCallbacks;
  /** cancels create (everything made so far is removed; rejects with signal.reason) */
  signal?: AbortSignal;
  pidFile?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** treat warnings about the config as errors */
  strict?: boolean;
}

export interface ExecOptions {
  /** the command and its arguments */
  args: string[];
  /** added to the config's process.env */
  env?: string[];
  cwd?: string;
  /** { uid, gid } or "uid[:gid]" */
  user?: string | { uid: number; gid?: number };
  additionalGids?: number[];
  /** capabilities added to the config's sets */
  caps?: string[];
  noNewPrivileges?: boolean;
  /** a pty (exec.pty) instead of stdio */
  tty?: boolean;
  /** default 'ignore' */
  stdio?: StdioOption;
  /** cgroup sub-paths to join, as `exec --cgroup` */
  cgroup?: string[];
  /** exec into a paused container (the process starts frozen) */
  ignorePaused?: boolean;
  signal?: AbortSignal;
}

export interface Output extends ExitStatus {
  stdout: string;
  stderr: string;
}

export interface EventOptions {
  /** stats interval in ms (default 5000, as runc events) */
  interval?: number;
  /** stop the stream */
  signal?: AbortSignal;
}

/** An event of `container.events()`: runc's events shape. */
export interface ContainerEvent {
  type: 'stats' | 'oom';
  id: string;
  data?: CgroupStats;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(osConstants.signals).map(([k, v]) => [v as number, k as NodeJS.Signals]));

function toExit(s: WaitStatus): ExitStatus {
  if (s.signal) return { code: 128 + s.signal, signal: SIGNAL_NAMES.get(s.signal) ?? null };
  return { code: s.code, signal: null };
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        res(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        rej(e);
      },
    );
  });
}

function ociState(s: ContainerState): State {
  const o: State = { ociVersion: s.ociVersion, id: s.id, status: s.status, pid: s.pid, bundle: s.bundle };
  if (s.annotations) o.annotations = s.annotations;
  return o;
}

/** A process started by `container.exec()`: our child until it exits. */
export class ExecProcess implements StdioStreams {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** the pty master, with `tty: true` */
  readonly pty: Duplex | null;
  private readonly exited: Promise<ExitStatus>;

  constructor(
    readonly pid: number,
    exit: Promise<WaitStatus>,
    private readonly pipes: StdioPipes,
    private readonly master: number | undefined,
  ) {
    this.stdin = pipes.stdin;
    this.stdout = pipes.stdout;
    this.stderr = pipes.stderr;
    this.pty = master !== undefined ? ptyStream(master) : null;
    this.exited = exit.then(toExit);
  }

  /** The exit status; `signal` stops waiting (the process keeps running). */
  wait(opts: { signal?: AbortSignal } = {}): Promise<ExitStatus> {
    return abortable(this.exited, opts.signal);
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): void {
    try {
      process.kill(this.pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw tagError(e, 'kill');
    }
  }

  /** Set the pty's window size. */
  resize(rows: number, cols: number): void {
    if (this.master === undefined) throw new SkiffError('resize: the process has no terminal', { op: 'exec' });
    native().setWinsize(this.master, rows, cols);
  }

  /** Wait for the exit and collect stdout/stderr (stdio 'pipe'). */
  async output(opts: { signal?: AbortSignal } = {}): Promise<Output> {
    const [stdout, stderr, st] = await Promise.all([collect(this.stdout), collect(this.stderr), this.wait(opts)]);
    return { ...st, stdout, stderr };
  }

  /** Close our ends of the stdio pipes / pty. */
  close(): void {
    this.pipes.destroy();
    this.pty?.destroy();
  }
}

/**
 * A container. From `create()` (this process created it: its init is our
 * child, stdio/pty are available, `wait()` gives the exit code) or from
 * `open()` (any existing container).
 */
export class Container implements StdioStreams, AsyncDisposable {
  readonly id: string;
  readonly root: string;
  /** the init's pid */
  readonly pid: number;
  readonly bundle: string;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** the pty master, for a container with a terminal created in this process */
  readonly pty: Duplex | null;
  /** warnings create() reported about the config */
  readonly warnings: readonly string[];
  /** created by this process: the init is our child */
  readonly owned: boolean;
  private exited: Promise<ExitStatus> | undefined;
  private deleted = false;
  private readonly startTime: string;

  /** @internal use create() or open() */
  constructor(
    init: { id: string; root: string; pid: number; bundle: string; startTime: string; owned: boolean; warnings?: string[] },
    private readonly pipes: StdioPipes | undefined,
    private readonly master: number | undefined,
    private readonly hooks: HookCallbacks = {},
    private readonly onWarning?: (m: string) => void,
  ) {
    this.id = init.id;
    this.root = init.root;
    this.pid = init.pid;
    this.bundle = init.bundle;
    this.startTime = init.startTime;
    this.owned = init.owned;
    this.warnings = init.warnings ?? [];
    this.stdin = pipes?.stdin ?? null;
    this.stdout = pipes?.stdout ?? null;
    this.stderr = pipes?.stderr ?? null;
    this.pty = master !== undefined ? ptyStream(master) : null;
  }

  /** The runtime state, computed live (as `skiff state`). */
  state(): ContainerState {
    try {
      return containerState(this.root, this.id);
    } catch (e) {
      throw tagError(e, 'state', this.id);
    }
  }

  /** Run the process: a created container starts (its poststart hooks run, then onPoststart). */
  async start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    await tagged('start', this.id, async () => {
      opts.signal?.throwIfAborted();
      await startContainer(this.root, this.id, this.onWarning);
    }, opts.signal);
    if (this.hooks.onPoststart) {
      try {
        // as the poststart executables get it: running, even if it already exited
        await this.hooks.onPoststart({ ...(this.safeState() ?? { ociVersion: '', id: this.id, bundle: this.bundle }), status: 'running', pid: this.pid });
      } catch (e) {
        this.onWarning?.(`onPoststart: ${(e as Error).message}`);
      }
    }
  }

  /** Signal the init (all: every process of the container's cgroup). */
  async kill(signal: NodeJS.Signals | number = 'SIGTERM', opts: { all?: boolean } = {}): Promise<void> {
    await tagged('kill', this.id, () => killContainer(this.root, this.id, signal, !!opts.all));
  }

  /**
   * The init's exit status. Created here: the exit code, and the init is
   * reaped. Opened: resolves when it exits, code -1 (not our child).
   * `signal` stops waiting, not the container. While a wait() is pending
   * the event loop stays alive (like a ChildProcess).
   */
  wait(opts: { signal?: AbortSignal } = {}): Promise<ExitStatus> {
    if (!this.exited) {
      if (this.pid <= 0 || (!this.owned && !isAlive(this.pid, this.startTime))) this.exited = Promise.resolve({ code: -1, signal: null });
      else this.exited = waitExit(this.pid).then(toExit);
    }
    return abortable(this.exited, opts.signal);
  }

  /** Remove the container (force: kill it first if it runs). Runs poststop hooks, then onPoststop. */
  async delete(opts: { force?: boolean } = {}): Promise<void> {
    const st = this.safeState();
    await tagged('delete', this.id, () => deleteContainer(this.root, this.id, !!opts.force, this.onWarning));
    this.deleted = true;
    // reap our child (delete killed it, or it had exited) and drain its output
    if (this.owned) await this.wait();
    await this.pipes?.drain(200);
    this.pty?.destroy();
    if (this.hooks.onPoststop) {
      try {
        await this.hooks.onPoststop({ ...(st ?? { ociVersion: '', id: this.id, bundle: this.bundle }), status: 'stopped', pid: 0 });
      } catch (e) {
        this.onWarning?.(`onPoststop: ${(e as Error).message}`);
      }
    }
  }

  /** `await using c = await create(…)`: delete --force, whatever the state (errors are warnings). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.deleted) return;
    try {
      await this.delete({ force: true });
    } catch (e) {
      if (!(e instanceof NotFoundError)) this.onWarning?.(`dispose: ${(e as Error).message}`);
      this.pipes?.destroy();
      this.pty?.destroy();
    }
  }

  /** A new process in the running container (as `skiff exec`). */
  async exec(opts: ExecOptions): Promise<ExecProcess> {
    if (!opts.args?.length) throw tagError(new UsageError('exec: args must not be empty'), 'exec', this.id);
    const pipes = new StdioPipes(opts.tty ? 'ignore' : opts.stdio, 'ignore');
    let spawned: { pid: number; exit: Promise<WaitStatus>; consoleMaster?: number } | undefined;
    try {
      await tagged('exec', this.id, async () => {
        opts.signal?.throwIfAborted();
        const user = typeof opts.user === 'object' ? `${opts.user.uid}${opts.user.gid !== undefined ? `:${opts.user.gid}` : ''}` : opts.user;
        await execProcess({
          root: this.root,
          id: this.id,
          args: opts.args,
          env: opts.env,
          cwd: opts.cwd,
          user,
          additionalGids: opts.additionalGids,
          caps: opts.caps,
          noNewPrivs: opts.noNewPrivileges,
          tty: !!opts.tty,
          cgroup: opts.cgroup,
          ignorePaused: opts.ignorePaused,
          stdio: pipes.slots,
          onWarning: this.onWarning,
          onSpawn: (p) => (spawned = p),
        });
        if (!spawned) throw new SkiffError('exec: the process did not start');
      }, opts.signal);
    } catch (e) {
      pipes.destroy();
      throw e;
    } finally {
      pipes.closeChildEnds();
    }
    return new ExecProcess(spawned!.pid, spawned!.exit, pipes, spawned!.consoleMaster);
  }

  /** Freeze every process (cgroup freezer). */
  async pause(): Promise<void> {
    await tagged('pause', this.id, () => pauseContainer(this.root, this.id));
  }

  async resume(): Promise<void> {
    await tagged('resume', this.id, () => resumeContainer(this.root, this.id));
  }

  /** Change resource limits (merged into the current ones; zeros mean "unchanged", as `skiff update`). */
  async update(resources: LinuxResources): Promise<void> {
    await tagged('update', this.id, () => updateContainer(this.root, this.id, resources));
  }

  /** cgroup statistics (what `skiff events --stats` reports). */
  stats(): CgroupStats {
    try {
      const cg = loadContainer(this.root, this.id).cgroup();
      if (!cg) throw new SkiffError('container has no cgroup');
      return cg.stats();
    } catch (e) {
      throw tagError(e, 'stats', this.id);
    }
  }

  /** Every pid in the container's cgroup. */
  pids(): number[] {
    try {
      const cg = loadContainer(this.root, this.id).cgroup();
      if (!cg) throw new SkiffError('container has no cgroup');
      return cg.exists() ? cg.pids() : [];
    } catch (e) {
      throw tagError(e, 'pids', this.id);
    }
  }

  /** Stats every `interval` ms and OOM events, until the container stops or `signal` aborts. */
  async *events(opts: EventOptions = {}): AsyncGenerator<ContainerEvent, void, undefined> {
    const queue: ContainerEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: unknown;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const run = containerEvents(this.root, this.id, {
      intervalMs: opts.interval ?? 5000,
      statsOnly: false,
      signal: stop.signal,
      write: (line) => {
        queue.push(JSON.parse(line) as ContainerEvent);
        wake?.();
      },
      onError: this.onWarning,
    }).then(
      () => undefined,
      (e) => (failure = tagError(e, 'events', this.id)),
    ).finally(() => {
      done = true;
      wake?.();
    });
    try {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (done) break;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
      if (failure) throw failure;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      await run;
    }
  }

  /** Set the pty's window size. */
  resize(rows: number, cols: number): void {
    if (this.master === undefined) throw new SkiffError('resize: the container has no terminal here', { op: 'state' });
    native().setWinsize(this.master, rows, cols);
  }

  private safeState(): State | undefined {
    try {
      return ociState(containerState(this.root, this.id));
    } catch {
      return undefined;
    }
  }
}

export function newId(): string {
  return `skiff-${randomBytes(6).toString('hex')}`;
}

/** The config to create from, with the API's overrides applied (never the caller's object). */
function effectiveConfig(opts: CreateOptions): { spec?: Spec; bundle: string } {
  if (!opts.config && !opts.bundle) throw new UsageError('create: give a bundle directory or an in-memory config');
  const bundle = resolve(opts.bundle ?? '.');
  if (!opts.config && opts.rootfs === undefined && opts.terminal === undefined) return { bundle };
  let spec: Spec;
  if (opts.config) spec = structuredClone(opts.config);
  else {
    try {
      spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec;
    } catch (e) {
      throw new SkiffError(`config.json: ${(e as Error).message}`, { code: 'EINVALIDSPEC', pointer: '' });
    }
  }
  if (opts.rootfs !== undefined) spec.root = { ...(spec.root ?? {}), path: resolve(bundle, opts.rootfs) };
  if (opts.terminal !== undefined && spec.process) spec.process.terminal = opts.terminal;
  return { spec, bundle };
}

/** Create a container (not started: its process waits for start()). */
export async function create(opts: CreateOptions): Promise<Container> {
  const id = opts.id ?? newId();
  const root = resolve(opts.root ?? DEFAULT_ROOT);
  const { spec, bundle } = await tagged('create', id, () => effectiveConfig(opts));
  const terminal = spec ? !!spec.process?.terminal : undefined;
  const pipes = new StdioPipes(terminal ? 'ignore' : opts.stdio, 'ignore');
  const warnings: string[] = [];
  const onCreateRuntime = opts.hooks?.onCreateRuntime;
  try {
    const created = await tagged('create', id, () => createContainer({
      id,
      bundle,
      spec,
      root,
      pidFile: opts.pidFile,
      noPivot: opts.noPivot,
      noNewKeyring: opts.noNewKeyring,
      strict: opts.strict,
      stdio: pipes.slots,
      // a terminal's master comes back to us, not to a console socket
      foreground: true,
      signal: opts.signal,
      onWarning: (m) => {
        warnings.push(m);
        opts.onWarning?.(m);
      },
      onCreateRuntime: onCreateRuntime && (async (st) => {
        try {
          await onCreateRuntime(st);
        } catch (e) {
          throw new SkiffError(`onCreateRuntime: ${(e as Error).message}`, { code: 'EHOOK', op: 'hook', cause: e });
        }
      }),
    }), opts.signal);
    pipes.closeChildEnds();
    return new Container(
      { id, root, pid: created.pid, bundle: created.state.bundle, startTime: created.state.startTime, owned: true, warnings },
      pipes,
      created.consoleMaster,
      opts.hooks,
      opts.onWarning,
    );
  } catch (e) {
    pipes.destroy();
    throw e;
  }
}

/** An existing container (created by any skiff process, CLI included). */
export function open(id: string, opts: CommonOptions = {}): Container {
  const root = resolve(opts.root ?? DEFAULT_ROOT);
  try {
    const c = loadContainer(root, id);
    return new Container({ id, root, pid: c.state.pid, bundle: c.state.bundle, startTime: c.state.startTime, owned: false }, undefined, undefined, {}, opts.onWarning);
  } catch (e) {
    throw tagError(e, 'open', id);
  }
}

export interface RunOptions extends Omit<CreateOptions, 'stdio' | 'terminal'> {
  /** written to the process's stdin, then EOF (default: no stdin) */
  input?: string | Buffer;
  /** kill the container (SIGKILL) after this many ms; the result has timedOut: true */
  timeout?: number;
  /** what goes where (default ['pipe' if input, 'pipe', 'pipe']) — 'pipe' output is collected */
  stdio?: StdioOption;
  /** keep the stopped container (default: delete it) */
  keep?: boolean;
}

export interface RunResult extends Output {
  id: string;
  /** the timeout killed it */
  timedOut: boolean;
}

/**
 * create + start + wait + delete, collecting output: `skiff run` as a
 * function. An abort kills and deletes the container, then rejects with
 * signal.reason; `timeout` kills it and resolves with timedOut: true.
 */
export async function run(opts: RunOptions): Promise<RunResult> {
  const stdio = opts.stdio ?? [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  const c = await create({ ...opts, stdio });
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    c.kill('SIGKILL').catch(() => undefined);
  };
  try {
    const out = collect(c.stdout);
    const err = collect(c.stderr);
    await c.start({ signal: opts.signal });
    if (c.stdin) c.stdin.end(opts.input);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeout !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        c.kill('SIGKILL').catch(() => undefined);
      }, opts.timeout);
    }
    const st = await c.wait();
    clearTimeout(timer);
    opts.signal?.throwIfAborted();
    // output after exit: the pipes reach EOF when the last process holding
    // them is gone; one that outlives the init (no pid namespace) gets 1 s
    const grace = setTimeout(() => {
      c.stdout?.destroy();
      c.stderr?.destroy();
    }, 1000);
    const [stdout, stderr] = await Promise.all([out, err]);
    clearTimeout(grace);
    return { id: c.id, ...st, stdout, stderr, timedOut };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (!opts.keep) await c[Symbol.asyncDispose]();
  }
}
