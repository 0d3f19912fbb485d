import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkProgram, decodeProgram, disassemble, encodeProgram, runFilter,
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET,
  BPF_K, BPF_LD, BPF_LDX, BPF_MEM, BPF_MISC, BPF_RET, BPF_RSH, BPF_ST, BPF_TAX, BPF_W, BPF_X, BPF_LEN,
} from '../../src/seccomp/index.ts';
import type { Insn } from '../../src/seccomp/index.ts';

const I = (code: number, k = 0, jt = 0, jf = 0): Insn => ({ code, jt, jf, k });
const data = { nr: 59, arch: 0xc000003e, args: [0x1_0000_0002n, 5n] };

test('interpreter: loads, ALU, jumps, scratch memory, ret A', () => {
  const prog = encodeProgram([
    I(BPF_LD | BPF_W | BPF_ABS, 20), // args[0] hi = 1
    I(BPF_ALU | BPF_ADD | BPF_K, 41), // 42
    I(BPF_ST, 3),
    I(BPF_LD | BPF_W | BPF_ABS, 16), // args[0] lo = 2
    I(BPF_JMP | BPF_JSET | BPF_K, 2, 0, 5), // set -> next
    I(BPF_MISC | BPF_TAX), // X = 2
    I(BPF_LDX | BPF_W | BPF_MEM, 3), // X = 42
    I(BPF_LD | BPF_W | BPF_LEN), // A = 64
    I(BPF_ALU | BPF_RSH | BPF_K, 4), // 4
    I(BPF_ALU | BPF_ADD | BPF_X), // 46
    I(BPF_RET | BPF_A),
  ]);
  assert.equal(checkProgram(prog), null);
  assert.equal(runFilter(prog, data), 46);
});

test('interpreter: unsigned 32-bit comparisons and ja', () => {
  const prog = encodeProgram([
    I(BPF_LD | BPF_W | BPF_IMM, 0xffffffff),
    I(BPF_JMP | BPF_JGT | BPF_K, 0x7fffffff, 1, 0),
    I(BPF_RET | BPF_K, 1),
    I(BPF_JMP | BPF_JGE | BPF_K, 0xffffffff, 0, 2),
    I(BPF_JMP | BPF_JA, 1),
    I(BPF_RET | BPF_K, 2),
    I(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 0, 1),
    I(BPF_RET | BPF_K, 0x7fff0000),
    I(BPF_RET | BPF_K, 3),
  ]);
  assert.equal(runFilter(prog, data), 0x7fff0000);
  assert.match(disassemble(prog), /ret ALLOW/);
  assert.deepEqual(decodeProgram(prog)[1], I(BPF_JMP | BPF_JGT | BPF_K, 0x7fffffff, 1, 0));
});

test('checkProgram rejects what the kernel rejects', () => {
  assert.match(checkProgram(encodeProgram([I(BPF_LD | BPF_W | BPF_ABS, 2), I(BPF_RET | BPF_K)]))!, /load/);
  assert.match(checkProgram(encodeProgram([I(BPF_LD | BPF_W | BPF_ABS, 64), I(BPF_RET | BPF_K)]))!, /load/);
  assert.match(checkProgram(encodeProgram([I(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), I(BPF_RET | BPF_K)]))!, /out of range/);
  assert.match(checkProgram(encodeProgram([I(BPF_JMP | BPF_JA, 5), I(BPF_RET | BPF_K)]))!, /out of range/);
  assert.match(checkProgram(encodeProgram([I(BPF_LD | BPF_W | BPF_ABS, 0)]))!, /return/);
  assert.match(checkProgram(encodeProgram([I(BPF_ST, 16), I(BPF_RET | BPF_K)]))!, /M\[\]/);
  assert.match(checkProgram(Buffer.alloc(0))!, /length/);
  assert.throws(() => runFilter(encodeProgram([I(BPF_LD | BPF_W | BPF_ABS, 0)]), data), /fell off/);
  assert.equal(checkProgram(encodeProgram([I(BPF_ALU | BPF_AND | BPF_K, 1), I(BPF_RET | BPF_A)])), null);
});
