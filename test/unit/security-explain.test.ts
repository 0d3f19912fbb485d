// Process security in the plan (seccomp ordering, capabilities, scheduler,
// I/O priority, CPU masks, personality, LSM checks) and `skiff explain`'s
// output — pure, no root: the cgroup state and LSM host are fakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCreatePlan, type SeccompPlan } from '../../src/plan/build.ts';
import { planNamespaces } from '../../src/config/namespaces.ts';
import { defaultSpec } from '../../src/spec/default.ts';
import type { Spec } from '../../src/spec/types.ts';
import type { PlanOp } from '../../src/plan/types.ts';
import { compileSeccomp } from '../../src/seccomp/compile.ts';
import { cpuMask, ioprioValue, schedAttr } from '../../src/plan/security.ts';
import { checkLsm, type LsmHost } from '../../src/container/lsm.ts';
import { containerProcessState, setNotifyState } from '../../src/container/seccomp.ts';
import { explain, type ExplainInput } from '../../src/explain/explain.ts';
import { SpecError } from '../../src/errors.ts';
import type { CgroupState } from '../../src/cgroups/index.ts';

const NO_LSM: LsmHost = { apparmor: false, selinux: false, apparmorAttr: 'apparmor/exec' };
const CG: CgroupState = { layout: 'v2', paths: { '': '/sys/fs/cgroup/test/c1' }, created: [], unifiedMount: '/sys/fs/cgroup' };

function spec(fn: (s: Spec) => void = () => {}): Spec {
  const s = defaultSpec();
  s.process!.terminal = false;
  fn(s);
  return s;
}

function plan(fn: (s: Spec) => void = () => {}, seccomp?: SeccompPlan) {
  const s = spec(fn);
  return buildCreatePlan({ id: 'c1', spec: s, rootfs: '/r', ns: planNamespaces(s.linux?.namespaces), isDir: () => true, firstPrivateFd: 3, lastCap: 40, seccomp });
}

const names = (ops: PlanOp[]) => ops.map((o) => o.op);
const tail = (ops: PlanOp[], n: number) => names(ops).slice(-n);
const u = (o: PlanOp, i: number) => BigInt((o.args[i] as { v: number | bigint }).v);
const SYS_ADMIN = 1n << 21n;

const allowAll = (extra: object = {}) => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }], ...extra });

test('seccomp is the last op before exec, after the fifo and startContainer hooks', () => {
  const c = allowAll();
  const p = plan((s) => {
    s.process!.noNewPrivileges = true;
    s.hooks = { startContainer: [{ path: '/h' }] };
  }, { program: c.program, flags: c.flags });
  assert.deepEqual(tail(p.ops, 4), ['WAIT_FIFO', 'RUN_HOOK', 'SECCOMP', 'EXEC']);
  assert.equal(names(p.ops).filter((n) => n === 'CAPSET').length, 1, 'NNP: one capset, before the filter');
});

test('without noNewPrivileges CAP_SYS_ADMIN is kept until the filter is loaded, then dropped by a second capset', () => {
  const c = allowAll();
  const p = plan((s) => (s.process!.noNewPrivileges = false), { program: c.program, flags: c.flags });
  assert.deepEqual(tail(p.ops, 3), ['SECCOMP', 'CAPSET', 'EXEC']);
  const capsets = p.ops.filter((o) => o.op === 'CAPSET');
  assert.equal(capsets.length, 2);
  assert.equal(u(capsets[0], 0) & SYS_ADMIN, SYS_ADMIN, 'first capset: effective has CAP_SYS_ADMIN');
  assert.equal(u(capsets[0], 1) & SYS_ADMIN, SYS_ADMIN, 'first capset: permitted has CAP_SYS_ADMIN');
  assert.equal(u(capsets[1], 0) & SYS_ADMIN, 0n, 'final: no CAP_SYS_ADMIN');
  assert.equal(u(capsets[1], 0), u(capsets[0], 0) & ~SYS_ADMIN);
  // AMBIENT_RAISE comes between: it survives the second capset
  const n = names(p.ops);
  assert.ok(n.indexOf('SETRESUID') < n.indexOf('CAPSET'));
});

test('CAP_SYS_ADMIN in the final effective set: no extra capset', () => {
  const c = allowAll();
  const p = plan((s) => {
    s.process!.noNewPrivileges = false;
    s.process!.capabilities!.effective!.push('CAP_SYS_ADMIN');
    s.process!.capabilities!.permitted!.push('CAP_SYS_ADMIN');
  }, { program: c.program, flags: c.flags });
  assert.deepEqual(tail(p.ops, 2), ['SECCOMP', 'EXEC']);
  assert.equal(names(p.ops).filter((n) => n === 'CAPSET').length, 1);
});

