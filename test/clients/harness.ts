// Shared machinery for the real-client scenarios (containerd/ctr, podman,
// docker): a private sandbox per client (work dir, cgroup parent, the
// daemons it starts), commands with timeouts and captured output, a busybox
// image in the three forms the clients import, and a cleanup that removes
// everything even after a failure: processes by PID (only ours: the daemons
// we started, anything whose command line names our private dir, and what
// is left in our private cgroups), mounts under the dir, the cgroup dirs,
// the dir itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { makeRootfs } from '../integration/helpers.ts';

export const REPO = resolve(__dirname, '../..');
/** The runtime under test: skiff by default; SKIFF_CLIENTS_RUNTIME=/usr/sbin/runc runs the same scenario against runc. */
export const RUNTIME = process.env.SKIFF_CLIENTS_RUNTIME || join(REPO, 'bin/skiff');
export const IS_SKIFF = basename(RUNTIME) === 'skiff';

const baseEnv: NodeJS.ProcessEnv = { ...process.env };
delete baseEnv.NODE_EXTRA_CA_CERTS;

export function have(...bins: string[]): boolean {
  return bins.every((b) => spawnSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' }).status === 0);
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  cmd: string;
}

export function describeResult(r: Result): string {
  return `$ ${r.cmd}\n  exit ${r.code}${r.signal ? ` (${r.signal})` : ''} in ${r.ms.toFixed(0)} ms\n  stdout: ${JSON.stringify(r.stdout.slice(0, 2000))}\n  stderr: ${JSON.stringify(r.stderr.slice(0, 2000))}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Shell-quote one word. */
export function q(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Cgroup mount points and this process's own cgroup in each hierarchy. */
export function ownCgroups(): { controller: string; mount: string; path: string }[] {
  const out: { controller: string; mount: string; path: string }[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const ctrl = m[1];
    const mount = ctrl === '' ? (existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup') : `/sys/fs/cgroup/${ctrl.replace(/^name=/, '')}`;
    if (!existsSync(mount)) continue;
    out.push({ controller: ctrl, mount, path: m[2] });
  }
  return out;
}

export function cgroupOf(pid: number): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const r = /^\d+:([^:]*):(.*)$/.exec(line);
    if (r) m.set(r[1], r[2]);
  }
  return m;
}

export function ppidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** fd numbers a process holds, with their targets. */
export function fdsOf(pid: number): Record<string, string> {
  const o: Record<string, string> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      o[fd] = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      /* closed meanwhile */
    }
  }
  return o;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class Sandbox {
  readonly dir: string;
  /** a unique relative cgroup parent: container cgroups go under our own cgroups */
  readonly cgParent: string;
  private readonly daemons: { name: string; child: ChildProcess }[] = [];
  private readonly cleanups: (() => void)[] = [];
  private readonly stoppers: (() => void)[] = [];
  readonly timings: { step: string; ms: number }[] = [];
  private n = 0;

  constructor(readonly client: string) {
    // Directly under /tmp, not TMPDIR (scripts/test.mjs nests a run's TMPDIR):
    // podman refuses a runroot path longer than 50 characters. This sandbox
    // removes everything it made itself, daemons and mounts included.
    this.dir = mkdtempSync(join('/tmp', `skiff-clients-${client}-`));
    this.cgParent = `skiff-clients-${client}-${basename(this.dir).split('-').pop()}`;
  }

  path(...p: string[]): string {
    return join(this.dir, ...p);
  }

  /** Run a command to completion; stdout/stderr through files (a detached container may inherit them). */
  run(argv: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Result {
    const k = ++this.n;
    mkdirSync(this.path('out'), { recursive: true });
    const of = this.path('out', `${k}.out`);
    const ef = this.path('out', `${k}.err`);
    const fo = openSync(of, 'w');
    const fe = openSync(ef, 'w');
    const t0 = performance.now();
    let r;
    try {
      r = spawnSync(argv[0], argv.slice(1), {
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', fo, fe],
        input: opts.input,
        timeout: opts.timeout ?? 60_000,
        killSignal: 'SIGKILL',
        env: { ...baseEnv, ...opts.env },
        cwd: opts.cwd,
      });
    } finally {
      closeSync(fo);
      closeSync(fe);
    }
    const ms = performance.now() - t0;
    return { code: r.status, signal: r.signal, stdout: readFileSync(of, 'utf8'), stderr: readFileSync(ef, 'utf8') + (r.error ? `\n[harness] ${r.error.message}` : ''), ms, cmd: argv.map(q).join(' ') };
  }

  /** Run under script(1): the client sees a terminal (for -t). */
  runTty(argv: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): Result {
    return this.run(['script', '-qec', argv.map(q).join(' '), '/dev/null'], opts);
  }

  /** Start a daemon (its output to a log file in the sandbox); stopped by PID in cleanup. */
  startDaemon(name: string, argv: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const log = openSync(this.path(`${name}.log`), 'a');
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log], env: { ...baseEnv, ...env }, detached: false });
    closeSync(log);
    child.on('error', () => {});
    this.daemons.push({ name, child });
    return child;
  }

  daemonLog(name: string): string {
    try {
      return readFileSync(this.path(`${name}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  async waitFor(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (ok()) return;
      await sleep(100);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }

  /** Runs after every process of ours is gone, before mounts, cgroups and the dir are removed. */
  onCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Runs first, while the daemons still run (e.g. ask them to remove their containers). */
  beforeStop(fn: () => void): void {
    this.stoppers.push(fn);
  }

  time(step: string, ms: number): void {
    this.timings.push({ step, ms });
  }

  /** Our private cgroup parent's dir in every hierarchy. */
  cgroupDirs(): string[] {
    return ownCgroups().map((c) => join(c.mount, c.path, this.cgParent));
  }

  /** Processes whose command line names our private dir (shims, conmon, daemons' children). */
  private ourStrays(): number[] {
    const out: number[] = [];
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(this.dir)) out.push(Number(e));
      } catch {
        /* gone */
      }
    }
    return out;
  }

  /** Processes left in our private cgroups (container processes). */
  private cgroupProcs(): number[] {
    const out = new Set<number>();
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      try {
        for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.add(Number(l));
      } catch {
        /* not readable */
      }
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    };
    for (const d of this.cgroupDirs()) walk(d);
    return [...out];
  }

  private async killAll(pids: number[], label: string, report: string[]): Promise<void> {
    if (!pids.length) return;
    report.push(`${label}: ${pids.map((p) => `${p}(${commOf(p)})`).join(' ')}`);
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const end = Date.now() + 5000;
    while (Date.now() < end && pids.some(alive)) await sleep(50);
  }

  /** Stop and remove everything; returns what had to be cleaned up forcibly (leaks). */
  async cleanup(): Promise<string[]> {
    const leaks: string[] = [];
    const runAll = (fns: (() => void)[]) => {
      for (const fn of [...fns].reverse()) {
        try {
          fn();
        } catch (e) {
          leaks.push(`cleanup step failed: ${(e as Error).message}`);
        }
      }
    };
    runAll(this.stoppers);
    // daemons: TERM, give them time to stop their shims, then KILL
    for (const d of [...this.daemons].reverse()) {
      const pid = d.child.pid;
      if (!pid || d.child.exitCode !== null || d.child.signalCode !== null) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      const end = Date.now() + 15_000;
      while (Date.now() < end && d.child.exitCode === null && d.child.signalCode === null) await sleep(50);
      if (d.child.exitCode === null && d.child.signalCode === null) {
        leaks.push(`${d.name} (pid ${pid}) ignored SIGTERM for 15 s`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await sleep(200);
      }
    }
    await this.killAll(this.ourStrays(), 'processes naming the sandbox left', leaks);
    await this.killAll(this.cgroupProcs(), 'processes left in our cgroups', leaks);
    runAll(this.cleanups);
    // mounts under the dir, deepest first
    for (let i = 0; i < 3; i++) {
      const mps = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4])
        .filter((m) => m && (m === this.dir || m.startsWith(this.dir + '/')))
        .map((m) => m.replace(/\\040/g, ' '))
        .sort((a, b) => b.length - a.length);
      if (!mps.length) break;
      if (i === 0) leaks.push(`mounts left: ${mps.length} (${mps.slice(0, 3).join(', ')}${mps.length > 3 ? ', …' : ''})`);
      for (const m of mps) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    }
    // cgroup dirs, leaves first
    const rmTree = (d: string): boolean => {
      if (!existsSync(d)) return true;
      let ok = true;
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) ok = rmTree(join(d, e.name)) && ok;
      for (let i = 0; i < 20; i++) {
        try {
          rmdirSync(d);
          return ok;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok;
          spawnSync('sleep', ['0.1']);
        }
      }
      leaks.push(`cannot remove cgroup ${d}`);
      return false;
    };
    for (const d of this.cgroupDirs()) {
      if (!existsSync(d)) continue;
      const sub = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      if (sub.length) leaks.push(`cgroups left under ${d}: ${sub.join(', ')}`);
      rmTree(d);
    }
    try {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      leaks.push(`cannot remove ${this.dir}: ${(e as Error).message}`);
    }
    return leaks;
  }
}

