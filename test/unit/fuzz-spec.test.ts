// Fuzzing the spec validator and the JSON loader with fast-check: whatever
// the input, validateSpec/validateProcess either return or throw a SpecError
// with a one-line message; any other exception (TypeError, RangeError, …) is
// a bug.
//
// Runs per property: SKIFF_FUZZ_RUNS (default 300, for CI).
// Long mode:  SKIFF_FUZZ_RUNS=10000 node --import tsx --test test/unit/fuzz-spec.test.ts
// Reproduce a failure: SKIFF_FUZZ_SEED=<seed> (fast-check prints seed and path).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SpecError } from '../../src/errors.ts';
import { defaultSpec } from '../../src/spec/default.ts';
import { findJsonError } from '../../src/spec/load.ts';
import { validateProcess, validateResources, validateSpec } from '../../src/spec/validate.ts';

const RUNS = Math.max(1, Number(process.env.SKIFF_FUZZ_RUNS) || 300);
const SEED = process.env.SKIFF_FUZZ_SEED === undefined ? undefined : Number(process.env.SKIFF_FUZZ_SEED);
const params = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

// ---------------------------------------------------------------- corpus

const CLIENTS = resolve(__dirname, '../../../shared/clients');
function clientConfigs(): unknown[] {
  const out: unknown[] = [];
  for (const n of ['containerd', 'docker', 'podman']) {
    const f = join(CLIENTS, `config-${n}.json`);
    if (existsSync(f)) out.push(JSON.parse(readFileSync(f, 'utf8')));
  }
  return out;
}
const CORPUS: unknown[] = [
  ...clientConfigs(),
  defaultSpec(),
  defaultSpec({ rootless: true }),
  {
    ociVersion: '1.2.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 2 }] },
    hostname: 'h',
    hooks: { prestart: [{ path: '/bin/true', timeout: 1 }] },
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'uts' }, { type: 'mount' }, { type: 'ipc' }, { type: 'network' }, { type: 'user' }, { type: 'time' }],
      uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
      timeOffsets: { monotonic: { secs: 1 } },
      sysctl: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1' },
      devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }],
      personality: { domain: 'LINUX' },
      rootfsPropagation: 'rslave',
    },
  },
];
// Each corpus entry must be valid to begin with (otherwise mutations test little).
for (const c of CORPUS) validateSpec(structuredClone(c));

// ---------------------------------------------------------------- weird values

function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
function deepObject(depth: number, key = 'a'): unknown {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v;
}
const DEEP_ARRAY = deepArray(10_000);
const DEEP_OBJECT = deepObject(10_000);
const DEEP_PROCESS = deepObject(10_000, 'process');
const DEEP_PARSED = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000));
const GIANT_STRING = 'x'.repeat(1 << 20);
const GIANT_PATH = '/' + 'a/'.repeat(1 << 18);
const GIANT_ARRAY = new Array(200_000).fill('CAP_CHOWN');
const GIANT_NUM_ARRAY = new Array(200_000).fill(7);

/** Invalid UTF-8 bytes decoded as Node decodes a config file. */
const invalidUtf8 = fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => Buffer.from([0xff, ...b, 0xc3]).toString('utf8'));

// Names that exist somewhere in the spec, to plant in wrong places.
const KNOWN_KEYS = [
  'ociVersion', 'root', 'path', 'readonly', 'process', 'user', 'uid', 'gid', 'umask', 'additionalGids', 'args', 'commandLine',
  'env', 'cwd', 'capabilities', 'bounding', 'effective', 'ambient', 'rlimits', 'type', 'soft', 'hard', 'oomScoreAdj',
  'scheduler', 'policy', 'ioPriority', 'class', 'consoleSize', 'hostname', 'domainname', 'mounts', 'destination', 'source',
  'options', 'uidMappings', 'gidMappings', 'containerID', 'hostID', 'size', 'hooks', 'prestart', 'poststop', 'timeout',
  'annotations', 'linux', 'namespaces', 'sysctl', 'resources', 'devices', 'major', 'minor', 'access', 'allow', 'memory',
  'limit', 'cpu', 'pids', 'blockIO', 'weightDevice', 'hugepageLimits', 'pageSize', 'rdma', 'unified', 'network', 'seccomp',
  'defaultAction', 'syscalls', 'names', 'action', 'op', 'index', 'value', 'architectures', 'rootfsPropagation',
  'maskedPaths', 'readonlyPaths', 'personality', 'domain', 'timeOffsets', 'monotonic', 'secs', 'nanosecs', 'intelRdt',
  'closID', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '',
];