test('a profile that blocks what the init does after the filter is a SpecError naming /linux/seccomp', () => {
  const deny = (names: string[], action = 'SCMP_ACT_ERRNO') => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, action: action as 'SCMP_ACT_ERRNO' }] });
  const c1 = deny(['capset']);
  assert.throws(() => plan((s) => (s.process!.noNewPrivileges = false), { program: c1.program, flags: c1.flags }),
    (e: unknown) => e instanceof SpecError && e.pointer === '/linux/seccomp' && /capset.*ERRNO\(1\).*noNewPrivileges/.test(e.message));
  // with NNP, capset is not needed after the filter
  plan((s) => (s.process!.noNewPrivileges = true), { program: c1.program, flags: c1.flags });
  const c2 = deny(['execve'], 'SCMP_ACT_KILL_PROCESS');
  assert.throws(() => plan(() => {}, { program: c2.program, flags: c2.flags }), /does not allow execve \(it returns KILL_PROCESS\)/);
  // notify: sendmsg must not be notified (the agent does not have the fd yet)
  const c3 = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/x', syscalls: [{ names: ['sendmsg'], action: 'SCMP_ACT_NOTIFY' }] });
  assert.ok(c3.notify);
  assert.throws(() => plan(() => {}, { program: c3.program, flags: c3.flags, notify: { socketFd: 5, state: '' } }), /does not allow sendmsg \(it returns USER_NOTIF\)/);
  // ... but execve may be: the agent has the fd by then
  const c4 = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/x', syscalls: [{ names: ['execve'], action: 'SCMP_ACT_NOTIFY' }] });
  const p4 = plan((s) => (s.process!.noNewPrivileges = true), { program: c4.program, flags: c4.flags, notify: { socketFd: 5, state: '' } });
  const sec = p4.ops.find((o) => o.op === 'SECCOMP')!;
  assert.equal(sec.args.length, 4);
  assert.equal(u(sec, 2), 5n);
});

test('the notify state is filled in once the pid is known', () => {
  const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/x', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] });
  const p = plan(() => {}, { program: c.program, flags: c.flags, notify: { socketFd: 6, state: '' } });
  const json = containerProcessState({ id: 'c1', bundle: '/b', pid: 42, status: 'running', metadata: 'm', annotations: { a: 'b' } });
  setNotifyState(p, json);
  const st = JSON.parse((p.ops.find((o) => o.op === 'SECCOMP')!.args[3] as { v: string }).v);
  assert.deepEqual(st.fds, ['seccompFd']);
  assert.equal(st.pid, 42);
  assert.equal(st.metadata, 'm');
  assert.deepEqual(st.state, { ociVersion: st.ociVersion, id: 'c1', status: 'running', pid: 42, bundle: '/b', annotations: { a: 'b' } });
});

test('scheduler, ioprio, affinity, personality ops and their encodings', () => {
  const p = plan((s) => {
    s.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10_000_000, deadline: 20_000_000, period: 30_000_000, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
    s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 };
    s.process!.execCPUAffinity = { initial: '0-1', final: '0,3' };
    s.linux!.personality = { domain: 'LINUX32' };
  });
  const n = names(p.ops);
  assert.ok(n.indexOf('SCHED_SETATTR') < n.indexOf('SETRESUID'), 'scheduler while still privileged');
  assert.ok(n.indexOf('IOPRIO_SET') < n.indexOf('SETRESUID'));
  assert.ok(n.indexOf('CPU_AFFINITY') > n.indexOf('CAPSET') && n.indexOf('CPU_AFFINITY') < n.indexOf('LOOKUP'));
  assert.ok(n.indexOf('PERSONALITY') > n.indexOf('PIVOT_ROOT'));
  assert.equal(u(p.ops.find((o) => o.op === 'PERSONALITY')!, 0), 8n);
  assert.equal(u(p.ops.find((o) => o.op === 'IOPRIO_SET')!, 0), BigInt((2 << 13) | 4));
  const attr = schedAttr({ policy: 'SCHED_DEADLINE', runtime: 1, deadline: 2, period: 3, flags: ['SCHED_FLAG_RESET_ON_FORK'] }, '/p');
  assert.equal(attr.length, 48);
  assert.equal(attr.readUInt32LE(0), 48);
  assert.equal(attr.readUInt32LE(4), 6);
  assert.equal(attr.readBigUInt64LE(8), 1n);
  assert.equal(attr.readBigUInt64LE(40), 3n);
  assert.equal(schedAttr({ policy: 'SCHED_OTHER', flags: ['SCHED_FLAG_UTIL_CLAMP_MAX'] }, '/p').length, 56);
  assert.deepEqual([...cpuMask('0,3', '/x')], [0b1001]);
  assert.deepEqual([...cpuMask('8-9', '/x')], [0, 0b11]);
  assert.throws(() => cpuMask('3-1', '/x'), /invalid CPU range/);
  assert.throws(() => schedAttr({ policy: 'SCHED_FIFO', priority: 0 }, '/p/s'), (e: unknown) => e instanceof SpecError && e.pointer === '/p/s/priority');
  assert.throws(() => schedAttr({ policy: 'SCHED_OTHER', nice: 30 }, '/p/s'), /nice/);
  assert.throws(() => ioprioValue({ class: 'IOPRIO_CLASS_RT', priority: 9 }, '/p/io'), /between 0 and 7/);
});

