// Plan building is pure: the op order and arguments for a config, without
// root or a kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCreatePlan, lookupCandidates, makedev } from '../../src/plan/build.ts';
import { formatPlan } from '../../src/plan/encode.ts';
import { planNamespaces } from '../../src/config/namespaces.ts';
import { parseMountOptions, MS } from '../../src/config/mount-options.ts';
import { defaultSpec } from '../../src/spec/default.ts';
import type { Spec } from '../../src/spec/types.ts';
import type { PlanOp } from '../../src/plan/types.ts';

function plan(fn: (s: Spec) => void = () => {}, extra: Partial<Parameters<typeof buildCreatePlan>[0]> = {}) {
  const spec = defaultSpec();
  spec.process!.terminal = false;
  fn(spec);
  return buildCreatePlan({
    id: 'c1', spec, rootfs: '/r', ns: planNamespaces(spec.linux?.namespaces), isDir: () => true,
    firstPrivateFd: 3, lastCap: 40, ...extra,
  });
}
const names = (ops: PlanOp[]) => ops.map((o) => o.op);
const arg = (o: PlanOp, i: number) => (o.args[i] as { v: unknown }).v;

test('ops follow runc\'s order: rootfs, devices, sync, hooks, pivot, hostname, masks, process, fifo, exec', () => {
  const p = plan((s) => (s.hooks = { createContainer: [{ path: '/h' }], startContainer: [{ path: '/s' }] }));
  const n = names(p.ops);
  const idx = (op: string, from = 0) => n.indexOf(op as PlanOp['op'], from);
  assert.deepEqual(n.slice(0, 2), ['SETSID', 'KEYRING']);
  assert.ok(idx('MOUNT') < idx('MKNOD'));
  assert.ok(idx('MKNOD') < idx('SYNC'));
  assert.ok(idx('SYNC') < idx('RUN_HOOK'));
  assert.ok(idx('RUN_HOOK') < idx('PIVOT_ROOT'));
  assert.ok(idx('PIVOT_ROOT') < idx('SETHOSTNAME'));
  assert.ok(idx('SETHOSTNAME') < idx('MASK_PATH'));
  assert.ok(idx('MASK_PATH') < idx('SETRESUID'));
  assert.ok(idx('SETRESUID') < idx('CAPSET'));
  assert.ok(idx('CAPSET') < idx('LOOKUP'));
  assert.ok(idx('LOOKUP') < idx('WAIT_FIFO'));
  assert.ok(idx('WAIT_FIFO') < idx('RUN_HOOK', idx('WAIT_FIFO')), 'startContainer after the fifo');
  assert.equal(n[n.length - 1], 'EXEC');
  assert.match(formatPlan(p), /pivot_root/);
});

test('every op names its source; config-derived ones by JSON pointer', () => {
  const p = plan();
  const mountOps = p.ops.filter((o) => o.source.startsWith('/mounts/'));
  assert.ok(mountOps.length >= 6);
  assert.ok(p.ops.every((o) => typeof o.source === 'string' && o.what.length > 0));
  const mask = p.ops.find((o) => o.op === 'MASK_PATH')!;
  assert.equal(mask.source, '/linux/maskedPaths/0');
});

