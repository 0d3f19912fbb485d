// Hostile config.json at `skiff create`: fast-check mutations of the configs
// real clients generate (/work/shared/clients/config-*.json): values replaced
// by other types, huge or weird values, keys deleted or added, and raw-text
// damage (truncation, byte flips). Whatever the mutation: no crash, no stack
// trace, a one-line error and exit 1 — and nothing left on the host (state
// dir, cgroup, mount, process). A mutation that is still a valid config may
// create a container: it is deleted and checked for leaks the same way.
//
// Runs per property: SKIFF_FUZZ_RUNS (default 30: each case spawns skiff).
// Long mode: SKIFF_FUZZ_RUNS=10000. Reproduce: SKIFF_FUZZ_SEED=<seed>.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { Env, busyboxRootfs } from './helpers.ts';
import { cleanError, dirIdents, leaksFor } from './reliability-util.ts';

const RUNS = Math.max(1, Number(process.env.SKIFF_FUZZ_RUNS) || 30);
const SEED = process.env.SKIFF_FUZZ_SEED === undefined ? undefined : Number(process.env.SKIFF_FUZZ_SEED);
const params = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

const CLIENTS = resolve(__dirname, '../../../shared/clients');
const NAMES = ['containerd', 'docker', 'podman'].filter((n) => existsSync(join(CLIENTS, `config-${n}.json`)));
const SKIP = NAMES.length === 0 ? `no client configs in ${CLIENTS} (config-*.json recorded from containerd/docker/podman)` : false;

const env = new Env('rfuzz');
after(() => assert.deepEqual(env.cleanup(), []));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A client's config made runnable here: our rootfs, its bind sources as real files, no host-specific hooks or netns paths. */
function base(name: string): Json {
  const s = JSON.parse(readFileSync(join(CLIENTS, `config-${name}.json`), 'utf8'));
  s.root = { path: busyboxRootfs(), readonly: true };
  delete s.hooks; // docker's prestart hook is /proc/<dockerd pid>/exe: never exec a recorded pid's binary
  const files = join(env.base, `src-${name}`);
  mkdirSync(files, { recursive: true });
  for (const m of s.mounts ?? []) {
    if (typeof m.source === 'string' && m.source.startsWith('$W')) {
      const p = join(files, m.source.replace(/[^\w.-]/g, '_'));
      if (/shm$/.test(m.source)) mkdirSync(p, { recursive: true });
      else writeFileSync(p, '');
      m.source = p;
    }
  }
  for (const n of s.linux?.namespaces ?? []) delete n.path;
  return s;
}

const weirdValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 63), 1e308, -1e-308, '', ' ', '/', '..', '../../../../etc/passwd', '/proc/self/exe',
    '/dev/null', '/sys/fs/cgroup', 'a'.repeat(70_000), '\n', '\u0000', '%n', '__proto__', [], {}, [null], [[[[[]]]]], { __proto__: 1 } as Json,
    { constructor: { prototype: 1 } }, ['CAP_SYS_ADMIN'], ['rbind', 'rprivate'], { type: 'bind' }, 'CAP_NONE', 'SIGKILL',
  ),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map((n) => n as Json),
  fc.double({ noNaN: true }).map((n) => n as Json),
);

interface Mutation {
  pick: number;
  kind: 'replace' | 'delete' | 'add' | 'wrap';
  key: string;
  value: Json;
}
const mutation = fc.record<Mutation>({
  pick: fc.nat(),
  kind: fc.constantFrom('replace', 'replace', 'delete', 'add', 'wrap'),
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'type', 'path', 'options', 'destination', 'source', 'args', 'uid', 'limit')),
  value: weirdValue,
});

function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

