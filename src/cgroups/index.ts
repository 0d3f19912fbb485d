// The cgroup manager: plain file writes from the host (runc's "cgroupfs"
// driver). Layout (v1 / v2 / hybrid) comes from /proc/self/mountinfo, our
// place in each hierarchy from /proc/self/cgroup.
import type { LinuxResources } from '../spec/types.ts';
import type { CgroupStats } from './stats.ts';
import { CgroupManagerImpl, type ManagerDeps } from './manager.ts';

export { detectLayout } from './layout.ts';
export type { Layout, Hierarchy, LayoutMode } from './layout.ts';
export { cgroupMountsForContainer } from './mounts.ts';
export type { CgroupMount, CgroupMountOptions } from './mounts.ts';
export type { CgroupStats } from './stats.ts';
export type { CgroupFs } from './fs.ts';
export { realFs } from './fs.ts';
export { deviceFilterProgram } from './devices-bpf.ts';
export type { ManagerDeps, BpfAddon } from './manager.ts';

export interface CgroupConfig {
  /** container id: the default cgroup is "<caller's cgroup>/<id>" */
  id: string;
  /** linux.cgroupsPath: absolute = from each hierarchy's root, relative = under the caller's cgroup */
  cgroupsPath?: string;
  resources?: LinuxResources;
}

/** JSON-serialisable; stored in the container's state.json. */
export interface CgroupState {
  layout: 'v1' | 'v2' | 'hybrid';
  /** controller ('memory', 'cpu', ..., 'name=systemd'; '' = the unified/v2 dir) -> absolute directory */
  paths: Record<string, string>;
  /** directories this manager created, parents before children (destroy removes only these) */
  created: string[];
  /** mount point of the cgroup2 hierarchy, when there is one (to enable controllers in ancestors) */
  unifiedMount?: string;
  /** host mount-point base name per controller key ("cpu,cpuacct", "systemd", "unified") */
  mountNames?: Record<string, string>;
}

export interface OomEvents {
  /** times the cgroup hit its limit and the OOM killer ran (v2: memory.events oom; v1: = oomKill) */
  oom: number;
  /** processes killed by the OOM killer (v2 memory.events oom_kill; v1 memory.oom_control oom_kill, kernel >= 4.13) */
  oomKill: number;
  /** v1 only: the cgroup is under OOM right now (OOM killer disabled and out of memory) */
  underOom: boolean;
}

export interface CgroupManager {
  readonly state: CgroupState;
  /** mkdir -p every needed dir; refuses a cgroup that is frozen or already holds processes */
  create(): void;
  /** move pid into the container's cgroup in every hierarchy */
  apply(pid: number): void;
  /** apply() without blocking the event loop: a write to cgroup.procs can wait
   * milliseconds in the kernel (RCU); in-process callers (the library API)
   * creating containers concurrently overlap those waits */
  applyAsync(pid: number): Promise<void>;
  /** write limits; a zero value means "leave alone" (runc); errors name the field by JSON pointer */
  set(resources: LinuxResources, opts?: { update?: boolean }): void;
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  /** every pid in the container's cgroup, sub-cgroups included */
  pids(): number[];
  stats(): CgroupStats;
  /** signal every process (freezing around it so none can fork away) */
  killAll(signal: number): void;
  /** remove the directories we created; idempotent */
  destroy(): void;
  /** OOM counters; `events` polls these (no eventfd needed) */
  oomEvents(): OomEvents;
  /** is there a cgroup directory at all (any hierarchy) */
  exists(): boolean;
}

/** Resolve the container's cgroup directories; nothing is written yet. */
export function createCgroupManager(cfg: CgroupConfig, deps: ManagerDeps = {}): CgroupManager {
  return CgroupManagerImpl.fromConfig(cfg, deps);
}

/** Rebuild a manager from the state saved in state.json. */
export function loadCgroupManager(state: CgroupState, deps: ManagerDeps = {}): CgroupManager {
  return CgroupManagerImpl.fromState(state, deps);
}
