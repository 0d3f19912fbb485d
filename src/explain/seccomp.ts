// `skiff explain` — the seccomp part: a summary of the profile, the compiled
// program as BPF assembly with a comment per instruction, and "which rule
// decides syscall X": the verdict comes from running the real program in the
// BPF interpreter (authoritative), the attribution from the profile, with
// the path the program takes.
import type { LinuxSeccomp, LinuxSyscall } from '../spec/types.ts';
import type { CompiledSeccomp } from '../seccomp/compile.ts';
import { disassemble } from '../seccomp/disasm.ts';
import { runFilter } from '../seccomp/interp.ts';
import { syscallName, syscallNumber } from '../seccomp/syscalls.ts';
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, ENOSYS, SCMP_ARCHES, EPERM, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ERRNO, retName,
  type SeccompArch,
} from '../seccomp/constants.ts';

const ARCH_OF: Record<SeccompArch, number> = { x86_64: AUDIT_ARCH_X86_64, x86: AUDIT_ARCH_I386, x32: AUDIT_ARCH_X86_64 };
const ABIS: SeccompArch[] = ['x86_64', 'x86', 'x32'];

/** The SECCOMP_RET_* value an OCI action means (ERRNO/TRACE default to EPERM, as runc). */
function actionValue(action: string, errnoRet: number | undefined): string {
  switch (action) {
    case 'SCMP_ACT_ERRNO': return `ERRNO(${errnoRet ?? EPERM})`;
    case 'SCMP_ACT_TRACE': return `TRACE(${errnoRet ?? EPERM})`;
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return 'KILL_THREAD';
    case 'SCMP_ACT_KILL_PROCESS': return 'KILL_PROCESS';
    case 'SCMP_ACT_TRAP': return 'TRAP';
    case 'SCMP_ACT_ALLOW': return 'ALLOW';
    case 'SCMP_ACT_LOG': return 'LOG';
    case 'SCMP_ACT_NOTIFY': return 'USER_NOTIF';
    default: return action;
  }
}

function argText(r: LinuxSyscall): string {
  return (r.args ?? []).map((a) => {
    const op = ({ SCMP_CMP_NE: '!=', SCMP_CMP_LT: '<', SCMP_CMP_LE: '<=', SCMP_CMP_EQ: '==', SCMP_CMP_GE: '>=', SCMP_CMP_GT: '>' } as Record<string, string>)[a.op];
    return op ? `args[${a.index}] ${op} ${a.value}` : `(args[${a.index}] & ${a.value}) == ${a.valueTwo ?? 0}`;
  }).join(' && ');
}

function ruleText(r: LinuxSyscall, i: number): string {
  const extra = r.errnoRet !== undefined ? `, errnoRet ${r.errnoRet}` : '';
  return `/linux/seccomp/syscalls/${i} (${r.action}${extra}${r.args?.length ? ` if ${argText(r)}` : ''})`;
}

/** One argument test on x86_64 (64-bit compare; MASKED_EQ: value is the mask). */
function argMatches(a: { index: number; value: number | string | bigint; valueTwo?: number | string | bigint; op: string }, args: bigint[]): boolean {
  const x = args[a.index] ?? 0n;
  const v = BigInt(a.value);
  switch (a.op) {
    case 'SCMP_CMP_NE': return x !== v;
    case 'SCMP_CMP_LT': return x < v;
    case 'SCMP_CMP_LE': return x <= v;
    case 'SCMP_CMP_EQ': return x === v;
    case 'SCMP_CMP_GE': return x >= v;
    case 'SCMP_CMP_GT': return x > v;
    case 'SCMP_CMP_MASKED_EQ': return (x & v) === (BigInt(a.valueTwo ?? 0) & v);
    default: return false;
  }
}

/** Summary + program listing. */
export function seccompSection(s: LinuxSeccomp, c: CompiledSeccomp, ms: number): string[] {
  const out: string[] = [];
  out.push(`  default action   ${s.defaultAction} → ${actionValue(s.defaultAction, s.defaultErrnoRet)}`);
  out.push(`  architectures    ${(s.architectures ?? []).join(' ') || '(native only)'} (compiled for x86_64, x86, x32; others get KILL_THREAD)`);
  if (s.flags?.length) out.push(`  flags            ${s.flags.join(' ')} (0x${c.flags.toString(16)})`);
  out.push(`  rules            ${(s.syscalls ?? []).length} (${(s.syscalls ?? []).reduce((n, r) => n + r.names.length, 0)} names)`);
  if (c.notify) out.push(`  notify           listener ${s.listenerPath ?? '(none!)'}${s.listenerMetadata ? `, metadata ${JSON.stringify(s.listenerMetadata)}` : ''}`);
  out.push(`  program          ${c.insns} instructions, compiled in ${ms.toFixed(2)} ms`);
  out.push('  loaded           last, right before execve (see the plan): the init\'s own syscalls are not filtered');
  for (const w of c.warnings) out.push(`  warning          ${w}`);
  return out;
}

