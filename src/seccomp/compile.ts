// OCI linux.seccomp -> classic BPF program for seccomp(SECCOMP_SET_MODE_FILTER),
// in pure TypeScript (no libseccomp). Semantics follow runc + libseccomp; the
// choices that are not obvious are listed in src/seccomp/README.md.
//
// Pipeline: validate/normalise the config -> per ABI, resolve names to numbers
// and build one outcome per syscall number (a return value, or a block of
// argument checks) -> turn the 32-bit syscall-number space of each audit arch
// into sorted intervals -> emit a balanced binary search tree of `jge`
// instructions over the interval boundaries. Code is emitted back to front so
// every jump target is already placed when the jump is written: long forward
// jumps (> 255) get a `ja` trampoline, far returns are duplicated.

import { SpecError } from '../errors.ts';
import type { LinuxSeccomp, LinuxSeccompArg } from '../spec/types.ts';
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE,
  BPF_JGT, BPF_JMP, BPF_K, BPF_LD, BPF_MAXINSNS, BPF_RET, BPF_W, ENOSYS, EPERM, MAX_ERRNO,
  SCMP_ARCHES, SECCOMP_DATA_ARCH, SECCOMP_DATA_ARGS, SECCOMP_DATA_NR, SECCOMP_FILTER_FLAG_NEW_LISTENER,
  SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_TSYNC_ESRCH, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
  SECCOMP_FLAGS, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF, X32_SYSCALL_BIT, retName,
} from './constants.ts';
import type { SeccompArch } from './constants.ts';
import { IPC, NR_IPC_X86, NR_SOCKETCALL_X86, SOCKETCALL, isKnownSyscall, syscallName, syscallNumber } from './syscalls.ts';

export interface CompileOptions {
  /** JSON pointer of the seccomp object, for error messages. */
  pointer?: string;
  /** ABI of the runtime itself; libseccomp always includes it. */
  nativeArch?: SeccompArch;
  /**
   * Prepend runc's -ENOSYS logic: syscalls numbered above the highest one the
   * profile names return ENOSYS instead of the default action (so libcs fall
   * back from syscalls newer than the profile, e.g. clone3). runc does this
   * unless the default action is ALLOW/LOG/TRACE or defaultErrnoRet is ENOSYS.
   * Default true.
   */
  enosysStub?: boolean;
}

export interface CompiledSeccomp {
  /** struct sock_filter[] (u16 code, u8 jt, u8 jf, u32 k; little endian). */
  program: Buffer;
  insns: number;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2). */
  flags: number;
  /** The program can return SECCOMP_RET_USER_NOTIF: install with NEW_LISTENER and hand the fd over. */
  notify: boolean;
  /** One comment per instruction (where it comes from), for `explain`. */
  comments: string[];
  /** Non-fatal problems (e.g. syscall names unknown on every x86 ABI). */
  warnings: string[];
}

type Op = 'NE' | 'LT' | 'LE' | 'EQ' | 'GE' | 'GT' | 'MASKED_EQ';

interface Cond {
  arg: number;
  op: Op;
  /** MASKED_EQ: the mask; others: all ones. */
  mask: bigint;
  /** Compared value (MASKED_EQ: valueTwo & mask, as libseccomp). */
  datum: bigint;
  ptr: string;
}

interface Rule {
  ptr: string;
  action: number;
  conds: Cond[];
  names: { name: string; ptr: string }[];
}

/** One argument test lowered for an ABI: 64-bit ABIs test hi and lo words, 32-bit ones lo only. */
interface ArchCond {
  arg: number;
  op: Op;
  wide: boolean;
  hiMask: number;
  hiDatum: number;
  loMask: number;
  loDatum: number;
  src: Cond;
}

interface Entry {
  action: number;
  conds: ArchCond[] | null; // null: unconditional
  ptr: string;
  name: string;
}

/** Argument checks for one syscall number: conditional rules tried in order, then `dflt`. */
interface Block {
  nr: number;
  name: string;
  rules: Entry[];
}

type Outcome = number | Block; // number: SECCOMP_RET_* value

