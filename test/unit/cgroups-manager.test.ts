import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupMountsForContainer, createCgroupManager, loadCgroupManager, type CgroupState } from '../../src/cgroups/index.ts';
import { fakeHost } from './cgroups-fakefs.ts';

test('create: mkdir -p, remembers only what it made (parents first), state is JSON', () => {
  const h = fakeHost('hybrid-sandbox');
  h.fs.mkdirp('/sys/fs/cgroup/pids/skiff'); // pre-existing parent: not ours
  const m = createCgroupManager({ id: 'c1', cgroupsPath: 'skiff/c1' }, { fs: h.fs, layout: h.layout });
  assert.equal(m.state.created.length, 0, 'nothing written before create()');
  assert.equal(h.fs.writes.length, 0);
  m.create();
  const mem = '/sys/fs/cgroup/memory/process_api/4c7be84865c20788865d5fdf49393185';
  assert.ok(m.state.created.includes(`${mem}/skiff`));
  assert.ok(m.state.created.indexOf(`${mem}/skiff`) < m.state.created.indexOf(`${mem}/skiff/c1`));
  assert.ok(!m.state.created.includes('/sys/fs/cgroup/pids/skiff'));
  assert.ok(m.state.created.includes('/sys/fs/cgroup/pids/skiff/c1'));
  assert.ok(!m.state.created.includes(mem), 'never our own cgroup');
  assert.deepEqual(JSON.parse(JSON.stringify(m.state)), m.state);
  m.destroy();
  assert.ok(!h.fs.isDirectory(`${mem}/skiff`));
  assert.ok(h.fs.isDirectory('/sys/fs/cgroup/pids/skiff'), 'pre-existing dir left alone');
  assert.ok(h.fs.isDirectory(mem));
  assert.deepEqual(m.state.created, []);
  m.destroy(); // idempotent
});

test('create refuses a cgroup that holds processes or is frozen', () => {
  const h = fakeHost('v1');
  const m = createCgroupManager({ id: 'c' }, { fs: h.fs, layout: h.layout });
  m.create();
  m.apply(777);
  const again = createCgroupManager({ id: 'c' }, { fs: h.fs, layout: h.layout });
  assert.throws(() => again.create(), /not empty: 1 process/);
  h.fs.files.set(`${m.state.paths.devices}/cgroup.procs`, '');
  h.fs.writeFile(`${m.state.paths.freezer}/freezer.state`, 'FROZEN');
  assert.throws(() => again.create(), /unexpectedly frozen/);
});

test('create rolls back on failure', () => {
  const h = fakeHost('v1');
  const m = createCgroupManager({ id: 'c', cgroupsPath: 'a/b' }, { fs: h.fs, layout: h.layout });
  h.fs.fail.set('/sys/fs/cgroup/pids/user.slice/a/b', 'EACCES');
  assert.throws(() => m.create(), /cannot create cgroup .*pids.*EACCES/);
  assert.ok(!h.fs.isDirectory('/sys/fs/cgroup/memory/user.slice/a'));
  assert.deepEqual(m.state.created, []);
});

test('apply writes the pid into every hierarchy (v1 + name=systemd + unified)', () => {
  const h = fakeHost('hybrid');
  const m = createCgroupManager({ id: 'c' }, { fs: h.fs, layout: h.layout });
  m.create();
  h.fs.writes = [];
  m.apply(1234);
  const dirs = new Set(Object.values(m.state.paths));
  assert.equal(h.fs.writes.filter(([p, d]) => p.endsWith('/cgroup.procs') && d === '1234').length, dirs.size);
  assert.ok(h.fs.writes.some(([p]) => p.startsWith('/sys/fs/cgroup/systemd/')));
  assert.ok(h.fs.writes.some(([p]) => p.startsWith('/sys/fs/cgroup/unified/')));
  assert.deepEqual(m.pids(), [1234]);
  assert.throws(() => m.apply(0), /invalid pid/);
});

