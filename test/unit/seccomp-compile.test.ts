import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError } from '../../src/errors.ts';
import type { LinuxSeccomp } from '../../src/spec/types.ts';
import {
  compileSeccomp, decodeProgram, disassemble, runFilter, syscallNumber, retName,
  AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, BPF_MAXINSNS, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_NEW_LISTENER,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
} from '../../src/seccomp/index.ts';
import { EDGE_VALUES, RET, X32_BIT, loadClientProfile, reference } from './seccomp-reference.ts';
import type { Data } from './seccomp-reference.ts';

const nr64 = (n: string) => syscallNumber('x86_64', n)!;
const nr32 = (n: string) => syscallNumber('x86', n)!;
const nrx32 = (n: string) => syscallNumber('x32', n)!;

function run(c: { program: Buffer }, nr: number, args: bigint[] = [], arch = AUDIT_ARCH_X86_64): number {
  return runFilter(c.program, { nr, arch, args });
}

/** Compare compiled program vs reference on many inputs; returns number of checks. */
function checkAgainstReference(cfg: LinuxSeccomp, inputs: Data[], opts: { enosysStub?: boolean } = {}): number {
  const c = compileSeccomp(cfg, opts);
  for (const d of inputs) {
    const want = reference(cfg, d, opts).verdict;
    const got = runFilter(c.program, d);
    if (got !== want) {
      assert.fail(`arch=${d.arch.toString(16)} nr=${d.nr} args=${d.args.map(String)}: got ${retName(got)} want ${retName(want)}\n` +
        disassemble(c.program, c.comments));
    }
  }
  return inputs.length;
}

test('syscall tables: well-known numbers', () => {
  assert.equal(nr64('read'), 0);
  assert.equal(nr64('execve'), 59);
  assert.equal(nr32('execve'), 11);
  assert.equal(nr32('socketcall'), 102);
  assert.equal(nrx32('read'), X32_BIT);
  assert.equal(nrx32('execve'), X32_BIT + 520);
  assert.equal(syscallNumber('x86_64', 'socketcall'), undefined);
});

test('minimal allow-list: verdicts, arch check, default errno', () => {
  const c = compileSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }, { names: ['kill'], action: 'SCMP_ACT_KILL_PROCESS' }],
  });
  assert.equal(c.insns, decodeProgram(c.program).length);
  assert.equal(c.comments.length, c.insns);
  assert.equal(run(c, 0), RET.ALLOW);
  assert.equal(run(c, 1), RET.ALLOW);
  assert.equal(run(c, 2), RET.ERRNO + 1); // EPERM by default
  assert.equal(run(c, nr64('kill')), RET.KILL_PROCESS);
  assert.equal(run(c, 0, [], AUDIT_ARCH_I386), RET.KILL_THREAD); // i386 not in the filter
  assert.equal(run(c, 0, [], 0xc00000b7), RET.KILL_THREAD); // aarch64
  assert.equal(run(c, X32_BIT), RET.KILL_THREAD); // x32 call on x86_64-only filter
  assert.equal(run(c, 0xffffffff), RET.ERRNO + 1); // nr -1 (tracer skip) reaches the default
  assert.equal(run(c, 1000), RET.ERRNO + 38); // above the highest named syscall: runc's ENOSYS
  assert.equal(c.flags, 0);
  assert.equal(c.notify, false);
  assert.deepEqual(c.warnings, []);
});

test('every action and errnoRet encodes as the kernel expects', () => {
  const acts: [string, number | undefined, number][] = [
    ['SCMP_ACT_KILL', undefined, 0], ['SCMP_ACT_KILL_THREAD', undefined, 0], ['SCMP_ACT_KILL_PROCESS', undefined, 0x80000000],
    ['SCMP_ACT_TRAP', undefined, 0x30000], ['SCMP_ACT_ERRNO', 13, 0x5000d], ['SCMP_ACT_ERRNO', 0, 0x50000],
    ['SCMP_ACT_TRACE', 7, 0x7ff00007], ['SCMP_ACT_TRACE', undefined, 0x7ff00001], ['SCMP_ACT_LOG', undefined, 0x7ffc0000],
    ['SCMP_ACT_NOTIFY', undefined, 0x7fc00000],
  ];
  for (const [action, errnoRet, want] of acts) {
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action, errnoRet } as never] });
    assert.equal(run(c, nr64('getpid')), want, action);
    assert.equal(run(c, 0), RET.ALLOW);
  }
  const d = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [] });
  assert.equal(run(d, 0), RET.ERRNO + 38);
});

