// `skiff explain`: what a config turns into, without running anything — the
// validated config's effective namespaces, process, capability sets (as set
// and as the process will actually have them after execve), rlimits, hooks,
// seccomp (summary, per-syscall verdicts, BPF listing) and the ordered init
// plan. Pure: the host facts it needs come in as ExplainInput, so it is unit
// tested without root (src/explain/bundle.ts gathers them for the CLI).
import { performance } from 'node:perf_hooks';
import type { Spec } from '../spec/types.ts';
import { planNamespaces } from '../config/namespaces.ts';
import { buildCreatePlan, capNames, type LsmPlan, type SeccompPlan } from '../plan/build.ts';
import { capsToMasks } from '../plan/caps.ts';
import { formatPlan } from '../plan/encode.ts';
import type { Plan } from '../plan/types.ts';
import { compileSeccomp, type CompiledSeccomp } from '../seccomp/compile.ts';
import { cgroupMountsForContainer, type CgroupState } from '../cgroups/index.ts';
import { checkLsm, type LsmHost } from '../container/lsm.ts';
import { CAP_LAST_CAP } from '../spec/capabilities.ts';
import { explainSyscall, seccompListing, seccompSection } from './seccomp.ts';

export const SECTIONS = ['namespaces', 'process', 'capabilities', 'rlimits', 'hooks', 'seccomp', 'syscall', 'bpf', 'plan'] as const;
export type Section = (typeof SECTIONS)[number];

export interface ExplainInput {
  spec: Spec;
  /** validator warnings (unknown capabilities, …) */
  warnings: string[];
  configPath: string;
  rootfs: string;
  /** the cgroup dirs the container would get (fake in unit tests) */
  cgroup: CgroupState;
  isDir: (hostPath: string) => boolean;
  lastCap?: number;
  lsmHost: LsmHost;
  home?: string;
  hasKcore?: boolean;
  /** `--syscall` queries: names (or x86_64 numbers) */
  syscalls?: string[];
  /** `--args` for the syscall queries */
  syscallArgs?: bigint[];
  /** only these sections (default: all) */
  sections?: Section[];
}

export interface Explained {
  text: string;
  /** errors `create` would fail with (empty when it would get as far as running the init) */
  problems: string[];
  plan?: Plan;
}

const NS_ORDER = ['user', 'mount', 'pid', 'network', 'ipc', 'uts', 'cgroup', 'time'] as const;

