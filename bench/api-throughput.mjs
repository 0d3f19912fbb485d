#!/usr/bin/env node
// Throughput of container runs: skiff's library API (in-process: no Node
// start-up per container) vs the `skiff` CLI vs `crun run` vs `runc run`.
// Each runtime runs N containers (`/bin/true`), C at a time; rounds are
// interleaved (api cli crun runc, then rotated) and the median per runtime
// is reported. Separate from bench/run.mjs (owned by another engineer).
//
//   node bench/api-throughput.mjs            # N=100, C=4, 3 rounds
//   BENCH_TP=100 BENCH_CONC=4 BENCH_ROUNDS=5 BENCH_RUNTIMES=api,cli,crun,runc node bench/api-throughput.mjs
//   BENCH_TMP=/some/tmpfs node bench/api-throughput.mjs   # roots + bundles there (default: os.tmpdir())
//
// On this VM /tmp and /run are ext4: every state.json replace-by-rename
// flushes (auto_da_alloc), which costs all runtimes, skiff most (it writes
// its state several times per create). A tmpfs, as /run is on most hosts,
// shows the runtimes without that.
//
// Each (runtime, round) runs in a fresh worker process (this file with
// --worker) and is timed from its first container to its last: the API
// worker's one-time library load is reported apart. crun cannot run on
// this hybrid cgroup host as is: its worker runs inside the private mount
// namespace of /work/shared/tools/crun-hybrid.sh (see its header), so crun
// itself is called directly, with no wrapper per container. Every container
// gets a RELATIVE cgroupsPath <tag>/<runtime>/<id>: it nests under our own
// cgroups; the tag dirs are removed at the end, and every root is swept with
// `delete --force`. Only processes this script started are signalled.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const int = (k, d) => (process.env[k] ? Math.max(1, parseInt(process.env[k], 10)) : d);

