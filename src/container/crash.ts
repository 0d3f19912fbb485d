// Deterministic crash points for the crash-consistency tests: with
// SKIFF_TEST_CRASH_AT=<name>, skiff kills itself (SIGKILL) when it reaches
// that point, leaving whatever a real crash there would leave.
export const CRASH_POINTS = [
  'create:after-statedir',
  'create:after-fifo',
  'create:after-state',
  'create:after-cgroup',
  'create:after-spawn',
  'create:after-pid',
  'create:after-apply',
  'create:mid-plan',
  'create:before-ready',
  'create:after-ready',
  'create:rollback',
  'delete:after-kill',
  'delete:after-cgroup',
  'delete:after-statedir',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

import { mark } from '../util/trace.ts';

const at = process.env.SKIFF_TEST_CRASH_AT;

export function crashPoint(name: CrashPoint): void {
  mark(name);
  if (at === name) process.kill(process.pid, 'SIGKILL');
}
