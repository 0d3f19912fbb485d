// Where a container's cgroup lives in each hierarchy (runc's cgroupfs rules):
//   absolute linux.cgroupsPath -> <hierarchy mount>/<path>
//   relative                    -> <our own cgroup dir>/<path>
//   unset                       -> <our own cgroup dir>/<container id>
import { posix } from 'node:path';
import { SpecError } from '../errors.ts';
import { controllerKeys, type Layout } from './layout.ts';

export interface ResolvedPath {
  absolute: boolean;
  /** normalised path without a leading slash; never empty, never escapes its base */
  rel: string;
}

export function normalizeCgroupsPath(id: string, cgroupsPath: string | undefined): ResolvedPath {
  const P = '/linux/cgroupsPath';
  if (cgroupsPath === undefined || cgroupsPath === '') {
    if (!id || id.includes('/') || id === '.' || id === '..') throw new SpecError(P, `cannot derive a cgroup name from container id "${id}"`);
    return { absolute: false, rel: id };
  }
  if (/^[^/:]*:[^/:]*:[^/:]*$/.test(cgroupsPath)) {
    throw new SpecError(P, `"${cgroupsPath}" is a systemd cgroup path ("slice:prefix:name"); the systemd cgroup manager is not supported yet, use a cgroupfs path such as "/skiff/${id}"`);
  }
  if (cgroupsPath.includes('\0') || cgroupsPath.includes('\n')) throw new SpecError(P, 'invalid characters in cgroup path');
  const absolute = cgroupsPath.startsWith('/');
  // Lexically clean, and never climb above the base ("../../x" -> "x").
  const rel = posix.join('/', cgroupsPath).replace(/^\/+/, '').replace(/\/+$/, '');
  if (rel === '') {
    throw new SpecError(P, absolute ? 'the root cgroup cannot be a container\'s cgroup' : 'cgroup path resolves to the caller\'s own cgroup');
  }
  return { absolute, rel };
}

/** controller key -> directory, for every hierarchy in the layout. */
export function resolvePaths(layout: Layout, id: string, cgroupsPath: string | undefined): Record<string, string> {
  const { absolute, rel } = normalizeCgroupsPath(id, cgroupsPath);
  const paths: Record<string, string> = {};
  for (const h of layout.hierarchies) {
    const dir = posix.join(absolute ? h.mountpoint : h.ownDir, rel);
    for (const k of controllerKeys(h)) paths[k] = dir;
  }
  return paths;
}