export function explain(inp: ExplainInput): Explained {
  const { spec } = inp;
  const want = (s: Section) => !inp.sections?.length || inp.sections.includes(s);
  const out: string[] = [];
  const problems: string[] = [];
  const proc = spec.process!;
  const lastCap = inp.lastCap ?? CAP_LAST_CAP;

  out.push(`config      ${inp.configPath}`);
  out.push(`rootfs      ${inp.rootfs}${spec.root?.readonly ? ' (read-only)' : ''}`);
  for (const w of inp.warnings) out.push(`warning     ${w}`);

  // ---- seccomp (compiled first: the plan needs it) ----
  let compiled: CompiledSeccomp | undefined;
  let compileMs = 0;
  let seccompPlan: SeccompPlan | undefined;
  const sc = spec.linux?.seccomp;
  if (sc) {
    try {
      const t0 = performance.now();
      compiled = compileSeccomp(sc, { pointer: '/linux/seccomp' });
      compileMs = performance.now() - t0;
      seccompPlan = { program: compiled.program, flags: compiled.flags };
      if (compiled.notify) {
        if (!sc.listenerPath) problems.push('/linux/seccomp/listenerPath: SCMP_ACT_NOTIFY needs a listenerPath to send the notify fd to');
        seccompPlan.notify = { socketFd: 3 + 1 + (proc.terminal ? 2 : 1), state: '<containerProcessState JSON, sent with the fd>' };
      }
    } catch (e) {
      problems.push((e as Error).message);
    }
  }

  let lsm: LsmPlan | undefined;
  try {
    lsm = checkLsm(spec, inp.lsmHost);
  } catch (e) {
    problems.push((e as Error).message);
  }

  const ns = planNamespaces(spec.linux?.namespaces);
  let plan: Plan | undefined;
  try {
    plan = buildCreatePlan({
      id: '<id>',
      spec,
      rootfs: inp.rootfs,
      ns,
      isDir: inp.isDir,
      cgroupMounts: (readonly) => cgroupMountsForContainer(inp.cgroup, { cgroupns: ns.has('cgroup'), readonly }),
      seccomp: seccompPlan,
      lsm,
      home: inp.home,
      firstPrivateFd: 3,
      hasKcore: inp.hasKcore,
      lastCap,
      console: proc.terminal ? { socketFd: 5 } : undefined,
      hookState: (status) => `<state JSON, status "${status}">`,
    });
  } catch (e) {
    problems.push((e as Error).message);
  }

  if (want('namespaces')) {
    out.push('', 'namespaces');
    const byType = new Map((spec.linux?.namespaces ?? []).map((n) => [n.type, n]));
    for (const t of NS_ORDER) {
      const n = byType.get(t);
      out.push(`  ${t.padEnd(9)} ${!n ? 'shared with the host (not in the config)' : n.path ? `joined: ${n.path}` : 'new'}`);
    }
    if (spec.linux?.uidMappings?.length) out.push(`  uid map   ${spec.linux.uidMappings.map((m) => `${m.containerID}→${m.hostID} (${m.size})`).join(', ')}`);
    if (spec.linux?.gidMappings?.length) out.push(`  gid map   ${spec.linux.gidMappings.map((m) => `${m.containerID}→${m.hostID} (${m.size})`).join(', ')}`);
  }

  if (want('process')) {
    const u = proc.user;
    out.push('', 'process');
    out.push(`  args              ${JSON.stringify(proc.args ?? [])}`);
    out.push(`  cwd               ${proc.cwd}`);
    out.push(`  user              uid ${u.uid}, gid ${u.gid}, groups ${(u.additionalGids ?? []).join(',') || '(none)'}, umask ${(u.umask ?? 0o022).toString(8).padStart(4, '0')}`);
    out.push(`  terminal          ${proc.terminal ? 'yes (pty, master sent to the console socket)' : 'no'}`);
    out.push(`  noNewPrivileges   ${proc.noNewPrivileges ? 'yes: setuid bits and file capabilities are ignored at exec' : 'no'}`);
    if (proc.apparmorProfile) out.push(`  apparmorProfile   ${proc.apparmorProfile}${inp.lsmHost.apparmor ? '' : ' (AppArmor is not enabled here: create fails)'}`);
    if (proc.selinuxLabel) out.push(`  selinuxLabel      ${proc.selinuxLabel}${inp.lsmHost.selinux ? '' : ' (SELinux is not enabled here: create fails)'}`);
    if (spec.linux?.personality) out.push(`  personality       ${spec.linux.personality.domain}`);
    if (proc.scheduler) out.push(`  scheduler         ${JSON.stringify(proc.scheduler)}`);
    if (proc.ioPriority) out.push(`  ioPriority        ${proc.ioPriority.class} ${proc.ioPriority.priority ?? 0}`);
    if (proc.execCPUAffinity) out.push(`  execCPUAffinity   initial ${proc.execCPUAffinity.initial ?? '-'} (before the cgroup join), final ${proc.execCPUAffinity.final ?? (proc.execCPUAffinity.initial ? 'all of the cgroup\'s CPUs' : '-')} (at exec)`);
    if (proc.oomScoreAdj !== undefined) out.push(`  oomScoreAdj       ${proc.oomScoreAdj}`);
    if (spec.linux?.maskedPaths?.length) out.push(`  maskedPaths       ${spec.linux.maskedPaths.join(' ')}`);
    if (spec.linux?.readonlyPaths?.length) out.push(`  readonlyPaths     ${spec.linux.readonlyPaths.join(' ')}`);
  }

  if (want('capabilities')) {
    const m = capsToMasks(proc.capabilities, '/process/capabilities', lastCap);
    const all = (1n << BigInt(lastCap + 1)) - 1n;
    const bounding = all & ~m.dropBounding;
    const ambient = m.ambient & m.permitted & m.inheritable;
    const row = (k: string, v: bigint) => `  ${k.padEnd(12)} ${String(popcount(v)).padStart(2)}  ${capNames(v)}`;
    out.push('', `capabilities (as set before exec; the kernel knows 0..${lastCap})`);
    out.push(row('bounding', bounding), row('effective', m.effective), row('permitted', m.permitted), row('inheritable', m.inheritable), row('ambient', ambient));
    const lost = m.ambient & ~ambient;
    if (lost) out.push(`  (not raised as ambient — not both permitted and inheritable: ${capNames(lost)})`);
    // what execve makes of them (no file capabilities; NNP only matters for those and setuid bits)
    out.push(`  after execve, as uid ${proc.user.uid}${proc.user.uid === 0 ? ' (root: permitted = effective = inheritable ∪ bounding, ambient cleared)' : ' (non-root: permitted = effective = ambient)'}:`);
    if (proc.user.uid === 0) {
      const p = m.inheritable | bounding;
      out.push(row('  effective', p), row('  permitted', p), row('  ambient', 0n));
    } else {
      out.push(row('  effective', ambient), row('  permitted', ambient), row('  ambient', ambient));
    }
    if (!proc.noNewPrivileges) out.push('  (without noNewPrivileges a setuid-root binary or file capabilities can still raise them up to the bounding set)');
  }

  if (want('rlimits')) {
    out.push('', 'rlimits');
    const rl = proc.rlimits ?? [];
    if (!rl.length) out.push('  (none set: inherited from skiff)');
    for (const r of rl) out.push(`  ${r.type.padEnd(18)} soft ${fmtLimit(r.soft).padEnd(20)} hard ${fmtLimit(r.hard)}`);
  }

  if (want('hooks')) {
    out.push('', 'hooks');
    const where: Record<string, string> = {
      prestart: 'by skiff, runtime namespaces, after the namespaces exist (deprecated)',
      createRuntime: 'by skiff, runtime namespaces, after the namespaces exist',
      createContainer: 'by the init, in the container\'s namespaces, before pivot_root',
      startContainer: 'by the init, in the container, after `start`, before the seccomp filter and exec',
      poststart: 'by skiff after `start`',
      poststop: 'by skiff at `delete`',
    };
    let any = false;
    for (const kind of Object.keys(where)) {
      const list = (spec.hooks as Record<string, { path: string; args?: string[]; timeout?: number }[]> | undefined)?.[kind] ?? [];
      if (!list.length) continue;
      any = true;
      out.push(`  ${kind} — ${where[kind]}`);
      list.forEach((h, i) => out.push(`    [${i}] ${JSON.stringify(h.args ?? [h.path])} (${h.path}${h.timeout ? `, timeout ${h.timeout}s` : ''})`));
    }
    if (!any) out.push('  (none)');
  }

  const queries = want('syscall') || want('seccomp') ? inp.syscalls ?? [] : [];
  if (want('seccomp') || queries.length) {
    out.push('', 'seccomp');
    if (!sc) out.push('  (no profile: every syscall is allowed)');
    else if (compiled) {
      if (want('seccomp')) out.push(...seccompSection(sc, compiled, compileMs));
      for (const q of queries) out.push('', ...explainSyscall(sc, compiled, q, { args: inp.syscallArgs }).map((l) => `  ${l}`));
    }
  }
  if (want('bpf') && compiled) {
    out.push('', 'seccomp program (x86_64, x86, x32)');
    out.push(...seccompListing(compiled));
  }

  if (want('plan') && plan) {
    out.push('', `init plan (${plan.ops.length} ops, run in order by the C init; the source of each op in parentheses)`);
    out.push(formatPlan(plan));
  }

  if (problems.length) {
    out.push('', 'problems (create would fail with these)');
    for (const p of problems) out.push(`  ${p}`);
  }
  return { text: out.join('\n') + '\n', problems, plan };
}

function popcount(v: bigint): number {
  let n = 0;
  for (; v; v &= v - 1n) n++;
  return n;
}

function fmtLimit(v: number): string {
  return v >= 2 ** 64 - 1 || v === -1 ? 'unlimited' : String(v);
}
