// Test helpers for the seccomp compiler: an independent, linear reference
// evaluator of an OCI seccomp config (what verdict should the kernel reach for
// one syscall?) and shared fixtures. Deliberately naive: no intervals, no
// trees, no BPF - it walks the config for every query.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LinuxSeccomp } from '../../src/spec/types.ts';
import { syscallNumber } from '../../src/seccomp/syscalls.ts';
import { AUDIT_ARCH_NAMES } from '../../src/seccomp/constants.ts';
import { decodeProgram } from '../../src/seccomp/interp.ts';

export const AUDIT_X86_64 = 0xc000003e;
export const AUDIT_I386 = 0x40000003;
export const X32_BIT = 0x40000000;
export const RET = {
  KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000,
  NOTIFY: 0x7fc00000, TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000,
};

type Abi = 'x86_64' | 'x86' | 'x32';
export interface Data { nr: number; arch: number; args: bigint[] }

const SOCKETCALL = ['socket', 'bind', 'connect', 'listen', 'accept', 'getsockname', 'getpeername', 'socketpair',
  'send', 'recv', 'sendto', 'recvfrom', 'shutdown', 'setsockopt', 'getsockopt', 'sendmsg', 'recvmsg', 'accept4',
  'recvmmsg', 'sendmmsg'];
const IPC: Record<string, number> = { semop: 1, semget: 2, semctl: 3, semtimedop: 4, msgsnd: 11, msgrcv: 12, msgget: 13,
  msgctl: 14, shmat: 21, shmdt: 22, shmget: 23, shmctl: 24 };

export function actionValue(action: string, errnoRet: number | undefined): number {
  switch (action) {
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return RET.TRAP;
    case 'SCMP_ACT_ERRNO': return RET.ERRNO + (errnoRet ?? 1);
    case 'SCMP_ACT_TRACE': return RET.TRACE + (errnoRet ?? 1);
    case 'SCMP_ACT_LOG': return RET.LOG;
    case 'SCMP_ACT_ALLOW': return RET.ALLOW;
    case 'SCMP_ACT_NOTIFY': return RET.NOTIFY;
  }
  throw new Error(`bad action ${action}`);
}

function big(v: unknown): bigint {
  const b = BigInt(v as number | bigint | string);
  return b === 1n << 64n ? b - 1n : b;
}

interface RefCond { index: number; op: string; value: bigint; valueTwo: bigint }
interface Candidate { action: number; conds: RefCond[] }

/** Does one (possibly 32-bit truncated) argument test hold? null: the test is dropped (mask 0). */
function holds(c: RefCond, args: bigint[], wide: boolean): boolean | null {
  const m = wide ? (1n << 64n) - 1n : 0xffffffffn;
  const a = (args[c.index] ?? 0n) & m;
  const v = c.value & m;
  switch (c.op) {
    case 'SCMP_CMP_NE': return a !== v;
    case 'SCMP_CMP_LT': return a < v;
    case 'SCMP_CMP_LE': return a <= v;
    case 'SCMP_CMP_EQ': return a === v;
    case 'SCMP_CMP_GE': return a >= v;
    case 'SCMP_CMP_GT': return a > v;
    case 'SCMP_CMP_MASKED_EQ': return v === 0n ? null : (a & v) === (c.valueTwo & v);
  }
  throw new Error(`bad op ${c.op}`);
}

export interface RefResult {
  verdict: number;
  /** true when two or more argument rules with different actions match (precedence is a documented choice). */
  ambiguous: boolean;
}

/** Candidate rules for syscall `nr` on `abi`, in config order. */
function candidates(cfg: LinuxSeccomp, dflt: number, abi: Abi, nr: number): Candidate[] {
  const out: Candidate[] = [];
  for (const r of cfg.syscalls ?? []) {
    const action = actionValue(r.action, r.errnoRet);
    if (action === dflt) continue;
    const conds: RefCond[] = (r.args ?? []).map((a) => ({ index: a.index, op: a.op, value: big(a.value), valueTwo: big(a.valueTwo ?? 0) }));
    for (const name of r.names) {
      if (abi === 'x86') {
        const sc = SOCKETCALL.indexOf(name) + 1;
        if (sc > 0 && nr === 102) out.push({ action, conds: [{ index: 0, op: 'SCMP_CMP_EQ', value: BigInt(sc), valueTwo: 0n }, ...conds.filter((c) => c.index !== 0)] });
        if (IPC[name] !== undefined && nr === 117) out.push({ action, conds: [{ index: 0, op: 'SCMP_CMP_EQ', value: BigInt(IPC[name]), valueTwo: 0n }, ...conds.filter((c) => c.index !== 0)] });
      }
      if (syscallNumber(abi, name) === nr) out.push({ action, conds });
    }
  }
  return out;
}

function rulesVerdict(cfg: LinuxSeccomp, dflt: number, abi: Abi, d: Data): RefResult {
  const wide = abi === 'x86_64';
  const cands = candidates(cfg, dflt, abi, d.nr);
  // an unconditional rule (all tests dropped counts as none) wins; the first one
  for (const c of cands) {
    if (c.conds.every((k) => holds(k, d.args, wide) === null)) return { verdict: c.action, ambiguous: false };
  }
  const matching = cands.filter((c) => c.conds.every((k) => holds(k, d.args, wide) !== false));
  if (matching.length === 0) return { verdict: dflt, ambiguous: false };
  return { verdict: matching[0].action, ambiguous: matching.some((m) => m.action !== matching[0].action) };
}

