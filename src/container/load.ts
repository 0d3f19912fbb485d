// Loading an existing container: its stored state, its cgroup manager and
// its live status.
import { resolve } from 'node:path';
import type { ContainerStatus } from '../spec/types.ts';
import { loadCgroupManager, type CgroupManager } from '../cgroups/index.ts';
import { DEFAULT_ROOT, computeStatus, containerDir, readState, type StoredState } from './state.ts';

export interface Loaded {
  root: string;
  dir: string;
  state: StoredState;
  status: ContainerStatus;
  cgroup(): CgroupManager | undefined;
}

export function loadContainer(rootOpt: string | undefined, id: string): Loaded {
  const root = resolve(rootOpt ?? DEFAULT_ROOT);
  const dir = containerDir(root, id);
  const state = readState(root, id);
  let cg: CgroupManager | undefined;
  const cgroup = () => {
    if (!cg && state.cgroup) cg = loadCgroupManager(state.cgroup);
    return cg;
  };
  const status = computeStatus(dir, state, () => cgroup()?.isFrozen() ?? false);
  return { root, dir, state, status, cgroup };
}