test('pids() is recursive; destroy removes sub-cgroups made inside the container', () => {
  const h = fakeHost('v2');
  const m = createCgroupManager({ id: 'c', cgroupsPath: '/skiff/c' }, { fs: h.fs, layout: h.layout });
  m.create();
  const dir = m.state.paths[''];
  h.fs.mkdir(`${dir}/inner`);
  h.fs.files.set(`${dir}/cgroup.procs`, '10\n');
  h.fs.files.set(`${dir}/inner/cgroup.procs`, '11\n12\n');
  assert.deepEqual(m.pids().sort(), [10, 11, 12]);
  assert.throws(() => m.destroy(), /still in use/);
  h.fs.files.set(`${dir}/cgroup.procs`, '');
  h.fs.files.set(`${dir}/inner/cgroup.procs`, '');
  m.destroy();
  assert.ok(!h.fs.isDirectory(dir));
  assert.ok(!h.fs.isDirectory('/sys/fs/cgroup/skiff'));
});

test('freeze/thaw: v1 freezer.state, v2 cgroup.freeze + cgroup.events', () => {
  const v1 = fakeHost('v1');
  const a = createCgroupManager({ id: 'c' }, { fs: v1.fs, layout: v1.layout });
  a.create();
  a.freeze();
  assert.equal(a.isFrozen(), true);
  a.thaw();
  assert.equal(a.isFrozen(), false);
  // frozen only because an ancestor is: not "paused" ourselves
  v1.fs.files.set(`${a.state.paths.freezer}/freezer.state`, 'FROZEN\n');
  v1.fs.files.set(`${a.state.paths.freezer}/freezer.self_freezing`, '0\n');
  assert.equal(a.isFrozen(), false);

  const v2 = fakeHost('v2');
  const b = createCgroupManager({ id: 'c', cgroupsPath: '/c' }, { fs: v2.fs, layout: v2.layout });
  b.create();
  b.freeze();
  assert.equal(v2.fs.readFile('/sys/fs/cgroup/c/cgroup.freeze'), '1\n');
  assert.equal(b.isFrozen(), true);
  b.thaw();
  assert.equal(b.isFrozen(), false);
});

test('v1 freeze keeps retrying while the kernel says FREEZING', () => {
  const h = fakeHost('v1');
  const m = createCgroupManager({ id: 'c' }, { fs: h.fs, layout: h.layout });
  m.create();
  const file = `${m.state.paths.freezer}/freezer.state`;
  let n = 0;
  const orig = h.fs.writeFile.bind(h.fs);
  h.fs.writeFile = (p: string, d: string) => {
    orig(p, d);
    if (p === file && d === 'FROZEN' && ++n < 30) h.fs.files.set(file, 'FREEZING\n');
  };
  m.freeze();
  assert.equal(n, 30);
  assert.equal(m.isFrozen(), true);
});

test('killAll: freeze, signal every pid, thaw (v1); cgroup.kill for SIGKILL on v2', () => {
  const h = fakeHost('v1');
  const sent: [number, number][] = [];
  const m = createCgroupManager({ id: 'c' }, { fs: h.fs, layout: h.layout, kill: (p, s) => void sent.push([p, s]) });
  m.create();
  h.fs.files.set(`${m.state.paths.devices}/cgroup.procs`, '5\n6\n');
  h.fs.writes = [];
  m.killAll(15);
  assert.deepEqual(sent, [[5, 15], [6, 15]]);
  const fz = h.fs.writesIn(m.state.paths.freezer);
  assert.deepEqual(fz, ['freezer.state=FROZEN', 'freezer.state=THAWED']);
  // a paused container stays paused
  m.freeze();
  h.fs.writes = [];
  m.killAll(9);
  assert.deepEqual(h.fs.writesIn(m.state.paths.freezer), []);
  assert.equal(m.isFrozen(), true);

  const v2 = fakeHost('v2');
  const k = createCgroupManager({ id: 'c', cgroupsPath: '/c' }, { fs: v2.fs, layout: v2.layout, kill: () => assert.fail('no per-pid kill') });
  k.create();
  v2.fs.writes = [];
  k.killAll(9);
  assert.deepEqual(v2.fs.writesIn('/sys/fs/cgroup/c'), ['cgroup.kill=1']);
});

