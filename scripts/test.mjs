#!/usr/bin/env node
// Runs the test suites with node:test (TypeScript through tsx): unit tests
// in parallel, integration tests (real containers, as root) one file at a
// time. Usage: node scripts/test.mjs [unit|integration|FILE...]
//
// Every run gets its own TMPDIR, and whatever is left in it when the runner
// has exited — containers, mounts, files — is removed and reported. The
// tests clean up after themselves, pass or fail; this catches the rest: a
// test process killed with the runner (Ctrl-C, a timeout) runs no `after`
// hook, and node:test's own runner exits at once on SIGINT/SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const list = (d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(d, f));
const argv = process.argv.slice(2);
const suites = [];
if (argv.length === 0 || argv.includes('unit')) suites.push({ files: list('test/unit'), concurrency: 2 });
if (argv.length === 0 || argv.includes('integration')) {
  if (process.getuid() !== 0) {
    console.error('test: integration tests need root (real namespaces, mounts and cgroups)');
    process.exit(1);
  }
  suites.push({ files: list('test/integration'), concurrency: 1 });
}
const files = argv.filter((a) => a !== 'unit' && a !== 'integration');
if (files.length) suites.push({ files, concurrency: 1 });
const work = mkdtempSync(join(tmpdir(), 'skiff-tests-'));
chmodSync(work, 0o755); // rootfs dirs under it must be reachable from a user namespace
const env = { ...process.env, TMPDIR: work };
delete env.NODE_EXTRA_CA_CERTS; // skiff never uses TLS; this only slows every node start

let runner;
let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    interrupted ||= sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 129;
    runner?.kill(sig);
  });
}

let failed = false;
for (const s of suites) {
  if (!s.files.length || interrupted) continue;
  runner = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${s.concurrency}`, ...s.files], { cwd: root, stdio: 'inherit', env });
  const code = await new Promise((res) => runner.on('close', (c) => res(c)));
  if (code !== 0) failed = true;
}
if (sweep(work).length && !interrupted) failed = true;
process.exit(interrupted || (failed ? 1 : 0));

/** Delete leftover containers, detach leftover mounts, remove the run's TMPDIR; returns what was left. */
function sweep(dir) {
  const left = [];
  const skiff = join(root, 'bin/skiff');
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const stateRoot = join(dir, name, 'root');
    if (!name.startsWith('skiff-it-') || !existsSync(stateRoot)) continue;
    for (const id of readdirSync(stateRoot)) {
      left.push(`container ${id}`);
      spawnSync(skiff, ['--root', stateRoot, 'delete', '--force', id], { stdio: 'ignore', env, timeout: 30_000 });
    }
  }
  // never rm -rf through a mount: detach them first, deepest first
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    left.push(`mount ${m}`);
    spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  }
  for (const name of existsSync(dir) ? readdirSync(dir) : []) if (name.startsWith('skiff-')) left.push(name);
  rmSync(dir, { recursive: true, force: true });
  if (left.length) console.error(`test: swept what the tests left behind: ${left.join(', ')}`);
  return left;
}
