// `state` and `list`: the runtime state as runc prints it, computed live.
import { resolve } from 'node:path';
import type { ContainerStatus } from '../spec/types.ts';
import { NotFoundError } from '../errors.ts';
import { loadContainer } from './load.ts';
import { DEFAULT_ROOT, listIds } from './state.ts';

/** runc's `state` JSON (specs.State plus rootfs, created, owner). */
export interface ContainerState {
  ociVersion: string;
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

export function containerState(root: string | undefined, id: string): ContainerState {
  const c = loadContainer(root, id);
  const s = c.state;
  const out: ContainerState = {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: c.status === 'stopped' ? 0 : s.pid,
    status: c.status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: s.owner,
  };
  if (s.annotations && Object.keys(s.annotations).length) out.annotations = s.annotations;
  return out;
}

export function listContainers(root: string | undefined): ContainerState[] {
  const r = resolve(root ?? DEFAULT_ROOT);
  const out: ContainerState[] = [];
  for (const id of listIds(r)) {
    try {
      out.push(containerState(r, id));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e; // deleted meanwhile, or still being created
    }
  }
  return out;
}
