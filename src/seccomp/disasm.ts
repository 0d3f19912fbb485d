// Readable listing of a seccomp BPF program, in the style of libseccomp's
// scmp_bpf_disasm / seccomp-tools:
//
//   line  OP   JT   JF   K
//   0000: 0x20 0x00 0x00 0x00000004   ld  [4]                 ; arch
//   0001: 0x15 0x00 0x05 0xc000003e   jeq #0xc000003e, 0, 5   ; AUDIT_ARCH_X86_64 -> 0002 / 0007
//   ...
//   0042: 0x06 0x00 0x00 0x7fff0000   ret ALLOW

import {
  AUDIT_ARCH_I386, AUDIT_ARCH_NAMES, AUDIT_ARCH_X86_64, BPF_A, BPF_ABS, BPF_ALU, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT,
  BPF_JMP, BPF_JSET, BPF_LD, BPF_LDX, BPF_LEN, BPF_MEM, BPF_MISC, BPF_RET, BPF_ST, BPF_STX, BPF_TXA, BPF_X,
  SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, X32_SYSCALL_BIT, retName,
} from './constants.ts';
import { decodeProgram } from './interp.ts';
import { syscallName } from './syscalls.ts';

const ALU: Record<number, string> = {
  0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and',
  0x60: 'lsh', 0x70: 'rsh', 0x80: 'neg', 0x90: 'mod', 0xa0: 'xor',
};
const JMP: Record<number, string> = { [BPF_JEQ]: 'jeq', [BPF_JGT]: 'jgt', [BPF_JGE]: 'jge', [BPF_JSET]: 'jset' };

function hex(n: number, w = 0): string {
  return '0x' + (n >>> 0).toString(16).padStart(w, '0');
}

function fieldName(k: number): string {
  if (k === SECCOMP_DATA_NR) return 'nr';
  if (k === SECCOMP_DATA_ARCH) return 'arch';
  if (k === 8) return 'ip lo';
  if (k === 12) return 'ip hi';
  if (k >= 16 && k < 64) return `args[${(k - 16) >> 3}] ${(k & 4) ? 'hi' : 'lo'}`;
  return '';
}

/**
 * Disassemble `program`. `comments` (one per instruction, as returned by
 * compileSeccomp) are appended after `;`. Syscall numbers compared right
 * after loading `nr` are annotated with their x86_64/x32/i386 names
 * according to the last architecture test seen.
 */
export function disassemble(program: Buffer, comments?: string[]): string {
  const insns = decodeProgram(program);
  const lines: string[] = ['line  OP   JT   JF   K', '================================='];
  // Forward data flow (jumps only go forward): what A holds and which audit
  // arch was matched on entry to each instruction ('?' where paths disagree).
  const inA = new Array<string | undefined>(insns.length);
  const inArch = new Array<number | undefined>(insns.length);
  inA[0] = '';
  inArch[0] = 0;
  const flow = (t: number, a: string, arch: number) => {
    if (t >= insns.length) return;
    inA[t] = inA[t] === undefined || inA[t] === a ? a : '?';
    inArch[t] = inArch[t] === undefined || inArch[t] === arch ? arch : -1;
  };
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc];
    const cls = code & 0x07;
    let loaded = inA[pc] ?? '';
    const arch = inArch[pc] ?? 0;
    let text: string;
    let note = '';
    switch (cls) {
      case BPF_LD: {
        const mode = code & 0xe0;
        if (mode === BPF_ABS) { text = `ld  [${k}]`; loaded = fieldName(k); note = loaded; }
        else if (mode === BPF_IMM) { text = `ld  #${hex(k)}`; loaded = ''; }
        else if (mode === BPF_MEM) { text = `ld  M[${k}]`; loaded = ''; }
        else if (mode === BPF_LEN) { text = 'ld  #len'; loaded = ''; }
        else text = `??? ${hex(code)}`;
        flow(pc + 1, loaded, arch);
        break;
      }
      case BPF_LDX: {
        const mode = code & 0xe0;
        text = mode === BPF_IMM ? `ldx #${hex(k)}` : mode === BPF_MEM ? `ldx M[${k}]` : mode === BPF_LEN ? 'ldx #len' : `??? ${hex(code)}`;
        flow(pc + 1, loaded, arch);
        break;
      }
      case BPF_ST: text = `st  M[${k}]`; flow(pc + 1, loaded, arch); break;
      case BPF_STX: text = `stx M[${k}]`; flow(pc + 1, loaded, arch); break;
      case BPF_ALU: {
        const op = ALU[code & 0xf0] ?? '???';
        text = op === 'neg' ? 'neg' : `${op} ${(code & 0x08) === BPF_X ? 'x' : '#' + hex(k)}`;
        flow(pc + 1, '', arch);
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === BPF_JA) {
          text = `ja  ${k}`;
          note = `-> ${pad4(pc + 1 + k)}`;
          flow(pc + 1 + k, loaded, arch);
          break;
        }
        const name = JMP[op] ?? '???';
        const imm = (code & 0x08) !== BPF_X;
        const src = !imm ? 'x' : loaded === 'nr' && k < X32_SYSCALL_BIT ? `#${k}` : `#${hex(k)}`;
        text = `${name} ${src}, ${jt}, ${jf}`;
        const tt = pc + 1 + jt;
        const ff = pc + 1 + jf;
        if (loaded === 'arch' && imm) {
          const an = AUDIT_ARCH_NAMES.get(k >>> 0);
          if (an) note = an;
          flow(tt, loaded, op === BPF_JEQ ? k >>> 0 : arch);
          flow(ff, loaded, arch);
        } else {
          if (loaded === 'nr' && imm) note = nrName(arch, k >>> 0) ?? '';
          flow(tt, loaded, arch);
          flow(ff, loaded, arch);
        }
        note = (note ? note + ' ' : '') + `-> ${pad4(tt)} / ${pad4(ff)}`;
        break;
      }
      case BPF_RET:
        text = (code & 0x18) === BPF_A ? 'ret A' : `ret ${retName(k)}`;
        break;
      case BPF_MISC:
        text = (code & 0xf8) === BPF_TXA ? 'txa' : 'tax';
        flow(pc + 1, (code & 0xf8) === BPF_TXA ? '' : loaded, arch);
        break;
      default:
        text = `??? ${hex(code)}`;
    }
    const c = comments?.[pc];
    const tail = [note, c].filter(Boolean).join(' | ');
    const raw = `${pad4(pc)}: ${hex(code, 2)} ${hex(jt, 2)} ${hex(jf, 2)} ${hex(k, 8)}`;
    lines.push(`${raw}   ${tail ? text.padEnd(24) + '; ' + tail : text}`);
  }
  return lines.join('\n') + '\n';
}

function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

function nrName(arch: number, nr: number): string | undefined {
  if (arch === AUDIT_ARCH_I386) return syscallName('x86', nr);
  if (arch === AUDIT_ARCH_X86_64) {
    return nr & X32_SYSCALL_BIT && nr !== 0xffffffff ? syscallName('x32', nr) : syscallName('x86_64', nr);
  }
  return undefined;
}