test('x86_64 + x32 + x86: each ABI uses its own numbers', () => {
  const cfg: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['execve', 'mmap2', 'socket'], action: 'SCMP_ACT_ALLOW' }],
  };
  const c = compileSeccomp(cfg, { enosysStub: false });
  assert.equal(run(c, 59), RET.ALLOW);
  assert.equal(run(c, nrx32('execve')), RET.ALLOW);
  assert.equal(run(c, X32_BIT + 59), RET.ERRNO + 1); // x32 59 is not execve
  assert.equal(run(c, 11, [], AUDIT_ARCH_I386), RET.ALLOW);
  assert.equal(run(c, 59, [], AUDIT_ARCH_I386), RET.ERRNO + 1);
  assert.equal(run(c, nr32('mmap2'), [], AUDIT_ARCH_I386), RET.ALLOW);
  // i386 socket: direct syscall and socketcall(SYS_SOCKET, ...) as libseccomp does
  assert.equal(run(c, nr32('socket'), [], AUDIT_ARCH_I386), RET.ALLOW);
  assert.equal(run(c, 102, [1n], AUDIT_ARCH_I386), RET.ALLOW);
  assert.equal(run(c, 102, [2n], AUDIT_ARCH_I386), RET.ERRNO + 1);
});

test('x32 only: x86_64 numbers hit the bad-arch action', () => {
  const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }, { nativeArch: 'x32' });
  assert.equal(run(c, X32_BIT), RET.ALLOW);
  assert.equal(run(c, 0), RET.KILL_THREAD);
});

test('64-bit argument comparisons split into words (unsigned)', () => {
  const ops = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT'] as const;
  for (const op of ops) {
    for (const value of EDGE_VALUES) {
      const cfg: LinuxSeccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86'],
        syscalls: [{ names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [{ index: 2, value: value as never, op }] }],
      };
      const inputs: Data[] = [];
      for (const a of EDGE_VALUES) for (const arch of [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386]) {
        inputs.push({ nr: arch === AUDIT_ARCH_I386 ? 4 : 1, arch, args: [0n, 0n, a] });
      }
      checkAgainstReference(cfg, inputs);
    }
  }
});

test('MASKED_EQ, several conditions ANDed, several rules in order', () => {
  const cfg: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 9, op: 'SCMP_CMP_NE' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 16, op: 'SCMP_CMP_NE' }] },
      // mask with high bits: 64-bit test
      { names: ['mmap'], action: 'SCMP_ACT_LOG', args: [{ index: 3, value: 0xff00000000ff as never, valueTwo: 0x120000000012 as never, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  };
  const c = compileSeccomp(cfg);
  const clone = nr64('clone');
  assert.equal(run(c, clone, [0x11n]), RET.ALLOW);
  assert.equal(run(c, clone, [0x10000000n]), RET.ERRNO + 1); // CLONE_NEWUSER
  assert.equal(run(c, clone, [0xffffffff00000000n]), RET.ALLOW); // high word ignored by the mask
  const sock = nr64('socket');
  assert.equal(run(c, sock, [16n, 0n, 9n]), RET.ERRNO + 22);
  assert.equal(run(c, sock, [16n, 0n, 0n]), RET.ALLOW);
  assert.equal(run(c, sock, [2n, 0n, 9n]), RET.ALLOW);
  assert.equal(run(c, sock, [16n | (1n << 32n), 0n, 9n]), RET.ALLOW); // 64-bit EQ is exact
  const mmap = nr64('mmap');
  assert.equal(run(c, mmap, [0n, 0n, 0n, 0x1234_0000_0012n]), RET.LOG);
  assert.equal(run(c, mmap, [0n, 0n, 0n, 0x1200_0000_0012n]), RET.LOG);
  assert.equal(run(c, mmap, [0n, 0n, 0n, 0x1300_0000_0012n]), RET.ERRNO + 1);
  const inputs: Data[] = [];
  for (const n of [clone, sock, mmap, 0]) for (const a of EDGE_VALUES) for (const b of [0n, 9n, 16n, a]) {
    inputs.push({ nr: n, arch: AUDIT_ARCH_X86_64, args: [a, 0n, b, a ^ b] });
  }
  checkAgainstReference(cfg, inputs);
});

