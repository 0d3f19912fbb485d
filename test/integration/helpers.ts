// Shared helpers for integration tests: real containers, as root. Every test
// file gets its own --root and its own busybox rootfs; `cleanup()` force-
// deletes whatever is left and checks nothing leaked (state dirs, cgroups,
// mounts).
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, closeSync, openSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultSpec } from '../../src/spec/default.ts';
import type { Spec } from '../../src/spec/types.ts';

export const REPO = resolve(__dirname, '../..');
export const SKIFF = join(REPO, 'bin/skiff');

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

let rootfsCache: string | undefined;

/** A busybox rootfs shared by the tests of this process (do not modify it). */
export function busyboxRootfs(): string {
  if (rootfsCache) return rootfsCache;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rootfs-'));
  chmodSync(dir, 0o755); // reachable by mapped and non-root users
  makeRootfs(dir);
  rootfsCache = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Fill dir with a minimal busybox rootfs (writable copy for tests that modify it). */
export function makeRootfs(dir: string): void {
  const bb = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!bb) throw new Error('busybox not found: install busybox-static (scripts/setup.sh does)');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'usr/bin', 'sbin']) mkdirSync(join(dir, d), { recursive: true });
  cpSync(bb, join(dir, 'bin/busybox'));
  const applets = spawnSync(bb, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home/nobody:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

const liveEnvs = new Set<Env>();
let exitHooked = false;

/**
 * Clean up whatever a test file leaves however its process ends: `after`
 * hooks do not run when it is killed (the runner's SIGTERM on Ctrl-C or a
 * timeout: node:test then calls process.exit) or dies of an uncaught error.
 * The 'exit' handler runs then (synchronously: cleanup() only uses sync
 * calls), before the one that removes the shared rootfs. A plain SIGTERM/
 * SIGINT/SIGHUP is turned into an exit so that it runs too. SIGKILL cannot
 * be caught.
 */
function cleanupOnExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const e of liveEnvs) {
      try {
        e.cleanup();
      } catch {
        /* best effort on the way out */
      }
    }
  });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(sig, () => process.exit(128 + osConstants.signals[sig]));
  }
}

export class Env {
  readonly root: string;
  readonly base: string;
  private n = 0;
  readonly ids = new Set<string>();

  constructor(readonly name: string) {
    this.base = mkdtempSync(join(tmpdir(), `skiff-it-${name}-`));
    this.root = join(this.base, 'root');
    liveEnvs.add(this);
    cleanupOnExit();
  }

  /** A unique container id for this file. */
  id(tag = 'c'): string {
    const id = `${this.name}-${tag}-${process.pid}-${++this.n}`;
    this.ids.add(id);
    return id;
  }

  /** A bundle dir with config.json from runc's default spec, modified by fn. */
  bundle(fn: (s: Spec) => void = () => {}, rootfs = busyboxRootfs()): string {
    const dir = join(this.base, `bundle-${++this.n}`);
    mkdirSync(dir);
    const spec = testSpec(rootfs);
    fn(spec);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
    return dir;
  }

  /**
   * Run skiff and collect its output. stdout/stderr go to files, not pipes:
   * a detached container inherits them, and a pipe would stay open (and
   * spawnSync wait) for as long as the container lives.
   */
  skiff(args: string[], opts: { input?: string; timeout?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
    const out = join(this.base, `.out-${process.pid}`);
    const err = join(this.base, `.err-${process.pid}`);
    const fo = openSync(out, 'w');
    const fe = openSync(err, 'w');
    try {
      const r = spawnSync(SKIFF, ['--root', this.root, ...args], {
        input: opts.input,
        stdio: ['pipe', fo, fe],
        timeout: opts.timeout ?? 30_000,
        env: { ...env, ...opts.env },
        cwd: opts.cwd,
      });
      return Object.assign(r, { stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8'), output: [] }) as unknown as SpawnSyncReturns<string>;
    } finally {
      closeSync(fo);
      closeSync(fe);
    }
  }

  /** Like skiff() but async (for concurrent commands or long-running run). */
  skiffAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; pid: number }> {
    return new Promise((res) => {
      const c = spawn(SKIFF, ['--root', this.root, ...args], { env: { ...env, ...opts.env } });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code, signal) => res({ code, signal, stdout, stderr, pid: c.pid! }));
    });
  }

  /** `skiff run` of a one-shot container; returns its output and exit code. */
  run(fn: (s: Spec) => void, extra: string[] = []): SpawnSyncReturns<string> & { id: string } {
    const id = this.id();
    const b = this.bundle(fn);
    const r = this.skiff(['run', '--bundle', b, ...extra, id]);
    return Object.assign(r, { id });
  }

  state(id: string): { status: string; pid: number; [k: string]: unknown } {
    const r = this.skiff(['state', id]);
    if (r.status !== 0) throw new Error(`state ${id}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** Force-delete every container of this env, then verify nothing leaked. */
  cleanup(): string[] {
    const problems: string[] = [];
    for (const id of this.ids) this.skiff(['delete', '--force', id]);
    if (existsSync(this.root)) {
      const left = readdirSync(this.root);
      if (left.length) problems.push(`state dirs left: ${left.join(', ')}`);
    }
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(this.base));
    if (mounts.length) {
      problems.push(`mounts left: ${mounts.join('; ')}`);
      // never rm -rf through a mount: detach them, deepest first
      const points = mounts.map((l) => l.split(' ')[4]).filter((m) => m.startsWith(this.base)).sort((a, b) => b.length - a.length);
      for (const m of points) spawnSync('umount', ['-l', m]);
    }
    for (const id of this.ids) {
      const cg = leftoverCgroups(id);
      if (cg.length) problems.push(`cgroups left: ${cg.join(', ')}`);
    }
    rmSync(this.base, { recursive: true, force: true });
    liveEnvs.delete(this);
    return problems;
  }
}

/** runc's default spec, made to run without a terminal in our rootfs. */
export function testSpec(rootfs: string): Spec {
  const s = defaultSpec();
  s.root = { path: rootfs, readonly: true };
  s.process!.terminal = false;
  s.process!.args = ['true'];
  return s;
}

/** Cgroup dirs named after a container id under our own cgroups. */
export function leftoverCgroups(id: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, ctrl, path] = line.split(':');
    if (path === undefined) continue;
    const mp = ctrl === '' ? '/sys/fs/cgroup/unified' : `/sys/fs/cgroup/${ctrl.replace(/^name=/, '')}`;
    const d = join(mp, path, id);
    if (existsSync(d)) out.push(d);
  }
  return out;
}

export function procStatus(pid: number): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = l.indexOf(':');
    if (i > 0) o[l.slice(0, i)] = l.slice(i + 1).trim();
  }
  return o;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
