// Syscall name <-> number for the x86 family (x86_64, i386, x32). The tables
// are generated from the kernel UAPI headers (gen-syscalls.mjs) and parsed on
// first use only.

import type { SeccompArch } from './constants.ts';
import { X32_SYSCALL_BIT } from './constants.ts';
import { X86_64_TABLE, X86_TABLE, X32_TABLE } from './syscalls-x86.ts';

interface Table {
  byName: Map<string, number>;
  /** index: number - base */
  byNr: string[];
  base: number;
}

const tables = new Map<SeccompArch, Table>();

function parseTable(text: string, base: number): Table {
  const byName = new Map<string, number>();
  const byNr: string[] = [];
  let nr = 0;
  for (const tok of text.split(' ')) {
    if (tok.charCodeAt(0) === 126 /* ~ */) {
      const n = tok.length === 1 ? 1 : Number(tok.slice(1));
      for (let i = 0; i < n; i++) byNr.push('');
      nr += n;
      continue;
    }
    byName.set(tok, base + nr);
    byNr.push(tok);
    nr++;
  }
  return { byName, byNr, base };
}

function table(arch: SeccompArch): Table {
  let t = tables.get(arch);
  if (t === undefined) {
    if (arch === 'x86_64') t = parseTable(X86_64_TABLE, 0);
    else if (arch === 'x86') t = parseTable(X86_TABLE, 0);
    else t = parseTable(X32_TABLE, X32_SYSCALL_BIT);
    tables.set(arch, t);
  }
  return t;
}

/** i386 socketcall(2) multiplexer: name -> call number (args[0]). */
export const SOCKETCALL: ReadonlyMap<string, number> = new Map([
  ['socket', 1], ['bind', 2], ['connect', 3], ['listen', 4], ['accept', 5],
  ['getsockname', 6], ['getpeername', 7], ['socketpair', 8], ['send', 9],
  ['recv', 10], ['sendto', 11], ['recvfrom', 12], ['shutdown', 13],
  ['setsockopt', 14], ['getsockopt', 15], ['sendmsg', 16], ['recvmsg', 17],
  ['accept4', 18], ['recvmmsg', 19], ['sendmmsg', 20],
]);

/** i386 ipc(2) multiplexer: name -> call number (args[0]). */
export const IPC: ReadonlyMap<string, number> = new Map([
  ['semop', 1], ['semget', 2], ['semctl', 3], ['semtimedop', 4],
  ['msgsnd', 11], ['msgrcv', 12], ['msgget', 13], ['msgctl', 14],
  ['shmat', 21], ['shmdt', 22], ['shmget', 23], ['shmctl', 24],
]);

export const NR_SOCKETCALL_X86 = 102;
export const NR_IPC_X86 = 117;

/** Syscall number of `name` on `arch` (x32 numbers include X32_SYSCALL_BIT). */
export function syscallNumber(arch: SeccompArch, name: string): number | undefined {
  return table(arch).byName.get(name);
}

/** Name of syscall `nr` on `arch`, if the kernel headers know it. */
export function syscallName(arch: SeccompArch, nr: number): string | undefined {
  const t = table(arch);
  const name = t.byNr[nr - t.base];
  return name === '' ? undefined : name;
}

/** Is `name` a syscall (or an i386 socketcall/ipc sub-call) on any x86 ABI? */
export function isKnownSyscall(name: string): boolean {
  return (
    syscallNumber('x86_64', name) !== undefined ||
    syscallNumber('x86', name) !== undefined ||
    syscallNumber('x32', name) !== undefined ||
    SOCKETCALL.has(name) ||
    IPC.has(name)
  );
}

/** All names known on `arch` with their numbers (for tests and tooling). */
export function syscallTable(arch: SeccompArch): ReadonlyMap<string, number> {
  return table(arch).byName;
}
