// loadBundle / readJsonFile / findJsonError.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { SkiffError, SpecError } from '../../src/errors.ts';
import { formatSpec, defaultSpec } from '../../src/spec/default.ts';
import { findJsonError, loadBundle, loadProcessFile, MAX_CONFIG_SIZE, parseJson, readJsonFile } from '../../src/spec/load.ts';

const TMP = mkdtempSync(join(tmpdir(), 'skiff-load-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
let n = 0;

function bundle(config: string | Buffer | null, rootfs: 'dir' | 'file' | 'none' = 'dir'): string {
  const dir = join(TMP, `b${n++}`);
  mkdirSync(dir);
  if (config !== null) writeFileSync(join(dir, 'config.json'), config);
  if (rootfs === 'dir') mkdirSync(join(dir, 'rootfs'));
  if (rootfs === 'file') writeFileSync(join(dir, 'rootfs'), '');
  return dir;
}

function throwsSkiff(fn: () => unknown, message: RegExp | string, cls: new (...args: any[]) => SkiffError = SkiffError): SkiffError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
  if (typeof message === 'string') assert.equal(err.message, message);
  else assert.match(err.message, message);
  assert.ok(!err.message.includes('\n'), 'one-line message');
  return err;
}

describe('loadBundle', () => {
  test('valid bundle: absolute bundle and rootfs', () => {
    const dir = bundle(formatSpec(defaultSpec()));
    const b = loadBundle(dir);
    assert.equal(b.bundle, dir);
    assert.equal(b.rootfs, join(dir, 'rootfs'));
    assert.equal(b.spec.hostname, 'runc');
    assert.deepEqual(b.warnings, []);
  });
  test('relative bundle path resolves against the current directory', () => {
    const dir = bundle(formatSpec(defaultSpec()));
    const b = loadBundle(relative(process.cwd(), dir));
    assert.equal(b.bundle, dir);
    assert.equal(b.rootfs, join(dir, 'rootfs'));
  });
  test('absolute root.path; symlinked rootfs resolves to the real directory', () => {
    const real = join(TMP, `real${n++}`);
    mkdirSync(real);
    const s = defaultSpec();
    s.root!.path = real;
    assert.equal(loadBundle(bundle(formatSpec(s), 'none')).rootfs, real);
    const dir = bundle(formatSpec(defaultSpec()), 'none');
    symlinkSync(real, join(dir, 'rootfs'));
    assert.equal(loadBundle(dir).rootfs, real);
  });
  test('missing config.json', () => {
    const dir = bundle(null);
    throwsSkiff(() => loadBundle(dir), `open ${dir}/config.json: no such file or directory`);
  });
  test('missing bundle directory', () => {
    const dir = join(TMP, 'nope');
    throwsSkiff(() => loadBundle(dir), `bundle ${dir}: no such file or directory`);
  });
  test('config.json is a directory', () => {
    const dir = bundle(null);
    mkdirSync(join(dir, 'config.json'));
    throwsSkiff(() => loadBundle(dir), `read ${dir}/config.json: is a directory`);
  });
  test('malformed JSON: one line with line and column', () => {
    const dir = bundle('{\n\t"ociVersion": "1.0.2",\n\t"root": {"path": "rootfs",}\n}');
    throwsSkiff(() => loadBundle(dir), `${dir}/config.json: invalid JSON at line 3, column 28 (offset 53): expected a double-quoted property name, found character "}"`);
    const dir2 = bundle('{"ociVersion": "1.0.2"');
    throwsSkiff(() => loadBundle(dir2), /invalid JSON at line 1, column 23 \(offset 22\): unexpected end of input$/);
    const dir3 = bundle('');
    throwsSkiff(() => loadBundle(dir3), /line 1, column 1 \(offset 0\): unexpected end of input/);
  });
  test('larger than 16 MiB', () => {
    const big = Buffer.alloc(MAX_CONFIG_SIZE + 1, 0x20);
    big.write('{}', 0);
    const dir = bundle(big);
    throwsSkiff(() => loadBundle(dir), `${dir}/config.json: file too large (16777217 bytes, limit 16777216)`);
    const dir2 = bundle(formatSpec(defaultSpec()));
    throwsSkiff(() => loadBundle(dir2, { maxSize: 100 }), /file too large/);
  });
  test('missing rootfs: SpecError on /root/path', () => {
    const dir = bundle(formatSpec(defaultSpec()), 'none');
    const e = throwsSkiff(() => loadBundle(dir), `/root/path: invalid rootfs: stat ${dir}/rootfs: no such file or directory`, SpecError);
    assert.equal(e.pointer, '/root/path');
  });
  test('rootfs is not a directory', () => {
    const dir = bundle(formatSpec(defaultSpec()), 'file');
    const e = throwsSkiff(() => loadBundle(dir), `/root/path: invalid rootfs: ${dir}/rootfs is not a directory`, SpecError);
    assert.equal(e.pointer, '/root/path');
  });
  test('validation errors and options pass through', () => {
    const s = defaultSpec() as any;
    s.process.user.uid = -1;
    throwsSkiff(() => loadBundle(bundle(formatSpec(s))), /^\/process\/user\/uid: expected a non-negative integer, got -1$/, SpecError);
    const t = defaultSpec() as any;
    delete t.process;
    throwsSkiff(() => loadBundle(bundle(formatSpec(t))), '/process: is required', SpecError);
    assert.equal(loadBundle(bundle(formatSpec(t)), { forCreate: false }).spec.process, undefined);
    const u = defaultSpec() as any;
    u.process.capabilities.bounding.push('CAP_NOPE');
    assert.equal(loadBundle(bundle(formatSpec(u))).warnings.length, 1);
    throwsSkiff(() => loadBundle(bundle(formatSpec(u)), { strict: true }), /unknown capability "CAP_NOPE"/, SpecError);
  });
  test('invalid UTF-8 is read as U+FFFD (as Go does)', () => {
    const text = formatSpec(defaultSpec()).replace('"runc"', '"r__c"');
    const buf = Buffer.from(text);
    const at = buf.indexOf('r__c') + 1;
    buf[at] = 0xff;
    buf[at + 1] = 0xfe;
    assert.equal(loadBundle(bundle(buf)).spec.hostname, 'r\ufffd\ufffdc');
  });
});

describe('readJsonFile / loadProcessFile', () => {
  test('exec process file', () => {
    const f = join(TMP, `p${n++}.json`);
    writeFileSync(f, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['true'], cwd: '/' }));
    assert.deepEqual(loadProcessFile(f).warnings, []);
    writeFileSync(f, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['true'], cwd: 'x' }));
    throwsSkiff(() => loadProcessFile(f), /^\/cwd: must be an absolute path/, SpecError);
    throwsSkiff(() => readJsonFile(join(TMP, 'absent.json')), `open ${join(TMP, 'absent.json')}: no such file or directory`);
  });
  test('parseJson names its input', () => {
    throwsSkiff(() => parseJson('[1,]', 'process.json'), 'process.json: invalid JSON at line 1, column 4 (offset 3): unexpected character "]"');
  });
});