test('capability masks: bounding drop is the complement within cap_last_cap', () => {
  const p = plan((s) => (s.process!.capabilities = { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'], inheritable: [], ambient: ['CAP_CHOWN'] }));
  const drop = arg(p.ops.find((o) => o.op === 'CAPBSET_DROP')!, 0) as bigint;
  assert.equal(drop, ((1n << 41n) - 1n) & ~1n);
  const set = p.ops.find((o) => o.op === 'CAPSET')!;
  assert.deepEqual([arg(set, 0), arg(set, 1), arg(set, 2)], [1n, 1n, 0n]);
  assert.equal(p.ops.find((o) => o.op === 'AMBIENT_RAISE'), undefined, 'not inheritable → not ambient');
});

test('bind mounts are bind + remount for their flags; propagation separately', () => {
  const p = plan((s) => s.mounts!.push({ destination: '/data', type: 'bind', source: '/src', options: ['rbind', 'ro', 'nosuid', 'rslave'] }));
  const ops = p.ops.filter((o) => o.source === `/mounts/${7}` || o.source === '/mounts/7/options');
  const m = ops.filter((o) => o.op === 'MOUNT');
  assert.equal(Number(arg(m[0], 3)), MS.BIND | MS.REC);
  assert.equal(Number(arg(m[1], 3)), MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID);
  assert.equal(Number(arg(m[2], 3)), MS.SLAVE | MS.REC);
});

test('a user namespace binds host devices instead of mknod', () => {
  const p = plan((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  });
  assert.equal(p.ops.filter((o) => o.op === 'MKNOD').length, 0);
  assert.ok(p.ops.some((o) => o.op === 'MOUNT' && arg(o, 0) === '/dev/null'));
});

test('devices: config overrides a default of the same path; makedev encodes like glibc', () => {
  const p = plan((s) => (s.linux!.devices = [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 }]));
  const nulls = p.ops.filter((o) => o.op === 'MKNOD' && arg(o, 0) === '/dev/null');
  assert.equal(nulls.length, 1);
  assert.equal(Number(arg(nulls[0], 1)) & 0o7777, 0o600);
  assert.equal(makedev(1, 3), 0x103n);
  assert.equal(makedev(259, 65536), (65536n & 0xffn) | (259n << 8n & 0xfff00n) | ((65536n & ~0xffn) << 12n));
});

test('program lookup follows PATH like exec.LookPath', () => {
  assert.deepEqual(lookupCandidates('sh', ['PATH=/usr/bin:/bin'], '/'), ['/usr/bin/sh', '/bin/sh']);
  assert.deepEqual(lookupCandidates('./x', ['PATH=/bin'], '/work'), ['/work/x']);
  assert.deepEqual(lookupCandidates('sh', [], '/'), []);
  assert.deepEqual(lookupCandidates('sh', ['PATH=:/bin'], '/w'), ['/w/sh', '/bin/sh']);
});

test('mount options parse into flags, propagation and data', () => {
  const o = parseMountOptions(['nosuid', 'noexec', 'rw', 'ro', 'mode=755', 'size=65536k', 'rshared', 'strictatime']);
  assert.equal(o.flags, MS.NOSUID | MS.NOEXEC | MS.RDONLY | MS.STRICTATIME);
  assert.deepEqual(o.propagation, [MS.SHARED | MS.REC]);
  assert.deepEqual(o.data, ['mode=755', 'size=65536k']);
  assert.deepEqual(parseMountOptions(['idmap']).unsupported, ['idmap']);
});

test('cgroup namespace is unshared by the plan (after the parent joined the cgroups)', () => {
  const p = plan((s) => s.linux!.namespaces!.push({ type: 'cgroup' }));
  const u = p.ops.find((o) => o.op === 'UNSHARE')!;
  assert.equal(Number(arg(u, 0)), 0x02000000);
  assert.equal(p.ops.indexOf(u), 0);
});

test('capabilities outside the runtime\'s own bounding set are left out and named', async () => {
  const { unavailableCaps, capsToMasks } = await import('../../src/plan/caps.ts');
  const c = { bounding: ['CAP_CHOWN', 'CAP_SYS_RESOURCE'], effective: ['CAP_SYS_RESOURCE'], permitted: ['CAP_CHOWN'] };
  const avail = ((1n << 41n) - 1n) & ~(1n << 24n); // no CAP_SYS_RESOURCE (24)
  assert.deepEqual(unavailableCaps(c, avail), ['CAP_SYS_RESOURCE']);
  const m = capsToMasks(c, '/process/capabilities', 40, avail);
  assert.equal(m.effective, 0n);
  assert.equal(m.dropBounding & (1n << 24n), 1n << 24n);
});

test('nothing but procfs on /proc, and inside /proc only lxcfs-style files (CVE-2019-19921)', () => {
  assert.throws(() => plan((s) => s.mounts!.push({ destination: '/proc', type: 'bind', source: '/tmp', options: ['bind'] })), /\/mounts\/7\/destination: "\/proc" cannot be mounted because it is not of type proc/);
  assert.throws(() => plan((s) => s.mounts!.push({ destination: '/proc/self/attr', type: 'tmpfs', source: 'tmpfs' })), /inside \/proc/);
  assert.throws(() => plan((s) => s.mounts!.push({ destination: '/proc/sys', type: 'bind', source: '/tmp', options: ['rbind'] })), /inside \/proc/);
  assert.ok(plan((s) => s.mounts!.push({ destination: '/proc/cpuinfo', type: 'bind', source: '/tmp/cpuinfo', options: ['bind'] })));
  assert.ok(plan((s) => s.mounts!.push({ destination: '/proc', type: 'bind', source: '/proc', options: ['rbind'] }), { isProcfs: (p) => p === '/proc' }));
});
