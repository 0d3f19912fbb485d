import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCgroupManager, loadCgroupManager } from '../../src/cgroups/index.ts';
import { blkioWeightToIoWeight, hugePageSizeName, memswToV2Swap, parseCpuList, sharesToWeight, v2Num } from '../../src/cgroups/convert.ts';
import { SkiffError, SpecError } from '../../src/errors.ts';
import { fakeHost } from './cgroups-fakefs.ts';

function v1Setup(cgroupsPath = 'skiff/c1') {
  const h = fakeHost('v1');
  const m = createCgroupManager({ id: 'c1', cgroupsPath }, { fs: h.fs, layout: h.layout });
  m.create();
  h.fs.writes = [];
  return { ...h, m, p: m.state.paths };
}

function v2Setup(cgroupsPath = '/skiff/c1', controllers?: string[]) {
  const h = fakeHost('v2', controllers);
  const m = createCgroupManager({ id: 'c1', cgroupsPath }, { fs: h.fs, layout: h.layout });
  m.create();
  h.fs.writes = [];
  return { ...h, m, dir: m.state.paths[''] };
}

const pointerOf = (e: unknown): string | undefined => (e instanceof SkiffError ? e.pointer : undefined);

// ------------------------------------------------------------ conversions

test('cpu shares -> cpu.weight (runc formula)', () => {
  assert.equal(sharesToWeight(0), 0);
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(512), 20);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(sharesToWeight(1), 1, 'clamped, no underflow');
  assert.equal(sharesToWeight(10_000_000), 10000);
});

test('blkio weight -> io.weight', () => {
  assert.equal(blkioWeightToIoWeight(0), 0);
  assert.equal(blkioWeightToIoWeight(10), 1);
  assert.equal(blkioWeightToIoWeight(500), 1 + Math.floor((490 * 9999) / 990));
  assert.equal(blkioWeightToIoWeight(1000), 10000);
});

test('memory.swap (memsw) -> memory.swap.max', () => {
  assert.equal(memswToV2Swap(0, -1), -1);
  assert.equal(memswToV2Swap(-1, 100), -1);
  assert.equal(memswToV2Swap(0, 100), 0);
  assert.equal(memswToV2Swap(300, 100), 200);
  assert.equal(memswToV2Swap(100, 100), 0);
  assert.throws(() => memswToV2Swap(300, 0), /without memory limit/);
  assert.throws(() => memswToV2Swap(50, 100), /should be >= memory limit/);
  assert.equal(v2Num(0), '');
  assert.equal(v2Num(-1), 'max');
  assert.equal(v2Num(5), '5');
});

test('huge page size names and cpu lists', () => {
  assert.equal(hugePageSizeName('hugepages-2048kB'), '2MB');
  assert.equal(hugePageSizeName('hugepages-1048576kB'), '1GB');
  assert.equal(hugePageSizeName('hugepages-64kB'), '64KB');
  assert.equal(hugePageSizeName('nonsense'), undefined);
  assert.deepEqual(parseCpuList('0-2,5\n'), [0, 1, 2, 5]);
});

// ------------------------------------------------------------ v1

test('v1: memory limit, swap, reservation, swappiness, kernel, OOM killer', () => {
  const { fs, m, p } = v1Setup();
  m.set({ memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, swappiness: 0, kernel: 48 << 20, kernelTCP: 8 << 20, disableOOMKiller: true } });
  // current limit (unlimited) >= new memsw, so memory first, then memsw
  assert.deepEqual(fs.writesIn(p.memory), [
    `memory.limit_in_bytes=${64 << 20}`,
    `memory.memsw.limit_in_bytes=${128 << 20}`,
    `memory.kmem.limit_in_bytes=${48 << 20}`,
    `memory.kmem.tcp.limit_in_bytes=${8 << 20}`,
    `memory.soft_limit_in_bytes=${32 << 20}`,
    'memory.oom_control=1',
    'memory.swappiness=0',
  ]);
  // raising both: memsw must go first or the kernel says EINVAL
  fs.writes = [];
  m.set({ memory: { limit: 256 << 20, swap: 512 << 20 } }, { update: true });
  assert.deepEqual(fs.writesIn(p.memory), [`memory.memsw.limit_in_bytes=${512 << 20}`, `memory.limit_in_bytes=${256 << 20}`]);
  // -1 and no swap: swap becomes unlimited too
  fs.writes = [];
  m.set({ memory: { limit: -1 } });
  assert.deepEqual(fs.writesIn(p.memory), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
});

