#!/usr/bin/env node
// Builds everything skiff needs, with no network: the protocol header
// (generated from src/native/protocol.ts), the C init (static), the N-API
// addon (against Node's own headers, never node-gyp's download), and the
// esbuild bundles of the CLI and the library.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build');
const dist = join(root, 'dist');
mkdirSync(build, { recursive: true });
mkdirSync(dist, { recursive: true });

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('build: esbuild is missing; run `npm ci` first');
  process.exit(1);
}

// Outputs are written next to their final name and renamed into place: a
// skiff running while the tree is rebuilt must never exec a half-written
// skiff-init ("Exec format error") or map a truncated addon (SIGBUS).
const tmp = (p) => `${p}.tmp-${process.pid}`;
const publish = (p) => renameSync(tmp(p), p);

function run(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: 'inherit', cwd: root });
  } catch (e) {
    console.error(`build: ${cmd} failed`);
    process.exit(1);
  }
}

// 1. protocol.h from the TypeScript definitions (one source of truth)
const proto = esbuild.buildSync({
  entryPoints: [join(root, 'src/native/protocol.ts')],
  bundle: true, write: false, format: 'cjs', platform: 'node',
});
const mod = { exports: {} };
new Function('module', 'exports', proto.outputFiles[0].text)(mod, mod.exports);
writeFileSync(join(build, 'protocol.h'), mod.exports.cHeader());

// 2. the C init: static, small, warnings are errors
const cflags = ['-O2', '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter', '-D_FORTIFY_SOURCE=2', '-I', build, '-I', join(root, 'native/common')];
// With musl (Debian's musl-tools) the init is 75 KB instead of 720 KB: the
// sealed memfd copy made for every container is ten times smaller, and a
// waiting init holds ~110 KB instead of ~610 KB (most of it that copy,
// charged to the caller's memory cgroup). musl ships no kernel headers:
// point it at the system's linux/ and asm/ ones. glibc static is the fallback.
const haveMusl = (() => {
  try {
    execFileSync('musl-gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (haveMusl && !process.env.SKIFF_INIT_GLIBC) {
  const inc = join(build, 'musl-include');
  mkdirSync(inc, { recursive: true });
  const { symlinkSync, rmSync } = await import('node:fs');
  for (const [name, target] of [['linux', '/usr/include/linux'], ['asm-generic', '/usr/include/asm-generic'], ['asm', '/usr/include/x86_64-linux-gnu/asm']]) {
    rmSync(join(inc, name), { force: true });
    symlinkSync(target, join(inc, name));
  }
  run('musl-gcc', [...cflags, '-static', '-s', '-idirafter', inc, '-o', tmp(join(build, 'skiff-init')), join(root, 'native/init/init.c')]);
} else {
  run('gcc', [...cflags, '-static', '-s', '-o', tmp(join(build, 'skiff-init')), join(root, 'native/init/init.c')]);
}
publish(join(build, 'skiff-init'));

// 3. the addon, against the running Node's headers
const nodeInclude = [join(dirname(process.execPath), '../include/node'), '/usr/include/node']
  .find((d) => existsSync(join(d, 'node_api.h')));
if (!nodeInclude) {
  console.error('build: Node headers (node_api.h) not found; install the nodejs headers (Debian: libnode-dev)');
  process.exit(1);
}
const addonSrc = readdirSync(join(root, 'native/addon')).filter((f) => f.endsWith('.c')).map((f) => join(root, 'native/addon', f));
run('gcc', [...cflags, '-fPIC', '-shared', '-fvisibility=hidden', '-I', nodeInclude, '-o', tmp(join(build, 'skiff.node')), ...addonSrc]);
publish(join(build, 'skiff.node'));

// 4. bundles: one CJS file for the CLI (fast start-up), one for the library
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
} catch { /* not a git checkout */ }
const pkg = JSON.parse((await import('node:fs')).readFileSync(join(root, 'package.json'), 'utf8'));
const common = {
  define: { __SKIFF_VERSION__: JSON.stringify(pkg.version), __SKIFF_COMMIT__: JSON.stringify(commit) },
  bundle: true, platform: 'node', target: 'node20', format: 'cjs',
  sourcemap: false, legalComments: 'none', logLevel: 'warning',
  external: ['*.node'],
};
await esbuild.build({ ...common, entryPoints: [join(root, 'src/cli/main.ts')], outfile: tmp(join(dist, 'skiff.js')), minifySyntax: true, minifyWhitespace: true });
publish(join(dist, 'skiff.js'));
await esbuild.build({ ...common, entryPoints: [join(root, 'src/index.ts')], outfile: tmp(join(dist, 'lib.js')) });
publish(join(dist, 'lib.js'));
// the CLI's entry: loads skiff.js through per-command V8 code caches (src/cli/boot.ts)
await esbuild.build({ ...common, entryPoints: [join(root, 'src/cli/boot.ts')], outfile: tmp(join(dist, 'skiff-boot.js')), minifySyntax: true });
publish(join(dist, 'skiff-boot.js'));
// caches of an older bundle would only be rejected: drop them
(await import('node:fs')).rmSync(join(dist, 'cache'), { recursive: true, force: true });
