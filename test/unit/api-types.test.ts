// The exported OCI types against real configs: each client's config.json
// (containerd, docker, podman), process.json and update payload compiles as
// a typed literal (`satisfies`: excess-property and literal-union checks)
// under tsc --strict, and validates at run time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { features, validateSpec, type Features, type Spec } from '../../src/index.ts';
import { validateProcess, validateResources } from '../../src/spec/validate.ts';

const REPO = resolve(__dirname, '../..');
const CLIENTS = resolve(REPO, '../shared/clients');
const skip = existsSync(CLIENTS) ? false : `client recordings not found at ${CLIENTS}`;
const NAMES = ['containerd', 'docker', 'podman'];
const TSC = join(REPO, 'node_modules/.bin/tsc');
const dir = mkdtempSync(join(tmpdir(), 'skiff-api-types-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const read = (f: string): unknown => JSON.parse(readFileSync(join(CLIENTS, f), 'utf8'));

/** Compile files (name -> source) with tsc --strict; returns tsc's output ('' = success). */
function tsc(files: Record<string, string>): string {
  const d = mkdtempSync(join(dir, 'p-'));
  for (const [n, src] of Object.entries(files)) writeFileSync(join(d, n), src);
  writeFileSync(join(d, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true,
      allowImportingTsExtensions: true, skipLibCheck: true, types: [], exactOptionalPropertyTypes: false,
    },
    files: Object.keys(files),
  }));
  const r = spawnSync(TSC, ['-p', d], { encoding: 'utf8' });
  return (r.stdout + r.stderr).trim() + (r.status === 0 ? '' : `\n(exit ${r.status})`);
}

const TYPES = JSON.stringify(join(REPO, 'src/spec/types.ts'));

describe('OCI types vs real client configs', { skip }, () => {
  test('every config-*.json, process-*.json and resources-*.json compiles as a typed literal', () => {
    const files: Record<string, string> = {};
    for (const n of NAMES) {
      files[`config-${n}.ts`] = `import type { Spec } from ${TYPES};\nexport const config = ${JSON.stringify(read(`config-${n}.json`), null, 1)} satisfies Spec;\n`;
      files[`process-${n}.ts`] = `import type { Process } from ${TYPES};\nexport const proc = ${JSON.stringify(read(`process-${n}.json`), null, 1)} satisfies Process;\n`;
    }
    for (const n of ['docker', 'podman']) {
      files[`resources-${n}.ts`] = `import type { LinuxResources } from ${TYPES};\nexport const res = ${JSON.stringify(read(`resources-${n}.json`), null, 1)} satisfies LinuxResources;\n`;
    }
    assert.equal(tsc(files), '');
  });

  test('control: the same check rejects an unknown field and a bad enum value', () => {
    const c = read('config-docker.json') as Spec;
    const typo = { ...c, process: { ...c.process, termnal: true } };
    const badNs = { ...c, linux: { ...c.linux, namespaces: [{ type: 'pidd' }] } };
    const out = tsc({
      'a.ts': `import type { Spec } from ${TYPES};\nexport const a = ${JSON.stringify(typo)} satisfies Spec;\n`,
      'b.ts': `import type { Spec } from ${TYPES};\nexport const b = ${JSON.stringify(badNs)} satisfies Spec;\n`,
    });
    assert.match(out, /a\.ts.*termnal/);
    assert.match(out, /b\.ts.*pidd/);
  });

  test('the typed configs validate at run time', () => {
    for (const n of NAMES) {
      const config = read(`config-${n}.json`) as Spec;
      const { spec, warnings } = validateSpec(config);
      assert.deepEqual(warnings, [], n);
      assert.equal(spec.process?.args?.[0], config.process?.args?.[0], n);
      assert.deepEqual(validateProcess(read(`process-${n}.json`), '').warnings, [], n);
    }
    // docker's update payload sets memory.kernel: accepted with a warning (as runc)
    for (const n of ['docker', 'podman']) assert.ok(validateResources(read(`resources-${n}.json`), '').warnings.every((w) => /kernel/.test(w)), n);
  });
});

describe('features()', () => {
  test('is a runtime-spec Features document (typed, and consistent with the validator)', () => {
    const f: Features = features();
    assert.match(f.ociVersionMin, /^1\.\d+\.\d+$/);
    assert.match(f.ociVersionMax, /^1\.\d+\.\d+$/);
    assert.ok(f.linux?.namespaces?.includes('user'));
    assert.ok(f.linux?.capabilities?.includes('CAP_SYS_ADMIN'));
    assert.ok(f.mountOptions?.includes('rbind') && f.mountOptions.includes('nosuid'));
    assert.ok(f.linux?.seccomp?.archs?.includes('SCMP_ARCH_X86_64'));
    // every namespace it claims is accepted by the validator
    for (const type of f.linux!.namespaces!) {
      const s: Spec = { ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { cwd: '/', args: ['true'], user: { uid: 0, gid: 0 } }, linux: { namespaces: [{ type }] } };
      if (type !== 'user' && type !== 'time') assert.doesNotThrow(() => validateSpec(s), type);
    }
  });
});