test('v1: zero values are "unset" (docker update sends 0 for unchanged)', () => {
  const { fs, m } = v1Setup();
  m.set(
    {
      memory: { limit: 0, swap: 0, reservation: 0, kernel: 0, swappiness: -1 },
      cpu: { shares: 0, quota: 0, period: 0, cpus: '', mems: '' },
      pids: { limit: 0 },
      blockIO: { weight: 0 },
    },
    { update: true },
  );
  assert.deepEqual(fs.writes, []);
});

test('v1: checkBeforeUpdate refuses a limit below current usage', () => {
  const { fs, m, p } = v1Setup();
  fs.files.set(`${p.memory}/memory.usage_in_bytes`, `${100 << 20}\n`);
  assert.throws(
    () => m.set({ memory: { limit: 50 << 20, checkBeforeUpdate: true } }, { update: true }),
    (e: unknown) => pointerOf(e) === '/linux/resources/memory/limit' && /below usage/.test(String(e)),
  );
  m.set({ memory: { limit: 50 << 20, checkBeforeUpdate: true } }); // not an update: no check
});

test('v1: memory EBUSY explains usage', () => {
  const { fs, m, p } = v1Setup();
  fs.fail.set(`${p.memory}/memory.limit_in_bytes`, 'EBUSY');
  fs.files.set(`${p.memory}/memory.usage_in_bytes`, '7777\n');
  assert.throws(() => m.set({ memory: { limit: 4096 } }), /unable to set memory limit to 4096 \(current usage: 7777/);
});

test('v1: cpu shares/quota/period/burst/idle/rt', () => {
  const { fs, m, p } = v1Setup();
  m.set({ cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, idle: 1, realtimePeriod: 1000000, realtimeRuntime: 950000 } });
  assert.deepEqual(fs.writesIn(p.cpu), [
    'cpu.shares=512', 'cpu.cfs_period_us=100000', 'cpu.cfs_quota_us=50000', 'cpu.cfs_burst_us=1000', 'cpu.idle=1',
    'cpu.rt_period_us=1000000', 'cpu.rt_runtime_us=950000',
  ]);
});

test('v1: a period refused before the quota is lowered is retried after it', () => {
  const { fs, m, p } = v1Setup();
  const period = `${p.cpu}/cpu.cfs_period_us`;
  const orig = fs.writeFile.bind(fs);
  let first = true;
  fs.writeFile = (path: string, data: string) => {
    if (path === period && first) {
      first = false;
      throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
    }
    orig(path, data);
  };
  m.set({ cpu: { quota: 5000, period: 10000 } });
  assert.deepEqual(fs.writesIn(p.cpu), ['cpu.cfs_quota_us=5000', 'cpu.cfs_period_us=10000']);
});

test('v1: cpu shares read back out of range is an error naming the field', () => {
  const { fs, m, p } = v1Setup();
  const orig = fs.writeFile.bind(fs);
  fs.writeFile = (path: string, data: string) => orig(path, path.endsWith('cpu.shares') ? '262144' : data);
  assert.throws(() => m.set({ cpu: { shares: 999999 } }), (e: unknown) => pointerOf(e) === '/linux/resources/cpu/shares' && /maximum allowed cpu-shares is 262144/.test(String(e)));
});