test('initial CPU affinity without final: reset to every CPU after the cgroup join', () => {
  const p = plan((s) => (s.process!.execCPUAffinity = { initial: '1' }));
  const op = p.ops.find((o) => o.op === 'CPU_AFFINITY')!;
  assert.ok((op.args[0] as { v: Buffer }).v.every((b) => b === 0xff));
});

test('read-only paths keep the mount\'s flags; masked paths', () => {
  const p = plan((s) => {
    s.linux!.readonlyPaths = ['/proc/sys'];
    s.linux!.maskedPaths = ['/proc/kcore'];
  });
  const ro = p.ops.find((o) => o.op === 'READONLY_PATH')!;
  assert.equal(ro.source, '/linux/readonlyPaths/0');
  assert.equal(u(ro, 1) & 0b1110n, 0b1110n, 'nosuid|nodev|noexec are carried over when the mount has them');
  assert.equal(u(ro, 1) & 1n, 0n);
  assert.equal(p.ops.find((o) => o.op === 'MASK_PATH')!.source, '/linux/maskedPaths/0');
});

test('LSM: asking for one the host lacks is an error naming the field; with the LSM, attr/exec is written', () => {
  assert.throws(() => checkLsm(spec((s) => (s.process!.apparmorProfile = 'p')), NO_LSM), (e: unknown) => e instanceof SpecError && e.pointer === '/process/apparmorProfile');
  assert.throws(() => checkLsm(spec((s) => (s.process!.selinuxLabel = 'l')), NO_LSM), (e: unknown) => e instanceof SpecError && e.pointer === '/process/selinuxLabel');
  assert.throws(() => checkLsm(spec((s) => (s.linux!.mountLabel = 'l')), NO_LSM), (e: unknown) => e instanceof SpecError && e.pointer === '/linux/mountLabel');
  const lsm = checkLsm(spec((s) => (s.process!.apparmorProfile = 'p')), { apparmor: true, selinux: false, apparmorAttr: 'exec' });
  const s = spec((x) => (x.process!.apparmorProfile = 'p'));
  const p = buildCreatePlan({ id: 'c', spec: s, rootfs: '/r', ns: planNamespaces(s.linux?.namespaces), isDir: () => true, firstPrivateFd: 3, lsm });
  const w = p.ops.find((o) => o.source === '/process/apparmorProfile')!;
  assert.deepEqual(w.args.map((a) => (a as { v: unknown }).v), ['/proc/self/attr', 'exec', 'exec p']);
});

function ex(fn: (s: Spec) => void = () => {}, extra: Partial<ExplainInput> = {}) {
  return explain({ spec: spec(fn), warnings: [], configPath: '/b/config.json', rootfs: '/b/rootfs', cgroup: CG, isDir: () => true, lastCap: 40, lsmHost: NO_LSM, ...extra });
}

