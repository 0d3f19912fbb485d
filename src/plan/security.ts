// Process security settings → the bytes and numbers the init's ops take:
// scheduler (struct sched_attr), I/O priority, CPU masks, personality, and
// the check that a seccomp profile lets the init finish its work after the
// filter is loaded (see "Seccomp ordering" in addProcessOps).
import type { IOPriority, Scheduler, Spec } from '../spec/types.ts';
import { SpecError } from '../errors.ts';
import { runFilter } from '../seccomp/interp.ts';
import { syscallNumber } from '../seccomp/syscalls.ts';
import {
  AUDIT_ARCH_X86_64, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_LOG, SECCOMP_RET_USER_NOTIF, retName,
} from '../seccomp/constants.ts';

export const SCHED_POLICY: Readonly<Record<string, number>> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};

export const SCHED_FLAG: Readonly<Record<string, number>> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

/** process.scheduler → struct sched_attr (SCHED_ATTR_SIZE_VER0, or VER1 when a util clamp flag is set). */
export function schedAttr(s: Scheduler, pointer: string): Buffer {
  const policy = SCHED_POLICY[s.policy];
  if (policy === undefined) throw new SpecError(`${pointer}/policy`, `unknown scheduler policy "${s.policy}"`);
  const nice = s.nice ?? 0;
  const prio = s.priority ?? 0;
  // runc's checks (libcontainer/configs/validate)
  if (nice < -20 || nice > 19) throw new SpecError(`${pointer}/nice`, `invalid nice value ${nice}: must be between -20 and 19`);
  if (prio !== 0 && policy !== 1 && policy !== 2) throw new SpecError(`${pointer}/priority`, 'a priority can only be set with SCHED_FIFO or SCHED_RR');
  if ((policy === 1 || policy === 2) && (prio < 1 || prio > 99)) throw new SpecError(`${pointer}/priority`, `SCHED_FIFO and SCHED_RR need a priority between 1 and 99, got ${prio}`);
  if (policy !== 6 && (s.runtime || s.deadline || s.period)) throw new SpecError(`${pointer}/policy`, 'runtime, deadline and period can only be set with SCHED_DEADLINE');
  let flags = 0;
  for (const [i, f] of (s.flags ?? []).entries()) {
    const v = SCHED_FLAG[f];
    if (v === undefined) throw new SpecError(`${pointer}/flags/${i}`, `unknown scheduler flag "${f}"`);
    flags |= v;
  }
  const clamp = (flags & 0x60) !== 0;
  const b = Buffer.alloc(clamp ? 56 : 48);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt32LE(policy, 4);
  b.writeBigUInt64LE(BigInt(flags), 8);
  b.writeInt32LE(nice, 16);
  b.writeUInt32LE(prio, 20);
  b.writeBigUInt64LE(BigInt(s.runtime ?? 0), 24);
  b.writeBigUInt64LE(BigInt(s.deadline ?? 0), 32);
  b.writeBigUInt64LE(BigInt(s.period ?? 0), 40);
  if (clamp) {
    b.writeUInt32LE(0, 48); // util_min: no boost
    b.writeUInt32LE(1024, 52); // util_max: no cap
  }
  return b;
}

export const IOPRIO_CLASS: Readonly<Record<string, number>> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };

/** process.ioPriority → the ioprio_set value (class << 13 | level). */
export function ioprioValue(io: IOPriority, pointer: string): number {
  const cls = IOPRIO_CLASS[io.class];
  if (cls === undefined) throw new SpecError(`${pointer}/class`, `unknown I/O priority class "${io.class}"`);
  const p = io.priority ?? 0;
  if (!Number.isInteger(p) || p < 0 || p > 7) throw new SpecError(`${pointer}/priority`, `expected an integer between 0 and 7, got ${p}`);
  return (cls << 13) | p;
}

/** The kernel's largest cpumask size (CONFIG_NR_CPUS max); a list beyond it is a config error. */
const MAX_CPUS = 8192;

/** "0-3,7" → a CPU mask (bit i of byte i/8 is cpu i). */
export function cpuMask(list: string, pointer: string): Buffer {
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new SpecError(pointer, `invalid CPU list "${list}"`);
    const a = Number(m[1]);
    const z = m[2] === undefined ? a : Number(m[2]);
    if (z < a) throw new SpecError(pointer, `invalid CPU range "${part}" in "${list}"`);
    if (z >= MAX_CPUS) throw new SpecError(pointer, `CPU ${z} is out of range (max ${MAX_CPUS - 1})`);
    for (let c = a; c <= z; c++) cpus.push(c);
  }
  const b = Buffer.alloc(Math.ceil((Math.max(...cpus) + 1) / 8));
  for (const c of cpus) b[c >> 3] |= 1 << (c & 7);
  return b;
}

/** Every CPU (the kernel intersects it with the cgroup's cpuset): the affinity reset after an `initial` one. */
export function allCpus(): Buffer {
  return Buffer.alloc(MAX_CPUS / 8, 0xff);
}

export const PERSONALITY: Readonly<Record<string, number>> = { LINUX: 0x0000, LINUX32: 0x0008 };

/** linux.personality → the personality(2) persona. The spec defines no flags; like runc, any given are not applied. */
export function personalityValue(p: NonNullable<NonNullable<Spec['linux']>['personality']>): number {
  const v = PERSONALITY[p.domain];
  if (v === undefined) throw new SpecError('/linux/personality/domain', `unknown personality domain "${p.domain}"`);
  return v;
}

/** A syscall the init makes after loading the seccomp filter, and why. */
export interface PostFilterSyscall {
  name: string;
  why: string;
  /** may the filter hand it to the notify listener (which already has the fd)? */
  notifyOk: boolean;
}

/**
 * Check that the filter lets the init do what it does after loading it (on
 * x86_64, the only ABI the init runs as). Arguments are pointers the profile
 * cannot meaningfully test; zeros are used.
 */
export function checkPostFilterSyscalls(program: Buffer, calls: PostFilterSyscall[], pointer = '/linux/seccomp'): void {
  for (const c of calls) {
    const nr = syscallNumber('x86_64', c.name);
    if (nr === undefined) continue;
    const ret = runFilter(program, { nr, arch: AUDIT_ARCH_X86_64, args: [0n, 0n, 0n, 0n, 0n, 0n] });
    const action = (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
    if (action === SECCOMP_RET_ALLOW || action === SECCOMP_RET_LOG) continue;
    if (action === SECCOMP_RET_USER_NOTIF && c.notifyOk) continue;
    throw new SpecError(pointer, `the profile does not allow ${c.name} (it returns ${retName(ret)}), but ${c.why}; allow ${c.name}${c.name === 'capset' ? ' or set process.noNewPrivileges' : ''}`);
  }
}
