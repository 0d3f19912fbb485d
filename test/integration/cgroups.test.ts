// Real cgroups on this machine (needs root). Every test uses a relative
// cgroupsPath (nested under our own cgroups), unique per test, and cleans up
// its processes and directories even when it fails.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createCgroupManager, detectLayout, loadCgroupManager, type CgroupManager } from '../../src/cgroups/index.ts';
import { deviceFilterProgram } from '../../src/cgroups/devices-bpf.ts';
import { normalizeDeviceRules } from '../../src/cgroups/devices.ts';
import { native } from '../../src/native/addon.ts';

const root = process.getuid?.() === 0;
const layout = root ? detectLayout() : undefined;
const skip = !root ? 'needs root' : false;

const managers: CgroupManager[] = [];
const children: ChildProcess[] = [];
let restoreSubtree: (() => void) | undefined;

after(() => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  sleep(100);
  for (const m of managers) {
    try {
      if (m.isFrozen()) m.thaw();
    } catch {
      /* ignore */
    }
    try {
      m.destroy();
    } catch {
      // last resort: remove the leaves, then whatever we created
      for (const d of [...Object.values(m.state.paths), ...[...m.state.created].reverse()]) {
        try {
          rmdirSync(d);
        } catch {
          /* ignore */
        }
      }
    }
  }
  restoreSubtree?.();
});

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function newManager(resources?: Parameters<typeof createCgroupManager>[0]['resources']): CgroupManager {
  const m = createCgroupManager({ id: 'x', cgroupsPath: `skiff-test-${randomBytes(5).toString('hex')}`, resources });
  managers.push(m);
  return m;
}

