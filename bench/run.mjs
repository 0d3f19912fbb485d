#!/usr/bin/env node
// skiff beside runc and crun: one interleaved run (A B C A B C ...), medians,
// min/max, CPU (user+sys of the whole waited-for process tree, from wait4),
// peak RSS per CLI call, memory of created-but-not-started containers,
// throughput, seccomp compile cost, and the Node start-up floor.
//
//   npm run bench                # quick (N=200 created containers, 30 runs)
//   BENCH_MODE=full npm run bench   # or: node bench/run.mjs --full  (N=1000, 100 runs)
//
// Env knobs (all optional):
//   BENCH_N=200            population for the "many containers" phase (list/state at N)
//   BENCH_RUNS=30          `run /bin/true` repetitions per runtime
//   BENCH_REPS=20          repetitions of state/list per population
//   BENCH_START=20         containers started/killed/deleted per runtime per population
//   BENCH_TP=100           throughput: containers per runtime, BENCH_CONC=4 at a time
//   BENCH_RUNTIMES=skiff,runc,crun
//   BENCH_SKIFF=/path      skiff checkout to measure (default: this repo; it is snapshotted
//                          into the temp dir first so concurrent rebuilds cannot change it mid-run)
//   BENCH_KEEP=1           keep the temp dir
//   BENCH_NO_INSTALL=1     never apt-get install runc/crun
//
// Safety: every runtime gets its own --root in a temp dir; every container gets a
// RELATIVE linux.cgroupsPath skiff-bench-<pid>/<runtime>/<id>, i.e. it nests under this
// process's own cgroups (the memory cgroup this machine runs us in is never left; verified
// per container). crun runs inside ONE private mount namespace built by
// /work/shared/tools/crun-hybrid.sh (or bench/tools/crun-hybrid.sh), entered with setns()
// by the measuring harness. Everything created is deleted with `delete --force` on exit,
// error, SIGINT or SIGTERM; only processes this script started are ever signalled.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import {
  existsSync, mkdirSync, openSync, closeSync, mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync, cpSync, statSync, rmdirSync, readlinkSync,
} from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const FULL = process.argv.includes('--full') || process.env.BENCH_MODE === 'full';
const int = (k, d) => (process.env[k] ? Math.max(0, parseInt(process.env[k], 10)) : d);
const CFG = {
  mode: FULL ? 'full' : 'quick',
  N: int('BENCH_N', FULL ? 1000 : 200),
  runs: int('BENCH_RUNS', FULL ? 100 : 30),
  reps: int('BENCH_REPS', FULL ? 50 : 20),
  startN: int('BENCH_START', 20),
  tp: int('BENCH_TP', 100),
  conc: int('BENCH_CONC', 4),
  tpRounds: int('BENCH_TP_ROUNDS', FULL ? 3 : 1),
  seccompProcs: int('BENCH_SECCOMP_PROCS', 5),
  runtimes: (process.env.BENCH_RUNTIMES ?? 'skiff,runc,crun').split(',').filter(Boolean),
};
const log = (...a) => console.error('[bench]', ...a);

if (process.getuid() !== 0) {
  console.error('bench: must run as root (containers, cgroups)');
  process.exit(1);
}

// ---------------------------------------------------------------- setup
const which = (c) => spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim() || null;
function ensureApt(bin, pkg) {
  if (which(bin)) return true;
  if (process.env.BENCH_NO_INSTALL) return false;
  log(`${bin} missing: apt-get install -y ${pkg}`);
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  return !!which(bin);
}
for (const [bin, pkg] of [['gcc', 'gcc'], ['busybox', 'busybox-static']]) {
  if (!ensureApt(bin, pkg)) { console.error(`bench: ${bin} is required (apt: ${pkg})`); process.exit(1); }
}
const available = {};
for (const rt of CFG.runtimes) available[rt] = rt === 'skiff' ? true : ensureApt(rt, rt);
const RTS = CFG.runtimes.filter((r) => available[r]);
for (const r of CFG.runtimes) if (!available[r]) log(`${r} not available: skipped`);

const TMP = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'skiff-bench-'));
mkdirSync(join(TMP, 'io'), { recursive: true });
const TAG = `skiff-bench-${process.pid}`;
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
const RESULTS = join(HERE, 'results');
mkdirSync(RESULTS, { recursive: true });