/** A busybox rootfs, its tar, and an OCI image layout tar of it (for `ctr image import`). */
export function buildImage(sb: Sandbox, name = 'docker.io/library/skiff-busybox:latest'): { rootfs: string; rootfsTar: string; ociTar: string; name: string } {
  const rootfs = sb.path('image', 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  makeRootfs(rootfs);
  const rootfsTar = sb.path('image', 'rootfs.tar');
  const t = spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', rootfsTar, '.'], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`tar: ${t.stderr}`);
  const layout = sb.path('image', 'oci');
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const blob = (data: Buffer) => {
    const d = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(layout, 'blobs/sha256', d), data);
    return { digest: `sha256:${d}`, size: data.length };
  };
  const layer = blob(readFileSync(rootfsTar));
  const config = blob(Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })));
  const manifest = blob(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').pop() },
    }],
  }));
  const ociTar = sb.path('image', 'oci.tar');
  const t2 = spawnSync('tar', ['-C', layout, '-cf', ociTar, '.'], { encoding: 'utf8' });
  if (t2.status !== 0) throw new Error(`tar: ${t2.stderr}`);
  return { rootfs, rootfsTar, ociTar, name };
}

/**
 * The checks every client scenario makes on a running container's pid 1:
 * only fds 0-2 (nothing leaked from the caller, e.g. the shim's socket at
 * fd 3), a child of the client's subreaper, cgroups under our own.
 */