function child(cmd: string, args: string[], stdin = false): ChildProcess {
  const c = spawn(cmd, args, { stdio: [stdin ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
  children.push(c);
  return c;
}

const exited = (c: ChildProcess): Promise<{ code: number | null; signal: string | null }> =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve({ code: c.exitCode, signal: c.signalCode })
    : new Promise((resolve) => c.once('close', (code, signal) => resolve({ code, signal })));

const stderrOf = (c: ChildProcess): (() => string) => {
  let s = '';
  c.stderr?.on('data', (d: Buffer) => (s += d.toString()));
  return () => s;
};

const read = (dir: string, file: string): string => readFileSync(`${dir}/${file}`, 'utf8').trim();
const procStat = (pid: number): string[] => {
  const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return t.slice(t.lastIndexOf(')') + 2).split(' '); // [0] = state, [11] = utime
};

test('layout of this machine is detected from mountinfo', { skip }, () => {
  assert.ok(layout);
  const self = readFileSync('/proc/self/cgroup', 'utf8');
  const mem = self.split('\n').find((l) => /:memory:/.test(l))?.split(':')[2];
  if (mem !== undefined) {
    const h = layout.hierarchies.find((x) => x.controllers.includes('memory'))!;
    assert.equal(h.ownCgroup, mem);
  }
});

test('create, apply, set and read back, pids, stats, destroy', { skip }, async () => {
  const m = newManager();
  m.create();
  const p = m.state.paths;
  for (const d of new Set(Object.values(p))) assert.ok(existsSync(d), d);
  const c = child('sleep', ['30']);
  m.apply(c.pid!);
  assert.deepEqual(m.pids(), [c.pid]);
  for (const d of new Set(Object.values(p))) assert.match(read(d, 'cgroup.procs'), new RegExp(`\\b${c.pid}\\b`), d);

  m.set({
    memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, swappiness: 10, kernel: 96 << 20, kernelTCP: 16 << 20 },
    cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, idle: 0, cpus: '0', mems: '0' },
    pids: { limit: 20 },
    blockIO: { weight: 300 },
  });
  if (p.memory && layout!.mode !== 'v2') {
    assert.equal(read(p.memory, 'memory.limit_in_bytes'), String(64 << 20));
    if (existsSync(`${p.memory}/memory.memsw.limit_in_bytes`)) assert.equal(read(p.memory, 'memory.memsw.limit_in_bytes'), String(128 << 20));
    assert.equal(read(p.memory, 'memory.soft_limit_in_bytes'), String(32 << 20));
    assert.equal(read(p.memory, 'memory.swappiness'), '10');
    // kmem limits: written where the files exist; kernels >= 5.16 accept and ignore memory.kmem.limit_in_bytes
    if (existsSync(`${p.memory}/memory.kmem.limit_in_bytes`)) assert.match(read(p.memory, 'memory.kmem.limit_in_bytes'), new RegExp(`^(${96 << 20}|9223372036854771712)$`));
    if (existsSync(`${p.memory}/memory.kmem.tcp.limit_in_bytes`)) assert.equal(read(p.memory, 'memory.kmem.tcp.limit_in_bytes'), String(16 << 20));
  }
  if (p.cpu && layout!.mode !== 'v2') {
    assert.equal(read(p.cpu, 'cpu.shares'), '512');
    assert.equal(read(p.cpu, 'cpu.cfs_quota_us'), '50000');
    assert.equal(read(p.cpu, 'cpu.cfs_period_us'), '100000');
    if (existsSync(`${p.cpu}/cpu.cfs_burst_us`)) assert.equal(read(p.cpu, 'cpu.cfs_burst_us'), '1000');
  }
  if (p.cpuset && layout!.mode !== 'v2') {
    assert.equal(read(p.cpuset, 'cpuset.cpus'), '0');
    assert.equal(read(p.cpuset, 'cpuset.mems'), '0');
  }
  if (p.pids) assert.equal(read(p.pids, 'pids.max'), '20');
  if (p.blkio && layout!.mode !== 'v2') {
    const f = existsSync(`${p.blkio}/blkio.weight`) ? 'blkio.weight' : 'blkio.bfq.weight';
    if (existsSync(`${p.blkio}/${f}`)) assert.match(read(p.blkio, f), /\b300\b/);
  }

  // update: zeros mean "unchanged", a new limit is written (memsw first when growing)
  m.set({ memory: { limit: 0, swap: 0 }, cpu: { shares: 0, quota: 0 }, pids: { limit: 0 } }, { update: true });
  if (p.pids) assert.equal(read(p.pids, 'pids.max'), '20');
  const loaded = loadCgroupManager(JSON.parse(JSON.stringify(m.state)));
  loaded.set({ memory: { limit: 256 << 20, swap: 512 << 20 }, pids: { limit: -1 } }, { update: true });
  if (p.memory && layout!.mode !== 'v2') assert.equal(read(p.memory, 'memory.limit_in_bytes'), String(256 << 20));
  if (p.pids) assert.equal(read(p.pids, 'pids.max'), 'max');

  const s = m.stats();
  assert.equal(s.pids.current, 1);
  assert.equal(s.memory.usage.limit, 256 << 20);
  assert.ok(s.cpu.usage.percpu === undefined || Array.isArray(s.cpu.usage.percpu));
  assert.deepEqual(s.cpuset.cpus, [0]);
  JSON.stringify(s);

  // a second container on the same cgroup is refused
  const clash = createCgroupManager({ id: 'y', cgroupsPath: relPathOf(m) });
  assert.throws(() => clash.create(), /not empty/);

  m.killAll(9);
  const r = await exited(c);
  assert.equal(r.signal, 'SIGKILL');
  sleep(50);
  assert.deepEqual(m.pids(), []);
  const dirs = [...new Set(Object.values(p))];
  m.destroy();
  for (const d of dirs) assert.ok(!existsSync(d), `${d} removed`);
  m.destroy(); // idempotent
});

function relPathOf(m: CgroupManager): string {
  const d = m.state.paths.pids ?? Object.values(m.state.paths)[0];
  return d.split('/').pop()!;
}

test('devices: v1 white-list from the default rules, update is a no-op', { skip: skip || (layout && !layout.hierarchies.some((h) => h.controllers.includes('devices')) ? 'no v1 devices hierarchy' : false) }, () => {
  const m = newManager();
  m.create();
  const rules = [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
  ];
  m.set({ devices: rules });
  const list = read(m.state.paths.devices, 'devices.list').split('\n').sort();
  assert.deepEqual(list, ['b *:* m', 'c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 136:* rwm'].sort());
  m.set({ devices: rules }, { update: true });
  assert.deepEqual(read(m.state.paths.devices, 'devices.list').split('\n').sort(), list);
  m.destroy();
});

test('freeze and thaw stop and resume a busy process', { skip }, () => {
  const m = newManager();
  m.create();
  const c = child('sh', ['-c', 'while :; do :; done']);
  m.apply(c.pid!);
  sleep(100);
  m.freeze();
  assert.equal(m.isFrozen(), true);
  const u1 = procStat(c.pid!)[11];
  sleep(300);
  const st = procStat(c.pid!);
  assert.equal(st[11], u1, 'no CPU time while frozen');
  assert.notEqual(st[0], 'R', `state ${st[0]} while frozen`);
  m.thaw();
  assert.equal(m.isFrozen(), false);
  sleep(300);
  assert.notEqual(procStat(c.pid!)[11], u1, 'runs again after thaw');
  m.killAll(9);
});

test('killAll with SIGTERM reaches every process, including forks', { skip }, async () => {
  const m = newManager();
  m.create();
  const c = child('sh', ['-c', 'read x; sleep 30 & sleep 30 & wait'], true);
  m.apply(c.pid!);
  c.stdin!.write('go\n');
  for (let i = 0; i < 100 && m.pids().length < 3; i++) sleep(20);
  assert.equal(m.pids().length, 3);
  m.killAll(15);
  await exited(c);
  for (let i = 0; i < 100 && m.pids().length > 0; i++) sleep(20);
  assert.deepEqual(m.pids(), []);
  assert.equal(m.isFrozen(), false, 'thawed again after signalling');
  m.destroy();
});

test('a pids limit of 1 stops a fork', { skip }, async () => {
  const m = newManager();
  m.create();
  m.set({ pids: { limit: 1 } });
  const c = child('sh', ['-c', 'read x; sleep 1 & wait; echo unreachable-if-fork-failed >&2'], true);
  const err = stderrOf(c);
  m.apply(c.pid!);
  c.stdin!.write('go\n');
  const r = await exited(c);
  assert.notEqual(r.code, 0, `fork should fail (stderr: ${err()})`);
  assert.match(err(), /fork|resource|unavailable/i);
  const events = m.state.paths.pids ? readFileSync(`${m.state.paths.pids}/pids.events`, 'utf8') : '';
  assert.match(events, /max [1-9]/);
  m.destroy();
});

test('OOM kill is visible through oomEvents()', { skip }, async () => {
  const m = newManager();
  m.create();
  m.set({ memory: { limit: 16 << 20, swap: 16 << 20 } });
  assert.equal(m.oomEvents().oomKill, 0);
  const c = child('sh', ['-c', 'read x; head -c 200000000 /dev/zero | tail > /dev/null'], true);
  m.apply(c.pid!);
  c.stdin!.write('go\n');
  await exited(c);
  const ev = m.oomEvents();
  assert.ok(ev.oomKill >= 1, JSON.stringify(ev));
  assert.equal(m.stats().memory.usage.max, 16 << 20, 'peak usage hit the limit');
  m.destroy();
});

test('hugetlb limits (on the cgroup2 hierarchy when v1 lacks hugetlb)', { skip: skip || (!existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB') ? 'no 2MB huge pages' : false) }, () => {
  const v1Hugetlb = layout!.hierarchies.some((h) => h.version === 1 && h.controllers.includes('hugetlb'));
  const uni = layout!.unified;
  if (!v1Hugetlb && uni && layout!.mode === 'hybrid') {
    // the manager enables +hugetlb in the ancestors; put the root back afterwards if we changed it
    const f = `${uni.ownDir}/cgroup.subtree_control`;
    const before = readFileSync(f, 'utf8');
    if (!/\bhugetlb\b/.test(before)) {
      restoreSubtree = () => {
        try {
          writeFileSync(f, '-hugetlb');
        } catch {
          /* still used elsewhere */
        }
      };
    }
  }
  const m = newManager({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] });
  m.create();
  m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] });
  if (v1Hugetlb) assert.equal(read(m.state.paths.hugetlb, 'hugetlb.2MB.limit_in_bytes'), String(4 << 20));
  else assert.equal(read(m.state.paths[''], 'hugetlb.2MB.max'), String(4 << 20));
  assert.ok('2MB' in m.stats().hugetlb);
  m.destroy();
});

