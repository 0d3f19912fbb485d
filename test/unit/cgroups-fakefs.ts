// An in-memory cgroup file system for the unit tests: directories, files,
// a log of every write, per-path failure injection, and just enough kernel
// behaviour (new cgroups get their control files; devices.allow/deny keep
// devices.list; freezer and cgroup.freeze report their state).
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { CgroupFs } from '../../src/cgroups/fs.ts';
import { detectLayout, type Layout } from '../../src/cgroups/layout.ts';
import { DeviceEmulator, ruleString } from '../../src/cgroups/devices.ts';

export const FIXTURES = join(__dirname, '../fixtures/cgroups');
export const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

export function fsError(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

const V1_FILES: Record<string, Record<string, string>> = {
  memory: {
    'memory.limit_in_bytes': '9223372036854771712\n', 'memory.memsw.limit_in_bytes': '9223372036854771712\n',
    'memory.soft_limit_in_bytes': '9223372036854771712\n', 'memory.kmem.limit_in_bytes': '9223372036854771712\n',
    'memory.kmem.tcp.limit_in_bytes': '9223372036854771712\n', 'memory.swappiness': '60\n',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', 'memory.usage_in_bytes': '0\n',
    'memory.max_usage_in_bytes': '0\n', 'memory.failcnt': '0\n', 'memory.stat': 'cache 0\nrss 0\n',
    'memory.memsw.usage_in_bytes': '0\n', 'memory.memsw.max_usage_in_bytes': '0\n', 'memory.memsw.failcnt': '0\n',
  },
  cpu: {
    'cpu.shares': '1024\n', 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_burst_us': '0\n',
    'cpu.rt_period_us': '1000000\n', 'cpu.rt_runtime_us': '0\n', 'cpu.idle': '0\n', 'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
  },
  cpuacct: { 'cpuacct.usage': '0\n', 'cpuacct.stat': 'user 0\nsystem 0\n', 'cpuacct.usage_percpu': '0 0 \n' },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' },
  devices: { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' },
  freezer: { 'freezer.state': 'THAWED\n', 'freezer.self_freezing': '0\n', 'freezer.parent_freezing': '0\n' },
  blkio: {
    'blkio.bfq.weight': '100\n', 'blkio.bfq.weight_device': '', 'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '',
    'blkio.throttle.read_iops_device': '', 'blkio.throttle.write_iops_device': '',
    'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 0\n8:0 Sync 4096\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 4096\nTotal 4096\n',
    'blkio.throttle.io_serviced_recursive': 'Total 0\n',
  },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
  hugetlb: { 'hugetlb.2MB.limit_in_bytes': '9223372036854771712\n', 'hugetlb.2MB.usage_in_bytes': '0\n', 'hugetlb.2MB.max_usage_in_bytes': '0\n', 'hugetlb.2MB.failcnt': '0\n' },
  net_cls: { 'net_cls.classid': '0\n' },
  net_prio: { 'net_prio.ifpriomap': 'lo 0\n' },
  rdma: { 'rdma.max': '' },
};

const V2_FILES: Record<string, Record<string, string>> = {
  '': { 'cgroup.freeze': '0\n', 'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.kill': '', 'cgroup.type': 'domain\n', 'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n' },
  memory: { 'memory.max': 'max\n', 'memory.low': '0\n', 'memory.swap.max': 'max\n', 'memory.current': '0\n', 'memory.swap.current': '0\n', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n', 'memory.stat': 'anon 0\nfile 0\n' },
  cpu: { 'cpu.weight': '100\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n' },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.cpus.effective': '0-3\n', 'cpuset.mems.effective': '0\n' },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
  io: { 'io.weight': 'default 100\n', 'io.max': '', 'io.stat': '' },
  hugetlb: { 'hugetlb.2MB.max': 'max\n', 'hugetlb.2MB.current': '0\n', 'hugetlb.2MB.events': 'max 0\n' },
  rdma: { 'rdma.max': '' },
};

export class FakeFs implements CgroupFs {
  files = new Map<string, string>();
  dirs = new Set<string>(['/']);
  writes: [string, string][] = [];
  fail = new Map<string, string>();
  /** mountpoint -> (v1 controllers | 'v2') */
  private mounts = new Map<string, string[] | 'v2'>();
  private devices = new Map<string, DeviceEmulator>();

  addMount(mountpoint: string, kind: string[] | 'v2', v2Controllers: string[] = []): void {
    this.mounts.set(mountpoint, kind);
    this.mkdirp(mountpoint);
    if (kind === 'v2') {
      this.files.set(posix.join(mountpoint, 'cgroup.controllers'), v2Controllers.join(' ') + '\n');
      this.files.set(posix.join(mountpoint, 'cgroup.subtree_control'), '\n');
      this.files.set(posix.join(mountpoint, 'cgroup.procs'), '');
    } else {
      this.files.set(posix.join(mountpoint, 'cgroup.procs'), '');
      if (kind.includes('devices')) this.files.set(posix.join(mountpoint, 'devices.list'), 'a *:* rwm\n');
    }
  }

  /** mkdir -p populating cgroup files like the kernel does */
  mkdirp(p: string): void {
    if (this.dirs.has(p)) return;
    this.mkdirp(posix.dirname(p));
    this.mkdir(p);
  }

  private mountOf(p: string): [string, string[] | 'v2'] | undefined {
    let best: [string, string[] | 'v2'] | undefined;
    for (const [m, k] of this.mounts) {
      if ((p === m || p.startsWith(m + '/')) && (!best || m.length > best[0].length)) best = [m, k];
    }
    return best;
  }

  readFile(p: string): string {
    const v = this.files.get(p);
    if (v === undefined) throw fsError(this.dirs.has(p) ? 'EISDIR' : 'ENOENT', p);
    return v;
  }

  writeFile(p: string, data: string): void {
    const f = this.fail.get(p);
    if (f) throw fsError(f, p);
    if (!this.files.has(p)) throw fsError('ENOENT', p);
    this.writes.push([p, data]);
    const dir = posix.dirname(p);
    const name = posix.basename(p);
    if (name === 'devices.allow' || name === 'devices.deny') {
      const emu = this.devices.get(dir) ?? DeviceEmulator.fromList(this.files.get(posix.join(dir, 'devices.list')) ?? 'a *:* rwm');
      const m = /^([abc])(?: (\*|\d+):(\*|\d+) ([rwm]+))?$/.exec(data.trim());
      if (!m) throw fsError('EINVAL', p);
      const n = (s: string | undefined): number => (s === undefined || s === '*' ? -1 : Number(s));
      emu.apply({ type: m[1] as 'a' | 'b' | 'c', major: n(m[2]), minor: n(m[3]), access: m[4] ?? 'rwm', allow: name === 'devices.allow' });
      this.devices.set(dir, emu);
      this.files.set(posix.join(dir, 'devices.list'), emu.defaultAllow ? 'a *:* rwm\n' : emu.exceptions().map((e) => ruleString(e) + '\n').join(''));
      return;
    }
    if (name === 'freezer.state') {
      this.files.set(p, data.trim() + '\n');
      this.files.set(posix.join(dir, 'freezer.self_freezing'), data.trim() === 'FROZEN' ? '1\n' : '0\n');
      return;
    }
    if (name === 'cgroup.freeze') {
      this.files.set(p, data.trim() + '\n');
      this.files.set(posix.join(dir, 'cgroup.events'), `populated 0\nfrozen ${data.trim()}\n`);
      return;
    }
    if (name === 'cgroup.subtree_control') {
      // no internal processes: a non-root cgroup with members can't delegate domain controllers
      const root = this.mountOf(dir)?.[0] === dir;
      if (!root && (this.files.get(posix.join(dir, 'cgroup.procs')) ?? '').trim()) throw fsError('EBUSY', p);
      const cur = new Set(this.files.get(p)!.split(/\s+/).filter(Boolean));
      for (const w of data.split(/\s+/).filter(Boolean)) {
        const c = w.slice(1);
        const avail = (this.files.get(posix.join(dir, 'cgroup.controllers')) ?? '').split(/\s+/);
        if (!avail.includes(c)) throw fsError('ENOENT', p);
        if (w[0] === '+') cur.add(c);
        else cur.delete(c);
      }
      this.files.set(p, [...cur].join(' ') + '\n');
      // children see the change at once (cgroup.controllers and the control files)
      for (const child of this.subdirs(dir)) {
        const cp = posix.join(dir, child);
        this.files.set(posix.join(cp, 'cgroup.controllers'), [...cur].join(' ') + '\n');
        for (const c of cur) {
          for (const [k, v] of Object.entries(V2_FILES[c] ?? {})) if (!this.files.has(posix.join(cp, k))) this.files.set(posix.join(cp, k), v);
        }
      }
      return;
    }
    if (name === 'cgroup.procs') {
      this.files.set(p, this.files.get(p)! + data.trim() + '\n');
      return;
    }
    this.files.set(p, data);
  }

  exists(p: string): boolean {
    return this.files.has(p) || this.dirs.has(p);
  }
  isDirectory(p: string): boolean {
    return this.dirs.has(p);
  }

  mkdir(p: string): void {
    if (this.dirs.has(p) || this.files.has(p)) throw fsError('EEXIST', p);
    const parent = posix.dirname(p);
    if (!this.dirs.has(parent)) throw fsError('ENOENT', p);
    const f = this.fail.get(p);
    if (f) throw fsError(f, p);
    this.dirs.add(p);
    const m = this.mountOf(p);
    if (!m) return;
    const add = (t: Record<string, string>): void => {
      for (const [k, v] of Object.entries(t)) this.files.set(posix.join(p, k), v);
    };
    this.files.set(posix.join(p, 'cgroup.procs'), '');
    if (m[1] === 'v2') {
      // a child gets what its parent enabled in subtree_control
      const enabled = (this.files.get(posix.join(parent, 'cgroup.subtree_control')) ?? '').split(/\s+/).filter(Boolean);
      this.files.set(posix.join(p, 'cgroup.controllers'), enabled.join(' ') + '\n');
      this.files.set(posix.join(p, 'cgroup.subtree_control'), '\n');
      add(V2_FILES['']);
      for (const c of enabled) add(V2_FILES[c] ?? {});
    } else {
      for (const c of m[1]) add(V1_FILES[c] ?? {});
      if (m[1].includes('devices')) this.files.set(posix.join(p, 'devices.list'), this.files.get(posix.join(parent, 'devices.list')) ?? 'a *:* rwm\n');
    }
  }

  rmdir(p: string): void {
    if (!this.dirs.has(p)) throw fsError('ENOENT', p);
    if (this.subdirs(p).length) throw fsError('EBUSY', p);
    const procs = this.files.get(posix.join(p, 'cgroup.procs'));
    if (procs && procs.trim()) throw fsError('EBUSY', p);
    this.dirs.delete(p);
    for (const k of [...this.files.keys()]) if (posix.dirname(k) === p) this.files.delete(k);
  }

  subdirs(p: string): string[] {
    if (!this.dirs.has(p)) throw fsError('ENOENT', p);
    return [...this.dirs].filter((d) => d !== p && posix.dirname(d) === p).map((d) => posix.basename(d));
  }

  readdir(p: string): string[] {
    if (!this.dirs.has(p)) throw fsError('ENOENT', p);
    const names = new Set<string>();
    for (const k of [...this.dirs, ...this.files.keys()]) if (k !== p && posix.dirname(k) === p) names.add(posix.basename(k));
    return [...names];
  }

  sleep(): void {}

  /** writes under dir, as "file=value" (relative names), for compact assertions */
  writesIn(dir: string): string[] {
    return this.writes.filter(([p]) => posix.dirname(p) === dir).map(([p, d]) => `${posix.basename(p)}=${d}`);
  }
}

/** A fake host for one of the recorded layouts (fixtures <name>.mountinfo / .cgroup). */
export function fakeHost(name: string, v2Controllers = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']): { fs: FakeFs; layout: Layout; mountinfo: string; selfCgroup: string } {
  const mountinfo = fixture(`${name}.mountinfo`);
  const selfCgroup = fixture(`${name}.cgroup`);
  const layout = detectLayout(mountinfo, selfCgroup);
  const fs = new FakeFs();
  for (const h of layout.hierarchies) {
    fs.addMount(h.mountpoint, h.version === 2 ? 'v2' : h.controllers, v2Controllers);
  }
  for (const h of layout.hierarchies) {
    // our own cgroup exists, enabled like a systemd delegate would (v2: controllers enabled all the way down)
    if (h.version === 2) {
      let cur = h.mountpoint;
      for (const part of posix.relative(h.mountpoint, h.ownDir).split('/').filter(Boolean)) {
        fs.files.set(posix.join(cur, 'cgroup.subtree_control'), v2Controllers.join(' ') + '\n');
        cur = posix.join(cur, part);
        fs.mkdirp(cur);
      }
    } else fs.mkdirp(h.ownDir);
    fs.files.set(posix.join(h.ownDir, 'cgroup.procs'), '4242\n');
  }
  fs.writes = [];
  for (const d of ['/sys/kernel/mm/hugepages/hugepages-2048kB', '/sys/kernel/mm/hugepages/hugepages-1048576kB']) fs.mkdirp(d);
  return { fs, layout, mountinfo, selfCgroup };
}
