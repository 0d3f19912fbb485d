import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLayout } from '../../src/cgroups/layout.ts';
import { normalizeCgroupsPath, resolvePaths } from '../../src/cgroups/paths.ts';
import { createCgroupManager } from '../../src/cgroups/index.ts';
import { SpecError } from '../../src/errors.ts';
import { fixture } from './cgroups-fakefs.ts';

const layoutOf = (name: string) => detectLayout(fixture(`${name}.mountinfo`), fixture(`${name}.cgroup`));

test('pure v1 (CentOS 7): co-mounted hierarchies, name=systemd, own cgroups', () => {
  const l = layoutOf('v1');
  assert.equal(l.mode, 'v1');
  assert.equal(l.unified, undefined);
  const byCtl = Object.fromEntries(l.hierarchies.flatMap((h) => h.controllers.map((c) => [c, h])));
  assert.deepEqual(Object.keys(byCtl).sort(), [
    'blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'hugetlb', 'memory', 'name=systemd', 'net_cls', 'net_prio', 'perf_event', 'pids',
  ]);
  assert.equal(byCtl.cpu, byCtl.cpuacct);
  assert.equal(byCtl.cpu.mountpoint, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(byCtl.memory.ownDir, '/sys/fs/cgroup/memory/user.slice');
  assert.equal(byCtl['name=systemd'].ownDir, '/sys/fs/cgroup/systemd/user.slice/user-1000.slice/session-1.scope');
  assert.equal(byCtl.freezer.ownDir, '/sys/fs/cgroup/freezer');
});

test('hybrid (Ubuntu 20.04): v1 controllers plus cgroup2 at /sys/fs/cgroup/unified', () => {
  const l = layoutOf('hybrid');
  assert.equal(l.mode, 'hybrid');
  assert.equal(l.unified?.mountpoint, '/sys/fs/cgroup/unified');
  assert.equal(l.unified?.ownDir, '/sys/fs/cgroup/unified/user.slice/user-1000.slice/session-2.scope');
  assert.equal(l.hierarchies.at(-1), l.unified, 'unified hierarchy last');
  assert.ok(l.hierarchies.some((h) => h.controllers.includes('rdma')));
});

test('hybrid (this sandbox): memory in /process_api/<hash>, hugetlb only on cgroup2', () => {
  const l = layoutOf('hybrid-sandbox');
  assert.equal(l.mode, 'hybrid');
  const mem = l.hierarchies.find((h) => h.controllers.includes('memory'))!;
  assert.equal(mem.ownDir, '/sys/fs/cgroup/memory/process_api/4c7be84865c20788865d5fdf49393185');
  assert.ok(!l.hierarchies.some((h) => h.controllers.includes('hugetlb')));
  assert.equal(l.unified?.ownDir, '/sys/fs/cgroup/unified');
});

test('pure v2 (systemd host)', () => {
  const l = layoutOf('v2');
  assert.equal(l.mode, 'v2');
  assert.equal(l.hierarchies.length, 1);
  assert.equal(l.unified?.ownDir, '/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope');
});

test('v2 inside a container with a cgroup namespace', () => {
  const l = layoutOf('v2-cgroupns');
  assert.equal(l.mode, 'v2');
  assert.equal(l.unified?.ownDir, '/sys/fs/cgroup');
});

test('v1 inside a docker container without cgroupns: mount roots are /docker/<id>', () => {
  const l = layoutOf('v1-container');
  assert.equal(l.mode, 'v1', 'a 0:: line without a cgroup2 mount is not v2');
  const mem = l.hierarchies.find((h) => h.controllers.includes('memory'))!;
  assert.equal(mem.root, '/docker/4d2f0c1b9e');
  assert.equal(mem.ownDir, '/sys/fs/cgroup/memory');
  assert.ok(!l.hierarchies.some((h) => h.controllers.includes('cpuset')), 'cpuset is not mounted');
});

test('mountinfo octal escapes and several mounts of one hierarchy', () => {
  const mi = [
    '31 22 0:27 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw',
    '90 22 0:27 /user.slice /mnt/my\\040cg rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  const l = detectLayout(mi, '0::/user.slice/x\n');
  assert.equal(l.unified?.mountpoint, '/sys/fs/cgroup');
  assert.equal(l.unified?.ownDir, '/sys/fs/cgroup/user.slice/x');
  const l2 = detectLayout(mi.split('\n')[1], '0::/user.slice/x\n');
  assert.equal(l2.unified?.mountpoint, '/mnt/my cg');
  assert.equal(l2.unified?.ownDir, '/mnt/my cg/x');
});

test('no cgroup file system at all is a clear error', () => {
  assert.throws(() => detectLayout('27 1 254:0 / / rw - ext4 /dev/vda rw\n', '0::/\n'), /no cgroup file system/);
});

test('cgroupsPath: relative nests under our own cgroup, absolute starts at each hierarchy root, unset = <own>/<id>', () => {
  const l = layoutOf('hybrid-sandbox');
  const rel = resolvePaths(l, 'c1', 'skiff/c1');
  assert.equal(rel.memory, '/sys/fs/cgroup/memory/process_api/4c7be84865c20788865d5fdf49393185/skiff/c1');
  assert.equal(rel.cpu, '/sys/fs/cgroup/cpu/skiff/c1');
  assert.equal(rel['name=systemd'], '/sys/fs/cgroup/systemd/skiff/c1');
  assert.equal(rel[''], '/sys/fs/cgroup/unified/skiff/c1');
  const abs = resolvePaths(l, 'c1', '/skiff/c1');
  assert.equal(abs.memory, '/sys/fs/cgroup/memory/skiff/c1');
  const unset = resolvePaths(l, 'c1', undefined);
  assert.equal(unset.memory, '/sys/fs/cgroup/memory/process_api/4c7be84865c20788865d5fdf49393185/c1');
  assert.deepEqual(resolvePaths(l, 'c1', undefined), resolvePaths(l, 'c1', 'c1'), 'same value, same place');
  const v1 = resolvePaths(layoutOf('v1'), 'x', 'docker/x');
  assert.equal(v1.cpu, '/sys/fs/cgroup/cpu,cpuacct/user.slice/docker/x');
  assert.equal(v1.cpuacct, v1.cpu);
  const v2 = resolvePaths(layoutOf('v2'), 'x', '/machine.slice/x');
  assert.deepEqual(v2, { '': '/sys/fs/cgroup/machine.slice/x' });
});

test('cgroupsPath is cleaned and cannot escape its base', () => {
  assert.deepEqual(normalizeCgroupsPath('id', '../../etc//x/'), { absolute: false, rel: 'etc/x' });
  assert.deepEqual(normalizeCgroupsPath('id', '/a/../../b'), { absolute: true, rel: 'b' });
  assert.throws(() => normalizeCgroupsPath('id', '/'), (e: unknown) => e instanceof SpecError && e.pointer === '/linux/cgroupsPath');
  assert.throws(() => normalizeCgroupsPath('id', 'a/..'), SpecError);
});

test('systemd-style "slice:prefix:name" paths are refused with a clear error', () => {
  assert.throws(
    () => createCgroupManager({ id: 'c', cgroupsPath: 'system.slice:docker:c' }, { mountinfo: fixture('v2.mountinfo'), selfCgroup: fixture('v2.cgroup') }),
    (e: unknown) => e instanceof SpecError && e.pointer === '/linux/cgroupsPath' && /systemd cgroup manager is not supported/.test(e.message),
  );
  assert.throws(() => normalizeCgroupsPath('c', ':docker:c'), /systemd/);
});

test('detectLayout() with no arguments reads this machine', () => {
  const l = detectLayout();
  assert.ok(['v1', 'v2', 'hybrid'].includes(l.mode));
  assert.ok(l.hierarchies.length > 0);
});