// skiff snapshot
const SKIFF_SRC = process.env.BENCH_SKIFF ?? REPO;
if (RTS.includes('skiff') && (!existsSync(join(SKIFF_SRC, 'dist/skiff.js')) || !existsSync(join(SKIFF_SRC, 'build/skiff-init')))) {
  log('skiff is not built: node scripts/build.mjs');
  execFileSync(process.execPath, [join(SKIFF_SRC, 'scripts/build.mjs')], { stdio: 'inherit', cwd: SKIFF_SRC });
}
const SKIFF = join(TMP, 'skiff');
for (const p of ['bin/skiff', 'dist/skiff.js', 'dist/skiff-boot.js', 'build/skiff-init', 'build/skiff.node', 'package.json']) {
  mkdirSync(dirname(join(SKIFF, p)), { recursive: true });
  cpSync(join(SKIFF_SRC, p), join(SKIFF, p));
}
let skiffCommit = 'unknown';
try {
  skiffCommit = execFileSync('git', ['-C', SKIFF_SRC, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['-C', SKIFF_SRC, 'status', '--porcelain', '--', 'src', 'native'], { encoding: 'utf8' }).trim();
  if (dirty) skiffCommit += ` (+${dirty.split('\n').length} uncommitted files in src/native)`;
} catch { /* not git */ }

// tools
const HARNESS = join(TMP, 'rusage');
execFileSync('gcc', ['-O2', '-o', HARNESS, join(HERE, 'tools/rusage.c')]);
let SECCOMP_LIB = null;
try {
  execFileSync('gcc', ['-O2', '-o', join(TMP, 'seccomp-lib'), join(HERE, 'tools/seccomp-lib.c'), '-lseccomp'], { stdio: ['ignore', 'ignore', 'pipe'] });
  SECCOMP_LIB = join(TMP, 'seccomp-lib');
} catch (e) { log('libseccomp harness not built (libseccomp-dev missing?):', String(e.stderr ?? e).trim().split('\n')[0]); }

// rootfs + base config (runc's default spec from `skiff spec`; same for all runtimes)
const BUNDLE = join(TMP, 'bundle');
execFileSync('sh', [join(REPO, 'scripts/make-bundle.sh'), BUNDLE, '/bin/true'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PATH: `${join(SKIFF, 'bin')}:${process.env.PATH}` } });
const baseConfig = JSON.parse(readFileSync(join(BUNDLE, 'config.json'), 'utf8'));
baseConfig.root.path = join(BUNDLE, 'rootfs');

// our own cgroups (host view)
const ownCgroups = {}; // mountpoint -> own path
const cgMounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f.length > 9)
  .map((f) => { const sep = f.indexOf('-'); return { mnt: f[4], fstype: f[sep + 1], opts: f[sep + 3] ?? '' }; })
  .filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2');
for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
  const [, ctrl, path] = line.split(':');
  const m = ctrl === ''
    ? cgMounts.find((x) => x.fstype === 'cgroup2')
    : cgMounts.find((x) => x.fstype === 'cgroup' && ctrl.split(',').every((c) => x.opts.split(',').includes(c.replace(/^name=/, 'name='))));
  if (m) ownCgroups[m.mnt] = path;
}
const memMount = cgMounts.find((m) => m.fstype === 'cgroup' && m.opts.split(',').includes('memory'))?.mnt;
const ownMem = memMount ? join(memMount, ownCgroups[memMount] ?? '/') : null;

// crun: one private mount namespace, kept alive for the whole run
let crunView = null; // { pid, ns }
const CRUN_HYBRID = [join(HERE, 'tools/crun-hybrid.sh'), '/work/shared/tools/crun-hybrid.sh'].find(existsSync);
function startCrunView() {
  const needsHybrid = existsSync('/sys/fs/cgroup/unified') && cgMounts.some((m) => m.fstype === 'cgroup');
  if (!needsHybrid) return null;
  if (!CRUN_HYBRID) throw new Error('crun on a hybrid cgroup host needs crun-hybrid.sh');
  const child = spawn('sh', [CRUN_HYBRID, '--exec', 'sleep', '1d'], { stdio: 'ignore', detached: true });
  const self = readlinkSync('/proc/self/ns/mnt');
  const t0 = Date.now();
  for (;;) {
    try {
      if (readlinkSync(`/proc/${child.pid}/ns/mnt`) !== self && readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim() === 'sleep') break;
    } catch { /* not yet */ }
    if (Date.now() - t0 > 5000) throw new Error('crun-hybrid view did not come up');
    spawnSync('sleep', ['0.02']);
  }
  return { pid: child.pid, ns: `/proc/${child.pid}/ns/mnt`, child };
}

// ---------------------------------------------------------------- runtimes
const roots = {};
const RT = {};
for (const name of RTS) {
  roots[name] = join(TMP, `root-${name}`);
  mkdirSync(roots[name], { recursive: true });
}
const rtArgv = {
  skiff: (a) => [join(SKIFF, 'bin/skiff'), '--root', roots.skiff, ...a],
  runc: (a) => ['runc', '--root', roots.runc, ...a],
  crun: (a) => ['crun', '--root', roots.crun, ...a],
};
for (const name of RTS) RT[name] = { name, argv: rtArgv[name], ns: null };
const live = new Map(); // `${rt}\0${id}` -> {rt, id}
const track = (rt, id) => live.set(`${rt}\0${id}`, { rt, id });
const untrack = (rt, id) => live.delete(`${rt}\0${id}`);

function parseHarness(stderr) {
  const i = stderr.lastIndexOf('\n@@RUSAGE ');
  if (i < 0) return { err: stderr, ru: null };
  const ru = JSON.parse(stderr.slice(i + 10).trim());
  return { err: stderr.slice(0, i), ru };
}
function toSample(ru) {
  return { wall: ru.wall_ns / 1e6, cpu: (ru.utime_us + ru.stime_us) / 1e3, user: ru.utime_us / 1e3, sys: ru.stime_us / 1e3, rss: ru.maxrss_kb };
}
/** Runs argv under the rusage harness; returns {wall,cpu,user,sys,rss,stdout,stderr} or throws.
 *  stdout/stderr go to files (never pipes: `create` hands them to the waiting init). */