test('unified resources on a hybrid host go to the cgroup2 dir', { skip: skip || (layout?.mode !== 'hybrid' ? 'not hybrid' : false) }, () => {
  const m = newManager();
  m.create();
  m.set({ unified: { 'cgroup.max.descendants': '5' } });
  assert.equal(read(m.state.paths[''], 'cgroup.max.descendants'), '5');
  assert.throws(() => m.set({ unified: { 'memory.high': '1G' } }), /controller "memory" not available/);
  m.destroy();
});

test('create rejects a frozen cgroup', { skip }, () => {
  const m = newManager();
  m.create();
  m.freeze();
  const again = createCgroupManager({ id: 'y', cgroupsPath: relPathOf(m) });
  assert.throws(() => again.create(), /frozen/);
  m.thaw();
  m.destroy();
});

function bpfAddon(): ((cg: string, prog: Buffer, license: string) => unknown) | undefined {
  try {
    const a = native() as unknown as { bpfDeviceProgAttach?: (cg: string, prog: Buffer, license: string) => unknown };
    return a.bpfDeviceProgAttach;
  } catch {
    return undefined;
  }
}

test('cgroup v2 device eBPF program: loads, replaces, and enforces', { skip: skip || (!layout?.unified ? 'no cgroup2 hierarchy' : !bpfAddon() ? 'addon built without native/addon/bpf.c' : false) }, async () => {
  const rules = [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
    { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }, // /dev/zero read-only
  ];
  const m = newManager();
  m.create();
  const dir = m.state.paths[''];
  if (layout!.mode === 'v2') m.set({ devices: rules });
  else {
    // hybrid: the manager uses the v1 devices controller; attach to the cgroup2 dir directly
    const attach = bpfAddon()!;
    attach(dir, deviceFilterProgram(normalizeDeviceRules(rules)), 'Apache');
    attach(dir, deviceFilterProgram(normalizeDeviceRules(rules)), 'Apache'); // replacement
  }
  const c = spawn('sh', ['-c', 'read x; echo a > /dev/null && echo null-ok; head -c1 /dev/zero > /dev/null && echo zero-read-ok; echo a > /dev/zero || echo zero-write-denied; head -c1 /dev/urandom > /dev/null || echo urandom-denied'], { stdio: ['pipe', 'pipe', 'ignore'] });
  children.push(c);
  let out = '';
  c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  m.apply(c.pid!);
  c.stdin!.write('go\n');
  await exited(c);
  assert.deepEqual(out.trim().split('\n'), ['null-ok', 'zero-read-ok', 'zero-write-denied', 'urandom-denied']);
  assert.throws(() => bpfAddon()!(dir, Buffer.alloc(16), 'Apache'), (e: Error & { code?: string }) => e.code === 'EINVAL' && /last insn is not an exit/.test(e.message));
  m.destroy();
});
