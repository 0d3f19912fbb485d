// The init protocol: TLV encoding round-trips, and the C side (compiled
// against the header generated from protocol.ts) agrees on every constant
// and on the wire layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attr, Msg, Op, cHeader, HEADER_LEN } from '../../src/native/protocol.ts';
import { Reader, Writer, attrStr, attrU32, parseAttrs } from '../../src/native/tlv.ts';
import { encodePlan } from '../../src/plan/encode.ts';

test('a message round-trips through Writer and Reader, split at every byte', () => {
  const w = new Writer();
  w.u32(Attr.PID, 4242);
  w.str(Attr.MESSAGE, 'héllo');
  w.u64(Attr.U64, 2n ** 63n + 5n);
  const msg = w.message(Msg.PID);
  assert.equal(msg.readUInt32LE(0), msg.length);
  assert.equal(msg.length % 4, 0);
  for (let cut = 0; cut <= msg.length; cut++) {
    const r = new Reader();
    const got = [...r.push(msg.subarray(0, cut)), ...r.push(msg.subarray(cut))];
    assert.equal(got.length, 1);
    assert.equal(got[0].type, Msg.PID);
    assert.equal(attrU32(got[0], Attr.PID), 4242);
    assert.equal(attrStr(got[0], Attr.MESSAGE), 'héllo');
    assert.equal(got[0].attrs[2].data.readBigUInt64LE(0), 2n ** 63n + 5n);
  }
});

test('attributes are padded to 4 bytes and an oversized one is refused', () => {
  const w = new Writer();
  w.str(Attr.STR, 'a'); // 4 + 2 bytes → padded to 8
  const body = w.message(1).subarray(HEADER_LEN);
  assert.equal(body.length, 8);
  assert.equal(body.readUInt16LE(0), 6);
  assert.deepEqual(parseAttrs(body).map((a) => a.data.toString()), ['a\0']);
  assert.throws(() => new Writer().str(Attr.STR, 'x'.repeat(70000)), /too large/);
});

test('a plan encodes each op as opcode + positional args', () => {
  const buf = encodePlan({ ops: [{ op: 'SETHOSTNAME', args: [{ t: 'str', v: 'box' }], source: '/hostname', what: '' }, { op: 'EXEC', args: [{ t: 'strv', v: ['sh', '-c'] }, { t: 'strv', v: [] }], source: '', what: '' }] });
  assert.equal(buf.readUInt16LE(4), Msg.PLAN);
  const ops = parseAttrs(buf.subarray(HEADER_LEN));
  assert.equal(ops.length, 2);
  assert.equal(ops[0].type, Attr.OP);
  assert.equal(ops[0].data.readUInt16LE(0), Op.SETHOSTNAME);
  assert.equal(ops[0].data.readUInt16LE(2), 1);
  const args = parseAttrs(ops[0].data.subarray(4));
  assert.equal(args[0].type, Attr.STR);
  assert.equal(args[0].data.toString(), 'box\0');
  const strv = parseAttrs(parseAttrs(ops[1].data.subarray(4))[0].data);
  assert.deepEqual(strv.map((a) => a.data.toString()), ['sh\0', '-c\0']);
});

test('op, message and attribute codes are unique', () => {
  for (const t of [Op, Msg, Attr]) {
    const v = Object.values(t);
    assert.equal(new Set(v).size, v.length, JSON.stringify(t));
  }
});

test('the C side agrees with protocol.ts (compiled probe)', (t) => {
  if (spawnSync('gcc', ['--version']).status !== 0) return t.skip('gcc not installed');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-proto-'));
  try {
    writeFileSync(join(dir, 'protocol.h'), cHeader());
    const names = [
      ...Object.keys(Msg).map((k) => `MSG_${k}`),
      ...Object.keys(Attr).map((k) => `A_${k}`),
      ...Object.keys(Op).map((k) => `OP_${k}`),
      'HEADER_LEN',
    ];
    const src = `#include <stdio.h>\n#include "protocol.h"\nint main(void){\n${names.map((n) => `printf("${n}=%d\\n", (int)(${n}));`).join('\n')}\nprintf("op_names_len=%d\\n", (int)(sizeof op_names / sizeof op_names[0]));\nreturn 0;}\n`;
    writeFileSync(join(dir, 'probe.c'), src);
    execFileSync('gcc', ['-Wall', '-Werror', '-o', join(dir, 'probe'), join(dir, 'probe.c')], { cwd: dir });
    const out = Object.fromEntries(execFileSync(join(dir, 'probe'), { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('=')));
    for (const [k, v] of Object.entries(Msg)) assert.equal(Number(out[`MSG_${k}`]), v, k);
    for (const [k, v] of Object.entries(Attr)) assert.equal(Number(out[`A_${k}`]), v, k);
    for (const [k, v] of Object.entries(Op)) assert.equal(Number(out[`OP_${k}`]), v, k);
    assert.equal(Number(out.HEADER_LEN), HEADER_LEN);
    assert.equal(Number(out.op_names_len), Math.max(...Object.values(Op)) + 1);
    // the committed build uses the same generator
    const built = join(__dirname, '../../build/protocol.h');
    if (existsSync(built)) assert.equal(require('node:fs').readFileSync(built, 'utf8'), cHeader(), 'build/protocol.h is stale: run the build');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