// ------------------------------------------------------------------ worker
// argv: --worker <rt> <json job>; prints one JSON line {wall_ms, cpu_ms, load_ms, failed}
if (process.argv[2] === '--worker') {
  const rt = process.argv[3];
  const job = JSON.parse(process.argv[4]);
  const ticks = () => {
    // utime stime cutime cstime: this worker + every child it waited for
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10; // 100 Hz -> ms
  };
  let one;
  let loadMs = 0;
  if (rt === 'api') {
    const t = performance.now();
    const lib = createRequire(import.meta.url)(join(job.skiff, 'dist/lib.js'));
    loadMs = performance.now() - t;
    const base = JSON.parse(readFileSync(join(job.bundle, 'config.json'), 'utf8'));
    base.root.path = join(job.bundle, 'rootfs');
    one = async (id) => {
      const config = { ...base, linux: { ...base.linux, cgroupsPath: `${job.tag}/${rt}/${id}` } };
      const r = await lib.run({ id, root: job.root, config, bundle: job.bundle, stdio: 'ignore' });
      if (r.code !== 0) throw new Error(`${id}: exit ${r.code}`);
    };
  } else {
    const argv = {
      cli: [join(job.skiff, 'bin/skiff')],
      crun: ['crun'],
      runc: ['runc'],
    }[rt];
    one = (id) => new Promise((resolve, reject) => {
      const c = spawn(argv[0], [...argv.slice(1), '--root', job.root, 'run', '--bundle', join(job.bundles, id), id], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${rt} run ${id}: exit ${code}: ${err.trim()}`))));
    });
  }
  let next = 0;
  let failed = 0;
  const errors = [];
  const cpu0 = ticks();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: job.conc }, async () => {
    while (next < job.n) {
      const id = `${job.prefix}-${next++}`;
      try {
        await one(id);
      } catch (e) {
        failed++;
        if (errors.length < 3) errors.push(String(e.message ?? e).slice(0, 300));
      }
    }
  }));
  const wall = performance.now() - t0;
  process.stdout.write(JSON.stringify({ wall_ms: wall, cpu_ms: ticks() - cpu0, load_ms: loadMs, failed, errors }) + '\n');
  process.exit(0);
}

// ------------------------------------------------------------ orchestrator
if (process.getuid() !== 0) {
  console.error('api-throughput: must run as root (containers, cgroups)');
  process.exit(1);
}
const N = int('BENCH_TP', 100);
const CONC = int('BENCH_CONC', 4);
const ROUNDS = int('BENCH_ROUNDS', 3);
const have = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const RTS = (process.env.BENCH_RUNTIMES ?? 'api,cli,crun,runc').split(',').filter((r) => {
  if ((r === 'crun' || r === 'runc') && !have(r)) {
    console.error(`[api-bench] ${r} not installed: skipped`);
    return false;
  }
  return true;
});
const log = (...a) => console.error('[api-bench]', ...a);
const TMP = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'skiff-api-bench-'));
const TAG = `skiff-api-bench-${process.pid}`;

// a snapshot of skiff: concurrent rebuilds of the tree cannot change it mid-run
if (!existsSync(join(REPO, 'dist/lib.js'))) execFileSync(process.execPath, [join(REPO, 'scripts/build.mjs')], { stdio: 'inherit' });
const SKIFF = join(TMP, 'skiff');
for (const p of ['bin/skiff', 'dist/skiff.js', 'dist/skiff-boot.js', 'dist/lib.js', 'build/skiff-init', 'build/skiff.node', 'package.json']) {
  mkdirSync(dirname(join(SKIFF, p)), { recursive: true });
  cpSync(join(REPO, p), join(SKIFF, p));
}
let commit = 'unknown';
try {
  commit = execFileSync('git', ['-C', REPO, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim().slice(0, 80);
} catch { /* not git */ }

const BUNDLE = join(TMP, 'bundle');
execFileSync('sh', [join(REPO, 'scripts/make-bundle.sh'), BUNDLE, '/bin/true'], { stdio: ['ignore', 'ignore', 'inherit'] });
const baseConfig = JSON.parse(readFileSync(join(BUNDLE, 'config.json'), 'utf8'));
baseConfig.root.path = join(BUNDLE, 'rootfs');

const CRUN_HYBRID = ['/work/shared/tools/crun-hybrid.sh', join(HERE, 'tools/crun-hybrid.sh')].find(existsSync);
const hybrid = existsSync('/sys/fs/cgroup/unified') && existsSync('/sys/fs/cgroup/memory');

const roots = Object.fromEntries(RTS.map((rt) => [rt, join(TMP, `root-${rt}`)]));
const rtArgv = { api: [join(SKIFF, 'bin/skiff')], cli: [join(SKIFF, 'bin/skiff')], crun: ['crun'], runc: ['runc'] };
function sweep(rt) {
  const pre = rt === 'crun' && hybrid ? ['sh', CRUN_HYBRID] : [];
  const argv = [...pre, ...rtArgv[rt], '--root', roots[rt]];
  const ls = spawnSync(argv[0], [...argv.slice(1), 'list', '-q'], { encoding: 'utf8' });
  for (const id of (ls.stdout ?? '').split('\n').map((s) => s.trim()).filter(Boolean)) spawnSync(argv[0], [...argv.slice(1), 'delete', '--force', id], { stdio: 'ignore' });
}
function ownCgroupDirs() {
  const out = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, ctrl, path] = line.split(':');
    const mp = ctrl === '' ? '/sys/fs/cgroup/unified' : `/sys/fs/cgroup/${ctrl.replace(/^name=/, '')}`;
    out.push(join(mp, path, TAG));
  }
  return out;
}
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const rt of RTS) sweep(rt);
  const rmTree = (d) => {
    let ents = [];
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) if (e.isDirectory()) rmTree(join(d, e.name));
    try {
      rmdirSync(d);
    } catch (e) {
      if (e.code !== 'ENOENT') log(`cgroup ${d} not removed: ${e.code}`);
    }
  };
  for (const d of ownCgroupDirs()) rmTree(d);
  if (!process.env.BENCH_KEEP) rmSync(TMP, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function worker(rt, round) {
  const prefix = `r${round}`;
  const bundles = join(TMP, 'bundles', rt, prefix);
  if (rt !== 'api') {
    // the CLIs read config.json from a bundle: one per container (its own cgroupsPath), written before timing
    for (let i = 0; i < N; i++) {
      const id = `${prefix}-${i}`;
      mkdirSync(join(bundles, id), { recursive: true });
      const c = structuredClone(baseConfig);
      c.linux.cgroupsPath = `${TAG}/${rt}/${id}`;
      writeFileSync(join(bundles, id, 'config.json'), JSON.stringify(c));
    }
  }
  const job = JSON.stringify({ n: N, conc: CONC, root: roots[rt], bundle: BUNDLE, bundles, tag: TAG, prefix, skiff: SKIFF });
  let argv = [process.execPath, fileURLToPath(import.meta.url), '--worker', rt, job];
  if (rt === 'crun' && hybrid) {
    if (!CRUN_HYBRID) throw new Error('crun on a hybrid cgroup host needs crun-hybrid.sh');
    argv = ['sh', CRUN_HYBRID, '--exec', ...argv];
  }
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
  rmSync(bundles, { recursive: true, force: true });
  const line = (r.stdout ?? '').trim().split('\n').pop();
  if (r.status !== 0 || !line) throw new Error(`${rt} worker failed (status ${r.status})`);
  const res = JSON.parse(line);
  if (res.failed) log(`${rt} round ${round}: ${res.failed} failed: ${res.errors.join(' | ')}`);
  return res;
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
};

log(`${N} containers (/bin/true), ${CONC} at a time, ${ROUNDS} interleaved rounds: ${RTS.join(', ')}`);
const samples = Object.fromEntries(RTS.map((rt) => [rt, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = RTS.map((_, i) => RTS[(i + round) % RTS.length]);
  for (const rt of order) {
    const s = worker(rt, round);
    samples[rt].push(s);
    log(`round ${round + 1} ${rt}: ${(s.wall_ms / 1000).toFixed(2)} s, ${((N / s.wall_ms) * 1000).toFixed(1)}/s, cpu ${(s.cpu_ms / 1000).toFixed(2)} s${s.failed ? `, ${s.failed} FAILED` : ''}`);
  }
}

const label = { api: 'skiff API (in-process)', cli: 'skiff CLI', crun: 'crun run (crun-hybrid view)', runc: 'runc run' };
const rows = RTS.map((rt) => {
  const ss = samples[rt];
  const wall = median(ss.map((s) => s.wall_ms));
  return { rt, wall, per_s: (N / wall) * 1000, cpu: median(ss.map((s) => s.cpu_ms)), load: median(ss.map((s) => s.load_ms)), failed: ss.reduce((a, s) => a + s.failed, 0), all: ss.map((s) => s.wall_ms) };
});
const L = [];
L.push(`# skiff API throughput — ${new Date().toISOString()}`, '');
L.push(`${N} containers running \`/bin/true\`, ${CONC} at a time; ${ROUNDS} interleaved rounds, median. Host: ${cpus().length} CPUs, ${cpus()[0]?.model ?? ''}. skiff ${commit}.`, '');
L.push('| runtime | wall (s) | containers/s | CPU (s) | rounds (s) | failed |', '|---|---:|---:|---:|---|---:|');
for (const r of rows) L.push(`| ${label[r.rt]} | ${(r.wall / 1000).toFixed(2)} | ${r.per_s.toFixed(1)} | ${(r.cpu / 1000).toFixed(2)} | ${r.all.map((w) => (w / 1000).toFixed(2)).join(', ')} | ${r.failed} |`);
const by = Object.fromEntries(rows.map((r) => [r.rt, r]));
L.push('');
if (by.api) {
  for (const o of ['cli', 'crun', 'runc']) if (by[o]) L.push(`- API throughput / ${o}: **${(by.api.per_s / by[o].per_s).toFixed(2)}×**`);
  L.push(`- the API worker's one-time library load (not in the wall time): ${by.api.load.toFixed(0)} ms`);
}
L.push('- CPU: user+sys of the worker and every process it waited for (runtimes, container processes).');
const report = L.join('\n') + '\n';
process.stdout.write(report);
mkdirSync(join(HERE, 'results'), { recursive: true });
const out = join(HERE, 'results', `api-throughput-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
writeFileSync(out, report);
log(`written ${out}`);
