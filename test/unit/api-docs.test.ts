// docs/api.md and the package's exports stay in sync: every name in a `###`
// heading is exported (values checked at run time, types by compiling a
// file that names each one), and every export is mentioned in the docs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import * as lib from '../../src/index.ts';

const REPO = resolve(__dirname, '../..');
const doc = readFileSync(join(REPO, 'docs/api.md'), 'utf8');

/** Names at the start of each `### ` heading: `a`, `b(x)` → a, b. */
function documentedNames(): string[] {
  const names: string[] = [];
  for (const line of doc.split('\n')) {
    if (!line.startsWith('### ')) continue;
    for (const m of line.matchAll(/`([A-Za-z_$][\w$]*)/g)) names.push(m[1]);
  }
  return [...new Set(names)];
}

/** Type-only exports of src/index.ts (its `export type {…}` lists, inline `type X` specifiers, and `export *` of types.ts). */
function typeExports(): string[] {
  const src = readFileSync(join(REPO, 'src/index.ts'), 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/export type \{([^}]*)\}/g)) out.push(...m[1].split(',').map((s) => s.trim().split(/\s+as\s+/).pop()!).filter(Boolean));
  for (const m of src.matchAll(/type (\w+)(?: as (\w+))?[,\s}]/g)) out.push(m[2] ?? m[1]);
  const types = readFileSync(join(REPO, 'src/spec/types.ts'), 'utf8');
  for (const m of types.matchAll(/^export (?:interface|type) (\w+)/gm)) out.push(m[1]);
  return [...new Set(out)];
}

test('every documented name is exported', () => {
  const values = new Set(Object.keys(lib));
  const names = documentedNames();
  assert.ok(names.length > 40, `found ${names.length} documented names`);
  const typeNames = names.filter((n) => !values.has(n));
  // what is not a value must be a type: a file that names each one must compile
  const dir = mkdtempSync(join(tmpdir(), 'skiff-api-docs-'));
  try {
    writeFileSync(join(dir, 'check.ts'), `import type * as lib from ${JSON.stringify(join(REPO, 'src/index.ts'))};\n` + typeNames.map((n, i) => `export type T${i} = lib.${n};`).join('\n') + '\n');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, types: ['node'], typeRoots: [join(REPO, 'node_modules/@types')], lib: ['es2023', 'esnext.disposable'] },
      files: ['check.ts'],
    }));
    const r = spawnSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8' });
    const missing = [...(r.stdout + r.stderr).matchAll(/has no exported member '(\w+)'/g)].map((m) => m[1]);
    assert.deepEqual(missing, [], `documented in docs/api.md but not exported: ${missing.join(', ')}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every export is documented', () => {
  const mentioned = new Set([...doc.matchAll(/`([A-Za-z_$][\w$]*)/g)].map((m) => m[1]));
  for (const m of doc.matchAll(/`[^`]*`/g)) for (const w of m[0].matchAll(/[A-Za-z_$][\w$]*/g)) mentioned.add(w[0]);
  const undocumented = [...Object.keys(lib), ...typeExports()].filter((n) => !mentioned.has(n));
  assert.deepEqual(undocumented, [], `exported but not in docs/api.md: ${undocumented.join(', ')}`);
});

test('the documented stdio slots and operations match the types', () => {
  // a value-level spot check of the doc's claims
  assert.equal(typeof lib.create, 'function');
  assert.equal(typeof lib.Container.prototype[Symbol.asyncDispose], 'function');
  for (const m of ['start', 'kill', 'wait', 'delete', 'exec', 'pause', 'resume', 'update', 'stats', 'pids', 'events', 'resize', 'state']) {
    assert.equal(typeof (lib.Container.prototype as unknown as Record<string, unknown>)[m], 'function', m);
    assert.match(doc, new RegExp('`' + m + '\\('), `Container.${m} documented`);
  }
});