test('precedence: unconditional rule beats argument rules, first unconditional wins, default-action rules skipped', () => {
  const c = compileSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_LOG' },
      { names: ['personality'], action: 'SCMP_ACT_TRAP' },
      { names: ['getpid'], action: 'SCMP_ACT_ERRNO' }, // same as default: skipped (runc)
      { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
      { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 }, // differs from default
      { names: ['getppid'], action: 'SCMP_ACT_ALLOW' },
    ],
  });
  assert.equal(run(c, nr64('personality'), [0n]), RET.LOG);
  assert.equal(run(c, nr64('personality'), [1n]), RET.LOG);
  assert.equal(run(c, nr64('getpid')), RET.ALLOW);
  assert.equal(run(c, nr64('getppid')), RET.ERRNO + 2);
});

test('conflicting argument rules: first matching rule in config order wins', () => {
  const c = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0x5401, op: 'SCMP_CMP_EQ' }] },
      { names: ['ioctl'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 3, op: 'SCMP_CMP_LE' }] },
    ],
  });
  assert.equal(run(c, nr64('ioctl'), [1n, 0x5401n]), RET.ERRNO + 1);
  assert.equal(run(c, nr64('ioctl'), [1n, 0x5402n]), RET.LOG);
  assert.equal(run(c, nr64('ioctl'), [4n, 0x5402n]), RET.ALLOW);
});

test('32-bit ABIs compare the low 32 bits only (as libseccomp)', () => {
  const c = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x100000001 as never, op: 'SCMP_CMP_EQ' }] }],
  });
  assert.equal(run(c, 135, [0x100000001n]), RET.ERRNO + 1);
  assert.equal(run(c, 135, [1n]), RET.ALLOW);
  assert.equal(run(c, nr32('personality'), [1n], AUDIT_ARCH_I386), RET.ERRNO + 1);
  assert.equal(run(c, nrx32('personality'), [1n]), RET.ERRNO + 1);
});

test('u64 values: bigint, decimal string, and 2^64-1 after JSON.parse rounding', () => {
  const json = '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["write"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}';
  const cfg = JSON.parse(json) as LinuxSeccomp;
  const c = compileSeccomp(cfg);
  assert.equal(run(c, 1, [0xffffffffffffffffn]), RET.ERRNO + 1);
  assert.equal(run(c, 1, [0xfffffffffffff800n]), RET.ALLOW);
  const s = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['write'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: '9007199254740993' as never, op: 'SCMP_CMP_EQ' }] }] });
  assert.equal(run(s, 1, [9007199254740993n]), RET.ERRNO + 1);
  assert.equal(run(s, 1, [9007199254740992n]), RET.ALLOW);
});

test('flags and notify', () => {
  const c = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
    listenerPath: '/run/agent.sock',
    syscalls: [{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }],
  });
  assert.equal(c.notify, true);
  assert.equal(c.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_NEW_LISTENER);
  const t = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] });
  assert.equal(t.flags, SECCOMP_FILTER_FLAG_TSYNC);
  assert.equal(t.notify, false);
  assert.equal(t.warnings.length, 1);
});

test('unknown names are skipped; unknown on every ABI warns', () => {
  const c = compileSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{ names: ['read', 'no_such_syscall', 'mmap2'], action: 'SCMP_ACT_ALLOW' }],
  });
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0], /\/linux\/seccomp\/syscalls\/0\/names\/1: unknown syscall "no_such_syscall"/);
  assert.equal(run(c, 0), RET.ALLOW);
});

