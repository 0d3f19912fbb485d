#!/usr/bin/env node
// Where does skiff's CLI time go? Builds an UNminified copy of the CLI bundle (same esbuild
// options as scripts/build.mjs otherwise) in a temp dir, runs each command K times under
// `node --cpu-prof`, and sums self time by function, by source module (esbuild's
// `// src/...` markers) and by category (V8/Node internals, GC, program). Also times the
// start-up layers (node -e 0, require of the bundle without main, --version, state) and two
// prototypes that need no change to src/: a V8 code cache for the bundle (vm.Script
// cachedData; what Node 22's module.enableCompileCache() does) and a user-land startup
// snapshot (node --build-snapshot, Node >= 20).
//
//   node bench/profile.mjs            # prints markdown; writes bench/results/profile-<ts>.{md,json}
//   PROFILE_K=10 node bench/profile.mjs
import { spawnSync, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');
const K = +(process.env.PROFILE_K ?? 10);
const TMP = mkdtempSync(join(tmpdir(), 'skiff-prof-'));
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const log = (...a) => console.error('[profile]', ...a);
const q = (s, p) => { const a = [...s].sort((x, y) => x - y); const i = (a.length - 1) * p; const lo = Math.floor(i); return a[lo] + (a[Math.ceil(i)] - a[lo]) * (i - lo); };

// 1. an unminified bundle beside a copy of build/
const esbuild = await import(join(REPO, 'node_modules/esbuild/lib/main.js'));
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
mkdirSync(join(TMP, 'dist')); mkdirSync(join(TMP, 'build'));
for (const f of ['skiff-init', 'skiff.node']) cpSync(join(REPO, 'build', f), join(TMP, 'build', f));
writeFileSync(join(TMP, 'package.json'), '{}');
const common = {
  define: { __SKIFF_VERSION__: JSON.stringify(pkg.version), __SKIFF_COMMIT__: '"profile"' },
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: false, legalComments: 'none', logLevel: 'error', external: ['*.node'],
};
await esbuild.build({ ...common, entryPoints: [join(REPO, 'src/cli/main.ts')], outfile: join(TMP, 'dist/skiff.js') });
await esbuild.build({ ...common, entryPoints: [join(REPO, 'src/cli/main.ts')], outfile: join(TMP, 'dist/skiff.min.js'), minifySyntax: true, minifyWhitespace: true });
const BUNDLE = join(TMP, 'dist/skiff.js');
const MIN = join(TMP, 'dist/skiff.min.js'); // = dist/skiff.js of this source tree
const src = readFileSync(BUNDLE, 'utf8');
const lines = src.split('\n');
// line -> module (esbuild writes "// src/x/y.ts" before each module's code)
const modAt = [];
let cur = '(bundle runtime)';
lines.forEach((l, i) => { const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(l); if (m) cur = m[1]; modAt[i] = cur; });

// 2. a busybox bundle and a created container to query
const bb = join(TMP, 'bb');
execFileSync('sh', [join(REPO, 'scripts/make-bundle.sh'), bb, 'sleep', '3600'], { stdio: ['ignore', 'ignore', 'inherit'] });
const cfg = JSON.parse(readFileSync(join(bb, 'config.json'), 'utf8'));
const TAG = `skiff-prof-${process.pid}`;
const root = join(TMP, 'root');
// create/run hand their stdio to the container's init: never give them pipes (spawnSync would wait for EOF)
const skiff = (args, extra = []) => {
  const quiet = args[0] === 'create' || args[0] === 'run';
  const r = spawnSync(process.execPath, [...extra, '--stack-size=2048', BUNDLE, '--root', root, ...args], { env, stdio: quiet ? 'ignore' : ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (quiet) r.stderr = '';
  return r;
};
const setBundle = (id, args) => { cfg.process.args = args; cfg.linux.cgroupsPath = `${TAG}/${id}`; writeFileSync(join(bb, 'config.json'), JSON.stringify(cfg)); };
const created = [];
function cleanup() {
  for (const id of created) skiff(['delete', '--force', id]);
  for (const d of readdirSync('/sys/fs/cgroup')) {
    const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[1]?.split(',').includes(d) || (d === 'systemd' && f[1] === 'name=systemd') || (d === 'unified' && f[1] === ''));
    const p = join('/sys/fs/cgroup', d, own?.[2] ?? '/', TAG);
    if (existsSync(p)) { for (const c of readdirSync(p, { withFileTypes: true })) if (c.isDirectory()) { try { rmSync(join(p, c.name), { recursive: false }); } catch { try { execFileSync('rmdir', [join(p, c.name)]); } catch { /* busy */ } } } try { execFileSync('rmdir', [p]); } catch { /* busy */ } }
  }
  rmSync(TMP, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

try {
  setBundle('q', ['sleep', '3600']);
  let r = skiff(['create', '--bundle', bb, 'q']);
  if (r.status !== 0) throw new Error(`create failed (exit ${r.status})`);
  created.push('q');

  // 3. start-up layers (wall, ms; median of K)
  const wall = (argv, e = env) => { const t = process.hrtime.bigint(); const x = spawnSync(argv[0], argv.slice(1), { env: e, stdio: 'ignore' }); if (x.status !== 0) throw new Error(`${argv.join(' ')} failed`); return Number(process.hrtime.bigint() - t) / 1e6; };
  const loader = join(TMP, 'load-only.js');
  writeFileSync(loader, `require(${JSON.stringify(join(TMP, 'dist/skiff.min.js'))});`);
  // V8 code cache prototype (Node 20: vm.Script cachedData; Node 22: module.enableCompileCache())
  const cacheLoader = join(TMP, 'cached.js');
  writeFileSync(cacheLoader, `
const fs = require('fs'), vm = require('vm'), path = require('path'), Module = require('module');
const file = ${JSON.stringify(join(TMP, 'dist/skiff.min.js'))}, cacheFile = file + '.v8cache';
const code = fs.readFileSync(file, 'utf8');
let cachedData; try { cachedData = fs.readFileSync(cacheFile); } catch {}
const script = new vm.Script(Module.wrap(code), { filename: file, cachedData, importModuleDynamically: undefined });
const m = new Module(file, null); m.filename = file; m.paths = Module._nodeModulePaths(path.dirname(file));

script.runInThisContext()(m.exports, require, m, file, path.dirname(file));
if (!cachedData || script.cachedDataRejected) process.on('exit', () => { try { fs.writeFileSync(cacheFile, script.createCachedData()); } catch {} });
m.exports.main(process.argv.slice(2)).then((c) => { process.exitCode = c; });
`);
  // startup snapshot prototype: the bundle evaluated at build time, main() at run time
  const snapEntry = join(TMP, 'snap-entry.js');
  const snapBlob = join(TMP, 'snap.blob');
  writeFileSync(snapEntry, `
const v8 = require('v8');
const module = { exports: {} }; const exports = module.exports;
(function (exports, require, module, __filename, __dirname) {
${readFileSync(join(TMP, 'dist/skiff.min.js'), 'utf8')}
})(exports, require, module, ${JSON.stringify(join(TMP, 'dist/skiff.js'))}, ${JSON.stringify(join(TMP, 'dist'))});
v8.startupSnapshot.setDeserializeMainFunction(() => {
  module.exports.main(process.argv.slice(1)).then((c) => { process.exitCode = c; });
});
`);
  let snapshot = null;
  const sb = spawnSync(process.execPath, ['--stack-size=2048', '--snapshot-blob', snapBlob, '--build-snapshot', snapEntry], { env, encoding: 'utf8' });
  if (sb.status === 0) snapshot = snapBlob; else log('snapshot build failed:', sb.stderr.split('\n').slice(0, 3).join(' | '));
  wall([process.execPath, cacheLoader, '--root', root, 'state', 'q']); // produce the cache

  const layers = [
    ['node -e 0', [process.execPath, '-e', '0']],
    ['node: require(bundle) only, no main', [process.execPath, loader]],
    ['skiff --version (minified bundle, as dist/)', [process.execPath, '--stack-size=2048', MIN, '--version']],
    ['skiff state (minified bundle, as dist/)', [process.execPath, '--stack-size=2048', MIN, '--root', root, 'state', 'q']],
    ['skiff state, V8 code cache loader', [process.execPath, '--stack-size=2048', cacheLoader, '--root', root, 'state', 'q']],
    ...(snapshot ? [['skiff state, startup snapshot', [process.execPath, '--stack-size=2048', '--snapshot-blob', snapshot, '--', '--root', root, 'state', 'q']]] : []),
    ['skiff list (minified bundle, as dist/)', [process.execPath, '--stack-size=2048', MIN, '--root', root, 'list']],
    ['skiff list, V8 code cache loader', [process.execPath, '--stack-size=2048', cacheLoader, '--root', root, 'list']],
    ...(snapshot ? [['skiff list, startup snapshot', [process.execPath, '--stack-size=2048', '--snapshot-blob', snapshot, '--', '--root', root, 'list']]] : []),
    ['node --jitless -e 0', [process.execPath, '--jitless', '-e', '0']],
    ['skiff state --jitless', [process.execPath, '--jitless', '--stack-size=2048', MIN, '--root', root, 'state', 'q']],
  ];
  // check the prototypes give the same answer
  const outOf = (argv) => { const x = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' }); return x.stdout || x.stderr; };
  const ref = outOf(layers[3][1]);
  for (const [name, argv] of layers.slice(4)) if (name.includes('state') && outOf(argv) !== ref) log(`WARNING: ${name} output differs: ${outOf(argv).slice(0, 300)} vs ${ref.slice(0, 300)}`);
  const layerT = Object.fromEntries(layers.map(([n]) => [n, []]));
  for (let i = 0; i < K * 2; i++) for (const [n, argv] of layers) layerT[n].push(wall(argv));

  // 4. CPU profiles per command
  const profDir = join(TMP, 'prof');
  const cmds = {
    '--version': () => ['--version'],
    state: () => ['state', 'q'],
    list: () => ['list'],
    kill: (i) => { setBundle(`k${i}`, ['sleep', '3600']); skiff(['create', '--bundle', bb, `k${i}`]); created.push(`k${i}`); return ['kill', `k${i}`, 'KILL']; },
    delete: (i) => { setBundle(`d${i}`, ['sleep', '3600']); skiff(['create', '--bundle', bb, `d${i}`]); created.push(`d${i}`); return ['delete', '--force', `d${i}`]; },
    create: (i) => { setBundle(`c${i}`, ['sleep', '3600']); created.push(`c${i}`); return ['create', '--bundle', bb, `c${i}`]; },
    run: (i) => { setBundle(`r${i}`, ['/bin/true']); return ['run', '--bundle', bb, `r${i}`]; },
  };
  const profiles = {};
  for (const [name, mk] of Object.entries(cmds)) {
    const dir = join(profDir, name.replace(/-/g, ''));
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < K; i++) {
      const args = mk(i);
      const x = skiff(args, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir]);
      if (x.status !== 0) log(`${name} #${i} failed: ${x.stderr.trim()}`);
    }
    const byFn = new Map(), byMod = new Map(), byCat = new Map();
    let total = 0;
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    for (const f of files) {
      const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const nodes = new Map(p.nodes.map((n) => [n.id, n]));
      const self = new Map();
      p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
      for (const [id, us] of self) {
        const cf = nodes.get(id).callFrame;
        total += us;
        let mod, cat;
        if (cf.url === '' || cf.url === undefined) { cat = cf.functionName.startsWith('(') ? cf.functionName : '(native/builtin)'; mod = cat; }
        else if (cf.url.endsWith('/dist/skiff.js')) { mod = modAt[cf.lineNumber] ?? '?'; cat = 'skiff bundle'; }
        else if (cf.url.startsWith('node:')) { mod = cf.url; cat = 'node internals (JS)'; }
        else { mod = cf.url; cat = 'other'; }
        const fn = `${cf.functionName || '(anonymous)'} ${mod}${cf.url.endsWith('/dist/skiff.js') ? `:${cf.lineNumber + 1}` : ''}`;
        byFn.set(fn, (byFn.get(fn) ?? 0) + us);
        byMod.set(mod, (byMod.get(mod) ?? 0) + us);
        byCat.set(cat, (byCat.get(cat) ?? 0) + us);
      }
    }
    const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => ({ name: k, ms_per_call: v / 1000 / files.length, pct: (100 * v) / total }));
    profiles[name] = { runs: files.length, profiled_ms_per_call: total / 1000 / files.length, categories: top(byCat, 10), modules: top(byMod, 12), functions: top(byFn, 15) };
  }

  // 5. report
  const L = ['# skiff CLI start-up profile', '', `Node ${process.version}, K=${K} per command, bundle ${(src.length / 1024).toFixed(0)} KB unminified / ${(readFileSync(join(REPO, 'dist/skiff.js')).length / 1024).toFixed(0)} KB dist (minified whitespace+syntax). NODE_EXTRA_CA_CERTS unset (as bin/skiff does).`, '', '## Start-up layers (wall ms, median [min–max] of ' + K * 2 + ' interleaved runs)', '', '| layer | median | min | max |', '|---|---|---|---|'];
  for (const [n, t] of Object.entries(layerT)) L.push(`| ${n} | ${q(t, 0.5).toFixed(1)} | ${Math.min(...t).toFixed(1)} | ${Math.max(...t).toFixed(1)} |`);
  for (const [name, p] of Object.entries(profiles)) {
    L.push('', `## \`skiff ${name}\` — ${p.profiled_ms_per_call.toFixed(1)} ms sampled CPU on the main thread per call (${p.runs} profiles)`, '', '| category | ms/call | % |', '|---|---|---|');
    for (const c of p.categories) L.push(`| ${c.name} | ${c.ms_per_call.toFixed(2)} | ${c.pct.toFixed(1)} |`);
    L.push('', '| module (self time) | ms/call | % |', '|---|---|---|');
    for (const c of p.modules) L.push(`| ${c.name} | ${c.ms_per_call.toFixed(2)} | ${c.pct.toFixed(1)} |`);
    L.push('', '| function (self time) | ms/call | % |', '|---|---|---|');
    for (const c of p.functions) L.push(`| \`${c.name}\` | ${c.ms_per_call.toFixed(2)} | ${c.pct.toFixed(1)} |`);
  }
  const md = L.join('\n') + '\n';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', `profile-${stamp}.md`), md);
  writeFileSync(join(HERE, 'results', `profile-${stamp}.json`), JSON.stringify({ layers: layerT, profiles }, null, 1));
  console.log(md);
} finally {
  cleanup();
}
