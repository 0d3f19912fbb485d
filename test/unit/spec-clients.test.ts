// The configs real clients (containerd, docker, podman) generated on this
// machine kind must validate as they are, and fast.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { loadBundle, loadProcessFile } from '../../src/spec/load.ts';
import { validateProcess, validateResources, validateSpec } from '../../src/spec/validate.ts';

// /work/main -> /work/shared/clients
const CLIENTS = resolve(__dirname, '../../../shared/clients');
const skip = existsSync(CLIENTS) ? false : `client recordings not found at ${CLIENTS}`;
const NAMES = ['containerd', 'docker', 'podman'] as const;

function read(file: string): unknown {
  return JSON.parse(readFileSync(join(CLIENTS, file), 'utf8'));
}

describe('real client configs', { skip }, () => {
  for (const name of NAMES) {
    test(`config-${name}.json validates with no errors or warnings`, () => {
      const { warnings } = validateSpec(read(`config-${name}.json`));
      assert.deepEqual(warnings, []);
    });
    test(`config-${name}.json also validates strictly`, () => {
      assert.deepEqual(validateSpec(read(`config-${name}.json`), { strict: true }).warnings, []);
    });
    test(`process-${name}.json validates (exec --process)`, () => {
      assert.deepEqual(validateProcess(read(`process-${name}.json`), '').warnings, []);
      assert.deepEqual(loadProcessFile(join(CLIENTS, `process-${name}.json`)).warnings, []);
    });
    test(`loadBundle accepts config-${name}.json unchanged`, () => {
      const bundle = mkdtempSync(join(tmpdir(), `skiff-bundle-${name}-`));
      try {
        cpSync(join(CLIENTS, `config-${name}.json`), join(bundle, 'config.json'));
        const rootPath = (read(`config-${name}.json`) as { root: { path: string } }).root.path;
        mkdirSync(resolve(bundle, rootPath), { recursive: true });
        const b = loadBundle(bundle);
        assert.equal(b.bundle, bundle);
        assert.equal(b.rootfs, resolve(bundle, rootPath));
        assert.deepEqual(b.warnings, []);
      } finally {
        rmSync(bundle, { recursive: true, force: true });
      }
    });
  }
  for (const name of ['docker', 'podman']) {
    test(`resources-${name}.json validates (update --resources)`, () => {
      const { warnings } = validateResources(read(`resources-${name}.json`), '');
      // docker sends memory.kernel = 0; runc warns that kernel memory is ignored
      assert.deepEqual(warnings, name === 'docker' ? ['/memory/kernel: kernel memory settings are ignored'] : []);
    });
  }
  test('validating the docker config takes well under 1 ms', () => {
    const text = readFileSync(join(CLIENTS, 'config-docker.json'), 'utf8');
    const N = 300;
    const objs = Array.from({ length: N + 20 }, () => JSON.parse(text));
    for (let i = 0; i < 20; i++) validateSpec(objs[N + i]); // warm-up
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) validateSpec(objs[i]);
    const perCallMs = Number(process.hrtime.bigint() - t0) / N / 1e6;
    assert.ok(perCallMs < 1, `validateSpec(docker config) took ${perCallMs.toFixed(3)} ms per call`);
  });
});