test('bad input raises SpecError with a JSON pointer', () => {
  const bad: [unknown, string][] = [
    [{ defaultAction: 'SCMP_ACT_NOPE' }, '/linux/seccomp/defaultAction'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALOW' }] }, '/linux/seccomp/syscalls/0/action'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL' }, { names: ['read'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 1, op: 'SCMP_CMP_FOO' }] }] }, '/linux/seccomp/syscalls/1/args/0/op'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, '/linux/seccomp/syscalls/0/args/0/index'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', args: [{ index: -1, value: 1, op: 'SCMP_CMP_EQ' }] }] }, '/linux/seccomp/syscalls/0/args/0/index'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }, '/linux/seccomp/syscalls/0/args/0/value'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 1.5, op: 'SCMP_CMP_EQ' }] }] }, '/linux/seccomp/syscalls/0/args/0/value'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 1e30, op: 'SCMP_CMP_EQ' }] }] }, '/linux/seccomp/syscalls/0/args/0/value'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }] }, '/linux/seccomp/syscalls/0/errnoRet'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }] }, '/linux/seccomp/syscalls/0/errnoRet'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }, '/linux/seccomp/syscalls/0/errnoRet'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5000 }, '/linux/seccomp/defaultErrnoRet'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }, '/linux/seccomp/defaultErrnoRet'],
    [{ defaultAction: 'SCMP_ACT_NOTIFY' }, '/linux/seccomp/defaultAction'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }] }, '/linux/seccomp/syscalls/0/names/0'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_KILL' }] }, '/linux/seccomp/syscalls/0/names'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read', ''], action: 'SCMP_ACT_KILL' }] }, '/linux/seccomp/syscalls/0/names/1'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80'] }, '/linux/seccomp/architectures/1'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NOPE'] }, '/linux/seccomp/flags/0'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }, '/linux/seccomp/listenerMetadata'],
    [{}, '/linux/seccomp/defaultAction'],
  ];
  for (const [cfg, pointer] of bad) {
    assert.throws(() => compileSeccomp(cfg as LinuxSeccomp), (e: unknown) => {
      assert.ok(e instanceof SpecError, `expected SpecError for ${JSON.stringify(cfg)}, got ${String(e)}`);
      assert.equal(e.pointer, pointer, `pointer for ${JSON.stringify(cfg)}: ${e.message}`);
      return true;
    });
  }
  // custom base pointer
  assert.throws(() => compileSeccomp({ defaultAction: 'X' } as never, { pointer: '/seccomp' }), /\/seccomp\/defaultAction/);
});

test('foreign architectures are accepted and ignored', () => {
  const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_S390X'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] });
  assert.equal(run(c, 0), RET.ALLOW);
  assert.equal(run(c, 63, [], 0xc00000b7), RET.KILL_THREAD);
});

test('long jumps: a profile with thousands of instructions stays correct', () => {
  // many argument rules on many syscalls force > 255 offsets and `ja` trampolines
  const names = ['read', 'write', 'open', 'close', 'stat', 'fstat', 'lstat', 'poll', 'lseek', 'mmap', 'mprotect', 'munmap', 'brk', 'ioctl', 'pread64', 'pwrite64', 'readv', 'writev', 'access', 'pipe'];
  const syscalls: LinuxSeccomp['syscalls'] = [];
  for (const [i, n] of names.entries()) {
    for (let j = 0; j < 6; j++) {
      syscalls.push({ names: [n], action: j % 2 ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_LOG', args: [{ index: j % 6, value: BigInt(i * 100 + j) as never, op: j % 3 ? 'SCMP_CMP_GE' : 'SCMP_CMP_EQ' }, { index: (j + 1) % 6, value: 7, op: 'SCMP_CMP_LT' }] });
    }
  }
  const cfg: LinuxSeccomp = { defaultAction: 'SCMP_ACT_TRAP', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls };
  const c = compileSeccomp(cfg);
  assert.ok(c.insns > 1000, `expected a big program, got ${c.insns}`);
  const inputs: Data[] = [];
  for (const arch of [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386]) for (let nr = 0; nr < 25; nr++) {
    for (const a of [0n, 5n, 6n, 7n, 100n, 1900n, 0x100000000n]) inputs.push({ nr, arch, args: [a, 6n, a, 8n, a, 1n] }, { nr: nr | X32_BIT, arch, args: [a, a, a, a, a, a] });
  }
  checkAgainstReference(cfg, inputs);
});

test('program larger than BPF_MAXINSNS is a clear error', () => {
  const syscalls: LinuxSeccomp['syscalls'] = [];
  for (let i = 0; i < 1200; i++) syscalls.push({ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: i, op: 'SCMP_CMP_EQ' }] });
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }), (e: unknown) =>
    e instanceof SpecError && e.pointer === '/linux/seccomp' && new RegExp(`${BPF_MAXINSNS}`).test(e.message));
});