function apply(doc: Json, muts: Mutation[]): Json {
  let d = structuredClone(doc);
  for (const m of muts) {
    const ps = paths(d);
    const p = ps[m.pick % ps.length];
    if (p.length === 0) {
      if (m.kind === 'replace') d = m.value;
      else if (m.kind === 'wrap') d = [d];
      continue;
    }
    const parent = p.slice(0, -1).reduce<Json>((o, k) => (o as Record<string, Json>)[k as string], d) as Record<string, Json> | Json[];
    const k = p[p.length - 1];
    const cur = (parent as Record<string, Json>)[k as string];
    switch (m.kind) {
      case 'replace':
        (parent as Record<string, Json>)[k as string] = m.value;
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(k as number, 1);
        else delete parent[k as string];
        break;
      case 'add':
        if (cur && typeof cur === 'object' && !Array.isArray(cur)) Object.defineProperty(cur, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
        else if (Array.isArray(cur)) cur.push(m.value);
        break;
      case 'wrap':
        (parent as Record<string, Json>)[k as string] = [cur];
        break;
    }
  }
  return d;
}

/** never let a mutation pick the container's cgroup: a relative path under ours, named for the test */
function tame(d: Json, id: string): Json {
  if (d && typeof d === 'object' && !Array.isArray(d)) {
    const linux = d.linux;
    if (linux && typeof linux === 'object' && !Array.isArray(linux) && 'cgroupsPath' in linux) linux.cgroupsPath = `rfuzz-cg-${id}`;
    if (linux && typeof linux === 'object' && !Array.isArray(linux)) delete linux.sysctl; // random keys could name a host-wide sysctl
    delete d.hooks;
  }
  return d;
}

const stats = { cases: 0, created: 0, rejected: 0 };
after(() => console.log(`# config fuzz: ${stats.cases} cases, ${stats.rejected} rejected cleanly, ${stats.created} valid (created + deleted)`));

function createAndCheck(configText: string, what: string): void {
  const id = env.id('f');
  const dir = join(env.base, `fz-${id}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), configText);
  const idents = dirIdents([busyboxRootfs()]);
  const r = env.skiff(['create', '--bundle', dir, id], { timeout: 30_000 });
  stats.cases++;
  const ctx = `${what}\nconfig: ${configText.slice(0, 600)}\nstderr: ${r.stderr.slice(0, 600)}`;
  assert.equal(r.signal, null, `killed by ${r.signal}: ${ctx}`);
  assert.doesNotMatch(r.stderr + r.stdout, /^\s+at .+(\(|:\d+)/m, `stack trace: ${ctx}`);
  if (r.status === 0) {
    stats.created++;
    const d = env.skiff(['delete', '--force', id]);
    assert.equal(d.status, 0, `delete: ${d.stderr} ${ctx}`);
  } else {
    stats.rejected++;
    assert.equal(r.status, 1, ctx);
    assert.equal(cleanError(r.stderr), undefined, ctx);
    assert.match(r.stderr, /^skiff create failed: .{4,}/m, ctx);
  }
  const leaks = [...leaksFor({ root: env.root, id, base: env.base, idents }), ...leaksFor({ root: env.root, id: `rfuzz-cg-${id}` })];
  assert.deepEqual(leaks, [], ctx);
}

describe('fuzz: config.json at create', { skip: SKIP }, () => {
  test('the client configs themselves are accepted (sanity)', () => {
    for (const n of NAMES) {
      const id = env.id(n);
      const dir = join(env.base, `ok-${id}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(tame(base(n), id)));
      const r = env.skiff(['create', '--bundle', dir, id]);
      assert.equal(r.status, 0, `${n}: ${r.stderr}`);
      assert.equal(env.skiff(['delete', '--force', id]).status, 0);
      assert.deepEqual(leaksFor({ root: env.root, id, base: env.base }), []);
    }
  });

  test('structural mutations of client configs', () => {
    const bases = Object.fromEntries(NAMES.map((n) => [n, base(n)]));
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), fc.array(mutation, { minLength: 1, maxLength: 4 }), (n, muts) => {
        const d = tame(apply(bases[n], muts), 'x');
        createAndCheck(JSON.stringify(d), `${n} + ${JSON.stringify(muts).slice(0, 400)}`);
      }),
      params,
    );
  });

  test('raw-text damage: truncation, byte flips, odd encodings', () => {
    const texts = Object.fromEntries(NAMES.map((n) => [n, JSON.stringify(tame(base(n), 'x'), null, 2)]));
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.oneof(
          fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
          fc.record({ kind: fc.constant('prefix' as const), with: fc.constantFrom('\ufeff', '\u0000', '[', '{"ociVersion":1,', ' '.repeat(100_000), '/* c */') }),
          fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 100, max: 100_000 }) }),
        ),
        (n, m) => {
          const t = texts[n];
          let out: string | Buffer;
          if (m.kind === 'truncate') out = t.slice(0, m.at % t.length);
          else if (m.kind === 'flip') {
            const b = Buffer.from(t);
            b[m.at % b.length] = m.byte;
            out = b.toString('latin1');
          } else if (m.kind === 'prefix') out = m.with + t;
          else out = t.replace('"annotations"', `"deep": ${'['.repeat(m.depth)}${']'.repeat(m.depth)}, "annotations"`).replace(/^\{/, `{"deep0": ${'{"a":'.repeat(Math.min(m.depth, 5000))}1${'}'.repeat(Math.min(m.depth, 5000))},`);
          createAndCheck(String(out), `${n} ${JSON.stringify(m)}`);
        },
      ),
      params,
    );
  });
});