const weird: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      null, NaN, Infinity, -Infinity, -0, 0, 1, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 2 ** 64 * 2, 1e308,
      -1e308, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 10n, '', '/', 'rel', '/abs/path', '\0',
      'a\0b', 'CAP_FOO', 'CAP_SYS_ADMIN', 'RLIMIT_FOO', 'RLIMIT_NOFILE', 'user', 'time', 'net.core.somaxconn', 'kernel.hostname',
      true, false, '\ud800', '\u2028', 'line\nbreak',
      GIANT_STRING, GIANT_PATH,
    ),
  },
  {
    // big containers are built fresh for each use: mutations may write into them
    weight: 2,
    arbitrary: fc
      .constantFrom<() => unknown>(
        () => [],
        () => ({}),
        () => [null],
        () => [[]],
        () => [{}],
        () => ({ type: 'user' }),
        () => ({ path: 'x' }),
        () => deepArray(10_000),
        () => deepObject(10_000),
        () => deepObject(10_000, 'process'),
        () => JSON.parse('['.repeat(10_000) + ']'.repeat(10_000)),
        () => new Array(200_000).fill('CAP_CHOWN'),
        () => new Array(200_000).fill(7),
      )
      .map((make) => make()),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: invalidUtf8 },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(Number)) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 5 }), fc.constant(null)), { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }) },
);

// ---------------------------------------------------------------- mutation

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every (container, key) in the tree, breadth-first, capped (configs are small). */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const queue: unknown[] = [root];
  while (queue.length > 0 && out.length < 5000) {
    const v = queue.shift();
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i });
        if (typeof x === 'object' && x !== null) queue.push(x);
      });
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        out.push({ parent: v as Record<string, unknown>, key: k });
        if (typeof x === 'object' && x !== null) queue.push(x);
      }
    }
  }
  return out;
}

const mutation = fc.record({
  op: fc.constantFrom('delete', 'replace', 'replace', 'replace', 'add', 'duplicate'),
  where: fc.nat(),
  key: fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ unit: 'binary', maxLength: 10 })),
  value: weird,
});

function applyMutation(root: Record<string, unknown>, m: { op: string; where: number; key: string; value: unknown }): void {
  const all = slots(root);
  if (all.length === 0) {
    root[m.key] = m.value;
    return;
  }
  const { parent, key } = all[m.where % all.length];
  if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (m.op === 'replace') {
    (parent as Record<string, unknown>)[key as string] = m.value;
  } else if (m.op === 'duplicate') {
    // Duplicate array entries (namespaces, rlimits, …) or copy a value to another key.
    if (Array.isArray(parent)) parent.push(structuredCloneSafe(parent[key as number]));
    else parent[m.key] = structuredCloneSafe(parent[key as string]);
  } else {
    const target = (parent as Record<string, unknown>)[key as string];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) (target as Record<string, unknown>)[m.key] = m.value;
    else if (Array.isArray(target)) target.push(m.value);
    else (parent as Record<string, unknown>)[key as string] = { [m.key]: m.value };
  }
}

function structuredCloneSafe(v: unknown): unknown {
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}

// ---------------------------------------------------------------- the property

function outcome(fn: () => { warnings: string[] }): 'ok' | 'spec-error' {
  try {
    const r = fn();
    assert.ok(Array.isArray(r.warnings));
    for (const w of r.warnings) {
      assert.equal(typeof w, 'string');
      assert.ok(!/[\n\r]/.test(w), `multi-line warning: ${JSON.stringify(w)}`);
    }
    return 'ok';
  } catch (e) {
    if (!(e instanceof SpecError)) throw e; // any other exception fails the property
    const p = e.pointer;
    assert.ok(p === '' || (typeof p === 'string' && p.startsWith('/')), `bad pointer ${JSON.stringify(p)}`);
    assert.ok(!/[\n\r]/.test(e.message), `multi-line message: ${JSON.stringify(e.message.slice(0, 200))}`);
    assert.ok(e.message.length < 2000, 'message too long');
    return 'spec-error';
  }
}