for (const client of ['docker', 'podman'] as const) {
  const cfg = loadClientProfile(client);
  test(`${client} default profile: compiles small, fast and right`, { skip: cfg ? false : `../shared/clients/config-${client}.json not found` }, () => {
    const c = compileSeccomp(cfg!);
    assert.ok(c.insns < BPF_MAXINSNS, `${c.insns} insns`);
    assert.ok(c.insns < 600, `${c.insns} insns`);
    const dflt = cfg!.defaultErrnoRet === 38 ? RET.ERRNO + 38 : RET.ERRNO + 1;
    // docker: not in the allow-list -> default action; podman: explicitly EPERM (podman allows reboot)
    const denied = client === 'docker' ? ['reboot', 'kexec_load', 'init_module', 'open_by_handle_at'] : ['kexec_load', 'init_module', 'open_by_handle_at'];
    for (const n of denied) assert.equal(run(c, nr64(n)), client === 'docker' ? dflt : RET.ERRNO + 1, n);
    if (client === 'podman') assert.equal(run(c, nr64('reboot')), RET.ALLOW);
    assert.equal(run(c, 999), client === 'docker' ? RET.ERRNO + 38 : dflt); // newer than the profile
    for (const n of ['read', 'write', 'execve', 'exit_group', 'openat']) {
      assert.equal(run(c, nr64(n)), RET.ALLOW, n);
      assert.equal(run(c, nrx32(n)), RET.ALLOW, `x32 ${n}`);
      if (syscallNumber('x86', n) !== undefined) assert.equal(run(c, nr32(n), [], AUDIT_ARCH_I386), RET.ALLOW, `i386 ${n}`);
    }
    assert.equal(run(c, nr64('personality'), [0n]), RET.ALLOW);
    assert.equal(run(c, nr64('personality'), [0x11n]), dflt);
    // exhaustive over every number of every table, with a few argument vectors
    const inputs: Data[] = [];
    const argsets = [[0n, 0n, 0n], [8n, 1n, 9n], [16n, 0n, 9n], [0x10000000n, 0n, 0n], [0xffffffffn, 0n, 0n], [0xffffffffffffffffn, 2n, 3n]];
    for (let nr = 0; nr < 600; nr++) for (const args of argsets) {
      inputs.push({ nr, arch: AUDIT_ARCH_X86_64, args }, { nr: nr | X32_BIT, arch: AUDIT_ARCH_X86_64, args }, { nr, arch: AUDIT_ARCH_I386, args });
    }
    for (const nr of [0xffffffff, 0x80000000, 0xc0000000, 0x3fffffff, 0x7fffffff]) inputs.push({ nr, arch: AUDIT_ARCH_X86_64, args: [] }, { nr, arch: AUDIT_ARCH_I386, args: [] });
    checkAgainstReference(cfg!, inputs);
    checkAgainstReference(cfg!, inputs, { enosysStub: false });
    // disassembly mentions syscall names and actions
    const text = disassemble(c.program, c.comments);
    assert.match(text, /ld {2}\[4\]/);
    assert.match(text, /ret ALLOW/);
    assert.match(text, /personality/);
    assert.equal(text.trim().split('\n').length, c.insns + 2);
    if (client === 'podman') assert.ok(c.warnings.length > 0 && c.warnings.every((w) => /unknown syscall/.test(w)));
  });

  test(`${client} default profile: compile time (cold and warm)`, { skip: cfg ? false : 'profile not found' }, (t) => {
    const t0 = performance.now();
    compileSeccomp(structuredClone(cfg!));
    const cold = performance.now() - t0;
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const s = performance.now();
      compileSeccomp(cfg!);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const median = times[50];
    t.diagnostic(`${client}: first run in this process ${cold.toFixed(2)} ms, median of 100 warm runs ${median.toFixed(3)} ms`);
    assert.ok(median < 5, `median ${median} ms`);
  });
}
