// Exec process → init plan. The init has already joined the container's
// namespaces (bootstrap, MODE_EXEC) and its cgroup (the parent did it before
// sending this plan); what is left is the process itself, as runc's
// setns_init does it: a new session (or the pty's), the LSM label, then the
// shared process part (rlimits, NNP, seccomp, user, caps, cwd, lookup, exec).
import type { Process } from '../spec/types.ts';
import { str, u64, type Plan, type PlanOp } from './types.ts';
import { addConsoleOps, addProcessOps, type ConsoleOpts, type SeccompPlan } from './build.ts';

export interface ExecPlanInput {
  process: Process;
  /** JSON pointer prefix of the process object in error messages */
  base: string;
  seccomp?: SeccompPlan;
  home?: string;
  lastCap?: number;
  firstPrivateFd: number;
  console?: ConsoleOpts;
  /** a container without a mount namespace: chroot here first (its init's /proc/<pid>/root) */
  chroot?: string;
}

export function buildExecPlan(inp: ExecPlanInput): Plan {
  const ops: PlanOp[] = [];
  const add = (op: PlanOp['op'], args: PlanOp['args'], source: string, what: string) => ops.push({ op, args, source, what });
  const p = inp.process;
  // joining a mount namespace sets our root to the container's; without one we chroot
  if (inp.chroot) add('PIVOT_ROOT', [str(inp.chroot), u64(2)], '/root/path', `chroot into the container's root (${inp.chroot})`);
  // runc's nsexec makes every container process a session leader
  if (inp.console) addConsoleOps(add, inp.console, false);
  else add('SETSID', [], 'runtime', 'new session');
  // the LSM label applies at the exec below; the caller checked the LSM is there
  if (p.selinuxLabel) add('WRITE_FILE', [str('/proc/self/attr'), str('exec'), str(p.selinuxLabel)], `${inp.base}/selinuxLabel`, `selinux exec label ${p.selinuxLabel}`);
  if (p.apparmorProfile) add('WRITE_FILE', [str('/proc/self/attr'), str('apparmor/exec'), str(`exec ${p.apparmorProfile}`)], `${inp.base}/apparmorProfile`, `apparmor profile ${p.apparmorProfile}`);
  addProcessOps(add, p, {
    home: inp.home,
    lastCap: inp.lastCap,
    seccomp: inp.seccomp,
    firstPrivateFd: inp.firstPrivateFd,
    waitFifo: false,
    base: inp.base,
  });
  return { ops };
}
