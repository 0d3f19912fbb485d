// fast-check arbitraries for seccomp profiles and seccomp_data, shared by
// the property and libseccomp differential tests.

import fc from 'fast-check';
import type { LinuxSeccomp, LinuxSyscall } from '../../src/spec/types.ts';
import { syscallNumber } from '../../src/seccomp/index.ts';
import { AUDIT_I386, AUDIT_X86_64, EDGE_VALUES, X32_BIT } from './seccomp-reference.ts';
import type { Data } from './seccomp-reference.ts';

export const NAMES = [
  'read', 'write', 'open', 'close', 'personality', 'clone', 'socket', 'socketcall', 'send', 'recv', 'accept4',
  'semop', 'shmget', 'ipc', 'mmap', 'mmap2', '_llseek', 'execve', 'getpid', 'ioctl', 'kill', 'arch_prctl',
  'rt_sigaction', 'no_such_call', 'pidfd_open', 'clone3', 'exit_group', 'restart_syscall', 'waitpid',
];
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;
const U64 = (1n << 64n) - 1n;

export const valueArb = fc.oneof(
  fc.constantFrom(...EDGE_VALUES),
  fc.bigInt({ min: 0n, max: 16n }),
  fc.bigInt({ min: 0n, max: U64 }),
  fc.bigInt({ min: 0xfffffff0n, max: 0x100000010n }),
  fc.bigInt({ min: 0x7ffffffffffffff0n, max: 0x8000000000000010n }),
);

export const actionArb = fc.oneof(
  fc.record({ action: fc.constantFrom('SCMP_ACT_ALLOW', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY') }),
  fc.record({ action: fc.constantFrom('SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'), errnoRet: fc.option(fc.constantFrom(0, 1, 2, 13, 38), { nil: undefined }) }),
);

export function condArb(distinctArgs: boolean) {
  const one = fc.record({
    index: fc.integer({ min: 0, max: 5 }),
    op: fc.constantFrom(...OPS),
    value: valueArb,
    valueTwo: fc.option(valueArb, { nil: undefined }),
  });
  return distinctArgs
    ? fc.uniqueArray(one, { maxLength: 3, selector: (c) => c.index })
    : fc.array(one, { maxLength: 3 });
}

export function profileArb(opts: { distinctArgs?: boolean; names?: string[]; actions?: typeof actionArb } = {}) {
  const rule = fc.record({
    names: fc.subarray(opts.names ?? NAMES, { minLength: 1, maxLength: 4 }),
    act: opts.actions ?? actionArb,
    args: condArb(opts.distinctArgs ?? false),
  }).map(({ names, act, args }) => {
    // SCMP_ACT_NOTIFY on write is refused (as runc)
    if (act.action === 'SCMP_ACT_NOTIFY') names = names.includes('write') ? names.filter((n) => n !== 'write').concat('getpid') : names;
    const r: LinuxSyscall = { names, action: act.action as LinuxSyscall['action'] };
    if ('errnoRet' in act && act.errnoRet !== undefined) r.errnoRet = act.errnoRet;
    if (args.length) r.args = args.map((a) => ({ index: a.index, op: a.op, value: a.value as never, ...(a.valueTwo !== undefined ? { valueTwo: a.valueTwo as never } : {}) }));
    return r;
  });
  return fc.record({
    dflt: (opts.actions ?? actionArb).filter((a) => a.action !== 'SCMP_ACT_NOTIFY'),
    architectures: fc.subarray(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64']),
    syscalls: fc.array(rule, { maxLength: 12 }),
  }).map(({ dflt, architectures, syscalls }) => {
    const cfg: LinuxSeccomp = { defaultAction: dflt.action as LinuxSeccomp['defaultAction'], architectures, syscalls };
    if ('errnoRet' in dflt && dflt.errnoRet !== undefined) cfg.defaultErrnoRet = dflt.errnoRet;
    return cfg;
  });
}

/** seccomp_data aimed at the profile: its syscalls on every ABI, its values +-1, and edge cases. */
export function dataArb(cfg: LinuxSeccomp): fc.Arbitrary<Data> {
  const nrs = new Set<number>([0, 1, 102, 117, 0xffffffff, X32_BIT, X32_BIT - 1, 0x80000000, 0xc0000000, 0x7fffffff, 600, X32_BIT + 600]);
  const vals = new Set<bigint>([0n]);
  for (const r of cfg.syscalls ?? []) {
    for (const n of r.names) for (const abi of ['x86_64', 'x86', 'x32'] as const) {
      const nr = syscallNumber(abi, n);
      if (nr !== undefined) { nrs.add(nr); nrs.add(nr + 1); nrs.add(nr - 1); }
    }
    for (const a of r.args ?? []) for (const v of [a.value, a.valueTwo ?? 0n]) {
      const b = BigInt(v);
      for (const d of [b - 1n, b, b + 1n, b & 0xffffffffn, b | (1n << 32n), b ^ (1n << 63n)]) vals.add(d & U64);
    }
  }
  const nrArb = fc.oneof(fc.constantFrom(...nrs), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 460 }));
  const argArb = fc.oneof(fc.constantFrom(...vals), valueArb);
  return fc.record({
    arch: fc.constantFrom(AUDIT_X86_64, AUDIT_X86_64, AUDIT_I386, 0xc00000b7),
    nr: nrArb,
    args: fc.array(argArb, { minLength: 6, maxLength: 6 }),
  });
}
