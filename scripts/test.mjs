#!/usr/bin/env node
// Runs the test suites with node:test (TypeScript through tsx): unit tests
// in parallel, integration tests (real containers, as root) one file at a
// time. Usage: node scripts/test.mjs [unit|integration|FILE...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
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
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // skiff never uses TLS; this only slows every node start
let failed = false;
for (const s of suites) {
  if (!s.files.length) continue;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${s.concurrency}`, ...s.files], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