const U64_MAX = (1n << 64n) - 1n;
const U32 = 0xffffffff;
const OPS: Record<string, Op> = {
  SCMP_CMP_NE: 'NE', SCMP_CMP_LT: 'LT', SCMP_CMP_LE: 'LE', SCMP_CMP_EQ: 'EQ',
  SCMP_CMP_GE: 'GE', SCMP_CMP_GT: 'GT', SCMP_CMP_MASKED_EQ: 'MASKED_EQ',
};
const OP_SYM: Record<Op, string> = { NE: '!=', LT: '<', LE: '<=', EQ: '==', GE: '>=', GT: '>', MASKED_EQ: '&' };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A JSON number/bigint/decimal string as u64. JSON.parse turns integers above
 * 2^53 into doubles, so e.g. 18446744073709551615 arrives as 2^64: that value
 * (only) is read back as 2^64-1; other values above 2^53 have already lost
 * their low bits before we see them (pass a bigint or a string to be exact).
 */
export function parseU64(v: unknown, ptr: string): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new SpecError(ptr, `must be an unsigned 64-bit integer, got ${v}`);
    b = BigInt(v);
    if (b === 1n << 64n) b = U64_MAX; // 18446744073709551615 after JSON.parse rounding
  } else if (typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v)) b = BigInt(v);
  else throw new SpecError(ptr, `must be an unsigned 64-bit integer, got ${JSON.stringify(v)}`);
  if (b < 0n || b > U64_MAX) throw new SpecError(ptr, `${b} is out of the uint64 range`);
  return b;
}

function parseAction(action: unknown, errnoRet: unknown, ptr: string, actionKey: string, errnoKey: string): number {
  const hasErrno = errnoRet !== undefined && errnoRet !== null;
  let ret: number;
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': ret = SECCOMP_RET_KILL_THREAD; break;
    case 'SCMP_ACT_KILL_PROCESS': ret = SECCOMP_RET_KILL_PROCESS; break;
    case 'SCMP_ACT_TRAP': ret = SECCOMP_RET_TRAP; break;
    case 'SCMP_ACT_ALLOW': ret = SECCOMP_RET_ALLOW; break;
    case 'SCMP_ACT_LOG': ret = SECCOMP_RET_LOG; break;
    case 'SCMP_ACT_NOTIFY': ret = SECCOMP_RET_USER_NOTIF; break;
    case 'SCMP_ACT_ERRNO':
    case 'SCMP_ACT_TRACE': {
      const errno = action === 'SCMP_ACT_ERRNO';
      let data = EPERM; // runc: ERRNO and TRACE default to EPERM
      if (hasErrno) {
        const max = errno ? MAX_ERRNO : 0xffff;
        if (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > max) {
          throw new SpecError(`${ptr}/${errnoKey}`, `must be an integer between 0 and ${max}, got ${JSON.stringify(errnoRet)}`);
        }
        data = errnoRet;
      }
      return ((errno ? SECCOMP_RET_ERRNO : SECCOMP_RET_TRACE) | data) >>> 0;
    }
    default:
      throw new SpecError(`${ptr}/${actionKey}`, `unknown seccomp action ${JSON.stringify(action)}`);
  }
  if (hasErrno) {
    throw new SpecError(`${ptr}/${errnoKey}`, `${errnoKey} is only supported with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ${String(action)}`);
  }
  return ret >>> 0;
}

function parseCond(a: unknown, ptr: string): Cond {
  if (!isPlainObject(a)) throw new SpecError(ptr, 'must be an object');
  const arg = a as Partial<LinuxSeccompArg> & Record<string, unknown>;
  if (typeof arg.index !== 'number' || !Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) {
    throw new SpecError(`${ptr}/index`, `must be a syscall argument index 0..5, got ${JSON.stringify(arg.index)}`);
  }
  const op = typeof arg.op === 'string' ? OPS[arg.op] : undefined;
  if (op === undefined) throw new SpecError(`${ptr}/op`, `unknown seccomp operator ${JSON.stringify(arg.op)}`);
  if (arg.value === undefined) throw new SpecError(`${ptr}/value`, 'is required');
  const value = parseU64(arg.value, `${ptr}/value`);
  const two = arg.valueTwo === undefined || arg.valueTwo === null ? 0n : parseU64(arg.valueTwo, `${ptr}/valueTwo`);
  if (op === 'MASKED_EQ') return { arg: arg.index, op, mask: value, datum: two & value, ptr };
  return { arg: arg.index, op, mask: U64_MAX, datum: value, ptr };
}