test('v1: cpuset cpus/mems copied from the parent on create, then set', () => {
  const h = fakeHost('v1');
  h.fs.files.set('/sys/fs/cgroup/cpuset/cpuset.cpus', '0-3\n');
  h.fs.files.set('/sys/fs/cgroup/cpuset/cpuset.mems', '0\n');
  const m = createCgroupManager({ id: 'c', cgroupsPath: 'a/b' }, { fs: h.fs, layout: h.layout });
  m.create();
  assert.equal(h.fs.readFile('/sys/fs/cgroup/cpuset/a/cpuset.cpus'), '0-3');
  assert.equal(h.fs.readFile('/sys/fs/cgroup/cpuset/a/b/cpuset.cpus'), '0-3');
  assert.equal(h.fs.readFile('/sys/fs/cgroup/cpuset/a/b/cpuset.mems'), '0');
  h.fs.writes = [];
  m.set({ cpu: { cpus: '1-2', mems: '0' } });
  assert.deepEqual(h.fs.writesIn(m.state.paths.cpuset), ['cpuset.cpus=1-2', 'cpuset.mems=0']);
});

test('v1: pids limit: >0 number, <0 max, 0 untouched', () => {
  const { fs, m, p } = v1Setup();
  m.set({ pids: { limit: 10 } });
  m.set({ pids: { limit: -1 } });
  m.set({ pids: { limit: 0 } });
  assert.deepEqual(fs.writesIn(p.pids), ['pids.max=10', 'pids.max=max']);
});

test('v1: blkio with BFQ file names, devices, throttles', () => {
  const { fs, m, p } = v1Setup();
  m.set({
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 300 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
    },
  });
  assert.deepEqual(fs.writesIn(p.blkio), [
    'blkio.bfq.weight=500', 'blkio.bfq.weight_device=8:0 300', 'blkio.throttle.read_bps_device=8:0 1048576',
    'blkio.throttle.write_bps_device=8:0 2097152', 'blkio.throttle.read_iops_device=8:0 100', 'blkio.throttle.write_iops_device=8:0 200',
  ]);
  // CFQ names when the kernel has them
  fs.files.set(`${p.blkio}/blkio.weight`, '500\n');
  fs.files.set(`${p.blkio}/blkio.weight_device`, '');
  fs.files.set(`${p.blkio}/blkio.leaf_weight`, '500\n');
  fs.writes = [];
  m.set({ blockIO: { weight: 700, leafWeight: 600, weightDevice: [{ major: 8, minor: 16, weight: 100 }] } });
  assert.deepEqual(fs.writesIn(p.blkio), ['blkio.weight=700', 'blkio.leaf_weight=600', 'blkio.weight_device=8:16 100']);
});

test('v1: hugetlb, net_cls, net_prio', () => {
  const { fs, m, p } = v1Setup();
  m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }], network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] } });
  assert.deepEqual(fs.writesIn(p.hugetlb), [`hugetlb.2MB.limit_in_bytes=${4 << 20}`]);
  assert.deepEqual(fs.writesIn(p.net_cls), ['net_cls.classid=1048577', 'net_prio.ifpriomap=eth0 5']);
  assert.throws(() => m.set({ hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }), (e: unknown) => e instanceof SpecError && e.pointer === '/linux/resources/hugepageLimits/0/pageSize');
});

test('v1: a controller the host lacks is a clear error; unified is refused on pure v1', () => {
  const { m } = v1Setup();
  assert.throws(() => m.set({ rdma: { mlx4_0: { hcaHandles: 2 } } }), (e: unknown) => pointerOf(e) === '/linux/resources/rdma' && /rdma cgroup controller is not available/.test(String(e)));
  assert.throws(() => m.set({ unified: { 'memory.high': '1G' } }), (e: unknown) => e instanceof SpecError && e.pointer === '/linux/resources/unified');
});