export interface RefOptions { nativeArch?: Abi; enosysStub?: boolean }

/** The verdict runc (+ libseccomp) semantics give for one syscall. */
export function reference(cfg: LinuxSeccomp, d: Data, opts: RefOptions = {}): RefResult {
  const dflt = actionValue(cfg.defaultAction, cfg.defaultErrnoRet);
  const abis = new Set<string>([opts.nativeArch ?? 'x86_64']);
  for (const a of cfg.architectures ?? []) {
    if (a === 'SCMP_ARCH_X86_64') abis.add('x86_64');
    if (a === 'SCMP_ARCH_X86') abis.add('x86');
    if (a === 'SCMP_ARCH_X32') abis.add('x32');
  }
  const nr = d.nr >>> 0;
  const kill = { verdict: RET.KILL_THREAD, ambiguous: false };

  // 1. runc's -ENOSYS stub
  const allowish = [RET.ALLOW, RET.LOG].includes(dflt) || (dflt & 0xffff0000) === RET.TRACE;
  if ((opts.enosysStub ?? true) && !allowish && cfg.defaultErrnoRet !== 38) {
    const last = (abi: Abi) => {
      let max = 0;
      for (const r of cfg.syscalls ?? []) for (const n of r.names) {
        if (abi === 'x86' && (SOCKETCALL.includes(n) || IPC[n] !== undefined)) continue;
        max = Math.max(max, syscallNumber(abi, n) ?? 0);
      }
      return max;
    };
    const enosys = { verdict: RET.ERRNO + 38, ambiguous: false };
    if (d.arch === AUDIT_I386 && abis.has('x86') && last('x86') && nr > last('x86')) return enosys;
    if (d.arch === AUDIT_X86_64) {
      const bit = (nr & X32_BIT) !== 0;
      if (!bit && abis.has('x86_64') && last('x86_64') && nr > last('x86_64')) return enosys;
      if (bit && abis.has('x32') && last('x32') && nr > last('x32')) return enosys;
    }
  }

  // 2. libseccomp's filter
  if (d.arch === AUDIT_I386) return abis.has('x86') ? rulesVerdict(cfg, dflt, 'x86', { ...d, nr }) : kill;
  if (d.arch === AUDIT_X86_64) {
    const has64 = abis.has('x86_64');
    const has32 = abis.has('x32');
    if (has64 && has32) return rulesVerdict(cfg, dflt, nr >= X32_BIT ? 'x32' : 'x86_64', { ...d, nr });
    if (has64) return nr >= X32_BIT && nr !== 0xffffffff ? kill : rulesVerdict(cfg, dflt, 'x86_64', { ...d, nr });
    if (has32) return nr < X32_BIT ? kill : rulesVerdict(cfg, dflt, 'x32', { ...d, nr });
  }
  return kill;
}

/** /work/shared/clients relative to the repo: ../shared/clients */
export const CLIENTS_DIR = resolve(__dirname, '../../../shared/clients');

export function loadClientProfile(client: 'docker' | 'podman'): LinuxSeccomp | undefined {
  const f = resolve(CLIENTS_DIR, `config-${client}.json`);
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')).linux.seccomp as LinuxSeccomp;
}

/** Interesting u64 argument values: word boundaries, sign bits, extremes. */
export const EDGE_VALUES: bigint[] = [
  0n, 1n, 2n, 7n, 8n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000001n,
  0x1ffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0x8000000000000001n, 0xfffffffeffffffffn,
  0xffffffff00000000n, 0xfffffffffffffffen, 0xffffffffffffffffn,
];

/**
 * Data-flow check of what the accumulator holds at every conditional jump
 * (all jumps go forward, so one pass suffices). Returns a description of the
 * first comparison made on an ambiguous accumulator (paths that loaded
 * different words merge before it) or of a syscall-number-like constant
 * compared with seccomp_data.arch; null when every comparison is well defined.
 */
export function accumulatorProblem(program: Buffer): string | null {
  const insns = decodeProgram(program);
  const holds = new Array<string | undefined>(insns.length);
  holds[0] = '';
  const flow = (t: number, v: string) => {
    if (t < insns.length) holds[t] = holds[t] === undefined || holds[t] === v ? v : '?';
  };
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc];
    const a = holds[pc];
    if (a === undefined) continue; // unreachable
    switch (code & 7) {
      case 0: flow(pc + 1, code === 0x20 ? `[${k}]` : '#'); break; // ld
      case 4: flow(pc + 1, `${a}&${k}`); break; // alu
      case 5:
        if ((code & 0xf0) === 0) { flow(pc + 1 + k, a); break; } // ja
        if (a === '?') return `insn ${pc}: comparison on an ambiguous accumulator`;
        if (a === '[4]' && !AUDIT_ARCH_NAMES.has(k >>> 0)) return `insn ${pc}: compares seccomp_data.arch with ${k}`;
        flow(pc + 1 + jt, a); flow(pc + 1 + jf, a);
        break;
      case 6: break; // ret
      default: flow(pc + 1, '?');
    }
  }
  return null;
}
