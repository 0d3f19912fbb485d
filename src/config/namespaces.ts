// Namespace types ↔ clone(2) flags, and the split between namespaces the
// init creates and those it joins by path.
import type { LinuxNamespace, NamespaceType } from '../spec/types.ts';

export const CLONE_FLAGS: Record<NamespaceType, number> = {
  mount: 0x00020000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  network: 0x40000000,
  cgroup: 0x02000000,
  time: 0x00000080,
};

/** /proc/<pid>/ns/<name> for each type. */
export const NS_PROC_NAME: Record<NamespaceType, string> = {
  mount: 'mnt',
  uts: 'uts',
  ipc: 'ipc',
  user: 'user',
  pid: 'pid',
  network: 'net',
  cgroup: 'cgroup',
  time: 'time',
};

export interface NamespacePlan {
  /** flags for unshare(2) */
  cloneFlags: number;
  /** setns(2) targets, the user namespace first */
  join: { type: NamespaceType; flag: number; path: string }[];
  has(t: NamespaceType): boolean;
  creates(t: NamespaceType): boolean;
}

export function planNamespaces(list: readonly LinuxNamespace[] = []): NamespacePlan {
  let cloneFlags = 0;
  const join: NamespacePlan['join'] = [];
  const types = new Set<NamespaceType>();
  for (const ns of list) {
    types.add(ns.type);
    if (ns.path) join.push({ type: ns.type, flag: CLONE_FLAGS[ns.type], path: ns.path });
    else cloneFlags |= CLONE_FLAGS[ns.type];
  }
  // user first: joining it grants the capabilities needed to join the others
  join.sort((a, b) => (a.type === 'user' ? -1 : 0) - (b.type === 'user' ? -1 : 0));
  return {
    cloneFlags,
    join,
    has: (t) => types.has(t),
    creates: (t) => (cloneFlags & CLONE_FLAGS[t]) !== 0,
  };
}