let ioSeq = 0;
function ioFiles() {
  const d = join(TMP, 'io');
  mkdirSync(d, { recursive: true });
  const n = ioSeq++ % 64;
  return { out: join(d, `${n}.out`), err: join(d, `${n}.err`), rep: join(d, `${n}.rep`) };
}
function readReport(rep, err) {
  let text = '';
  try { text = readFileSync(rep, 'utf8'); } catch { /* harness failed */ }
  const { ru } = parseHarness(text);
  let e = '';
  try { e = readFileSync(err, 'utf8'); } catch { /* none */ }
  return { ru, err: e };
}
function measure(argv, { ns = null, env = process.env, allowFail = false } = {}) {
  const io = ioFiles();
  const o = openSync(io.out, 'w'), e = openSync(io.err, 'w');
  rmSync(io.rep, { force: true });
  const r = spawnSync(HARNESS, [...(ns ? ['-n', ns] : []), '-o', io.rep, '--', ...argv], { env, stdio: ['ignore', o, e] });
  closeSync(o); closeSync(e);
  const { ru, err } = readReport(io.rep, io.err);
  if (!ru) throw new Error(`harness failed for ${argv.join(' ')}: ${r.error ?? ''} ${err}`);
  if (ru.status !== 0 && !allowFail) throw new Error(`${argv[0]} ${argv.slice(3).join(' ')}: exit ${ru.status}: ${err.trim().slice(0, 500)}`);
  return { ...toSample(ru), status: ru.status, stdout: readFileSync(io.out, 'utf8'), stderr: err };
}
const rtRun = (rt, args, o = {}) => measure(RT[rt].argv(args), { ns: RT[rt].ns, ...o });
/** untimed, for cleanup/polling */
function rtQuiet(rt, args) {
  const argv = RT[rt].argv(args);
  const io = ioFiles();
  const o = openSync(io.out, 'w');
  const r = RT[rt].ns
    ? spawnSync(HARNESS, ['-n', RT[rt].ns, '-o', io.rep, '--', ...argv], { stdio: ['ignore', o, 'ignore'] })
    : spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', o, 'ignore'] });
  closeSync(o);
  return { status: r.status, stdout: readFileSync(io.out, 'utf8') };
}

function makeBundle(rt, id, args) {
  const dir = join(TMP, 'bundles', rt, id);
  mkdirSync(dir, { recursive: true });
  const c = structuredClone(baseConfig);
  c.process.args = args;
  c.linux.cgroupsPath = `${TAG}/${rt}/${id}`;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return dir;
}
const cgroupRel = (rt, id) => `${TAG}/${rt}/${id}`;
const stateOf = (rt, id) => {
  const r = rtQuiet(rt, ['state', id]);
  try { return r.status === 0 ? JSON.parse(r.stdout) : null; } catch { return null; }
};
const rmBundle = (rt, id) => rmSync(join(TMP, 'bundles', rt, id), { recursive: true, force: true });

// ---------------------------------------------------------------- cleanup
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const { rt, id } of [...live.values()]) {
    if (RT[rt]) rtQuiet(rt, ['delete', '--force', id]);
  }
  // sweep: anything still listed in our own roots
  for (const rt of RTS) {
    const r = rtQuiet(rt, ['list', '-q']);
    for (const id of r.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) rtQuiet(rt, ['delete', '--force', id]);
  }
  // our cgroup dirs (rmdir only removes empty cgroups)
  const rmTree = (d) => {
    let ents = [];
    try { ents = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of ents) if (e.isDirectory()) rmTree(join(d, e.name));
    try { rmdirSync(d); } catch (e) { if (e.code !== 'ENOENT') log(`cgroup ${d} not removed: ${e.code}`); }
  };
  for (const [mnt, own] of Object.entries(ownCgroups)) rmTree(join(mnt, own, TAG));
  if (crunView) { try { crunView.child.kill('SIGTERM'); } catch { /* gone */ } }
  if (!process.env.BENCH_KEEP) rmSync(TMP, { recursive: true, force: true });
  else log(`kept ${TMP}`);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { log(`${sig}: cleaning up`); cleanup(); process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1)); });
}
process.on('exit', cleanup);

// ---------------------------------------------------------------- stats
const q = (s, p) => { if (!s.length) return NaN; const a = [...s].sort((x, y) => x - y); const i = (a.length - 1) * p; const lo = Math.floor(i); return a[lo] + (a[Math.ceil(i)] - a[lo]) * (i - lo); };
function summary(samples) {
  const f = (k) => samples.map((s) => s[k]).filter((v) => v !== undefined);
  const w = f('wall');
  return {
    n: w.length, median: q(w, 0.5), min: Math.min(...w), max: Math.max(...w), p25: q(w, 0.25), p75: q(w, 0.75),
    cpu: q(f('cpu'), 0.5), user: q(f('user'), 0.5), sys: q(f('sys'), 0.5), rss_kb: q(f('rss'), 0.5),
  };
}
const S = {}; // bench -> who -> samples
const add = (bench, who, s) => ((S[bench] ??= {})[who] ??= []).push(s);
const extra = { memory: {}, throughput: {}, seccomp: {}, notes: [], cgroupCheck: {} };

// ---------------------------------------------------------------- benches
const NO_CA_ENV = { ...process.env };
delete NO_CA_ENV.NODE_EXTRA_CA_CERTS;
function benchRun() {
  log(`run /bin/true x${CFG.runs} interleaved, with the node floor`);
  const envNoCA = { ...process.env }; delete envNoCA.NODE_EXTRA_CA_CERTS;
  const envCA = { ...process.env, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS || '/etc/ssl/certs/ca-certificates.crt' };
  const floors = [
    ['node -e 0', () => measure([process.execPath, '-e', '0'], { env: envNoCA })],
    ['node -e 0 (NODE_EXTRA_CA_CERTS set)', () => measure([process.execPath, '-e', '0'], { env: envCA })],
  ];
  if (RTS.includes('skiff')) floors.push(['skiff --version', () => measure(RT.skiff.argv(['--version']))]);
  for (let i = 0; i < CFG.runs; i++) {
    for (const rt of RTS) {
      const id = `run-${i}`;
      const b = makeBundle(rt, id, ['/bin/true']);
      track(rt, id);
      const s = rtRun(rt, ['run', '--bundle', b, id]);
      add('run', rt, s);
      if (existsSync(join(roots[rt], id))) { rtQuiet(rt, ['delete', '--force', id]); if (i === 0) extra.notes.push(`${rt} run left state behind`); }
      untrack(rt, id);
      rmBundle(rt, id);
    }
    for (const [name, fn] of floors) add('floor', name, fn());
  }
}

