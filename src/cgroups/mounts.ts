// What the init must mount at the container's /sys/fs/cgroup so that the
// container sees its own cgroups (runc's mountCgroupV1 / mountCgroupV2).
import { posix } from 'node:path';
import type { CgroupState } from './index.ts';

export interface CgroupMount {
  /** mount source: a host directory for binds, "tmpfs"/"cgroup"/"cgroup2" otherwise; for 'symlink', the link target */
  source: string;
  /** relative to the container's /sys/fs/cgroup ('' is /sys/fs/cgroup itself) */
  destination: string;
  /** 'symlink' entries are not mounts: create `destination` as a symlink to `source` (after the mounts) */
  type: 'tmpfs' | 'bind' | 'cgroup' | 'cgroup2' | 'symlink';
  /** mount(8)-style flag words: ro, nosuid, nodev, noexec, bind, rec */
  flags: string[];
  /** fs-specific data (tmpfs mode, cgroup controller list) */
  data: string;
}

export interface CgroupMountOptions {
  /** the container has its own cgroup namespace */
  cgroupns: boolean;
  /** the OCI mount of /sys/fs/cgroup asked for "ro" */
  readonly?: boolean;
}

/**
 * The layout of /sys/fs/cgroup for a container. v1 (and hybrid): a tmpfs,
 * one mount per hierarchy named like the host's mount point (e.g.
 * "cpu,cpuacct"), symlinks for each controller of a combined hierarchy, and
 * for hybrid hosts the unified hierarchy at "unified". v2: one cgroup2 mount.
 * With a cgroup namespace the real cgroup file systems are mounted (the
 * kernel roots them at the container's cgroup); without one, the
 * container's own directories are bind-mounted.
 */
export function cgroupMountsForContainer(state: CgroupState, opts: CgroupMountOptions): CgroupMount[] {
  const base = ['nosuid', 'nodev', 'noexec'];
  const ro = opts.readonly ? ['ro'] : [];
  const unifiedDir = state.paths[''];
  if (state.layout === 'v2') {
    if (!unifiedDir) return [];
    return [
      opts.cgroupns
        ? { source: 'cgroup2', destination: '', type: 'cgroup2', flags: [...base, ...ro], data: '' }
        : { source: unifiedDir, destination: '', type: 'bind', flags: ['bind', 'rec', ...base, ...ro], data: '' },
    ];
  }
  const out: CgroupMount[] = [{ source: 'tmpfs', destination: '', type: 'tmpfs', flags: [...base], data: 'mode=755' }];
  const symlinks: CgroupMount[] = [];
  // group controllers by directory: co-mounted controllers share one
  const byDir = new Map<string, string[]>();
  for (const [ctl, dir] of Object.entries(state.paths)) {
    if (ctl === '') continue;
    const list = byDir.get(dir) ?? [];
    list.push(ctl);
    byDir.set(dir, list);
  }
  const names = state.mountNames ?? {};
  for (const [dir, ctls] of byDir) {
    // The directory name the host uses for this hierarchy (e.g. "cpu,cpuacct", "systemd")
    const name = names[ctls[0]] ?? defaultMountName(ctls);
    if (opts.cgroupns) {
      const data = ctls.slice().sort().join(',');
      out.push({ source: ctls.includes('name=systemd') ? 'systemd' : 'cgroup', destination: name, type: 'cgroup', flags: [...base, ...ro], data });
    } else {
      out.push({ source: dir, destination: name, type: 'bind', flags: ['bind', 'rec', ...base, ...ro], data: '' });
    }
    if (name.includes(',')) {
      for (const c of name.split(',')) {
        if (c !== name) symlinks.push({ source: name, destination: c, type: 'symlink', flags: [], data: '' });
      }
    }
  }
  if (state.layout === 'hybrid' && unifiedDir) {
    const name = names[''] ?? 'unified';
    out.push(
      opts.cgroupns
        ? { source: 'cgroup2', destination: name, type: 'cgroup2', flags: [...base, ...ro], data: '' }
        : { source: unifiedDir, destination: name, type: 'bind', flags: ['bind', 'rec', ...base, ...ro], data: '' },
    );
  }
  return [...out, ...symlinks];
}

function defaultMountName(ctls: string[]): string {
  if (ctls.length === 1 && ctls[0].startsWith('name=')) return ctls[0].slice(5);
  return ctls.slice().sort().join(',');
}

/** Mount-point base names per controller key, recorded in the state at create time. */
export function mountNamesFor(hierarchies: { mountpoint: string; controllers: string[]; version: 1 | 2 }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of hierarchies) {
    for (const c of h.version === 2 ? [''] : h.controllers) out[c] = posix.basename(h.mountpoint);
  }
  return out;
}