describe('findJsonError', () => {
  const cases: [string, number, RegExp][] = [
    ['{"a":}', 5, /unexpected character "}"/],
    ['{"a" 1}', 5, /expected ':'/],
    ['[1 2]', 3, /expected ',' or ']'/],
    ['{"a":1 "b":2}', 7, /expected ',' or '}'/],
    ['"abc', 4, /unterminated string/],
    ['"a\u0001"', 2, /control character U\+0001 in string/],
    ['"\\x"', 1, /invalid escape/],
    ['"\\u12g4"', 1, /invalid \\u escape/],
    ['-', 0, /invalid number/],
    ['01', 1, /after the JSON value/],
    ['{} x', 3, /unexpected character "x" after the JSON value/],
    ['\ufeff{}', 0, /byte order mark/],
    ['tru', 0, /unexpected character "t"/],
    ['[' .repeat(100000), 100000, /unexpected end of input/],
  ];
  for (const [text, pos, reason] of cases) {
    test(`${JSON.stringify(text.slice(0, 12))} -> offset ${pos}`, () => {
      assert.throws(() => JSON.parse(text));
      const r = findJsonError(text);
      assert.ok(r);
      assert.equal(r.pos, pos);
      assert.match(r.reason, reason);
    });
  }
  test('valid JSON has no error, deep nesting included', () => {
    for (const t of ['{}', '[]', '1', '-0.5e+3', '"\\u00e9\\n"', 'true', ' null ', '{"a":[1,{"b":[]}],"c":"d"}', '['.repeat(50000) + ']'.repeat(50000)]) {
      assert.equal(findJsonError(t), null, t.slice(0, 20));
    }
  });
});