test('explain: namespaces, process, capabilities by name (and after exec), rlimits, hooks, plan', () => {
  const r = ex((s) => {
    s.process!.user = { uid: 1000, gid: 1000 };
    s.process!.capabilities!.inheritable = ['CAP_KILL'];
    s.process!.capabilities!.ambient = ['CAP_KILL', 'CAP_CHOWN'];
    s.linux!.namespaces!.push({ type: 'cgroup', path: '/proc/1/ns/cgroup' });
    s.hooks = { createContainer: [{ path: '/bin/hook', args: ['hook', 'x'], timeout: 5 }] };
  });
  assert.deepEqual(r.problems, []);
  const t = r.text;
  assert.match(t, /^ {2}pid {7}new$/m);
  assert.match(t, /^ {2}cgroup {4}joined: \/proc\/1\/ns\/cgroup$/m);
  assert.match(t, /^ {2}user {6}shared with the host/m);
  assert.match(t, /^ {2}bounding +3 {2}CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE$/m);
  assert.match(t, /^ {2}ambient +1 {2}CAP_KILL$/m);
  assert.match(t, /not raised as ambient — not both permitted and inheritable: CAP_CHOWN/);
  assert.match(t, /after execve, as uid 1000 \(non-root: permitted = effective = ambient\)/);
  assert.match(t, /^ {4}effective +1 {2}CAP_KILL$/m);
  assert.match(t, /RLIMIT_NOFILE +soft 1024 +hard 1024/);
  assert.match(t, /createContainer — by the init.*\n {4}\[0\] \["hook","x"\] \(\/bin\/hook, timeout 5s\)/);
  assert.match(t, /init plan \(\d+ ops/);
  assert.match(t, / pivot_root +pivot_root into the rootfs {3}\(\/root\/path\)/);
  assert.match(t, / exec +exec sh {3}\(\/process\/args\)\n/);
  assert.ok(r.plan);
});

test('explain: root after exec gets its bounding set', () => {
  const t = ex().text;
  assert.match(t, /after execve, as uid 0 \(root/);
  assert.match(t, /^ {4}permitted +3 {2}CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE$/m);
});

test('explain: seccomp summary, BPF listing with rule comments, and --syscall answers', () => {
  const seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO' as const,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    syscalls: [
      { names: ['read', 'write', 'execve', 'capset', 'exit_group'], action: 'SCMP_ACT_ALLOW' as const },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 38 },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW' as const, args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' as const }] },
    ],
  };
  const r = ex((s) => {
    s.linux!.seccomp = seccomp;
    s.process!.noNewPrivileges = false;
  }, { syscalls: ['mkdir', 'personality', 'reboot', 'clone3'] });
  assert.deepEqual(r.problems, []);
  const t = r.text;
  assert.match(t, /default action {3}SCMP_ACT_ERRNO → ERRNO\(1\)/);
  assert.match(t, /program {10}\d+ instructions, compiled in/);
  assert.match(t, /x86_64 {2}nr 83 +ERRNO\(38\) +← rule \/linux\/seccomp\/syscalls\/1 \(SCMP_ACT_ERRNO, errnoRet 38\)/);
  assert.match(t, /x86 {5}nr 39 +ERRNO\(38\)/);
  assert.match(t, /x32 {5}nr 0x40000053 +KILL_THREAD +← the architecture is not in the profile/);
  assert.match(t, /syscall personality[\s\S]*x86_64 {2}nr 135 +ERRNO\(1\) +← default action: no argument rule matches these arguments/);
  assert.match(t, /the verdict depends on the arguments[^\n]*\n {6}\/linux\/seccomp\/syscalls\/2 \(SCMP_ACT_ALLOW if args\[0\] == 8\)/);
  assert.match(t, /syscall reboot[\s\S]*ERRNO\(1\) +← default action: no rule names it/);
  assert.match(t, /syscall clone3[\s\S]*ERRNO\(38\) +← runc's ENOSYS stub/);
  assert.match(t, /path on x86_64:\n {6}0000: 0x20 0x00 0x00 0x00000004 {3}ld {2}\[4\]/);
  assert.match(t, /seccomp program \(x86_64, x86, x32\)\n {2}line {2}OP/);
  assert.match(t, /\/linux\/seccomp\/syscalls\/2\/names\/0 \(personality\) args\/0: arg0 == 0x8/);
  assert.match(t, / seccomp +seccomp filter \(\d+ insns\) {3}\(\/linux\/seccomp\)\n +\d+ +capset +drop CAP_SYS_ADMIN/);
  // with matching arguments
  const r2 = ex((s) => (s.linux!.seccomp = seccomp), { syscalls: ['personality'], syscallArgs: [8n], sections: ['syscall'] });
  assert.match(r2.text, /x86_64 {2}nr 135 +ALLOW +← rule \/linux\/seccomp\/syscalls\/2 .* matches these arguments/);
  assert.doesNotMatch(r2.text, /init plan|capabilities/, 'only the asked section');
});

test('explain: problems create would fail with are listed, not thrown', () => {
  const r = ex((s) => {
    s.process!.apparmorProfile = 'docker-default';
    s.process!.noNewPrivileges = false;
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['capset'], action: 'SCMP_ACT_ERRNO' }] };
  });
  assert.equal(r.problems.length, 2);
  assert.match(r.text, /problems \(create would fail with these\)\n {2}\/process\/apparmorProfile: AppArmor profile "docker-default" is specified, but AppArmor is not enabled/);
  assert.match(r.text, /\/linux\/seccomp: the profile does not allow capset/);
  assert.match(r.text, /apparmorProfile {3}docker-default \(AppArmor is not enabled here: create fails\)/);
});