function lowerCond(c: Cond, wide: boolean): ArchCond | null {
  const mask = wide ? c.mask : c.mask & 0xffffffffn;
  // libseccomp drops MASKED_EQ tests whose (effective) mask is zero: tautologies.
  if (c.op === 'MASKED_EQ' && mask === 0n) return null;
  const datum = (wide ? c.datum : c.datum & 0xffffffffn) & mask;
  return {
    arg: c.arg, op: c.op, wide,
    hiMask: Number(mask >> 32n), hiDatum: Number(datum >> 32n),
    loMask: Number(mask & 0xffffffffn), loDatum: Number(datum & 0xffffffffn),
    src: c,
  };
}

function condText(c: Cond): string {
  const hex = (b: bigint) => '0x' + b.toString(16);
  if (c.op === 'MASKED_EQ') return `(arg${c.arg} & ${hex(c.mask)}) == ${hex(c.datum)}`;
  return `arg${c.arg} ${OP_SYM[c.op]} ${hex(c.datum)}`;
}

// ---------------------------------------------------------------------------
// Back-to-front BPF emitter

interface Target { pos: number } // index counted from the END of the program
type Why = string | (() => string);
type Dest = Target | { ret: number; why: Why };

const MAXJ = 255;

class Emitter {
  readonly code: number[] = [];
  readonly jt: number[] = [];
  readonly jf: number[] = [];
  readonly k: number[] = [];
  readonly comments: string[] = [];
  private readonly rets = new Map<number, number>();
  private readonly shared = new Set<number>();
  notify = false;

  get len(): number { return this.code.length; }

  private push(code: number, jt: number, jf: number, k: number, comment: string): Target {
    this.code.push(code); this.jt.push(jt); this.jf.push(jf); this.k.push(k >>> 0);
    this.comments.push(comment);
    return { pos: this.code.length - 1 };
  }

  ret(action: number, why: Why): Target {
    if (action === SECCOMP_RET_USER_NOTIF) this.notify = true;
    const t = this.push(BPF_RET | BPF_K, 0, 0, action, `${retName(action)}: ${typeof why === 'string' ? why : why()}`);
    this.rets.set(action, t.pos);
    return t;
  }

  ld(off: number, comment: string): Target {
    return this.push(BPF_LD | BPF_W | BPF_ABS, 0, 0, off, comment);
  }

  and(mask: number, comment: string): Target {
    return this.push(BPF_ALU | BPF_AND | BPF_K, 0, 0, mask, comment);
  }

  /** Make `d` an already-emitted instruction reachable with an 8-bit offset from a jump emitted after at most `slack` more instructions. */
  private near(d: Dest, slack: number): Target {
    if ('pos' in d) {
      if (this.len - d.pos - 1 + slack <= MAXJ) return d;
      return this.push(BPF_JMP | BPF_JA, 0, 0, this.len - d.pos - 1, 'long jump');
    }
    const cached = this.rets.get(d.ret);
    if (cached !== undefined && this.len - cached - 1 + slack <= MAXJ) {
      this.shared.add(cached);
      return { pos: cached };
    }
    return this.ret(d.ret, d.why);
  }

  /** Make `d` the instruction right after the next one emitted (fall-through). */
  fall(d: Dest): Target {
    if ('pos' in d) {
      if (d.pos === this.len - 1) return d;
      return this.push(BPF_JMP | BPF_JA, 0, 0, this.len - d.pos - 1, 'jump');
    }
    return this.ret(d.ret, d.why);
  }

  jmp(op: number, k: number, t: Dest, f: Dest, comment: string): Target {
    const fp = this.near(f, 2);
    const tp = this.near(t, 1);
    const at = this.len;
    return this.push(BPF_JMP | op | BPF_K, at - tp.pos - 1, at - fp.pos - 1, k, comment);
  }