function initMemory(pid) {
  const out = {};
  try {
    for (const l of readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
      const m = /^(Rss|Pss|Pss_Anon|Pss_File|Pss_Shmem|Private_Dirty|Shared_Clean|Anonymous):\s+(\d+) kB/.exec(l);
      if (m) out[m[1]] = +m[2];
    }
  } catch { /* gone */ }
  return out;
}
const readNum = (f) => { try { return +readFileSync(f, 'utf8').trim(); } catch { return NaN; } };

function waitStopped(rt, id, ms = 5000) {
  const t0 = Date.now();
  for (;;) {
    const st = stateOf(rt, id);
    if (!st || st.status === 'stopped') return true;
    if (Date.now() - t0 > ms) return false;
    spawnSync('sleep', ['0.01']);
  }
}

function benchPopulation(P) {
  log(`population ${P}: create ${P} per runtime (interleaved)`);
  const ids = [];
  for (let i = 0; i < P; i++) {
    const id = `p${P}-${i}`;
    ids.push(id);
    for (const rt of RTS) {
      const b = makeBundle(rt, id, ['sleep', '3600']);
      track(rt, id);
      add(`create@${P}`, rt, rtRun(rt, ['create', '--bundle', b, id]));
    }
  }
  // where did the cgroups go? and memory of the created (waiting) inits
  for (const rt of RTS) {
    const pss = [], charged = [];
    const sample = P <= 10 ? ids : ids.filter((_, i) => i % Math.ceil(P / 25) === 0);
    for (const id of sample) {
      const st = stateOf(rt, id);
      if (!st?.pid) continue;
      const cg = readFileSync(`/proc/${st.pid}/cgroup`, 'utf8');
      const memLine = cg.split('\n').find((l) => /:memory:/.test(l)) ?? '';
      const expect = join(ownCgroups[memMount] ?? '/', cgroupRel(rt, id));
      if (memMount && !memLine.endsWith(`:${expect}`)) throw new Error(`${rt} put ${id} in ${memLine}, expected memory:${expect} (must nest under our cgroup)`);
      extra.cgroupCheck[rt] = memLine;
      const m = initMemory(st.pid);
      const usage = ownMem ? readNum(join(ownMem, cgroupRel(rt, id), 'memory.usage_in_bytes')) : NaN;
      pss.push(m);
      charged.push(usage);
    }
    const tot = ownMem ? readNum(join(ownMem, TAG, rt, 'memory.usage_in_bytes')) : NaN;
    const med = (k) => q(pss.map((m) => m[k]).filter((v) => v !== undefined), 0.5);
    (extra.memory[rt] ??= {})[P] = {
      sampled: pss.length, rss_kb: med('Rss'), pss_kb: med('Pss'), pss_anon_kb: med('Pss_Anon'), pss_file_kb: med('Pss_File'), pss_shmem_kb: med('Pss_Shmem'),
      private_dirty_kb: med('Private_Dirty'), cgroup_bytes: q(charged.filter((x) => !Number.isNaN(x)), 0.5),
      cgroup_total_bytes: tot, cgroup_per_container_bytes: tot / P,
    };
  }
  log(`population ${P}: list/state x${CFG.reps}`);
  for (let r = 0; r < CFG.reps; r++) {
    for (const rt of RTS) add(`list@${P}`, rt, rtRun(rt, ['list']));
    const id = ids[(r * 7919) % P];
    for (const rt of RTS) add(`state@${P}`, rt, rtRun(rt, ['state', id]));
    // the floor again, in the same rounds: a shared host's load drifts between phases
    add('floor-phases', 'node -e 0', measure([process.execPath, '-e', '0'], { env: NO_CA_ENV }));
  }
  const k = Math.min(CFG.startN, P);
  log(`population ${P}: start/kill/delete ${k} per runtime`);
  for (let i = 0; i < k; i++) for (const rt of RTS) add(`start@${P}`, rt, rtRun(rt, ['start', ids[i]]));
  for (let i = 0; i < k; i++) for (const rt of RTS) add(`kill@${P}`, rt, rtRun(rt, ['kill', ids[i], 'KILL']));
  for (let i = 0; i < k; i++) for (const rt of RTS) if (!waitStopped(rt, ids[i])) log(`${rt} ${ids[i]} did not stop`);
  for (let i = 0; i < k; i++) for (const rt of RTS) { add(`delete@${P}`, rt, rtRun(rt, ['delete', ids[i]])); untrack(rt, ids[i]); rmBundle(rt, ids[i]); }
  log(`population ${P}: delete --force the ${P - k} created containers`);
  for (let i = k; i < P; i++) for (const rt of RTS) { add(`delete-f-created@${P}`, rt, rtRun(rt, ['delete', '--force', ids[i]])); untrack(rt, ids[i]); rmBundle(rt, ids[i]); }
}

