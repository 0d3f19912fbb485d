export { compileSeccomp, parseU64 } from './compile.ts';
export type { CompiledSeccomp, CompileOptions } from './compile.ts';
export { disassemble } from './disasm.ts';
export { runFilter, decodeProgram, encodeProgram, checkProgram } from './interp.ts';
export type { SeccompData, Insn } from './interp.ts';
export { syscallNumber, syscallName, isKnownSyscall, syscallTable } from './syscalls.ts';
export * from './constants.ts';
