// A classic-BPF interpreter for the subset the kernel accepts in seccomp
// filters (seccomp_check_filter): loads from struct seccomp_data, scratch
// memory, ALU, forward jumps, returns. Used by tests and `explain`.

import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT,
  BPF_JMP, BPF_JSET, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MAXINSNS, BPF_MEM, BPF_MEMWORDS,
  BPF_MISC, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB,
  BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR, BPF_A, SECCOMP_DATA_SIZE,
} from './constants.ts';

export interface SeccompData {
  nr: number;
  arch: number;
  ip?: bigint;
  /** Up to six u64 arguments (missing ones are 0). */
  args: bigint[];
}

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Decode struct sock_filter[] (8 bytes each, little endian). */
export function decodeProgram(program: Buffer): Insn[] {
  if (program.length % 8 !== 0) throw new Error(`BPF program length ${program.length} is not a multiple of 8`);
  const out: Insn[] = [];
  for (let off = 0; off < program.length; off += 8) {
    out.push({
      code: program.readUInt16LE(off),
      jt: program[off + 2],
      jf: program[off + 3],
      k: program.readUInt32LE(off + 4),
    });
  }
  return out;
}

/** Encode instructions as struct sock_filter[] (little endian). */
export function encodeProgram(insns: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((i, n) => {
    buf.writeUInt16LE(i.code, n * 8);
    buf[n * 8 + 2] = i.jt;
    buf[n * 8 + 3] = i.jf;
    buf.writeUInt32LE(i.k >>> 0, n * 8 + 4);
  });
  return buf;
}

const MASK64 = (1n << 64n) - 1n;

function seccompWords(d: SeccompData): Uint32Array {
  const w = new Uint32Array(SECCOMP_DATA_SIZE / 4);
  w[0] = d.nr >>> 0;
  w[1] = d.arch >>> 0;
  const ip = (d.ip ?? 0n) & MASK64;
  w[2] = Number(ip & 0xffffffffn);
  w[3] = Number(ip >> 32n);
  for (let i = 0; i < 6; i++) {
    const a = (d.args[i] ?? 0n) & MASK64;
    w[4 + 2 * i] = Number(a & 0xffffffffn);
    w[5 + 2 * i] = Number(a >> 32n);
  }
  return w;
}

const decoded = new WeakMap<Buffer, Insn[]>();

/**
 * Run a seccomp filter on one syscall. Returns the filter's 32-bit
 * SECCOMP_RET_* value. Throws on programs the kernel would reject when they
 * are reached (bad opcode, out-of-range load or jump, falling off the end).
 * `trace` collects the index of every instruction executed.
 */