export function checkContainerProcess(sb: Sandbox, pid: number, subreaperComm: RegExp): string[] {
  const problems: string[] = [];
  const fds = fdsOf(pid);
  const extra = Object.keys(fds).filter((f) => !['0', '1', '2'].includes(f));
  if (extra.length) problems.push(`container init holds fds beyond 0-2: ${extra.map((f) => `${f}=${fds[f]}`).join(' ')}`);
  const pp = ppidOf(pid);
  if (!subreaperComm.test(commOf(pp))) problems.push(`container init's parent is ${pp} (${commOf(pp)}), not the client's subreaper`);
  const cg = cgroupOf(pid);
  for (const own of ownCgroups()) {
    const p = cg.get(own.controller);
    if (p === undefined) continue;
    const want = join(own.path, sb.cgParent);
    if (p !== want && !p.startsWith(want + '/')) problems.push(`cgroup ${own.controller || 'unified'}: ${p} is not under ${want}`);
  }
  return problems;
}

export function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return -1;
  }
}

/** containerd 1.6's shim socket for (address, namespace, id): removed by us if a shim was killed. */
export function containerdShimSocket(address: string, ns: string, id: string): string {
  return `/run/containerd/s/${createHash('sha256').update(join(address, ns, id)).digest('hex')}`;
}
