// Which cgroup hierarchies this host has and where this process sits in
// them, from /proc/self/mountinfo and /proc/self/cgroup (never guessed from
// well-known paths). Pure when the file contents are passed in.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { SkiffError } from '../errors.ts';

/** Controllers a v1 hierarchy can carry (what the `cgroup` fs accepts as options). */
export const V1_CONTROLLERS = new Set([
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);

export interface Hierarchy {
  version: 1 | 2;
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup. */
  mountpoint: string;
  /** The mount's root inside the hierarchy (field 4 of mountinfo), usually "/". */
  root: string;
  /** v1: controllers (and "name=xxx") from the super options; v2: [''] */
  controllers: string[];
  /** This process's cgroup in the hierarchy, as /proc/self/cgroup says. */
  ownCgroup: string;
  /** The directory of ownCgroup under mountpoint. */
  ownDir: string;
}

export type LayoutMode = 'v1' | 'v2' | 'hybrid';

export interface Layout {
  mode: LayoutMode;
  /** Every hierarchy in use: v1 ones, then the unified one (if any) last. */
  hierarchies: Hierarchy[];
  /** The cgroup2 hierarchy (pure v2, or the hybrid "unified" mount). */
  unified?: Hierarchy;
}

/** Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

interface CgroupMountEntry {
  version: 1 | 2;
  mountpoint: string;
  root: string;
  controllers: string[];
}

export function parseCgroupMounts(mountinfo: string): CgroupMountEntry[] {
  const out: CgroupMountEntry[] = [];
  for (const line of mountinfo.split('\n')) {
    if (!line.trim()) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const fstype = post[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const root = unescapeMountinfo(pre[3]);
    const mountpoint = unescapeMountinfo(pre[4]);
    if (fstype === 'cgroup2') {
      out.push({ version: 2, mountpoint, root, controllers: [''] });
      continue;
    }
    const superOpts = (post[2] ?? '').split(',');
    const controllers = superOpts.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='));
    if (controllers.length === 0) continue;
    out.push({ version: 1, mountpoint, root, controllers });
  }
  return out;
}

export interface SelfCgroupLine {
  id: number;
  controllers: string[];
  path: string;
}

export function parseSelfCgroup(text: string): SelfCgroupLine[] {
  const out: SelfCgroupLine[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const ctl = line.slice(a + 1, b);
    out.push({ id: Number(line.slice(0, a)), controllers: ctl === '' ? [''] : ctl.split(','), path: line.slice(b + 1) });
  }
  return out;
}

/** mountpoint + (cgroup path relative to the mount's root); the mountpoint itself when outside it. */
export function dirForCgroup(mountpoint: string, root: string, cgroup: string): string {
  const rel = posix.relative(posix.join('/', root), posix.join('/', cgroup));
  if (rel === '' || rel.startsWith('..')) return mountpoint;
  return posix.join(mountpoint, rel);
}

function isUnder(cgroup: string, root: string): boolean {
  const rel = posix.relative(posix.join('/', root), posix.join('/', cgroup));
  return !rel.startsWith('..');
}

/**
 * Detect v1 / v2 / hybrid from mountinfo and place this process in each
 * hierarchy. Without arguments it reads /proc/self/mountinfo and
 * /proc/self/cgroup.
 */
export function detectLayout(mountinfo?: string, selfCgroup?: string): Layout {
  const mi = mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  const sc = selfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8');
  const mounts = parseCgroupMounts(mi);
  const own = parseSelfCgroup(sc);

  const ownFor = (controllers: string[]): string | undefined => {
    if (controllers[0] === '') return own.find((l) => l.id === 0 && l.controllers[0] === '')?.path;
    const key = [...controllers].sort().join(',');
    const exact = own.find((l) => [...l.controllers].sort().join(',') === key);
    if (exact) return exact.path;
    return own.find((l) => controllers.some((c) => l.controllers.includes(c)))?.path;
  };

  // One entry per hierarchy: the same hierarchy may be mounted several times
  // (bind mounts); prefer the mount whose root contains our cgroup, then one
  // under /sys/fs/cgroup, then the first.
  const byKey = new Map<string, CgroupMountEntry[]>();
  for (const m of mounts) {
    const key = m.version === 2 ? '' : [...m.controllers].sort().join(',');
    const list = byKey.get(key) ?? [];
    list.push(m);
    byKey.set(key, list);
  }
  const hierarchies: Hierarchy[] = [];
  let unified: Hierarchy | undefined;
  for (const [, list] of byKey) {
    const ownCgroup = ownFor(list[0].controllers);
    if (ownCgroup === undefined) continue; // mounted but this process is not in it (foreign hierarchy)
    const score = (m: CgroupMountEntry): number =>
      (isUnder(ownCgroup, m.root) ? 2 : 0) + (m.mountpoint.startsWith('/sys/fs/cgroup') ? 1 : 0);
    const best = [...list].sort((x, y) => score(y) - score(x))[0];
    const h: Hierarchy = {
      version: best.version,
      mountpoint: best.mountpoint,
      root: best.root,
      controllers: best.controllers,
      ownCgroup,
      ownDir: dirForCgroup(best.mountpoint, best.root, ownCgroup),
    };
    if (h.version === 2) unified = h;
    else hierarchies.push(h);
  }
  const realV1 = hierarchies.some((h) => h.controllers.some((c) => !c.startsWith('name=')));
  if (!realV1 && !unified) {
    if (hierarchies.length === 0) throw new SkiffError('no cgroup file system is mounted (checked /proc/self/mountinfo)');
  }
  let mode: LayoutMode;
  if (unified && !realV1) {
    mode = 'v2';
    // A lone name=systemd v1 mount next to a full cgroup2: still a v2 host for us.
    hierarchies.length = 0;
  } else if (unified) mode = 'hybrid';
  else mode = 'v1';
  if (unified) hierarchies.push(unified);
  return { mode, hierarchies, ...(unified ? { unified } : {}) };
}

/** The key of a hierarchy in CgroupState.paths for one of its controllers. */
export function controllerKeys(h: Hierarchy): string[] {
  return h.version === 2 ? [''] : h.controllers;
}