async function benchThroughput() {
  log(`throughput: ${CFG.tp} x run /bin/true, ${CFG.conc} at a time, x${CFG.tpRounds} rounds`);
  const one = (rt, id) => new Promise((resolve, reject) => {
    const b = makeBundle(rt, id, ['/bin/true']);
    track(rt, id);
    const argv = RT[rt].argv(['run', '--bundle', b, id]);
    const io = { rep: join(TMP, 'io', `tp-${id}.rep`), err: join(TMP, 'io', `tp-${id}.err`) };
    const e0 = openSync(io.err, 'w');
    const c = spawn(HARNESS, [...(RT[rt].ns ? ['-n', RT[rt].ns] : []), '-o', io.rep, '--', ...argv], { stdio: ['ignore', 'ignore', e0] });
    closeSync(e0);
    c.on('close', () => {
      const { ru, err: e } = readReport(io.rep, io.err);
      rmSync(io.rep, { force: true }); rmSync(io.err, { force: true });
      if (!ru || ru.status !== 0) return reject(new Error(`${rt} run ${id} failed: ${e}`));
      if (existsSync(join(roots[rt], id))) rtQuiet(rt, ['delete', '--force', id]);
      untrack(rt, id);
      rmBundle(rt, id);
      resolve(toSample(ru));
    });
  });
  for (let round = 0; round < CFG.tpRounds; round++) {
    for (const rt of RTS) {
      let next = 0;
      const samples = [];
      const t0 = process.hrtime.bigint();
      const worker = async () => { while (next < CFG.tp) { const i = next++; samples.push(await one(rt, `tp${round}-${i}`)); } };
      await Promise.all(Array.from({ length: CFG.conc }, worker));
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpu = samples.reduce((a, s) => a + s.cpu, 0);
      add('throughput', rt, { wall, cpu, per_s: (CFG.tp / wall) * 1000 });
      for (const s of samples) add('throughput-call', rt, s);
    }
  }
  for (const rt of RTS) {
    const ss = S.throughput[rt];
    extra.throughput[rt] = { wall_ms: q(ss.map((s) => s.wall), 0.5), per_s: q(ss.map((s) => s.per_s), 0.5), cpu_ms: q(ss.map((s) => s.cpu), 0.5), call_median_ms: summary(S['throughput-call'][rt]).median };
  }
}

function benchSeccomp() {
  const profile = JSON.parse(readFileSync('/work/shared/clients/config-docker.json', 'utf8')).linux?.seccomp
    ?? JSON.parse(readFileSync(join(HERE, 'fixtures/docker-seccomp.json'), 'utf8'));
  const profPath = join(TMP, 'seccomp-profile.json');
  writeFileSync(profPath, JSON.stringify(profile));
  extra.seccomp.profile = { rules: profile.syscalls.length, names: profile.syscalls.reduce((a, r) => a + r.names.length, 0), arches: profile.architectures };
  // skiff: bundle a tiny entry around compileSeccomp (from the source tree, as the CLI would bundle it)
  if (RTS.includes('skiff')) {
    try {
      const entry = join(TMP, 'seccomp-entry.ts');
      writeFileSync(entry, `
import { compileSeccomp } from ${JSON.stringify(join(SKIFF_SRC, 'src/seccomp/compile.ts'))};
const { readFileSync } = require('node:fs');
const t0 = process.hrtime.bigint();
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
const t1 = process.hrtime.bigint();
const first = compileSeccomp(prof);
const t2 = process.hrtime.bigint();
const warm: number[] = [];
for (let i = 0; i < +process.argv[3]; i++) { const a = process.hrtime.bigint(); compileSeccomp(prof); warm.push(ms(a, process.hrtime.bigint())); }
warm.sort((a, b) => a - b);
console.log(JSON.stringify({ parse_ms: ms(t0, t1), cold_ms: ms(t1, t2), warm_median_ms: warm[warm.length >> 1] ?? null, warm_min_ms: warm[0] ?? null, insns: first.insns, bytes: first.program.length, warnings: first.warnings.length }));
`);
      const out = join(TMP, 'seccomp-entry.cjs');
      execFileSync(process.execPath, ['-e', `require(${JSON.stringify(join(REPO, 'node_modules/esbuild'))}).buildSync({entryPoints:[${JSON.stringify(entry)}],bundle:true,platform:'node',format:'cjs',target:'node20',outfile:${JSON.stringify(out)},logLevel:'error'})`], { stdio: 'inherit' });
      const runs = [];
      for (let i = 0; i < CFG.seccompProcs; i++) {
        const r = measure([process.execPath, out, profPath, '200']);
        runs.push(JSON.parse(r.stdout));
      }
      extra.seccomp.skiff = {
        cold_ms: q(runs.map((r) => r.cold_ms), 0.5), cold_min_ms: Math.min(...runs.map((r) => r.cold_ms)), cold_max_ms: Math.max(...runs.map((r) => r.cold_ms)),
        warm_median_ms: q(runs.map((r) => r.warm_median_ms), 0.5), insns: runs[0].insns, warnings: runs[0].warnings, processes: runs.length,
      };
    } catch (e) { extra.seccomp.skiff = { error: String(e.message ?? e).slice(0, 400) }; }
  }
  if (SECCOMP_LIB) {
    const act = (a, errnoRet) => {
      switch (a) {
        case 'SCMP_ACT_ALLOW': return 0x7fff0000;
        case 'SCMP_ACT_ERRNO': return (0x00050000 | ((errnoRet ?? 1) & 0xffff)) >>> 0;
        case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return 0;
        case 'SCMP_ACT_KILL_PROCESS': return 0x80000000;
        case 'SCMP_ACT_TRAP': return 0x00030000;
        case 'SCMP_ACT_TRACE': return (0x7ff00000 | ((errnoRet ?? 0) & 0xffff)) >>> 0;
        case 'SCMP_ACT_LOG': return 0x7ffc0000;
        default: return 0x7fff0000;
      }
    };
    const ops = { SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7 };
    const arch = { SCMP_ARCH_X86_64: 0xc000003e, SCMP_ARCH_X86: 0x40000003, SCMP_ARCH_X32: 0x4000003e };
    const lines = [`D ${act(profile.defaultAction, profile.defaultErrnoRet)}`];
    for (const a of profile.architectures ?? []) if (arch[a]) lines.push(`A ${arch[a]}`);
    for (const r of profile.syscalls) {
      const args = (r.args ?? []).map((x) => `${x.index} ${ops[x.op]} ${BigInt(x.value ?? 0)} ${BigInt(x.valueTwo ?? 0)}`);
      for (const n of r.names) lines.push(`R ${act(r.action, r.errnoRet)} ${n} ${args.length} ${args.join(' ')}`);
    }
    const rf = join(TMP, 'seccomp-rules.txt');
    writeFileSync(rf, lines.join('\n') + '\n');
    for (const opt of [0, 2]) {
      try {
        const r = measure([SECCOMP_LIB, rf, '200', String(opt)]);
        const j = JSON.parse(r.stdout);
        extra.seccomp[opt ? 'libseccomp_bintree' : 'libseccomp'] = { ...j, process_wall_ms: r.wall };
      } catch (e) { extra.seccomp[opt ? 'libseccomp_bintree' : 'libseccomp'] = { error: String(e.message).slice(0, 300) }; }
    }
  }
}

