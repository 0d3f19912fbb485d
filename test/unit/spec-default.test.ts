// defaultSpec()/formatSpec() reproduce `runc spec` byte for byte; the
// capability and rlimit tables.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CAP_LAST_CAP, CAPABILITIES, capMask, capName, capNames, capNumber } from '../../src/spec/capabilities.ts';
import { defaultSpec, formatSpec, goQuote } from '../../src/spec/default.ts';
import { RLIM_INFINITY, RLIMITS, rlimitName, rlimitNumber, rlimitValue } from '../../src/spec/rlimits.ts';
import { validateSpec } from '../../src/spec/validate.ts';

const FIX = join(__dirname, '../fixtures/spec');

function runcPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function runcSpec(args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-runc-spec-'));
  try {
    execFileSync('runc', ['spec', ...args], { cwd: dir, stdio: 'ignore' });
    return readFileSync(join(dir, 'config.json'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('defaultSpec / formatSpec', () => {
  test('byte-identical to the recorded `runc spec` output', () => {
    assert.equal(formatSpec(defaultSpec()), readFileSync(join(FIX, 'runc-spec.json'), 'utf8'));
  });
  test('byte-identical to the recorded `runc spec --rootless` output (uid/gid 0)', () => {
    assert.equal(formatSpec(defaultSpec({ rootless: true, uid: 0, gid: 0 })), readFileSync(join(FIX, 'runc-spec-rootless-uid0.json'), 'utf8'));
  });
  test('byte-identical to the installed runc, if any', { skip: runcPath() === undefined ? 'runc is not installed' : false }, () => {
    assert.equal(formatSpec(defaultSpec()), runcSpec([]));
    assert.equal(formatSpec(defaultSpec({ rootless: true })), runcSpec(['--rootless']));
  });
  test('the default specs validate without warnings, also strictly', () => {
    assert.deepEqual(validateSpec(defaultSpec(), { strict: true }).warnings, []);
    assert.deepEqual(validateSpec(defaultSpec({ rootless: true, uid: 1000, gid: 1000 }), { strict: true }).warnings, []);
  });
  test('round trip: parse(format(spec)) equals spec and re-formats identically', () => {
    for (const s of [defaultSpec(), defaultSpec({ rootless: true })]) {
      const text = formatSpec(s);
      const back = JSON.parse(text);
      assert.deepEqual(back, s);
      assert.equal(formatSpec(validateSpec(back).spec), text);
    }
  });
  test('fresh object per call', () => {
    const a = defaultSpec();
    a.process!.args!.push('x');
    assert.deepEqual(defaultSpec().process!.args, ['sh']);
  });
  test('rootless mappings use the given (default: effective) ids', () => {
    const s = defaultSpec({ rootless: true, uid: 1000, gid: 100 });
    assert.deepEqual(s.linux!.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
    assert.deepEqual(s.linux!.gidMappings, [{ containerID: 0, hostID: 100, size: 1 }]);
    assert.equal(s.linux!.namespaces!.some((n) => n.type === 'network'), false);
    assert.equal(s.linux!.resources, undefined);
    assert.equal(defaultSpec({ rootless: true }).linux!.uidMappings![0].hostID, process.geteuid!());
  });
  test('Go string escaping (go1.19 encoding/json, HTML-safe)', () => {
    assert.equal(goQuote('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
    assert.equal(goQuote('\b\f\n\r\t\u0001"\\'), '"\\u0008\\u000c\\n\\r\\t\\u0001\\"\\\\"');
    assert.equal(goQuote('\u2028\u2029\u007f'), '"\\u2028\\u2029\u007f"');
    assert.equal(goQuote('lone \ud800 high, pair \u{1f600}'), '"lone \\ufffd high, pair \u{1f600}"');
    assert.equal(goQuote('é/'), '"é/"');
  });
  test('empty containers and big integers as Go prints them', () => {
    const s = defaultSpec();
    s.annotations = {};
    s.process!.env = [];
    s.process!.rlimits = [{ type: 'RLIMIT_CORE', hard: 18446744073709551615, soft: 9007199254740993 }];
    const text = formatSpec(s);
    assert.match(text, /\n\t"annotations": \{\},?\n/);
    assert.match(text, /\n\t\t"env": \[\],\n/);
    assert.match(text, /"hard": 18446744073709551615,\n\t+"soft": 9007199254740992\n/);
  });
});

describe('capabilities table', () => {
  test('CAP_CHOWN=0 … CAP_CHECKPOINT_RESTORE=40', () => {
    assert.equal(CAPABILITIES.length, 41);
    assert.equal(CAP_LAST_CAP, 40);
    assert.equal(capNumber('CAP_CHOWN'), 0);
    assert.equal(capNumber('CAP_NET_BIND_SERVICE'), 10);
    assert.equal(capNumber('CAP_SYS_ADMIN'), 21);
    assert.equal(capNumber('CAP_SETFCAP'), 31);
    assert.equal(capNumber('CAP_AUDIT_READ'), 37);
    assert.equal(capNumber('CAP_BPF'), 39);
    assert.equal(capNumber('CAP_CHECKPOINT_RESTORE'), 40);
    assert.equal(capNumber('cap_chown'), undefined, 'case-sensitive like runc');
    assert.equal(capNumber('__proto__'), undefined);
    assert.equal(capName(29), 'CAP_AUDIT_WRITE');
    assert.equal(capName(41), undefined);
    for (let i = 0; i <= CAP_LAST_CAP; i++) assert.equal(capNumber(capName(i)!), i);
  });
  test('capMask builds 64-bit masks, reports unknown names once', () => {
    assert.deepEqual(capMask(['CAP_CHOWN', 'CAP_KILL']), { mask: 0b100001n, unknown: [] });
    assert.deepEqual(capMask(['CAP_CHECKPOINT_RESTORE', 'CAP_SETFCAP']), { mask: (1n << 40n) | (1n << 31n), unknown: [] });
    assert.deepEqual(capMask(['CAP_FOO', 'CAP_KILL', 'CAP_FOO']), { mask: 1n << 5n, unknown: ['CAP_FOO'] });
    assert.deepEqual(capMask(undefined), { mask: 0n, unknown: [] });
    assert.equal(capMask([...CAPABILITIES]).mask, (1n << 41n) - 1n);
  });
  test('capMask with the kernel cap_last_cap: newer capabilities are unavailable', () => {
    assert.deepEqual(capMask(['CAP_BPF', 'CAP_CHOWN', 'CAP_PERFMON'], 37), { mask: 1n, unknown: ['CAP_BPF', 'CAP_PERFMON'] });
  });
  test('capNames is the inverse of capMask', () => {
    const names = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_BPF'];
    assert.deepEqual(capNames(capMask(names).mask), ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE', 'CAP_BPF']);
  });
});

describe('rlimits table', () => {
  test('names <-> numbers (Linux x86_64)', () => {
    assert.equal(RLIMITS.length, 16);
    assert.equal(rlimitNumber('RLIMIT_CPU'), 0);
    assert.equal(rlimitNumber('RLIMIT_NPROC'), 6);
    assert.equal(rlimitNumber('RLIMIT_NOFILE'), 7);
    assert.equal(rlimitNumber('RLIMIT_AS'), 9);
    assert.equal(rlimitNumber('RLIMIT_RTTIME'), 15);
    assert.equal(rlimitNumber('RLIMIT_FOO'), undefined);
    assert.equal(rlimitName(8), 'RLIMIT_MEMLOCK');
    assert.equal(rlimitName(16), undefined);
  });
  test('rlimitValue maps the parsed 2^64-1 to RLIM_INFINITY', () => {
    assert.equal(rlimitValue(JSON.parse('18446744073709551615')), RLIM_INFINITY);
    assert.equal(rlimitValue(1024), 1024n);
    assert.equal(rlimitValue(2 ** 53), 2n ** 53n);
  });
});