function checkAll(v: unknown): void {
  outcome(() => validateSpec(v));
  outcome(() => validateSpec(structuredCloneSafe(v), { strict: true, forCreate: false }));
}

describe(`fuzz: validateSpec (${RUNS} runs per property)`, () => {
  test('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        checkAll(v);
        outcome(() => validateProcess(v, ''));
        outcome(() => validateResources(v, '/linux/resources'));
      }),
      params,
    );
  });

  test('arbitrary JS values with odd numbers and strings', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4, withBigInt: true, withNullPrototype: true, withSparseArray: true }), weird, (a, w) => {
        checkAll(a);
        checkAll(w);
      }),
      params,
    );
  });

  test('mutations of real and default configs (1–6 mutations each)', () => {
    let errors = 0;
    let total = 0;
    fc.assert(
      fc.property(fc.nat({ max: CORPUS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (which, muts) => {
        const cfg = structuredClone(CORPUS[which]) as Record<string, unknown>;
        for (const m of muts) applyMutation(cfg, m);
        total++;
        if (outcome(() => validateSpec(cfg)) === 'spec-error') errors++;
        outcome(() => validateSpec(structuredCloneSafe(cfg), { strict: true }));
        const proc = (cfg as { process?: unknown }).process;
        if (proc !== undefined) outcome(() => validateProcess(proc, '/process'));
      }),
      params,
    );
    // Sanity: the mutations do hit validated fields (neither all-pass nor all-fail).
    assert.ok(errors > 0 && errors < total, `errors ${errors} of ${total}`);
  });

  test('mutated config text (byte flips, truncation) -> parse error or SpecError', () => {
    const texts = CORPUS.map((c) => Buffer.from(JSON.stringify(c, null, 1)));
    fc.assert(
      fc.property(
        fc.nat({ max: texts.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, flips, cut) => {
          const buf = Buffer.from(texts[which]);
          for (const [pos, byte] of flips) buf[pos % buf.length] = byte;
          const text = (cut === undefined ? buf : buf.subarray(0, cut % buf.length)).toString('utf8');
          let parsed: unknown;
          let ok = true;
          try {
            parsed = JSON.parse(text);
          } catch {
            ok = false;
          }
          // the error locator agrees with JSON.parse on what is valid
          const located = findJsonError(text);
          assert.equal(located === null, ok, `findJsonError=${JSON.stringify(located)} JSON.parse ok=${ok} for ${JSON.stringify(text.slice(0, 80))}`);
          if (located) assert.ok(located.pos >= 0 && located.pos <= text.length);
          if (ok) checkAll(parsed);
        },
      ),
      params,
    );
  });

  test('findJsonError agrees with JSON.parse on random JSON-ish text', () => {
    const jsonish = fc.array(fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '-', '.', 'e', '+', 'true', 'null', 'f', ' ', '\n', 'a', '\u0001', '\ud800'), {
      maxLength: 30,
    });
    fc.assert(
      fc.property(fc.oneof(jsonish.map((a) => a.join('')), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        let ok = true;
        try {
          JSON.parse(text);
        } catch {
          ok = false;
        }
        assert.equal(findJsonError(text) === null, ok, JSON.stringify(text));
      }),
      params,
    );
  });

  test('fixed nasty inputs', () => {
    const nasty: unknown[] = [
      DEEP_ARRAY,
      DEEP_OBJECT,
      DEEP_PROCESS,
      DEEP_PARSED,
      JSON.parse('{"ociVersion":"1.0.0","root":{"path":"r"},"process":' + '{"process":'.repeat(10_000) + '1' + '}'.repeat(10_000) + '}'),
      { ...(structuredClone(CORPUS[0]) as object), annotations: { ['k'.repeat(1e5)]: 1 } },
      { ...(structuredClone(CORPUS[0]) as object), mounts: GIANT_ARRAY },
      { ...(structuredClone(CORPUS[0]) as object), ociVersion: GIANT_STRING },
      { ...(structuredClone(CORPUS[0]) as object), hostname: GIANT_STRING },
      Object.create(null),
    ];
    for (const v of nasty) checkAll(v);
    const big = structuredClone(CORPUS[0]) as { process: { args: unknown[]; env: unknown[] } };
    big.process.args = GIANT_ARRAY;
    big.process.env = new Array(100_000).fill('A=b');
    assert.equal(outcome(() => validateSpec(big)), 'ok');
  });
});