export function runFilter(program: Buffer, data: SeccompData, trace?: number[]): number {
  let prog = decoded.get(program);
  if (prog === undefined) {
    prog = decodeProgram(program);
    if (prog.length === 0 || prog.length > BPF_MAXINSNS) throw new Error(`BPF program has ${prog.length} instructions`);
    decoded.set(program, prog);
  }
  const words = seccompWords(data);
  const mem = new Uint32Array(BPF_MEMWORDS);
  let A = 0;
  let X = 0;
  let pc = 0;
  for (;;) {
    if (pc >= prog.length) throw new Error(`BPF: fell off the end of the program (pc=${pc})`);
    trace?.push(pc); // `explain --syscall`: the path taken
    const { code, jt, jf, k } = prog[pc];
    const cls = code & 0x07;
    switch (cls) {
      case BPF_LD: {
        const mode = code & 0xe0;
        if (mode === BPF_ABS) {
          if ((code & 0x18) !== BPF_W || k % 4 !== 0 || k >= SECCOMP_DATA_SIZE) {
            throw new Error(`BPF: invalid seccomp_data load at ${pc} (k=${k})`);
          }
          A = words[k / 4];
        } else if (mode === BPF_IMM) A = k >>> 0;
        else if (mode === BPF_MEM) A = mem[checkMem(k, pc)];
        else if (mode === BPF_LEN) A = SECCOMP_DATA_SIZE;
        else throw new Error(`BPF: unsupported load 0x${code.toString(16)} at ${pc}`);
        pc++;
        break;
      }
      case BPF_LDX: {
        const mode = code & 0xe0;
        if (mode === BPF_IMM) X = k >>> 0;
        else if (mode === BPF_MEM) X = mem[checkMem(k, pc)];
        else if (mode === BPF_LEN) X = SECCOMP_DATA_SIZE;
        else throw new Error(`BPF: unsupported ldx 0x${code.toString(16)} at ${pc}`);
        pc++;
        break;
      }
      case BPF_ST: mem[checkMem(k, pc)] = A; pc++; break;
      case BPF_STX: mem[checkMem(k, pc)] = X; pc++; break;
      case BPF_ALU: {
        const op = code & 0xf0;
        const src = (code & 0x08) === BPF_X ? X : k >>> 0;
        switch (op) {
          case BPF_ADD: A = (A + src) >>> 0; break;
          case BPF_SUB: A = (A - src) >>> 0; break;
          case BPF_MUL: A = Math.imul(A, src) >>> 0; break;
          case BPF_DIV: if (src === 0) return 0; A = Math.floor(A / src) >>> 0; break;
          case BPF_MOD: if (src === 0) return 0; A = (A % src) >>> 0; break;
          case BPF_OR: A = (A | src) >>> 0; break;
          case BPF_AND: A = (A & src) >>> 0; break;
          case BPF_XOR: A = (A ^ src) >>> 0; break;
          case BPF_LSH: A = src >= 32 ? 0 : (A << src) >>> 0; break;
          case BPF_RSH: A = src >= 32 ? 0 : A >>> src; break;
          case BPF_NEG: A = -A >>> 0; break;
          default: throw new Error(`BPF: unsupported alu 0x${code.toString(16)} at ${pc}`);
        }
        pc++;
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === BPF_JA) {
          pc += 1 + (k >>> 0);
          break;
        }
        const src = (code & 0x08) === BPF_X ? X : k >>> 0;
        let cond: boolean;
        switch (op) {
          case BPF_JEQ: cond = A === src; break;
          case BPF_JGT: cond = A > src; break;
          case BPF_JGE: cond = A >= src; break;
          case BPF_JSET: cond = (A & src) !== 0; break;
          default: throw new Error(`BPF: unsupported jump 0x${code.toString(16)} at ${pc}`);
        }
        pc += 1 + (cond ? jt : jf);
        break;
      }
      case BPF_RET: {
        const rv = code & 0x18;
        if (rv === 0 /* BPF_K */) return k >>> 0;
        if (rv === BPF_A) return A >>> 0;
        throw new Error(`BPF: unsupported ret 0x${code.toString(16)} at ${pc}`);
      }
      case BPF_MISC: {
        if ((code & 0xf8) === BPF_TAX) X = A;
        else if ((code & 0xf8) === BPF_TXA) A = X;
        else throw new Error(`BPF: unsupported misc 0x${code.toString(16)} at ${pc}`);
        pc++;
        break;
      }
      default:
        throw new Error(`BPF: unsupported opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
}

function checkMem(k: number, pc: number): number {
  if (k >= BPF_MEMWORDS) throw new Error(`BPF: scratch memory index ${k} out of range at ${pc}`);
  return k;
}

/**
 * Static checks the kernel applies to a seccomp filter (bpf_check_classic +
 * seccomp_check_filter): size, known opcodes, aligned seccomp_data loads,
 * jumps inside the program, scratch memory bounds, ends with a return.
 * Returns null when the program is acceptable, else the first problem.
 */
export function checkProgram(program: Buffer): string | null {
  if (program.length === 0 || program.length % 8 !== 0) return `bad program length ${program.length}`;
  const insns = decodeProgram(program);
  if (insns.length > BPF_MAXINSNS) return `${insns.length} instructions > ${BPF_MAXINSNS}`;
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc];
    const cls = code & 0x07;
    const where = `insn ${pc}`;
    switch (cls) {
      case BPF_LD: {
        const mode = code & 0xe0;
        if (mode === BPF_ABS) {
          if ((code & 0x18) !== BPF_W || k % 4 !== 0 || k >= SECCOMP_DATA_SIZE) return `${where}: bad seccomp_data load`;
        } else if (mode === BPF_MEM) { if (k >= BPF_MEMWORDS) return `${where}: bad M[] index`; }
        else if (mode !== BPF_IMM && mode !== BPF_LEN) return `${where}: bad load mode`;
        break;
      }
      case BPF_LDX: {
        const mode = code & 0xe0;
        if (mode === BPF_MEM) { if (k >= BPF_MEMWORDS) return `${where}: bad M[] index`; }
        else if (mode !== BPF_IMM && mode !== BPF_LEN) return `${where}: bad ldx mode`;
        break;
      }
      case BPF_ST: case BPF_STX: if (k >= BPF_MEMWORDS) return `${where}: bad M[] index`; break;
      case BPF_ALU: {
        const op = code & 0xf0;
        if (op > BPF_XOR) return `${where}: bad alu op`;
        if ((op === BPF_DIV || op === BPF_MOD) && (code & 0x08) === 0 && k === 0) return `${where}: division by zero`;
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === BPF_JA) { if (pc + 1 + (k >>> 0) >= insns.length) return `${where}: ja out of range`; }
        else if (op === BPF_JEQ || op === BPF_JGT || op === BPF_JGE || op === BPF_JSET) {
          if (pc + 1 + jt >= insns.length || pc + 1 + jf >= insns.length) return `${where}: jump out of range`;
        } else return `${where}: bad jump op`;
        break;
      }
      case BPF_RET: if ((code & 0x18) !== 0 && (code & 0x18) !== BPF_A) return `${where}: bad ret`; break;
      case BPF_MISC: if ((code & 0xf8) !== BPF_TAX && (code & 0xf8) !== BPF_TXA) return `${where}: bad misc`; break;
    }
  }
  if ((insns[insns.length - 1].code & 0x07) !== BPF_RET) return 'program does not end with a return';
  return null;
}