test('validation errors carry JSON pointers', () => {
  const { m } = v1Setup();
  const cases: [object, string][] = [
    [{ memory: { swappiness: 101 } }, '/linux/resources/memory/swappiness'],
    [{ memory: { limit: 100, swap: 50 } }, '/linux/resources/memory/swap'],
    [{ memory: { limit: -5 } }, '/linux/resources/memory/limit'],
    [{ cpu: { quota: -7 } }, '/linux/resources/cpu/quota'],
    [{ cpu: { cpus: 'zero' } }, '/linux/resources/cpu/cpus'],
    [{ devices: [{ allow: true, type: 'x' }] }, '/linux/resources/devices/0/type'],
    [{ devices: [{ allow: true, access: 'rwx' }] }, '/linux/resources/devices/0/access'],
  ];
  for (const [r, ptr] of cases) assert.throws(() => m.set(r), (e: unknown) => e instanceof SpecError && e.pointer === ptr, ptr);
});

test('v1: write failures name the field and the file', () => {
  const { fs, m, p } = v1Setup();
  fs.fail.set(`${p.pids}/pids.max`, 'EINVAL');
  assert.throws(() => m.set({ pids: { limit: 5 } }), (e: unknown) => pointerOf(e) === '/linux/resources/pids/limit' && String(e).includes(`${p.pids}/pids.max`) && /EINVAL/.test(String(e)));
});

// ------------------------------------------------------------ v2

test('v2: controllers are enabled in the ancestors (never in the container dir)', () => {
  const { fs, dir } = v2Setup('/skiff/c1');
  assert.match(fs.readFile('/sys/fs/cgroup/skiff/cgroup.subtree_control'), /memory/);
  assert.match(fs.readFile('/sys/fs/cgroup/cgroup.subtree_control'), /pids/);
  assert.equal(fs.readFile(`${dir}/cgroup.subtree_control`).trim(), '');
  assert.match(fs.readFile(`${dir}/cgroup.controllers`), /memory/);
});

test('v2: memory (swap converted to swap-only), cpu, cpuset, pids, io, hugetlb', () => {
  const { fs, m, dir } = v2Setup();
  m.set({
    memory: { limit: 100 << 20, swap: 300 << 20, reservation: 50 << 20, swappiness: 30, disableOOMKiller: true, kernel: 1 },
    cpu: { shares: 1024, quota: 50000, period: 100000, burst: 2000, idle: 0, cpus: '0-1', mems: '0' },
    pids: { limit: 64 },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 10 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }],
  });
  assert.deepEqual(fs.writesIn(dir), [
    'cpuset.cpus=0-1', 'cpuset.mems=0',
    `memory.swap.max=${200 << 20}`, `memory.max=${100 << 20}`, `memory.low=${50 << 20}`,
    'cpu.weight=39', 'cpu.idle=0', 'cpu.max.burst=2000', 'cpu.max=50000 100000',
    'pids.max=64',
    `io.weight=${blkioWeightToIoWeight(500)}`, 'io.max=8:0 rbps=1000', 'io.max=8:0 wiops=10',
    `hugetlb.2MB.max=${2 << 20}`,
  ]);
});

test('v2: memory edge cases (as runc)', () => {
  const { fs, m, dir } = v2Setup();
  m.set({ memory: { limit: -1 } });
  assert.deepEqual(fs.writesIn(dir), ['memory.swap.max=max', 'memory.max=max']);
  fs.writes = [];
  m.set({ memory: { limit: 1000, swap: 1000 } });
  assert.deepEqual(fs.writesIn(dir), ['memory.swap.max=0', 'memory.max=1000'], 'swap == limit: no swap');
  // no swap accounting: "max" is quietly skipped
  fs.files.delete(`${dir}/memory.swap.max`);
  fs.writes = [];
  m.set({ memory: { limit: -1 } });
  assert.deepEqual(fs.writesIn(dir), ['memory.max=max']);
  assert.throws(() => m.set({ memory: { swap: 5000 } }), (e: unknown) => e instanceof SpecError && e.pointer === '/linux/resources/memory/swap');
});

