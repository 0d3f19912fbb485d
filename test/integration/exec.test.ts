// `skiff exec`: a process joining a running container — namespaces, cgroup,
// root, user, caps, seccomp, exit codes, signals, detach, runc's errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, SKIFF, busyboxRootfs, procStatus, sleep } from './helpers.ts';
import { loadCgroupManager } from '../../src/cgroups/index.ts';

const env = new Env('exec');
after(() => assert.deepEqual(env.cleanup(), []));
// mkdtemp makes it 0700: non-root users in the container must reach /
chmodSync(busyboxRootfs(), 0o755);

/** A detached exec: its process inherits our stdio, so give it files, not pipes we would wait on. */
function execDetached(args: string[]): { status: number | null; stderr: string } {
  const errFile = join(env.base, `detached-${process.hrtime.bigint()}.err`);
  const err = openSync(errFile, 'w');
  try {
    const r = spawnSync(SKIFF, ['--root', env.root, 'exec', '-d', ...args], { stdio: ['ignore', 'ignore', err], timeout: 30_000 });
    return { status: r.status, stderr: readFileSync(errFile, 'utf8') };
  } finally {
    closeSync(err);
  }
}

/** A detached running container (`sleep`), with the spec changed by fn. */
function runDetached(fn: Parameters<Env['bundle']>[0] = () => {}): { id: string; pid: number } {
  const id = env.id();
  const b = env.bundle((s) => {
    s.process!.args = ['sleep', '600'];
    fn?.(s);
  });
  const r = env.skiff(['run', '-d', '--bundle', b, id]);
  assert.equal(r.status, 0, r.stderr);
  return { id, pid: env.state(id).pid };
}

const NS = ['pid', 'mnt', 'net', 'uts', 'ipc', 'cgroup', 'user'];

