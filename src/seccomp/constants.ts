// Kernel ABI constants for seccomp filters (linux/seccomp.h, linux/audit.h,
// linux/filter.h) and the libseccomp/OCI names that map onto them.

// ---- audit architectures (seccomp_data.arch) ----
export const AUDIT_ARCH_X86_64 = 0xc000003e; // EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
export const AUDIT_ARCH_I386 = 0x40000003; // EM_386 | __AUDIT_ARCH_LE
/** x32 syscalls run with AUDIT_ARCH_X86_64 and this bit set in the number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** Audit arch values of the other SCMP_ARCH_* names (for disassembly only). */
export const AUDIT_ARCH_NAMES: ReadonlyMap<number, string> = new Map([
  [AUDIT_ARCH_X86_64, 'x86_64'],
  [AUDIT_ARCH_I386, 'i386'],
  [0x40000028, 'arm'],
  [0xc00000b7, 'aarch64'],
  [0x00000008, 'mips'],
  [0x80000008, 'mips64'],
  [0xa0000008, 'mips64n32'],
  [0x40000008, 'mipsel'],
  [0xc0000008, 'mipsel64'],
  [0xe0000008, 'mipsel64n32'],
  [0x00000014, 'ppc'],
  [0x80000015, 'ppc64'],
  [0xc0000015, 'ppc64le'],
  [0x00000016, 's390'],
  [0x80000016, 's390x'],
  [0x0000000f, 'parisc'],
  [0x8000000f, 'parisc64'],
  [0xc00000f3, 'riscv64'],
  [0xc0000102, 'loongarch64'],
  [0x00000004, 'm68k'],
  [0x4000002a, 'sh'],
  [0x0000002a, 'sheb'],
]);

/** ABIs skiff has syscall tables for (all can run on an x86_64 kernel). */
export type SeccompArch = 'x86_64' | 'x86' | 'x32';

/**
 * Every SCMP_ARCH_* name the runtime spec lists (libseccomp 2.6). Those that
 * map to null cannot execute on an x86_64 kernel, so their rules can never
 * apply and they are accepted and ignored (their audit arch hits the
 * bad-arch action, exactly as it would at runtime with libseccomp).
 */
export const SCMP_ARCHES: Readonly<Record<string, SeccompArch | null>> = {
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: null,
  SCMP_ARCH_AARCH64: null,
  SCMP_ARCH_MIPS: null,
  SCMP_ARCH_MIPS64: null,
  SCMP_ARCH_MIPS64N32: null,
  SCMP_ARCH_MIPSEL: null,
  SCMP_ARCH_MIPSEL64: null,
  SCMP_ARCH_MIPSEL64N32: null,
  SCMP_ARCH_PPC: null,
  SCMP_ARCH_PPC64: null,
  SCMP_ARCH_PPC64LE: null,
  SCMP_ARCH_S390: null,
  SCMP_ARCH_S390X: null,
  SCMP_ARCH_PARISC: null,
  SCMP_ARCH_PARISC64: null,
  SCMP_ARCH_RISCV64: null,
  SCMP_ARCH_LOONGARCH64: null,
  SCMP_ARCH_M68K: null,
  SCMP_ARCH_SH: null,
  SCMP_ARCH_SHEB: null,
};

// ---- filter return values (SECCOMP_RET_*) ----
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

export const EPERM = 1;
export const ENOSYS = 38;
/** The kernel caps SECCOMP_RET_ERRNO data at MAX_ERRNO. */
export const MAX_ERRNO = 4095;

// ---- seccomp(2) SECCOMP_SET_MODE_FILTER flags ----
export const SECCOMP_FILTER_FLAG_TSYNC = 1;
export const SECCOMP_FILTER_FLAG_LOG = 2;
export const SECCOMP_FILTER_FLAG_SPEC_ALLOW = 4;
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
export const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 16;
export const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 32;

/** Flag names accepted in `linux.seccomp.flags` (runtime spec list). */
export const SECCOMP_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_LOG: SECCOMP_FILTER_FLAG_LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: SECCOMP_FILTER_FLAG_SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
};

// ---- struct seccomp_data layout ----
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_IP = 8;
export const SECCOMP_DATA_ARGS = 16;
export const SECCOMP_DATA_SIZE = 64;

// ---- classic BPF opcodes (linux/filter.h) ----
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;
export const BPF_MAXINSNS = 4096;
export const BPF_MEMWORDS = 16;

/** Readable name of a SECCOMP_RET value: ALLOW, ERRNO(1), TRACE(5), ... */
export function retName(v: number): string {
  v >>>= 0;
  const action = (v & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = v & SECCOMP_RET_DATA;
  switch (action) {
    case SECCOMP_RET_KILL_PROCESS: return 'KILL_PROCESS';
    case SECCOMP_RET_KILL_THREAD: return 'KILL_THREAD';
    case SECCOMP_RET_TRAP: return data ? `TRAP(${data})` : 'TRAP';
    case SECCOMP_RET_ERRNO: return `ERRNO(${data})`;
    case SECCOMP_RET_USER_NOTIF: return 'USER_NOTIF';
    case SECCOMP_RET_TRACE: return `TRACE(${data})`;
    case SECCOMP_RET_LOG: return 'LOG';
    case SECCOMP_RET_ALLOW: return 'ALLOW';
    default: return `0x${v.toString(16).padStart(8, '0')}`;
  }
}