test('stats v1: runc events --stats shape', () => {
  const h = fakeHost('v1');
  const m = createCgroupManager({ id: 'c' }, { fs: h.fs, layout: h.layout });
  m.create();
  const p = m.state.paths;
  const set = (d: string, f: string, v: string) => h.fs.files.set(`${d}/${f}`, v);
  set(p.cpuacct, 'cpuacct.usage', '123456789\n');
  set(p.cpuacct, 'cpuacct.stat', 'user 10\nsystem 5\n');
  set(p.cpuacct, 'cpuacct.usage_percpu', '100 200 \n');
  set(p.cpuacct, 'cpuacct.usage_all', 'cpu user system\n0 60 40\n1 150 50\n');
  set(p.cpu, 'cpu.stat', 'nr_periods 7\nnr_throttled 2\nthrottled_time 999\n');
  set(p.memory, 'memory.stat', 'cache 4096\nrss 8192\n');
  set(p.memory, 'memory.usage_in_bytes', '12288\n');
  set(p.memory, 'memory.max_usage_in_bytes', '16384\n');
  set(p.memory, 'memory.limit_in_bytes', '1048576\n');
  set(p.pids, 'pids.current', '3\n');
  set(p.pids, 'pids.max', '10\n');
  set(p.hugetlb, 'hugetlb.2MB.usage_in_bytes', '2097152\n');
  set(p.cpuset, 'cpuset.cpus', '0-1\n');
  const s = m.stats();
  assert.deepEqual(s.cpu, {
    usage: { total: 123456789, percpu: [100, 200], percpu_kernel: [40, 50], percpu_user: [60, 150], kernel: 50_000_000, user: 100_000_000 },
    throttling: { periods: 7, throttledPeriods: 2, throttledTime: 999 },
  });
  assert.equal(s.memory.cache, 4096);
  assert.deepEqual(s.memory.usage, { limit: 1048576, usage: 12288, max: 16384, failcnt: 0 });
  assert.deepEqual(s.memory.raw, { cache: 4096, rss: 8192 });
  assert.deepEqual(s.pids, { current: 3, limit: 10 });
  assert.deepEqual(s.blkio.ioServiceBytesRecursive, [
    { major: 8, op: 'Read', value: 4096 }, { major: 8, op: 'Write' }, { major: 8, op: 'Sync', value: 4096 },
    { major: 8, op: 'Async' }, { major: 8, op: 'Discard' }, { major: 8, op: 'Total', value: 4096 },
  ]);
  assert.equal(s.blkio.ioServicedRecursive, undefined, 'empty lists are omitted');
  assert.deepEqual(s.hugetlb['2MB'], { usage: 2097152, failcnt: 0 });
  assert.deepEqual(s.cpuset.cpus, [0, 1]);
  assert.equal(s.network_interfaces, null);
  assert.deepEqual(s.intel_rdt, {});
});