describe('exec', () => {
  let c: { id: string; pid: number };
  before(() => {
    c = runDetached((s) => {
      s.hostname = 'exec-host';
      s.process!.env = [...(s.process!.env ?? []), 'FROM_CONFIG=yes'];
    });
  });

  test('joins every namespace, the cgroup and the root of pid 1', () => {
    const pidFile = join(env.base, 'ns.pid');
    const r = execDetached(['--pid-file', pidFile, c.id, 'sleep', '30']);
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0 && pid !== c.pid);
    for (const ns of NS) assert.equal(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/${c.pid}/ns/${ns}`), ns);
    assert.equal(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), readFileSync(`/proc/${c.pid}/cgroup`, 'utf8'));
    // the same root (the container's rootfs), not the host's
    assert.equal(readlinkSync(`/proc/${pid}/root`), readlinkSync(`/proc/${c.pid}/root`));
    process.kill(pid, 'SIGKILL');
  });

  test('inside: pid namespace, rootfs, hostname, env from the config plus --env, --cwd', () => {
    const r = env.skiff(['exec', '--cwd', '/dev', '-e', 'EXTRA=1', '--env', 'FROM_CONFIG=overridden', c.id, 'sh', '-c',
      'echo pid=$$; echo host=$(hostname); echo cwd=$(pwd); echo extra=$EXTRA; echo cfg=$FROM_CONFIG; ls /bin/busybox; test -e /work || echo no-host-root; cat /proc/1/cmdline | tr "\\0" " "']);
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^pid=(\d+)$/m);
    assert.ok(Number(/^pid=(\d+)$/m.exec(out)![1]) > 1, 'a pid of the container pid namespace');
    assert.match(out, /^host=exec-host$/m);
    assert.match(out, /^cwd=\/dev$/m);
    assert.match(out, /^extra=1$/m);
    assert.match(out, /^cfg=overridden$/m);
    assert.match(out, /^\/bin\/busybox$/m);
    assert.match(out, /^no-host-root$/m, '/ is the container rootfs');
    assert.match(out, /sleep 600/);
  });

  test('exit codes and 128+signal', () => {
    assert.equal(env.skiff(['exec', c.id, 'sh', '-c', 'exit 42']).status, 42);
    assert.equal(env.skiff(['exec', c.id, 'true']).status, 0);
    assert.equal(env.skiff(['exec', c.id, 'sh', '-c', 'kill -9 $$']).status, 137);
    assert.equal(env.skiff(['exec', c.id, 'sh', '-c', 'kill -TERM $$']).status, 143);
  });

  test('stdio: skiff\'s own fds (pipe stdin, pipe stdout/stderr)', () => {
    const r = env.skiff(['exec', c.id, 'sh', '-c', 'cat; echo to-stderr >&2'], { input: 'from-stdin\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'from-stdin\n');
    assert.equal(r.stderr, 'to-stderr\n');
  });

  test('a missing binary: runc\'s message, exit 255', () => {
    const r = env.skiff(['exec', c.id, 'no-such-binary']);
    assert.equal(r.status, 255);
    assert.match(r.stderr, /exec failed: unable to start container process: exec: "no-such-binary": executable file not found in \$PATH/);
    const r2 = env.skiff(['exec', c.id, '/nonexistent']);
    assert.equal(r2.status, 255);
    assert.match(r2.stderr, /stat \/nonexistent: no such file or directory/);
  });

  test('--user uid:gid, --additional-gids', () => {
    const r = env.skiff(['exec', '-u', '1000:1001', '-g', '44', '--additional-gids', '45', c.id, 'sh', '-c', 'id -u; id -g; id -G']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['1000', '1001', '1001 44 45']);
    const bad = env.skiff(['exec', '-u', 'bob', c.id, 'true']);
    assert.equal(bad.status, 255);
    assert.match(bad.stderr, /bad uid/);
  });

  test('capabilities: the config\'s, plus --cap', () => {
    const capEff = (extra: string[]) => {
      const r = env.skiff(['exec', ...extra, c.id, 'sh', '-c', 'grep -E "^Cap(Eff|Bnd)" /proc/self/status']);
      assert.equal(r.status, 0, r.stderr);
      return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/)).map(([k, v]) => [k, BigInt('0x' + v)]));
    };
    // runc's default spec: AUDIT_WRITE(29), KILL(5), NET_BIND_SERVICE(10)
    const want = (1n << 29n) | (1n << 5n) | (1n << 10n);
    assert.deepEqual(capEff([]), { CapEff: want, CapBnd: want });
    const sysAdmin = 1n << 21n;
    assert.deepEqual(capEff(['--cap', 'CAP_SYS_ADMIN']), { CapEff: want | sysAdmin, CapBnd: want | sysAdmin });
    const bad = env.skiff(['exec', '--cap', 'CAP_NOPE', '--strict', c.id, 'true']);
    assert.notEqual(bad.status, 0);
  });

  test('--no-new-privs', () => {
    const nnp = (extra: string[]) => env.skiff(['exec', ...extra, c.id, 'grep', 'NoNewPrivs', '/proc/self/status']).stdout.trim();
    assert.match(nnp(['--no-new-privs']), /NoNewPrivs:\s+1/);
  });

  test('--process process.json (as containerd passes it)', () => {
    const p = join(env.base, 'process.json');
    writeFileSync(p, JSON.stringify({
      user: { uid: 5, gid: 6, additionalGids: [7] },
      args: ['sh', '-c', 'echo $GREETING; id -u; id -G; pwd; exit 3'],
      env: ['PATH=/usr/bin:/bin', 'GREETING=hello-from-process-json'],
      cwd: '/etc',
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 123, soft: 100 }],
      noNewPrivileges: true,
    }));
    const r = env.skiff(['exec', '--process', p, c.id]);
    assert.equal(r.status, 3, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['hello-from-process-json', '5', '6 7', '/etc']);
    const lim = join(env.base, 'process2.json');
    writeFileSync(lim, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'ulimit -n; ulimit -Hn'], env: ['PATH=/bin'], cwd: '/', rlimits: [{ type: 'RLIMIT_NOFILE', hard: 123, soft: 100 }] }));
    const r2 = env.skiff(['exec', '-p', lim, c.id]);
    assert.equal(r2.status, 0, r2.stderr);
    assert.deepEqual(r2.stdout.trim().split('\n'), ['100', '123']);
    // an invalid process.json names the field
    writeFileSync(lim, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['true'], cwd: 'relative' }));
    const bad = env.skiff(['exec', '-p', lim, c.id]);
    assert.equal(bad.status, 255);
    assert.match(bad.stderr, /cwd/);
  });

  test('detach + pid file: written before exec returns; the process keeps running', () => {
    const pidFile = join(env.base, 'detached.pid');
    const r = execDetached(['--pid-file', pidFile, c.id, 'sleep', '30']);
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\x0030\x00');
    assert.notEqual(procStatus(pid).State[0], 'Z');
    process.kill(pid, 'SIGKILL');
  });

  test('signals to a foreground exec are forwarded', async () => {
    const child = spawn(SKIFF, ['--root', env.root, 'exec', c.id, 'sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    for (let i = 0; i < 200 && !out.includes('ready'); i++) await sleep(25);
    assert.match(out, /ready/);
    child.kill('SIGTERM');
    assert.equal(await code, 42);
    assert.match(out, /got-term/);
  });

  test('the container\'s seccomp profile applies to exec', () => {
    const s = runDetached((sp) => {
      sp.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    });
    const r = env.skiff(['exec', s.id, 'mkdir', '/dev/shm/x']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Operation not permitted/);
    assert.equal(env.skiff(['exec', s.id, 'touch', '/dev/shm/y']).status, 0);
    env.skiff(['delete', '-f', s.id]);
  });

  test('LSM labels on a host without the LSM: a clear error', () => {
    const a = env.skiff(['exec', '--apparmor', 'docker-default', c.id, 'true']);
    assert.equal(a.status, 255);
    assert.match(a.stderr, /apparmor profile "docker-default" is specified, but AppArmor is not enabled on this host/);
    const s = env.skiff(['exec', '--process-label', 'system_u:system_r:container_t:s0', c.id, 'true']);
    assert.equal(s.status, 255);
    assert.match(s.stderr, /selinux label is specified in config, but selinux is disabled or not supported/);
  });

  test('argument errors as runc', () => {
    const r = env.skiff(['exec', c.id]);
    assert.equal(r.status, 255);
    assert.match(r.stderr, /exec args cannot be empty/);
    const t = env.skiff(['exec', '-d', '-t', c.id, 'true']);
    assert.equal(t.status, 255);
    assert.match(t.stderr, /cannot allocate tty if skiff will detach without setting console socket/);
    const cs = env.skiff(['exec', '--console-socket', '/nonexistent.sock', c.id, 'true']);
    assert.equal(cs.status, 255);
    assert.match(cs.stderr, /cannot use console socket if skiff will not detach or allocate tty/);
    const cg = env.skiff(['exec', '--cgroup', 'a', '--cgroup', 'b', c.id, 'true']);
    assert.match(cg.stderr, /missing <controller>: prefix/);
    const nf = env.skiff(['exec', 'no-such-container', 'true']);
    assert.equal(nf.status, 255);
    assert.match(nf.stderr, /does not exist|not found/);
  });

  test('--cgroup: a sub-cgroup of the container\'s', () => {
    const st = JSON.parse(readFileSync(join(env.root, c.id, 'state.json'), 'utf8'));
    const pidsDir: string = st.cgroup.paths.pids;
    assert.ok(pidsDir, 'the pids controller is mounted');
    const sub = join(pidsDir, 'sub');
    mkdirSync(sub);
    try {
      const r = env.skiff(['exec', '--cgroup', 'pids:sub', c.id, 'cat', '/proc/self/cgroup']);
      assert.equal(r.status, 0, r.stderr);
      const line = r.stdout.split('\n').find((l) => /:pids:/.test(l))!;
      assert.match(line, /\/sub$/);
      const mem = r.stdout.split('\n').find((l) => /:memory:/.test(l))!;
      assert.doesNotMatch(mem, /\/sub$/);
      const bad = env.skiff(['exec', '--cgroup', 'pids:../../escape', c.id, 'true']);
      assert.equal(bad.status, 255);
      assert.match(bad.stderr, /bad sub cgroup path/);
    } finally {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(sub);
          break;
        } catch {
          /* the exec'd process may still be exiting */
        }
      }
    }
  });

  test('exec into a created (not started) container works', () => {
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '600']));
    assert.equal(env.skiff(['create', '--bundle', b, id]).status, 0);
    const r = env.skiff(['exec', id, 'cat', '/proc/1/cmdline']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /skiff-init/);
    env.skiff(['delete', '-f', id]);
  });

  test('a stopped container: runc\'s error', async () => {
    const s = runDetached();
    process.kill(s.pid, 'SIGKILL');
    for (let i = 0; i < 100 && env.state(s.id).status !== 'stopped'; i++) await sleep(20);
    const r = env.skiff(['exec', s.id, 'true']);
    assert.equal(r.status, 255);
    assert.match(r.stderr, /cannot exec in a stopped container/);
    env.skiff(['delete', '-f', s.id]);
  });

  test('a paused container: an error, unless --ignore-paused', async () => {
    const s = runDetached();
    const st = JSON.parse(readFileSync(join(env.root, s.id, 'state.json'), 'utf8'));
    const cg = loadCgroupManager(st.cgroup);
    cg.freeze();
    try {
      assert.equal(env.state(s.id).status, 'paused');
      const r = env.skiff(['exec', s.id, 'true']);
      assert.equal(r.status, 255);
      assert.match(r.stderr, /cannot exec in a paused container \(use --ignore-paused to override\)/);
      // with --ignore-paused the process joins the frozen cgroup and runs once resumed
      const p = env.skiffAsync(['exec', '--ignore-paused', s.id, 'echo', 'after-resume']);
      await sleep(300);
      cg.thaw();
      const res = await p;
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'after-resume\n');
    } finally {
      cg.thaw();
      env.skiff(['delete', '-f', s.id]);
    }
  });

  test('delete --force of a paused container does not hang on an exec waiting in it', async () => {
    const s = runDetached();
    const st = JSON.parse(readFileSync(join(env.root, s.id, 'state.json'), 'utf8'));
    const cg = loadCgroupManager(st.cgroup);
    cg.freeze();
    try {
      // joins the frozen cgroup and waits there, holding the container's shared lock
      const p = env.skiffAsync(['exec', '--ignore-paused', s.id, 'sleep', '60']);
      await sleep(300);
      const t0 = Date.now();
      const del = env.skiff(['delete', '--force', s.id], { timeout: 20_000 });
      assert.equal(del.signal, null, 'delete --force hung');
      assert.equal(del.status, 0, del.stderr);
      assert.ok(Date.now() - t0 < 15_000);
      const res = await p;
      assert.notEqual(res.code, 0, 'the exec process died with the container');
    } finally {
      if (cg.exists()) cg.thaw(); // gone once the delete succeeded
      env.skiff(['delete', '-f', s.id]);
    }
  });

  test('a container without a mount namespace: exec is chrooted into its root too', () => {
    const s = runDetached((sp) => {
      sp.linux!.namespaces = sp.linux!.namespaces!.filter((n) => n.type !== 'mount');
      sp.mounts = [];
      sp.linux!.maskedPaths = [];
      sp.linux!.readonlyPaths = [];
      sp.root!.readonly = false;
    });
    const r = env.skiff(['exec', s.id, 'sh', '-c', 'test -e /work && echo host-root || echo container-root; ls /bin/busybox']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'container-root\n/bin/busybox\n');
    env.skiff(['delete', '-f', s.id]);
  });

  test('a container with a user namespace: exec joins it first', () => {
    const s = runDetached((sp) => {
      sp.linux!.namespaces!.push({ type: 'user' });
      sp.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      sp.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      sp.root!.readonly = false;
    });
    const pidFile = join(env.base, 'userns.pid');
    const r = execDetached(['--pid-file', pidFile, s.id, 'sleep', '30']);
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (const ns of NS) assert.equal(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/${s.pid}/ns/${ns}`), ns);
    assert.match(procStatus(pid).Uid, /^200000\s/);
    const id = env.skiff(['exec', s.id, 'cat', '/proc/self/uid_map']);
    assert.equal(id.status, 0, id.stderr);
    assert.match(id.stdout, /^\s*0\s+200000\s+65536/);
    env.skiff(['delete', '-f', s.id]);
  });
});
