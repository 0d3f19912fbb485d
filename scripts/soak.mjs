#!/usr/bin/env node
// Soak test (not in CI): run N containers in sequence through the CLI
// (create, start, wait, delete; every 10th one via `run`, every 7th killed
// while running, every 13th deleted with --force while created) and compare
// host resources before and after: open fds of this process and system-wide,
// mounts, cgroup dirs under our own cgroups, skiff-init processes, zombies,
// state dirs, memory (MemAvailable, our memory cgroup's usage). Any growth
// that does not settle is a leak.
//
// Usage: node scripts/soak.mjs [N=1000]   (as root; SOAK_ROOT to pick --root)
import { spawnSync } from 'node:child_process';
import { writeSync, readlinkSync, statSync, closeSync, openSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = Number(process.argv[2] ?? process.env.SOAK_N ?? 1000);
const REPO = new URL('..', import.meta.url).pathname;
const SKIFF = join(REPO, 'bin/skiff');
const base = mkdtempSync(join(tmpdir(), 'skiff-soak-'));
const root = process.env.SOAK_ROOT ?? join(base, 'root');
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

function rootfs(dir) {
  const bb = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(dir, d), { recursive: true });
  cpSync(bb, join(dir, 'bin/busybox'));
  for (const a of ['sh', 'true', 'sleep', 'echo', 'cat']) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
}

function bundle(args) {
  const dir = mkdtempSync(join(base, 'b-'));
  const r = spawnSync(SKIFF, ['spec', '--bundle', dir], { env });
  if (r.status !== 0) throw new Error(`skiff spec: ${r.stderr}`);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  spec.root = { path: join(base, 'rootfs'), readonly: true };
  spec.process.terminal = false;
  spec.process.args = args;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

// stdout/stderr go to files: a created container inherits them, and a pipe
// would keep spawnSync waiting for as long as the container lives
function skiff(args) {
  const out = openSync(join(base, 'out'), 'w+');
  const err = openSync(join(base, 'err'), 'w+');
  try {
    const r = spawnSync(SKIFF, ['--root', root, ...args], { env, stdio: ['ignore', out, err], timeout: 60_000 });
    return { status: r.status, stdout: readFileSync(join(base, 'out'), 'utf8'), stderr: readFileSync(join(base, 'err'), 'utf8') };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

function count(fn) {
  try {
    return fn();
  } catch {
    return -1;
  }
}

function ownCgroupDirs() {
  const out = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, ctrl, path] = line.split(':');
    if (path === undefined) continue;
    out.push(join(ctrl === '' ? '/sys/fs/cgroup/unified' : `/sys/fs/cgroup/${ctrl.replace(/^name=/, '')}`, path));
  }
  return out;
}

function fdList() {
  return readdirSync('/proc/self/fd').map((f) => {
    try {
      return `${f} -> ${readlinkSync(`/proc/self/fd/${f}`)}`;
    } catch {
      return `${f} -> ?`;
    }
  });
}

function snapshot() {
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  let inits = 0;
  let zombies = 0;
  for (const p of pids) {
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'latin1');
      const state = st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (state === 'Z' && ppid === process.pid) zombies++;
      // any process (init or container) whose root is our rootfs
      const r = statSync(`/proc/${p}/root`);
      if (r.ino === rootIdent.ino && r.dev === rootIdent.dev && state !== 'Z') inits++;
    } catch {
      /* exited */
    }
  }
  const mem = readFileSync('/proc/meminfo', 'utf8');
  const memcg = ownCgroupDirs().find((d) => d.includes('/memory/'));
  return {
    fdsSelf: readdirSync('/proc/self/fd').length,
    fdsSystem: Number(readFileSync('/proc/sys/fs/file-nr', 'utf8').split('\t')[0]),
    mountsHost: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).length,
    mountsOurs: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(base)).length,
    cgroupDirs: ownCgroupDirs().reduce((n, d) => n + count(() => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).length), 0),
    soakCgroups: ownCgroupDirs().reduce((n, d) => n + count(() => readdirSync(d).filter((e) => e.startsWith('soak-')).length), 0),
    stateDirs: existsSync(root) ? readdirSync(root).length : 0,
    containerProcs: inits,
    zombies,
    memAvailableKiB: Number(/MemAvailable:\s+(\d+)/.exec(mem)[1]),
    memcgUsageKiB: memcg ? Math.round(count(() => Number(readFileSync(join(memcg, 'memory.usage_in_bytes'), 'utf8'))) / 1024) : -1,
    slabKiB: Number(/Slab:\s+(\d+)/.exec(mem)[1]),
  };
}

rootfs(join(base, 'rootfs'));
const rootIdent = statSync(join(base, 'rootfs'));
const quick = bundle(['true']);
const sleeper = bundle(['sleep', '100']);
// the first WARM iterations take every path once (lazy fds of this Node
// process appear there) and are not measured
const WARM = 14;
let fdsBefore;
let before;
let t0;
const failures = [];
for (let i = -WARM; i < N; i++) {
  if (i === 0) {
    fdsBefore = fdList();
    before = snapshot();
    t0 = Date.now();
  }
  const id = `soak-${process.pid}-${i + WARM}`;
  const k = i + WARM;
  const step = (args) => {
    const r = skiff(args);
    if (r.status !== 0) failures.push(`${id} ${args[0]}: ${r.status} ${r.stderr.trim()}`);
    return r;
  };
  if (k % 10 === 0) {
    step(['run', '--bundle', quick, id]);
  } else if (k % 13 === 0) {
    step(['create', '--bundle', sleeper, id]);
    step(['delete', '--force', id]);
  } else if (k % 7 === 0) {
    step(['run', '-d', '--bundle', sleeper, id]);
    step(['kill', id, 'KILL']);
    for (let k = 0; k < 200 && JSON.parse(skiff(['state', id]).stdout || '{}').status !== 'stopped'; k++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    step(['delete', id]);
  } else {
    step(['create', '--bundle', quick, id]);
    step(['start', id]);
    for (let k = 0; k < 200 && JSON.parse(skiff(['state', id]).stdout || '{}').status !== 'stopped'; k++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    step(['delete', id]);
  }
  if (i >= 0 && (i + 1) % 100 === 0) writeSync(2, `soak: ${i + 1}/${N} (${((Date.now() - t0) / (i + 1)).toFixed(0)} ms/container)\n`);
}
const ms = Date.now() - t0;
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
const afterSnap = snapshot();
const rows = Object.keys(before).map((k) => ({ metric: k, before: before[k], after: afterSnap[k], delta: afterSnap[k] - before[k] }));
console.log(`soak: ${N} containers in ${(ms / 1000).toFixed(1)} s (${(ms / N).toFixed(0)} ms each), ${failures.length} failures`);
console.table(rows);
for (const f of failures.slice(0, 20)) console.log(`  failure: ${f}`);
if (afterSnap.fdsSelf > before.fdsSelf) console.log(`  new fds: ${fdList().filter((f) => !fdsBefore.includes(f)).join(', ')}`);
// what must not grow at all
const strict = ['fdsSelf', 'mountsOurs', 'soakCgroups', 'stateDirs', 'containerProcs', 'zombies'];
const leaks = strict.filter((k) => afterSnap[k] > before[k]);
// host-wide counters move with whatever else runs on the machine: report only
if (!process.env.SOAK_KEEP) rmSync(base, { recursive: true, force: true });
if (leaks.length || failures.length) {
  console.log(`LEAK/FAIL: ${[...leaks, ...(failures.length ? ['failures'] : [])].join(', ')}`);
  process.exit(1);
}
console.log('no leaks');