  finish(): { program: Buffer; comments: string[] } {
    const n = this.len;
    const buf = Buffer.alloc(n * 8);
    const comments = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const src = n - 1 - i;
      const off = i * 8;
      const code = this.code[src];
      const k = this.k[src];
      buf[off] = code & 0xff;
      buf[off + 1] = code >>> 8;
      buf[off + 2] = this.jt[src];
      buf[off + 3] = this.jf[src];
      buf[off + 4] = k & 0xff;
      buf[off + 5] = (k >>> 8) & 0xff;
      buf[off + 6] = (k >>> 16) & 0xff;
      buf[off + 7] = k >>> 24;
      comments[i] = this.shared.has(src) ? `${retName(k)} (shared return)` : this.comments[src];
    }
    return { program: buf, comments };
  }
}

// ---------------------------------------------------------------------------

interface Section {
  audit: number;
  label: string;
  /** Base layer: [start, outcome|null] sorted by start; null = "filter" (rules, then default). */
  base: [number, number | null][];
  /** Syscall outcomes sorted by number. */
  entries: [number, Outcome][];
}

function sortedEntries(m: Map<number, Outcome> | undefined, bias: number): [number, Outcome][] {
  if (m === undefined) return [];
  const keys = Int32Array.from(m.keys()).sort();
  const out = new Array<[number, Outcome]>(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = [keys[i] + bias, m.get(keys[i])!];
  return out;
}

/** Paint [lo, hi] with `v` on a sorted breakpoint list covering 0..2^32-1. */
function paint(segs: [number, number | null][], lo: number, hi: number, v: number | null): [number, number | null][] {
  if (lo > hi) return segs;
  const valueAt = (x: number): number | null => {
    let val: number | null = null;
    for (const [s, o] of segs) { if (s <= x) val = o; else break; }
    return val;
  };
  const out: [number, number | null][] = segs.filter(([s]) => s < lo || s > hi);
  if (hi < U32) out.push([hi + 1, valueAt(hi + 1)]);
  out.push([lo, v]);
  out.sort((a, b) => a[0] - b[0]);
  // drop duplicates at the same start (keep the last written) and merge equal neighbours
  const res: [number, number | null][] = [];
  for (const s of out) {
    if (res.length && res[res.length - 1][0] === s[0]) res[res.length - 1] = s;
    else if (res.length && res[res.length - 1][1] === s[1]) continue;
    else res.push(s);
  }
  return res;
}

export function compileSeccomp(cfg: LinuxSeccomp, opts: CompileOptions = {}): CompiledSeccomp {
  const p = opts.pointer ?? '/linux/seccomp';
  const native: SeccompArch = opts.nativeArch ?? 'x86_64';
  if (native !== 'x86_64' && native !== 'x86' && native !== 'x32') throw new Error(`seccomp: unsupported native architecture ${String(native)}`);
  const warnings: string[] = [];
  if (!isPlainObject(cfg)) throw new SpecError(p, 'must be an object');

  // ---- default action
  if (cfg.defaultAction === undefined) throw new SpecError(`${p}/defaultAction`, 'is required');
  const dflt = parseAction(cfg.defaultAction, cfg.defaultErrnoRet, p, 'defaultAction', 'defaultErrnoRet');
  if (dflt === SECCOMP_RET_USER_NOTIF) {
    throw new SpecError(`${p}/defaultAction`, 'SCMP_ACT_NOTIFY cannot be used as the default action');
  }

  // ---- architectures: the native ABI is always included (as libseccomp's seccomp_init does)
  const arches = new Set<SeccompArch>([native]);
  if (cfg.architectures !== undefined && cfg.architectures !== null) {
    if (!Array.isArray(cfg.architectures)) throw new SpecError(`${p}/architectures`, 'must be an array');
    cfg.architectures.forEach((a, i) => {
      if (typeof a !== 'string' || !Object.hasOwn(SCMP_ARCHES, a)) {
        throw new SpecError(`${p}/architectures/${i}`, `unknown seccomp architecture ${JSON.stringify(a)}`);
      }
      const arch = SCMP_ARCHES[a];
      if (arch !== null) arches.add(arch);
    });
  }

  // ---- flags
  let flags = 0;
  if (cfg.flags !== undefined && cfg.flags !== null) {
    if (!Array.isArray(cfg.flags)) throw new SpecError(`${p}/flags`, 'must be an array');
    cfg.flags.forEach((f, i) => {
      if (typeof f !== 'string' || !Object.hasOwn(SECCOMP_FLAGS, f)) {
        throw new SpecError(`${p}/flags/${i}`, `unknown seccomp flag ${JSON.stringify(f)}`);
      }
      flags |= SECCOMP_FLAGS[f];
    });
  }
  if (cfg.listenerMetadata !== undefined && cfg.listenerMetadata !== '' && !cfg.listenerPath) {
    throw new SpecError(`${p}/listenerMetadata`, 'must not be set without listenerPath');
  }

  // ---- rules
  const rules: Rule[] = [];
  const syscalls = cfg.syscalls ?? [];
  if (!Array.isArray(syscalls)) throw new SpecError(`${p}/syscalls`, 'must be an array');
  syscalls.forEach((s, i) => {
    const rp = `${p}/syscalls/${i}`;
    if (!isPlainObject(s)) throw new SpecError(rp, 'must be an object');
    const action = parseAction(s.action, s.errnoRet, rp, 'action', 'errnoRet');
    if (!Array.isArray(s.names) || s.names.length === 0) throw new SpecError(`${rp}/names`, 'must be a non-empty array of syscall names');
    const names = s.names.map((n, j) => {
      const np = `${rp}/names/${j}`;
      if (typeof n !== 'string' || n === '') throw new SpecError(np, 'must be a non-empty string');
      if (action === SECCOMP_RET_USER_NOTIF && n === 'write') {
        throw new SpecError(np, 'SCMP_ACT_NOTIFY cannot be used for the write syscall (as runc)');
      }
      if (!isKnownSyscall(n)) warnings.push(`${np}: unknown syscall "${n}" ignored`);
      return { name: n, ptr: np };
    });
    if (s.args !== undefined && s.args !== null && !Array.isArray(s.args)) throw new SpecError(`${rp}/args`, 'must be an array');
    const conds = (s.args ?? []).map((a, j) => parseCond(a, `${rp}/args/${j}`));
    rules.push({ ptr: rp, action, conds, names });
  });

  // ---- runc's -ENOSYS stub: highest syscall number named by the profile, per ABI
  const stub = (opts.enosysStub ?? true) &&
    !(cfg.defaultErrnoRet === ENOSYS) &&
    ![SECCOMP_RET_ALLOW, SECCOMP_RET_LOG].includes(dflt) && (dflt & 0xffff0000) >>> 0 !== SECCOMP_RET_TRACE;
  const last = new Map<SeccompArch, number>();

  // ---- per-ABI outcome for each syscall number
  // libseccomp: an unconditional rule replaces every argument rule of the
  // syscall, and the first unconditional rule wins over later ones; argument
  // rules are kept in config order.
  const perArch = new Map<SeccompArch, Map<number, Outcome>>();
  for (const arch of arches) {
    const wide = arch === 'x86_64';
    // keys are kept below 2^30 (x32: without X32_SYSCALL_BIT) so V8 stores them as small integers
    const bias = arch === 'x32' ? X32_SYSCALL_BIT : 0;
    const uncond = new Map<number, number>();
    const lists = new Map<number, Entry[]>();
    let max = 0;
    for (const r of rules) {
      const skip = r.action === dflt; // runc skips rules that repeat the default action
      const conds = skip ? null : lowerAll(r.conds, wide);
      for (const { name, ptr } of r.names) {
        if (arch === 'x86') {
          const mux = SOCKETCALL.get(name) ?? IPC.get(name);
          if (mux !== undefined) {
            // libseccomp resolves these to pseudo numbers on i386 (not counted for the
            // ENOSYS stub) and also filters the multiplexed form: socketcall/ipc with
            // args[0] == call number; the rule's other argument tests are kept (its
            // args[0] test is replaced).
            if (skip) continue;
            const sock = SOCKETCALL.has(name);
            const muxCond: Cond = { arg: 0, op: 'EQ', mask: U64_MAX, datum: BigInt(mux), ptr: `${ptr} (${sock ? 'socketcall' : 'ipc'} #${mux})` };
            const mnr = sock ? NR_SOCKETCALL_X86 : NR_IPC_X86;
            if (!uncond.has(mnr)) {
              const e: Entry = { action: r.action, conds: lowerAll([muxCond, ...r.conds.filter((c) => c.arg !== 0)], false), ptr, name: `${sock ? 'socketcall' : 'ipc'}:${name}` };
              const l = lists.get(mnr);
              if (l) l.push(e); else lists.set(mnr, [e]);
            }
            const direct = syscallNumber(arch, name);
            if (direct === undefined || uncond.has(direct)) continue;
            if (conds === null) uncond.set(direct, r.action);
            else {
              const e: Entry = { action: r.action, conds, ptr, name };
              const l = lists.get(direct);
              if (l) l.push(e); else lists.set(direct, [e]);
            }
            continue;
          }
        }
        const full = syscallNumber(arch, name);
        if (full === undefined) continue;
        if (full > max) max = full;
        const nr = full - bias;
        if (skip || uncond.has(nr)) continue;
        if (conds === null) uncond.set(nr, r.action);
        else {
          const e: Entry = { action: r.action, conds, ptr, name };
          const l = lists.get(nr);
          if (l) l.push(e); else lists.set(nr, [e]);
        }
      }
    }
    if (stub && max !== 0) last.set(arch, max);
    const out = new Map<number, Outcome>(uncond);
    for (const [nr, list] of lists) if (!uncond.has(nr)) out.set(nr, { nr: nr + bias, name: list[0].name, rules: list });
    perArch.set(arch, out);
  }

  // ---- sections: one per audit arch
  const sections: Section[] = [];
  const has64 = arches.has('x86_64');
  const hasX32 = arches.has('x32');
  if (has64 || hasX32) {
    let base: [number, number | null][] = [[0, null]];
    if (has64 && !hasX32) base = paint(base, X32_SYSCALL_BIT, U32 - 1, SECCOMP_RET_KILL_THREAD); // x32 calls: bad arch (nr -1 excepted)
    if (hasX32 && !has64) base = paint(base, 0, X32_SYSCALL_BIT - 1, SECCOMP_RET_KILL_THREAD);
    const enosys = (SECCOMP_RET_ERRNO | ENOSYS) >>> 0;
    const l64 = last.get('x86_64');
    if (has64 && l64 !== undefined) { // runc stub: bit 30 clear and nr > last
      base = paint(base, l64 + 1, 0x3fffffff, enosys);
      base = paint(base, 0x80000000, 0xbfffffff, enosys);
    }
    const l32 = last.get('x32');
    if (hasX32 && l32 !== undefined) { // bit 30 set and nr > last
      base = paint(base, l32 + 1, 0x7fffffff, enosys);
      base = paint(base, 0xc0000000, U32, enosys);
    }
    const entries = [...sortedEntries(perArch.get('x86_64'), 0), ...sortedEntries(perArch.get('x32'), X32_SYSCALL_BIT)];
    sections.push({ audit: AUDIT_ARCH_X86_64, label: hasX32 ? (has64 ? 'x86_64+x32' : 'x32') : 'x86_64', base, entries });
  }
  if (arches.has('x86')) {
    let base: [number, number | null][] = [[0, null]];
    const l = last.get('x86');
    if (l !== undefined) base = paint(base, l + 1, U32, (SECCOMP_RET_ERRNO | ENOSYS) >>> 0);
    sections.push({ audit: AUDIT_ARCH_I386, label: 'i386', base, entries: sortedEntries(perArch.get('x86'), 0) });
  }
  if (native === 'x86' && sections.length === 2) sections.reverse(); // native ABI first

  // ---- emit
  const em = new Emitter();
  const starts: Target[] = [];
  for (let si = sections.length - 1; si >= 0; si--) {
    const sec = sections[si];
    const ivals = intervals(sec, dflt);
    const nameOf = (nr: number): string => {
      if (sec.audit === AUDIT_ARCH_I386) return syscallName('x86', nr) ?? '';
      return (nr & X32_SYSCALL_BIT ? syscallName('x32', nr) : syscallName('x86_64', nr)) ?? '';
    };
    em.fall(emitTree(em, ivals, 0, ivals.length - 1, dflt, nameOf));
    starts[si] = em.ld(SECCOMP_DATA_NR, `[${sec.label}] load syscall number`);
  }
  let next: Dest = { ret: SECCOMP_RET_KILL_THREAD, why: 'architecture not in the filter' };
  for (let si = sections.length - 1; si >= 0; si--) {
    next = em.jmp(BPF_JEQ, sections[si].audit, starts[si], next, `arch == AUDIT_ARCH_${sections[si].audit === AUDIT_ARCH_I386 ? 'I386' : 'X86_64'}`);
  }
  em.fall(next);
  em.ld(SECCOMP_DATA_ARCH, 'load seccomp_data.arch');

  if (em.len > BPF_MAXINSNS) {
    throw new SpecError(p, `the seccomp profile compiles to ${em.len} BPF instructions, more than the kernel limit of ${BPF_MAXINSNS} (BPF_MAXINSNS)`);
  }
  const { program, comments } = em.finish();

  const notify = em.notify;
  if (notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // the kernel refuses TSYNC together with NEW_LISTENER unless TSYNC_ESRCH is set
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else if (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
    flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; // the kernel requires NEW_LISTENER for it
    warnings.push(`${p}/flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: the profile does not use SCMP_ACT_NOTIFY`);
  }
  return { program, insns: program.length / 8, flags, notify, comments, warnings };
}

function lowerAll(conds: Cond[], wide: boolean): ArchCond[] | null {
  const out: ArchCond[] = [];
  for (const c of conds) {
    const l = lowerCond(c, wide);
    if (l) out.push(l);
  }
  return out.length === 0 ? null : out;
}

interface Interval { start: number; end: number; o: Outcome }

/** Cover 0..2^32-1 with intervals of equal outcome, merging neighbours that return the same value. */
function intervals(sec: Section, dflt: number): Interval[] {
  const ents = sec.entries;
  const out: Interval[] = [];
  const push = (start: number, end: number, o: Outcome) => {
    const prev = out[out.length - 1];
    if (prev && typeof o === 'number' && prev.o === o && prev.end + 1 === start) prev.end = end;
    else out.push({ start, end, o });
  };
  let ni = 0;
  for (let si = 0; si < sec.base.length; si++) {
    const [s, v] = sec.base[si];
    const e = si + 1 < sec.base.length ? sec.base[si + 1][0] - 1 : U32;
    while (ni < ents.length && ents[ni][0] < s) ni++;
    if (v !== null) { push(s, e, v); continue; }
    let cur = s;
    while (ni < ents.length && ents[ni][0] <= e) {
      const [nr, o] = ents[ni++];
      if (nr > cur) push(cur, nr - 1, dflt);
      push(nr, nr, o);
      cur = nr + 1;
    }
    if (cur <= e) push(cur, e, dflt);
  }
  return out;
}

function outcomeDest(em: Emitter, o: Outcome, dflt: number, why: Why): Dest {
  if (typeof o === 'number') return { ret: o, why };
  return emitBlock(em, o, dflt);
}

/** Binary search over interval starts; returns the subtree's entry. */
function emitTree(em: Emitter, iv: Interval[], lo: number, hi: number, dflt: number, nameOf: (nr: number) => string): Dest {
  const label = (i: Interval) => {
    const n = i.start === i.end ? nameOf(i.start) : '';
    return i.start === i.end ? `${i.start}${n ? ` (${n})` : ''}` : `${i.start}..${i.end}`;
  };
  const why = (i: Interval) => () => `nr ${label(i)}`;
  if (lo === hi) return outcomeDest(em, iv[lo].o, dflt, why(iv[lo]));
  // three intervals whose outer two return the same: a single `jeq` on the middle number
  if (hi - lo === 2 && iv[lo + 1].start === iv[lo + 1].end && typeof iv[lo].o === 'number' && iv[lo].o === iv[hi].o) {
    const other: Dest = { ret: iv[lo].o as number, why: () => `nr ${iv[lo].start}..${iv[hi].end} except ${iv[lo + 1].start}` };
    const mid = outcomeDest(em, iv[lo + 1].o, dflt, why(iv[lo + 1]));
    return em.jmp(BPF_JEQ, iv[lo + 1].start, mid, other, `nr == ${label(iv[lo + 1])}`);
  }
  const mid = (lo + hi + 1) >> 1;
  const right = emitTree(em, iv, mid, hi, dflt, nameOf);
  const left = emitTree(em, iv, lo, mid - 1, dflt, nameOf);
  const n = nameOf(iv[mid].start);
  return em.jmp(BPF_JGE, iv[mid].start, right, left, `nr >= ${iv[mid].start}${n ? ` (${n})` : ''}`);
}

/** Argument checks of one syscall: rules in order, first full match returns its action, else the default. */
function emitBlock(em: Emitter, b: Block, dflt: number): Dest {
  let next: Dest = { ret: dflt, why: () => `defaultAction (${b.name}: no argument rule matched)` };
  for (let ri = b.rules.length - 1; ri >= 0; ri--) {
    const r = b.rules[ri];
    let pass: Dest = { ret: r.action, why: () => `${r.ptr} (${r.name})` };
    const conds = r.conds!;
    for (let ci = conds.length - 1; ci >= 0; ci--) pass = emitCond(em, conds[ci], pass, next, `${r.ptr} (${r.name})`);
    next = pass;
  }
  return next;
}

function emitCond(em: Emitter, c: ArchCond, pass: Dest, fail: Dest, where: string): Dest {
  const txt = `${where} ${c.src.ptr.slice(c.src.ptr.lastIndexOf('/args/') + 1) || c.src.ptr}: ${condText(c.src)}`;
  const loOff = SECCOMP_DATA_ARGS + 8 * c.arg;
  const hiOff = loOff + 4;
  // low word
  let lo: Dest;
  switch (c.op) {
    case 'EQ': lo = em.jmp(BPF_JEQ, c.loDatum, pass, fail, txt + ' (lo)'); break;
    case 'NE': lo = em.jmp(BPF_JEQ, c.loDatum, fail, pass, txt + ' (lo)'); break;
    case 'GT': lo = em.jmp(BPF_JGT, c.loDatum, pass, fail, txt + ' (lo)'); break;
    case 'GE': lo = em.jmp(BPF_JGE, c.loDatum, pass, fail, txt + ' (lo)'); break;
    case 'LT': lo = em.jmp(BPF_JGE, c.loDatum, fail, pass, txt + ' (lo)'); break;
    case 'LE': lo = em.jmp(BPF_JGT, c.loDatum, fail, pass, txt + ' (lo)'); break;
    case 'MASKED_EQ':
      if (c.loMask === 0) { lo = pass; break; } // tautology on this word
      lo = em.jmp(BPF_JEQ, c.loDatum, pass, fail, txt + ' (lo)');
      if (c.loMask !== U32) em.and(c.loMask, txt + ' (lo)');
      break;
  }
  if (!(c.op === 'MASKED_EQ' && c.loMask === 0)) lo = em.ld(loOff, `load arg${c.arg} lo`);
  if (!c.wide) return lo;
  // high word
  switch (c.op) {
    case 'EQ': em.jmp(BPF_JEQ, c.hiDatum, lo, fail, txt + ' (hi)'); break;
    case 'NE': em.jmp(BPF_JEQ, c.hiDatum, lo, pass, txt + ' (hi)'); break;
    case 'GT':
    case 'GE': {
      const eq = em.jmp(BPF_JEQ, c.hiDatum, lo, fail, txt + ' (hi)');
      em.jmp(BPF_JGT, c.hiDatum, pass, eq, txt + ' (hi)');
      break;
    }
    case 'LT':
    case 'LE': {
      const eq = em.jmp(BPF_JEQ, c.hiDatum, lo, pass, txt + ' (hi)');
      em.jmp(BPF_JGT, c.hiDatum, fail, eq, txt + ' (hi)');
      break;
    }
    case 'MASKED_EQ':
      if (c.hiMask === 0) return lo;
      em.jmp(BPF_JEQ, c.hiDatum, lo, fail, txt + ' (hi)');
      if (c.hiMask !== U32) em.and(c.hiMask, txt + ' (hi)');
      break;
  }
  return em.ld(hiOff, `load arg${c.arg} hi`);
}