test('stats v2: cpu.stat in usec, mem+swap like v1, io.stat, hugetlb events', () => {
  const h = fakeHost('v2');
  const m = createCgroupManager({ id: 'c', cgroupsPath: '/c' }, { fs: h.fs, layout: h.layout });
  m.create();
  const d = m.state.paths[''];
  const set = (f: string, v: string) => h.fs.files.set(`${d}/${f}`, v);
  set('cpu.stat', 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n');
  set('memory.current', '1000\n');
  set('memory.max', '4000\n');
  set('memory.swap.current', '200\n');
  set('memory.swap.max', 'max\n');
  set('memory.events', 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
  set('memory.stat', 'anon 10\nfile 20\n');
  set('io.stat', '8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n');
  set('hugetlb.2MB.current', '0\n');
  set('hugetlb.2MB.events', 'max 4\n');
  set('pids.current', '2\n');
  const s = m.stats();
  assert.deepEqual(s.cpu, { usage: { total: 1_500_000, kernel: 500_000, user: 1_000_000 }, throttling: { periods: 4, throttledPeriods: 1, throttledTime: 20_000 } });
  assert.deepEqual(s.memory.usage, { limit: 4000, usage: 1000, failcnt: 3 });
  assert.equal(s.memory.swap.usage, 1200);
  assert.equal(s.memory.cache, 20);
  assert.deepEqual(s.blkio.ioServiceBytesRecursive, [{ major: 8, op: 'Read', value: 100 }, { major: 8, op: 'Write', value: 200 }]);
  assert.deepEqual(s.hugetlb['2MB'], { failcnt: 4 });
  assert.deepEqual(s.pids, { current: 2 });
  assert.deepEqual(s.cpuset.cpus, [0, 1, 2, 3]);
  assert.deepEqual(m.oomEvents(), { oom: 1, oomKill: 1, underOom: false });
});

test('oomEvents v1 from memory.oom_control', () => {
  const h = fakeHost('v1');
  const m = createCgroupManager({ id: 'c' }, { fs: h.fs, layout: h.layout });
  m.create();
  h.fs.files.set(`${m.state.paths.memory}/memory.oom_control`, 'oom_kill_disable 1\nunder_oom 1\noom_kill 2\n');
  assert.deepEqual(m.oomEvents(), { oom: 2, oomKill: 2, underOom: true });
});

test('container mounts: v1 with and without cgroupns, co-mounted symlinks', () => {
  const h = fakeHost('v1');
  const m = createCgroupManager({ id: 'c' }, { fs: h.fs, layout: h.layout });
  const noNs = cgroupMountsForContainer(m.state, { cgroupns: false });
  assert.deepEqual(noNs[0], { source: 'tmpfs', destination: '', type: 'tmpfs', flags: ['nosuid', 'nodev', 'noexec'], data: 'mode=755' });
  const cpu = noNs.find((x) => x.destination === 'cpu,cpuacct')!;
  assert.deepEqual(cpu, { source: '/sys/fs/cgroup/cpu,cpuacct/user.slice/c', destination: 'cpu,cpuacct', type: 'bind', flags: ['bind', 'rec', 'nosuid', 'nodev', 'noexec'], data: '' });
  const links = noNs.filter((x) => x.type === 'symlink').map((x) => `${x.destination}->${x.source}`).sort();
  assert.deepEqual(links, ['cpu->cpu,cpuacct', 'cpuacct->cpu,cpuacct', 'net_cls->net_cls,net_prio', 'net_prio->net_cls,net_prio']);
  assert.equal(noNs.filter((x) => x.type === 'bind').length, 11);
  const ns = cgroupMountsForContainer(m.state, { cgroupns: true, readonly: true });
  const sd = ns.find((x) => x.destination === 'systemd')!;
  assert.deepEqual(sd, { source: 'systemd', destination: 'systemd', type: 'cgroup', flags: ['nosuid', 'nodev', 'noexec', 'ro'], data: 'name=systemd' });
  assert.equal(ns.find((x) => x.destination === 'cpu,cpuacct')!.data, 'cpu,cpuacct');
  // symlinks come after all mounts
  const firstLink = ns.findIndex((x) => x.type === 'symlink');
  assert.ok(ns.slice(firstLink).every((x) => x.type === 'symlink'));
});

test('container mounts: hybrid adds "unified"; v2 is a single cgroup2 mount or bind', () => {
  const hy = fakeHost('hybrid-sandbox');
  const a = createCgroupManager({ id: 'c' }, { fs: hy.fs, layout: hy.layout });
  const u = cgroupMountsForContainer(a.state, { cgroupns: false }).find((x) => x.destination === 'unified')!;
  assert.deepEqual(u, { source: '/sys/fs/cgroup/unified/c', destination: 'unified', type: 'bind', flags: ['bind', 'rec', 'nosuid', 'nodev', 'noexec'], data: '' });
  const v2 = fakeHost('v2');
  const b = createCgroupManager({ id: 'c', cgroupsPath: '/c' }, { fs: v2.fs, layout: v2.layout });
  assert.deepEqual(cgroupMountsForContainer(b.state, { cgroupns: true }), [{ source: 'cgroup2', destination: '', type: 'cgroup2', flags: ['nosuid', 'nodev', 'noexec'], data: '' }]);
  assert.deepEqual(cgroupMountsForContainer(b.state, { cgroupns: false }), [{ source: '/sys/fs/cgroup/c', destination: '', type: 'bind', flags: ['bind', 'rec', 'nosuid', 'nodev', 'noexec'], data: '' }]);
  // from an older state without mountNames
  const st: CgroupState = { layout: 'v1', paths: { cpu: '/x/cpu,cpuacct/c', cpuacct: '/x/cpu,cpuacct/c', 'name=systemd': '/x/systemd/c' }, created: [] };
  const names = cgroupMountsForContainer(loadCgroupManager(st).state, { cgroupns: false }).map((x) => x.destination);
  assert.deepEqual(names, ['', 'cpu,cpuacct', 'systemd', 'cpu', 'cpuacct']);
});