export function seccompListing(c: CompiledSeccomp): string[] {
  return disassemble(c.program, c.comments).split('\n').map((l) => `  ${l}`);
}

/** Which rule decides `name` (or a number, x86_64) on each x86 ABI, and the path through the program. */
export function explainSyscall(s: LinuxSeccomp, c: CompiledSeccomp, query: string, opts: { args?: bigint[]; path?: boolean } = {}): string[] {
  const out: string[] = [];
  const path: string[] = [];
  const asNumber = /^\d+$/.test(query) ? Number(query) : undefined;
  const name = asNumber !== undefined ? syscallName('x86_64', asNumber) ?? query : query;
  const args = opts.args ?? [0n, 0n, 0n, 0n, 0n, 0n];
  out.push(`syscall ${name}${opts.args ? ` (args ${opts.args.map((a) => '0x' + a.toString(16)).join(', ')})` : ''}`);
  const defaultVal = actionValue(s.defaultAction, s.defaultErrnoRet);
  const rules = (s.syscalls ?? []).map((r, i) => ({ r, i })).filter(({ r }) => r.names.includes(name));
  // a rule with the default action is skipped (runc): it changes nothing
  const effective = rules.filter(({ r }) => actionValue(r.action, r.errnoRet) !== defaultVal);
  const uncond = effective.find(({ r }) => !(r.args ?? []).some((a) => !(a.op === 'SCMP_CMP_MASKED_EQ' && BigInt(a.value) === 0n)));
  let found = false;
  const matching = !uncond ? effective.find(({ r }) => (r.args ?? []).every((a) => argMatches(a, args))) : undefined;
  for (const abi of ABIS) {
    const nr = asNumber !== undefined && abi === 'x86_64' ? asNumber : syscallNumber(abi, name);
    if (nr === undefined) {
      out.push(`  ${abi.padEnd(7)} not a syscall on this ABI`);
      continue;
    }
    found = true;
    const trace: number[] = [];
    const ret = runFilter(c.program, { nr, arch: ARCH_OF[abi], args }, trace);
    const verdict = retName(ret);
    let why: string;
    const last = trace[trace.length - 1];
    const listed = abi === 'x86_64' || (s.architectures ?? []).some((a) => SCMP_ARCHES[a] === abi);
    if (!listed || /architecture not in the filter/.test(c.comments[last] ?? '')) why = 'the architecture is not in the profile';
    else if (uncond && verdict === actionValue(uncond.r.action, uncond.r.errnoRet)) why = `rule ${ruleText(uncond.r, uncond.i)}`;
    else if (!uncond && effective.length) {
      why = matching && verdict === actionValue(matching.r.action, matching.r.errnoRet)
        ? `rule ${ruleText(matching.r, matching.i)} matches these arguments`
        : verdict === defaultVal ? 'default action: no argument rule matches these arguments' : 'argument rules (see the path)';
    } else if (verdict === defaultVal) {
      why = rules.length ? `default action (the rules naming it have the default action: ${rules.map(({ i }) => `syscalls/${i}`).join(', ')})` : 'default action: no rule names it';
    } else if (((ret & SECCOMP_RET_ACTION_FULL) >>> 0) === SECCOMP_RET_ERRNO && (ret & 0xffff) === ENOSYS) {
      why = 'runc\'s ENOSYS stub: newer than every syscall the profile names, so libcs fall back';
    } else why = 'see the path below';
    out.push(`  ${abi.padEnd(7)} nr ${(abi === 'x32' ? '0x' + nr.toString(16) : String(nr)).padEnd(10)} ${verdict.padEnd(13)} ← ${why}`);
    if (opts.path !== false && abi === 'x86_64') {
      const lines = disassemble(c.program, c.comments).split('\n').slice(2);
      path.push('  path on x86_64:');
      for (const pc of trace) path.push(`    ${lines[pc]}`);
    }
  }
  if (!uncond && effective.length) {
    out.push(`  the verdict depends on the arguments: rules tried in order, the first match decides, else the default ${defaultVal}:`);
    for (const { r, i } of effective) out.push(`    ${ruleText(r, i)}`);
  }
  out.push(...path);
  if (!found) out.push(`  unknown syscall name "${name}" on x86_64, x86 and x32`);
  return out;
}