test('v2: quota -1 with a period writes "max <period>"; rt limits are refused', () => {
  const { fs, m, dir } = v2Setup();
  m.set({ cpu: { quota: -1, period: 50000 } });
  assert.deepEqual(fs.writesIn(dir), ['cpu.max=max 50000']);
  assert.throws(() => m.set({ cpu: { realtimeRuntime: 1000 } }), (e: unknown) => e instanceof SpecError && e.pointer === '/linux/resources/cpu/realtimeRuntime');
});

test('v2: BFQ io weight is used as is when present', () => {
  const { fs, m, dir } = v2Setup();
  fs.files.set(`${dir}/io.bfq.weight`, 'default 100\n');
  m.set({ blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } });
  assert.deepEqual(fs.writesIn(dir), ['io.bfq.weight=300', 'io.bfq.weight=8:0 200']);
});

test('v2: unified key/values written as is; missing controller is an error; net_cls ignored', () => {
  const { fs, m, dir } = v2Setup('/skiff/c1', ['cpu', 'memory', 'pids']);
  fs.files.set(`${dir}/memory.high`, 'max\n');
  fs.files.set(`${dir}/memory.oom.group`, '0\n');
  m.set({ unified: { 'memory.high': '512M', 'memory.oom.group': '1' }, network: { classID: 5 } });
  assert.deepEqual(fs.writesIn(dir), ['memory.high=512M', 'memory.oom.group=1']);
  assert.throws(() => m.set({ unified: { 'io.max': '8:0 rbps=1' } }), (e: unknown) => pointerOf(e) === '/linux/resources/unified/io.max' && /controller "io" not available/.test(String(e)));
  assert.throws(() => m.set({ unified: { '../x': '1' } }), SpecError);
  assert.throws(() => m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), (e: unknown) => pointerOf(e) === '/linux/resources/hugepageLimits' && /hugetlb cgroup controller is not available/.test(String(e)));
});

test('v2: nested under our own populated cgroup, controllers cannot be delegated: clear error on set', () => {
  const { m } = v2Setup('rel/c1');
  assert.throws(() => m.set({ memory: { limit: 1 << 20 } }), /memory cgroup controller is not available/);
});

test('hybrid: hugetlb goes to the cgroup2 dir (enabling it in the ancestors), the rest to v1', () => {
  const h = fakeHost('hybrid-sandbox', ['hugetlb']);
  const m = createCgroupManager(
    { id: 'c', cgroupsPath: 'skiff-x', resources: { hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }] } },
    { fs: h.fs, layout: h.layout },
  );
  m.create();
  assert.match(h.fs.readFile('/sys/fs/cgroup/unified/cgroup.subtree_control'), /hugetlb/);
  h.fs.writes = [];
  m.set({ memory: { limit: 1 << 20 }, hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }] });
  assert.deepEqual(h.fs.writesIn(m.state.paths.memory), [`memory.limit_in_bytes=${1 << 20}`]);
  assert.deepEqual(h.fs.writesIn(m.state.paths['']), [`hugetlb.2MB.max=${2 << 20}`]);
  h.fs.files.set(`${m.state.paths['']}/hugetlb.1GB.max`, 'max\n');
  h.fs.writes = [];
  m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }], unified: { 'hugetlb.1GB.max': '0' } });
  assert.deepEqual(h.fs.writesIn(m.state.paths['']), [`hugetlb.2MB.max=${2 << 20}`, 'hugetlb.1GB.max=0']);
});

test('hybrid: a manager loaded from state.json can update', () => {
  const h = fakeHost('hybrid');
  const m = createCgroupManager({ id: 'c' }, { fs: h.fs, layout: h.layout });
  m.create();
  const state = JSON.parse(JSON.stringify(m.state));
  const l = loadCgroupManager(state, { fs: h.fs });
  h.fs.writes = [];
  l.set({ pids: { limit: 3 } }, { update: true });
  assert.deepEqual(h.fs.writesIn(state.paths.pids), ['pids.max=3']);
  assert.throws(() => loadCgroupManager({ layout: 'v9' } as never), /invalid cgroup state/);
});
