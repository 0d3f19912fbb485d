// cgroup v2 device access control: compile device rules into an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE (as runc's devicefilter.go
// does). Pure: returns the instructions as a Buffer of struct bpf_insn,
// ready for bpf(BPF_PROG_LOAD). Attaching is done by the addon
// (native/addon/bpf.c).
//
// The program sees struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// where access_type = (access << 16) | type, type: BLOCK=1 CHAR=2,
// access: MKNOD=1 READ=2 WRITE=4. It returns 1 to allow, 0 to deny.
import { endianness } from 'node:os';
import { DeviceEmulator, type DeviceRule } from './devices.ts';

export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;

// opcodes (include/uapi/linux/bpf.h, bpf_common.h)
export const OP = {
  LDXW: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  AND32_K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  RSH32_K: 0x74, // BPF_ALU | BPF_RSH | BPF_K
  MOV32_X: 0xbc, // BPF_ALU | BPF_MOV | BPF_X
  MOV32_K: 0xb4, // BPF_ALU | BPF_MOV | BPF_K
  JEQ_K: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JNE_K: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  JNE_X: 0x5d, // BPF_JMP | BPF_JNE | BPF_X
  EXIT: 0x95, // BPF_JMP | BPF_EXIT
} as const;

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

export const LICENSE = 'Apache';

/**
 * Build the program for an ordered list of rules (OCI order; "a" rules reset
 * the policy). Returns the instruction list; use encodeProgram for the bytes.
 */
export function deviceFilterInsns(rules: DeviceRule[]): Insn[] {
  const emu = DeviceEmulator.fromRules(rules);
  const defaultAllow = emu.defaultAllow;
  const prog: Insn[] = [
    ins(OP.LDXW, R2, R1, 0, 0), // R2 = ctx->access_type
    ins(OP.AND32_K, R2, 0, 0, 0xffff), // R2 = type
    ins(OP.LDXW, R3, R1, 0, 0),
    ins(OP.RSH32_K, R3, 0, 0, 16), // R3 = access
    ins(OP.LDXW, R4, R1, 4, 0), // R4 = major
    ins(OP.LDXW, R5, R1, 8, 0), // R5 = minor
  ];
  for (const ex of emu.exceptions()) {
    const block: Insn[] = [];
    // Jumps get off = -1 as a placeholder for "to the next block".
    block.push(ins(OP.JNE_K, R2, 0, -1, ex.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
    let acc = 0;
    for (const c of ex.access) acc |= c === 'r' ? BPF_DEVCG_ACC_READ : c === 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    if (acc !== 7) {
      // R1 is free after the loads. Like the kernel's v1 controller: an
      // allow exception must cover every requested bit; a deny exception
      // (black-list) matches as soon as one requested bit overlaps.
      if (!defaultAllow) {
        // if ((access & acc) != access) goto next
        block.push(ins(OP.MOV32_X, R1, R3, 0, 0), ins(OP.AND32_K, R1, 0, 0, acc), ins(OP.JNE_X, R1, R3, -1, 0));
      } else {
        // if ((access & acc) == 0) goto next
        block.push(ins(OP.MOV32_X, R1, R3, 0, 0), ins(OP.AND32_K, R1, 0, 0, acc), ins(OP.JEQ_K, R1, 0, -1, 0));
      }
    }
    if (ex.major !== -1) block.push(ins(OP.JNE_K, R4, 0, -1, ex.major));
    if (ex.minor !== -1) block.push(ins(OP.JNE_K, R5, 0, -1, ex.minor));
    block.push(ins(OP.MOV32_K, R0, 0, 0, defaultAllow ? 0 : 1), ins(OP.EXIT, 0, 0, 0, 0));
    block.forEach((b, j) => {
      if (b.off === -1) b.off = block.length - j - 1;
    });
    prog.push(...block);
  }
  prog.push(ins(OP.MOV32_K, R0, 0, 0, defaultAllow ? 1 : 0), ins(OP.EXIT, 0, 0, 0, 0));
  return prog;
}

/** struct bpf_insn[] in host byte order: u8 code; u8 dst:4, src:4; s16 off; s32 imm. */
export function encodeProgram(insns: Insn[], endian: 'LE' | 'BE' = endianness()): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    const o = i * 8;
    buf[o] = x.code;
    buf[o + 1] = endian === 'LE' ? (x.dst & 0xf) | ((x.src & 0xf) << 4) : ((x.dst & 0xf) << 4) | (x.src & 0xf);
    if (endian === 'LE') {
      buf.writeInt16LE(x.off, o + 2);
      buf.writeInt32LE(x.imm | 0, o + 4);
    } else {
      buf.writeInt16BE(x.off, o + 2);
      buf.writeInt32BE(x.imm | 0, o + 4);
    }
  });
  return buf;
}

export function decodeProgram(buf: Buffer, endian: 'LE' | 'BE' = endianness()): Insn[] {
  const out: Insn[] = [];
  for (let o = 0; o + 8 <= buf.length; o += 8) {
    const regs = buf[o + 1];
    out.push({
      code: buf[o],
      dst: endian === 'LE' ? regs & 0xf : regs >> 4,
      src: endian === 'LE' ? regs >> 4 : regs & 0xf,
      off: endian === 'LE' ? buf.readInt16LE(o + 2) : buf.readInt16BE(o + 2),
      imm: endian === 'LE' ? buf.readInt32LE(o + 4) : buf.readInt32BE(o + 4),
    });
  }
  return out;
}

/** The program bytes for a rule list. */
export function deviceFilterProgram(rules: DeviceRule[]): Buffer {
  return encodeProgram(deviceFilterInsns(rules));
}