// ---------------------------------------------------------------- report
const f1 = (x) => (x === undefined || Number.isNaN(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–');

function svgChart(benchKey, title) {
  const rows = [];
  for (const rt of RTS) if (S[benchKey]?.[rt]) rows.push([rt, S[benchKey][rt].map((s) => s.wall)]);
  for (const [k, v] of Object.entries(S.floor ?? {})) rows.push([k, v.map((s) => s.wall)]);
  const all = rows.flatMap(([, v]) => v);
  const maxX = Math.ceil(Math.max(...all) / 20) * 20 || 20;
  const W = 760, L = 250, R = 20, rowH = 34, T = 40, H = T + rows.length * rowH + 40;
  const x = (v) => L + (v / maxX) * (W - L - R);
  const colors = { skiff: '#1f77b4', runc: '#d62728', crun: '#2ca02c' };
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n`;
  s += `<rect width="100%" height="100%" fill="white"/><text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>\n`;
  for (let t = 0; t <= maxX; t += maxX / 10) {
    s += `<line x1="${x(t)}" y1="${T - 5}" x2="${x(t)}" y2="${H - 35}" stroke="#ddd"/><text x="${x(t)}" y="${H - 20}" text-anchor="middle">${t.toFixed(0)}</text>\n`;
  }
  s += `<text x="${(L + W - R) / 2}" y="${H - 5}" text-anchor="middle">wall time per call (ms); box = p25–p75, bar = median, line = min–max, dots = samples</text>\n`;
  rows.forEach(([name, v], i) => {
    const y = T + i * rowH + rowH / 2;
    const c = colors[name] ?? '#777';
    const mn = Math.min(...v), mx = Math.max(...v), p25 = q(v, 0.25), p75 = q(v, 0.75), md = q(v, 0.5);
    s += `<text x="${L - 8}" y="${y + 4}" text-anchor="end">${name.replace(/&/g, '&amp;')} (${md.toFixed(1)} ms)</text>\n`;
    s += `<line x1="${x(mn)}" y1="${y}" x2="${x(mx)}" y2="${y}" stroke="${c}"/>\n`;
    s += `<rect x="${x(p25)}" y="${y - 9}" width="${Math.max(1, x(p75) - x(p25))}" height="18" fill="${c}" fill-opacity="0.25" stroke="${c}"/>\n`;
    s += `<line x1="${x(md)}" y1="${y - 11}" x2="${x(md)}" y2="${y + 11}" stroke="${c}" stroke-width="3"/>\n`;
    v.forEach((w, j) => { s += `<circle cx="${x(w).toFixed(1)}" cy="${(y - 6 + ((j * 37) % 13)).toFixed(1)}" r="1.5" fill="${c}" fill-opacity="0.6"/>`; });
    s += '\n';
  });
  return s + '</svg>\n';
}

function report(meta) {
  const sum = {};
  for (const [b, byWho] of Object.entries(S)) { sum[b] = {}; for (const [w, ss] of Object.entries(byWho)) if (b !== 'throughput') sum[b][w] = summary(ss); }
  const floor = sum.floor?.['node -e 0']?.median;
  const floorP = sum['floor-phases']?.['node -e 0']?.median ?? floor; // measured during the population phases
  const L = [];
  L.push(`# skiff vs runc vs crun — ${meta.date}`, '');
  L.push(`Mode **${CFG.mode}** (N=${CFG.N}, runs=${CFG.runs}, reps=${CFG.reps}, start/kill/delete=${CFG.startN}, throughput ${CFG.tp}×${CFG.conc}-way×${CFG.tpRounds}). ` +
    `Host: ${meta.cpus}× ${meta.cpu}, ${meta.memGB} GB, kernel ${meta.kernel}, Node ${process.version}. skiff: ${meta.skiff}; ${meta.runc}; ${meta.crun}. ` +
    'All calls interleaved (skiff, runc, crun, skiff, …); wall = fork→wait4 of the CLI, CPU = user+sys of the waited-for process tree (wait4 rusage), RSS = peak (ru_maxrss, largest process in the tree).', '');
  L.push('## Latency (median wall ms, [min–max], CPU ms) and ratios', '');
  const hdr = ['bench', ...RTS.map((r) => `${r} ms [min–max] · cpu`), ...(RTS.includes('skiff') ? RTS.filter((r) => r !== 'skiff').map((r) => `skiff/${r}`) : []), 'skiff − node floor'];
  L.push(`| ${hdr.join(' | ')} |`, `|${hdr.map(() => '---').join('|')}|`);
  const order = Object.keys(sum).filter((b) => !['floor', 'floor-phases', 'throughput', 'throughput-call'].includes(b));
  for (const b of order) {
    const row = [b];
    for (const r of RTS) { const s = sum[b][r]; row.push(s ? `${f1(s.median)} [${f1(s.min)}–${f1(s.max)}] · ${f1(s.cpu)}` : '–'); }
    if (RTS.includes('skiff')) for (const r of RTS.filter((x) => x !== 'skiff')) row.push(ratio(sum[b].skiff?.median, sum[b][r]?.median));
    const fl = b === 'run' ? floor : floorP;
    row.push(sum[b].skiff && fl ? `${sum[b].skiff.median - fl >= 0 ? '+' : ''}${f1(sum[b].skiff.median - fl)}` : '–');
    L.push(`| ${row.join(' | ')} |`);
  }
  L.push('', '### Node start-up floor (same run, interleaved with `run`)', '', '| command | median ms [min–max] | CPU ms | peak RSS MB |', '|---|---|---|---|');
  for (const [k, s] of Object.entries(sum.floor ?? {})) L.push(`| \`${k}\` | ${f1(s.median)} [${f1(s.min)}–${f1(s.max)}] | ${f1(s.cpu)} | ${f1(s.rss_kb / 1024)} |`);
  for (const [k, s] of Object.entries(sum['floor-phases'] ?? {})) L.push(`| \`${k}\` (interleaved with list/state; the floor for every row but \`run\`) | ${f1(s.median)} [${f1(s.min)}–${f1(s.max)}] | ${f1(s.cpu)} | ${f1(s.rss_kb / 1024)} |`);
  L.push('', '## Throughput', '', `| runtime | ${CFG.tp} runs, ${CFG.conc} at a time: wall s | containers/s | CPU s (sum) | per-call median ms |`, '|---|---|---|---|---|');
  for (const r of RTS) { const t = extra.throughput[r]; if (t) L.push(`| ${r} | ${(t.wall_ms / 1000).toFixed(2)} | ${t.per_s.toFixed(1)} | ${(t.cpu_ms / 1000).toFixed(2)} | ${f1(t.call_median_ms)} |`); }
  if (RTS.includes('skiff') && extra.throughput.skiff) L.push('', RTS.filter((r) => r !== 'skiff' && extra.throughput[r]).map((r) => `skiff/${r} throughput wall: ${ratio(extra.throughput.skiff.wall_ms, extra.throughput[r].wall_ms)}`).join(', '));
  L.push('', '## Memory', '', '### Peak RSS of each CLI call (median ru_maxrss, MB)', '', `| bench | ${RTS.join(' | ')} |`, `|---|${RTS.map(() => '---').join('|')}|`);
  for (const b of order) L.push(`| ${b} | ${RTS.map((r) => f1(sum[b][r]?.rss_kb / 1024)).join(' | ')} |`);
  L.push('', '### A created (not started) container: its waiting init and its memory cgroup', '',
    '| runtime | population | init RSS kB | init PSS kB (anon / file / shmem) | private dirty kB | memory.usage_in_bytes of its cgroup kB | all containers\' parent cgroup / N kB |', '|---|---|---|---|---|---|---|');
  for (const r of RTS) for (const [P, m] of Object.entries(extra.memory[r] ?? {})) {
    L.push(`| ${r} | ${P} | ${f1(m.rss_kb)} | ${f1(m.pss_kb)} (${f1(m.pss_anon_kb)} / ${f1(m.pss_file_kb)} / ${f1(m.pss_shmem_kb)}) | ${f1(m.private_dirty_kb)} | ${f1(m.cgroup_bytes / 1024)} | ${f1(m.cgroup_per_container_bytes / 1024)} |`);
  }
  L.push('', 'Shmem = the sealed memfd copy of the init binary (skiff) — charged to the memory cgroup of the process that wrote it (the caller), not to the container\'s cgroup.');
  L.push('', 'cgroup placement check (memory line of a container init\'s /proc/PID/cgroup):', '');
  for (const [r, l] of Object.entries(extra.cgroupCheck)) L.push(`- ${r}: \`${l}\``);
  L.push('', '## Seccomp: Docker default profile', '');
  const sp = extra.seccomp;
  if (sp.profile) L.push(`Profile: ${sp.profile.rules} rules, ${sp.profile.names} syscall names, arches ${sp.profile.arches?.join(', ')}.`, '');
  L.push('| compiler | first compile in a fresh process ms | warm median ms | instructions |', '|---|---|---|---|');
  if (sp.skiff) L.push(sp.skiff.error ? `| skiff compileSeccomp | error: ${sp.skiff.error} | | |` : `| skiff compileSeccomp (median of ${sp.skiff.processes} processes) | ${f1(sp.skiff.cold_ms)} [${f1(sp.skiff.cold_min_ms)}–${f1(sp.skiff.cold_max_ms)}] | ${f1(sp.skiff.warm_median_ms)} | ${sp.skiff.insns} |`);
  for (const k of ['libseccomp', 'libseccomp_bintree']) if (sp[k]) L.push(sp[k].error ? `| ${k} | error: ${sp[k].error} | | |` : `| libseccomp 2.5 ${k === 'libseccomp' ? '(default, as runc)' : '(SCMP_FLTATR_CTL_OPTIMIZE=2)'} | ${f1(sp[k].cold_ms)} | ${f1(sp[k].median_ms)} | ${sp[k].insns} |`);
  // targets
  const g = (b, r) => sum[b]?.[r]?.median;
  const targets = [];
  if (RTS.includes('skiff')) {
    const run = g('run', 'skiff'), runc = g('run', 'runc'), crun = g('run', 'crun');
    if (runc) targets.push([`run /bin/true ≤ 0.9× runc`, `${ratio(run, runc)} (skiff ${f1(run)} ms, runc ${f1(runc)} ms${crun ? `, crun ${f1(crun)} ms → skiff/crun ${ratio(run, crun)}` : ''})`, run <= 0.9 * runc]);
    const mem = extra.memory.skiff?.[CFG.N] ?? extra.memory.skiff?.[10];
    if (mem) targets.push(['created-state init ≤ 1 MB RSS', `${f1(mem.rss_kb)} kB RSS, ${f1(mem.pss_kb)} kB PSS, cgroup charge ${f1(mem.cgroup_bytes / 1024)} kB`, mem.rss_kb <= 1024]);
    for (const b of ['state@10', 'kill@10', 'delete@10']) {
      const v = g(b, 'skiff');
      if (v !== undefined && floorP) targets.push([`${b.split('@')[0]} ≤ node floor + 15 ms`, `+${f1(v - floorP)} ms (skiff ${f1(v)}, floor ${f1(floorP)}; CPU ${f1(sum[b].skiff.cpu)} vs floor CPU ${f1(sum['floor-phases']?.['node -e 0']?.cpu ?? sum.floor?.['node -e 0']?.cpu)})`, v - floorP <= 15]);
    }
    if (sp.skiff && !sp.skiff.error) targets.push(['seccomp Docker profile ≤ 5 ms', `${f1(sp.skiff.cold_ms)} ms first call in a fresh process, ${f1(sp.skiff.warm_median_ms)} ms warm`, sp.skiff.cold_ms <= 5]);
  }
  L.push('', '## Targets', '', '| target | measured | met? |', '|---|---|---|');
  for (const [t, m, ok] of targets) L.push(`| ${t} | ${m} | ${ok ? 'yes' : '**no**'} |`);
  if (extra.notes.length) L.push('', 'Notes: ' + extra.notes.join('; '));
  L.push('', `![run latencies](${meta.svgName})`, '');
  return { md: L.join('\n'), summary: sum, targets };
}

// ---------------------------------------------------------------- main
async function main() {
  const t0 = Date.now();
  const memAvailKB = +/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))[1];
  const needKB = CFG.N * RTS.length * 12 * 1024;
  if (needKB > memAvailKB / 2) {
    const n = Math.max(10, Math.floor(memAvailKB / 2 / (RTS.length * 12 * 1024)));
    extra.notes.push(`N reduced from ${CFG.N} to ${n} (MemAvailable ${Math.round(memAvailKB / 1024)} MB)`);
    CFG.N = n;
  }
  if (RTS.includes('crun')) { crunView = startCrunView(); if (crunView) RT.crun.ns = crunView.ns; }
  const ver = (argv) => { try { return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' }).split('\n')[0].trim(); } catch { return 'n/a'; } };
  const meta = {
    date: startedAt.toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model?.trim(), memGB: (totalmem() / 2 ** 30).toFixed(1),
    kernel: ver(['uname', '-r']), skiff: skiffCommit, runc: RTS.includes('runc') ? ver(['runc', '--version']) : 'runc n/a',
    crun: RTS.includes('crun') ? ver(['crun', '--version']) : 'crun n/a', config: CFG, svgName: `${stamp}.svg`,
    memoryCgroup: ownMem,
  };
  log(`temp ${TMP}; runtimes ${RTS.join(', ')}; memory cgroup ${ownMem}`);
  let failed = null;
  try {
    benchRun();
    benchPopulation(10);
    if (CFG.N > 10) benchPopulation(CFG.N);
    await benchThroughput();
    benchSeccomp();
  } catch (e) {
    failed = e;
    extra.notes.push(`FAILED (partial results): ${String(e.message ?? e).split('\n')[0]}`);
  }
  meta.duration_s = (Date.now() - t0) / 1000;
  const { md, summary: sum, targets } = report(meta);
  const base = join(RESULTS, stamp);
  writeFileSync(`${base}.svg`, svgChart('run', 'run /bin/true (create+start+wait+delete), and the Node start-up floor'));
  writeFileSync(`${base}.md`, md + `\nTotal bench time: ${meta.duration_s.toFixed(0)} s.\n`);
  writeFileSync(`${base}.json`, JSON.stringify({ meta, summary: sum, targets, extra, samples: S }, null, 1));
  console.log(md);
  log(`wrote ${base}.{json,md,svg} in ${meta.duration_s.toFixed(0)} s`);
  if (failed) throw failed;
}

main().then(() => cleanup(), (e) => { console.error('bench failed:', e.stack ?? e); cleanup(); process.exit(1); });
