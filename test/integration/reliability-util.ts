// Host-side leak detectors shared by the reliability, escape and soak tests:
// processes that live in a directory (cwd or root), mounts naming a path,
// cgroup dirs named after an id, fds and zombies.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SKIFF, leftoverCgroups } from './helpers.ts';

function ident(p: string): string | undefined {
  try {
    const s = statSync(p);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/** dev:ino of dir and of its direct subdirectories (a container's cwd is usually one of them). */
export function dirIdents(dirs: string[]): Set<string> {
  const out = new Set<string>();
  for (const d of dirs) {
    const i = ident(d);
    if (i) out.add(i);
    try {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) {
        const j = ident(join(d, e.name));
        if (j) out.add(j);
      }
    } catch {
      /* gone */
    }
  }
  return out;
}

export function allPids(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/** Live (non-zombie) processes whose cwd or root is one of `idents` (see dirIdents). */
export function procsIn(idents: Set<string>, exclude: number[] = []): { pid: number; comm: string; state: string }[] {
  const out: { pid: number; comm: string; state: string }[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid || exclude.includes(pid)) continue;
    const cwd = ident(`/proc/${pid}/cwd`);
    const root = ident(`/proc/${pid}/root`);
    if (!(cwd && idents.has(cwd)) && !(root && idents.has(root))) continue;
    const st = procState(pid);
    if (!st || st.state === 'Z' || st.state === 'X') continue;
    out.push({ pid, ...st });
  }
  return out;
}

export function procState(pid: number): { comm: string; state: string; ppid: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { comm, state: f[0], ppid: Number(f[1]) };
  } catch {
    return undefined;
  }
}

export function isLive(pid: number): boolean {
  const s = procState(pid);
  return !!s && s.state !== 'Z' && s.state !== 'X';
}

/** Processes whose executable is a skiff-init memfd and whose parent is `ppid`. */
export function zombiesOf(ppid: number): number[] {
  return allPids().filter((p) => {
    const s = procState(p);
    return s && s.ppid === ppid && s.state === 'Z';
  });
}

/** Lines of our mountinfo that mention `needle`. */
export function mountsWith(needle: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(needle));
}

export function mountCount(): number {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).length;
}

export function fdCount(pid: number | 'self' = 'self'): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

export function fdTargets(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((f) => {
      try {
        return `${f} -> ${readlinkSync(`/proc/${pid}/fd/${f}`)}`;
      } catch {
        return `${f} -> ?`;
      }
    });
  } catch {
    return [];
  }
}

/** Everything a container id could have left on the host, as problems (empty = clean). */
export function leaksFor(opts: { root: string; id: string; base?: string; idents?: Set<string>; pid?: number }): string[] {
  const problems: string[] = [];
  const dir = join(opts.root, opts.id);
  if (ident(dir)) problems.push(`state dir left: ${dir} (${safeLs(dir).join(', ')})`);
  const cg = leftoverCgroups(opts.id);
  if (cg.length) problems.push(`cgroups left: ${cg.join(', ')}`);
  if (opts.base) {
    const m = mountsWith(opts.base);
    if (m.length) problems.push(`mounts left: ${m.join('; ')}`);
  }
  if (opts.pid && isLive(opts.pid)) problems.push(`init pid ${opts.pid} still alive (${procState(opts.pid)?.comm})`);
  if (opts.idents) {
    const p = procsIn(opts.idents);
    if (p.length) problems.push(`processes left in the rootfs: ${p.map((x) => `${x.pid}(${x.comm},${x.state})`).join(', ')}`);
  }
  return problems;
}

function safeLs(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** cgroup v1 memory usage of our own memory cgroup, when readable. */
export function ownMemoryCgroupDirs(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, ctrl, path] = line.split(':');
    if (path === undefined) continue;
    const mp = ctrl === '' ? '/sys/fs/cgroup/unified' : `/sys/fs/cgroup/${ctrl.replace(/^name=/, '')}`;
    out.push(join(mp, path));
  }
  return out;
}

/** Number of child cgroup dirs under each of our own cgroups. */
export function cgroupChildCount(): number {
  let n = 0;
  for (const d of ownMemoryCgroupDirs()) {
    try {
      n += readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).length;
    } catch {
      /* not mounted */
    }
  }
  return n;
}

/** One stderr line, no JS stack frames. */
export function cleanError(stderr: string): string | undefined {
  // warnings (logged before the error) are fine; the error itself is one line
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !/^time="[^"]*" level=warning msg=/.test(l));
  if (lines.length !== 1) return `stderr has ${lines.length} lines: ${JSON.stringify(stderr.slice(0, 500))}`;
  if (/^\s+at /m.test(stderr)) return `stack trace: ${stderr.slice(0, 500)}`;
  return undefined;
}

/**
 * skiff, asynchronously, with stdout/stderr in files: a created container
 * inherits skiff's stdio, so pipes would stay open (and 'close' never come)
 * for as long as the container lives.
 */
export function skiffFiles(root: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-out-'));
  const out = openSync(join(dir, 'out'), 'w+');
  const err = openSync(join(dir, 'err'), 'w+');
  const env = { ...process.env, ...opts.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return new Promise((res) => {
    const c = spawn(SKIFF, ['--root', root, ...args], { stdio: ['ignore', out, err], env, cwd: opts.cwd });
    const t = setTimeout(() => c.kill('SIGKILL'), opts.timeout ?? 60_000);
    c.on('exit', (code, signal) => {
      clearTimeout(t);
      const stdout = readFileSync(join(dir, 'out'), 'utf8');
      const stderr = readFileSync(join(dir, 'err'), 'utf8');
      closeSync(out);
      closeSync(err);
      rmSync(dir, { recursive: true, force: true });
      res({ code, signal, stdout, stderr });
    });
  });
}
