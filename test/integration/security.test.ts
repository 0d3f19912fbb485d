// Process security, checked from inside real containers: capabilities around
// the uid change, --strict, no_new_privs, seccomp loaded last (errno, kill,
// notify with a real agent), masked and read-only paths, LSM errors,
// personality, scheduler, I/O priority, CPU affinity, session keyring.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, makeRootfs, sleep } from './helpers.ts';
import type { Spec } from '../../src/spec/types.ts';

const env = new Env('sec');
after(() => assert.deepEqual(env.cleanup(), []));

function run(script: string, fn: (s: Spec) => void = () => {}, extra: string[] = []) {
  return env.run((s) => {
    s.process!.args = ['sh', '-c', script];
    fn(s);
  }, extra);
}

/** Run a script; assert exit 0; return stdout. */
function sh(script: string, fn: (s: Spec) => void = () => {}): string {
  const r = run(script, fn);
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const status = (out: string, key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(out)?.[1];

describe('capabilities', () => {
  test('non-root user: effective/permitted/inheritable/ambient as configured, bounding dropped', () => {
    const out = sh('cat /proc/self/status', (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = {
        bounding: ['CAP_NET_BIND_SERVICE', 'CAP_KILL', 'CAP_CHOWN'],
        effective: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
        permitted: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
        inheritable: ['CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_NET_BIND_SERVICE'],
      };
    });
    // after exec a non-root process keeps exactly its ambient caps
    assert.equal(status(out, 'CapAmb'), '0000000000000400');
    assert.equal(status(out, 'CapEff'), '0000000000000400');
    assert.equal(status(out, 'CapPrm'), '0000000000000400');
    assert.equal(status(out, 'CapInh'), '0000000000000400');
    assert.equal(status(out, 'CapBnd'), '0000000000000421');
    assert.equal(status(out, 'Uid'), '1000\t1000\t1000\t1000');
  });

  test('seccomp without noNewPrivileges: CAP_SYS_ADMIN kept to load the filter is gone afterwards', () => {
    const out = sh('cat /proc/self/status', (s) => {
      s.process!.noNewPrivileges = false;
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    });
    assert.equal(status(out, 'CapEff'), '0000000000000020');
    assert.equal(status(out, 'CapPrm'), '0000000000000020');
    assert.equal(status(out, 'Seccomp'), '2');
  });

  test('an unknown capability is a warning, and an error with --strict', () => {
    const set = (s: Spec) => {
      s.process!.capabilities!.bounding!.push('CAP_NOPE');
      s.process!.capabilities!.effective!.push('CAP_NOPE');
    };
    const r = run('true', set);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /unknown capability \\?"CAP_NOPE\\?" \(ignored\)/);
    const id = env.id();
    const b = env.bundle((s) => {
      s.process!.args = ['true'];
      set(s);
    });
    const c = env.skiff(['create', '--strict', '--bundle', b, id]);
    assert.notEqual(c.status, 0);
    assert.match(c.stderr, /\/process\/capabilities\/bounding\/\d+: unknown capability "CAP_NOPE"/);
    assert.equal(env.skiff(['state', id]).status, 1, 'nothing created');
    const r2 = env.run((s) => { s.process!.args = ['true']; set(s); }, ['--strict']);
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /unknown capability "CAP_NOPE"/);
  });

  test('noNewPrivileges sets no_new_privs; without it, it is clear', () => {
    assert.equal(status(sh('cat /proc/self/status', (s) => (s.process!.noNewPrivileges = true)), 'NoNewPrivs'), '1');
    assert.equal(status(sh('cat /proc/self/status', (s) => (s.process!.noNewPrivileges = false)), 'NoNewPrivs'), '0');
  });
});

describe('seccomp', () => {
  test('a denied syscall returns the configured errno', () => {
    const r = run('mkdir /tmp/x; echo rc=$?', (s) => {
      s.root!.readonly = false;
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/x': Function not implemented/);
    assert.match(r.stdout, /rc=1/);
  });

  test('the filter is loaded last: the init\'s own syscalls are not filtered (without noNewPrivileges too)', () => {
    for (const nnp of [false, true]) {
      const out = sh('id -u; grep Seccomp: /proc/self/status', (s) => {
        s.process!.noNewPrivileges = nnp;
        s.process!.user = { uid: 1000, gid: 1000, additionalGids: [5] };
        // everything the init does before exec is denied here; runc 1.1 fails to start this container
        s.linux!.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['setresuid', 'setresgid', 'setgroups', 'prctl', 'chdir', 'umask', 'close_range', 'openat2', 'sched_setaffinity', 'fchown'], action: 'SCMP_ACT_ERRNO' }],
        };
      });
      assert.equal(out, '1000\nSeccomp:\t2\n', `noNewPrivileges=${nnp}`);
    }
  });

  test('SCMP_ACT_KILL_PROCESS kills the process with SIGSYS (exit 159)', () => {
    const r = run('mkdir /tmp/y; echo survived', (s) => {
      s.root!.readonly = false;
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }] };
      s.process!.args = ['mkdir', '/tmp/y'];
    });
    assert.equal(r.status, 159, r.stderr);
  });

  test('a profile that denies capset needs noNewPrivileges: clear error, nothing created', () => {
    const seccomp = { defaultAction: 'SCMP_ACT_ALLOW' as const, syscalls: [{ names: ['capset'], action: 'SCMP_ACT_ERRNO' as const }] };
    const r = run('true', (s) => {
      s.process!.noNewPrivileges = false;
      s.linux!.seccomp = seccomp;
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/linux\/seccomp: the profile does not allow capset \(it returns ERRNO\(1\)\).*noNewPrivileges/);
    assert.equal(env.skiff(['state', r.id]).status, 1);
    const ok = run('grep NoNewPrivs /proc/self/status', (s) => {
      s.process!.noNewPrivileges = true;
      s.linux!.seccomp = seccomp;
    });
    assert.equal(ok.status, 0, ok.stderr);
  });

  test('a profile that denies execve is refused up front', () => {
    const r = run('true', (s) => {
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['execve'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /the profile does not allow execve \(it returns ERRNO\(13\)\), but the container's process is started with it/);
  });

  test('SCMP_ACT_NOTIFY: the agent at listenerPath gets the fd and the container process state, and answers', async () => {
    const dir = mkdtempSync(join(env.base, 'agent-'));
    const sock = join(dir, 'agent.sock');
    const out = join(dir, 'state.json');
    const agent = spawn('python3', [join(__dirname, 'seccomp-agent.py'), sock, out, '42'], { stdio: 'inherit' });
    try {
      for (let i = 0; i < 200 && !existsSync(`${out}.ready`); i++) await sleep(20);
      assert.ok(existsSync(`${out}.ready`), 'agent listening');
      const id = env.id();
      const b = env.bundle((s) => {
        s.root!.readonly = false;
        s.process!.args = ['sh', '-c', 'mkdir /tmp/z; echo rc=$?'];
        s.process!.noNewPrivileges = false;
        s.annotations = { 'org.example/k': 'v' };
        s.linux!.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          listenerPath: sock,
          listenerMetadata: 'MKDIR=deny',
          syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
        };
      });
      const r = await env.skiffAsync(['run', '--bundle', b, id]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /can't create directory '\/tmp\/z': No message of desired type/);
      const [json, nfds] = readFileSync(out, 'utf8').split('\n');
      assert.equal(nfds, '1');
      const st = JSON.parse(json);
      assert.deepEqual(st.fds, ['seccompFd']);
      assert.equal(st.metadata, 'MKDIR=deny');
      assert.equal(typeof st.pid, 'number');
      assert.ok(st.pid > 1);
      assert.equal(st.state.id, id);
      assert.equal(st.state.pid, st.pid);
      assert.equal(st.state.bundle, b);
      assert.equal(st.state.status, 'running');
      assert.deepEqual(st.state.annotations, { 'org.example/k': 'v' });
      assert.ok(st.ociVersion);
      assert.match(readFileSync(`${out}.calls`, 'utf8'), /^83\n/); // mkdir on x86_64
    } finally {
      agent.kill('SIGKILL');
    }
  });

  test('SCMP_ACT_NOTIFY without listenerPath, or with nothing listening, is a clear error', () => {
    const seccomp = { defaultAction: 'SCMP_ACT_ALLOW' as const, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' as const }] };
    const r = run('true', (s) => (s.linux!.seccomp = seccomp));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/linux\/seccomp\/listenerPath: SCMP_ACT_NOTIFY needs a listenerPath/);
    const r2 = run('true', (s) => (s.linux!.seccomp = { ...seccomp, listenerPath: join(env.base, 'nobody.sock') }));
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /\/linux\/seccomp\/listenerPath: connect .*nobody.sock/);
    assert.equal(env.skiff(['state', r2.id]).status, 1);
  });
});

describe('masked and read-only paths', () => {
  test('a masked file reads empty, a masked directory is an empty read-only tmpfs', () => {
    const out = sh('wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; touch /sys/firmware/x 2>&1; grep " /sys/firmware " /proc/self/mountinfo', (s) => {
      assert.ok(s.linux!.maskedPaths!.includes('/proc/timer_list'));
      assert.ok(s.linux!.maskedPaths!.includes('/sys/firmware'));
    });
    const [bytes, entries, touch, mi] = out.trim().split('\n');
    assert.equal(bytes.trim(), '0');
    assert.equal(entries.trim(), '0');
    assert.match(touch, /Read-only file system/);
    assert.match(mi, / ro[, ].* - tmpfs /);
  });

  test('a symlink in maskedPaths/readonlyPaths is never followed', () => {
    const rootfs = mkdtempSync(join(env.base, 'rootfs-'));
    makeRootfs(rootfs);
    writeFileSync(join(rootfs, 'etc/secret'), 'keep me\n');
    symlinkSync('/etc/secret', join(rootfs, 'etc/link'));
    mkdirSync(join(rootfs, 'data'));
    symlinkSync('/data', join(rootfs, 'datalink'));
    const id = env.id();
    const b = env.bundle((s) => {
      s.process!.args = ['sh', '-c', 'cat /etc/secret; readlink /etc/link; touch /data/w && echo data-writable'];
      s.root!.readonly = false;
      s.linux!.maskedPaths = ['/etc/link'];
      s.linux!.readonlyPaths = ['/datalink'];
    }, rootfs);
    const r = env.skiff(['run', '--bundle', b, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'keep me\n/etc/secret\ndata-writable\n');
  });

  test('masking a file refuses a /dev/null that is not the null device', () => {
    const dev = mkdtempSync(join(env.base, 'dev-'));
    writeFileSync(join(dev, 'null'), 'not null');
    const r = run('true', (s) => {
      s.mounts = s.mounts!.filter((m) => m.destination !== '/dev' && !m.destination.startsWith('/dev/'));
      s.mounts!.push({ destination: '/dev', type: 'bind', source: dev, options: ['rbind', 'rw'] });
      s.linux!.maskedPaths = ['/proc/timer_list'];
      s.linux!.readonlyPaths = [];
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/linux\/maskedPaths\/0: \/dev\/null is not the null device; refusing to mask \/proc\/timer_list/);
    assert.equal(readFileSync(join(dev, 'null'), 'utf8'), 'not null');
  });

  test('a read-only path keeps the flags of its mount (no noexec added where there was none)', () => {
    const out = sh('touch /bin/x 2>&1; ls /bin >/dev/null && echo exec-ok; grep -E " /(bin|dev/shm|proc|proc/sys) " /proc/self/mountinfo', (s) => {
      s.root!.readonly = false;
      s.linux!.readonlyPaths = ['/bin', '/proc/sys', '/dev/shm'];
      assert.deepEqual(s.mounts!.find((m) => m.destination === '/dev/shm')!.options!.slice(0, 3), ['nosuid', 'noexec', 'nodev']);
    });
    const lines = out.trim().split('\n');
    assert.match(lines[0], /Read-only file system/);
    assert.equal(lines[1], 'exec-ok');
    const opts = (dest: string) => lines.findLast((l) => l.split(' ')[4] === dest)!.split(' ')[5];
    assert.match(opts('/bin'), /^ro(,|$)/);
    assert.doesNotMatch(opts('/bin'), /noexec/);
    assert.equal(opts('/dev/shm'), 'ro,nosuid,nodev,noexec,relatime');
    assert.equal(opts('/proc/sys'), opts('/proc').replace(/^rw/, 'ro'));
  });
});

describe('LSM', () => {
  const cases: [string, (s: Spec) => void, RegExp][] = [
    ['apparmorProfile', (s) => (s.process!.apparmorProfile = 'docker-default'), /\/process\/apparmorProfile: AppArmor profile "docker-default" is specified, but AppArmor is not enabled on this host/],
    ['selinuxLabel', (s) => (s.process!.selinuxLabel = 'system_u:system_r:container_t:s0'), /\/process\/selinuxLabel: SELinux label .* is specified, but SELinux is disabled or not supported/],
    ['mountLabel', (s) => (s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0'), /\/linux\/mountLabel: SELinux mount label .* SELinux is disabled or not supported/],
  ];
  for (const [name, fn, re] of cases) {
    test(`${name} on a host without the LSM is an error`, { skip: existsSync('/sys/fs/selinux/enforce') || existsSync('/sys/kernel/security/apparmor') ? 'host has an LSM' : false }, () => {
      const r = run('true', fn);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, re);
      assert.equal(env.skiff(['state', r.id]).status, 1);
    });
  }
});

describe('personality, scheduler, I/O priority, CPU affinity, keyring', () => {
  test('personality LINUX32', () => {
    assert.equal(sh('cat /proc/self/personality; uname -m', (s) => (s.linux!.personality = { domain: 'LINUX32' })), '00000008\ni686\n');
    assert.equal(sh('cat /proc/self/personality', (s) => (s.linux!.personality = { domain: 'LINUX' })), '00000000\n');
  });

  test('scheduler: SCHED_BATCH with nice, SCHED_IDLE', () => {
    const out = sh('grep -E "^(policy|prio) " /proc/self/sched', (s) => (s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 5 }));
    assert.match(out, /policy\s+:\s+3\n/);
    assert.match(out, /prio\s+:\s+125\n/);
    assert.match(sh('grep -E "^policy " /proc/self/sched', (s) => (s.process!.scheduler = { policy: 'SCHED_IDLE' })), /policy\s+:\s+5/);
  });

  test('scheduler: SCHED_FIFO priority (real-time, set while the init still has CAP_SYS_NICE)', (t) => {
    const r = run('grep -E "^(policy|prio) " /proc/self/sched', (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.scheduler = { policy: 'SCHED_FIFO', priority: 10, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
    });
    if (r.status !== 0 && /sched_setattr: operation not permitted/.test(r.stderr)) {
      t.skip('no real-time runtime for this cgroup (CONFIG_RT_GROUP_SCHED)');
      return;
    }
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /policy\s+:\s+1\n/);
    assert.match(r.stdout, /prio\s+:\s+89\n/); // MAX_RT_PRIO-1 - 10
  });

  test('scheduler: invalid combinations are config errors', () => {
    const r = run('true', (s) => (s.process!.scheduler = { policy: 'SCHED_OTHER', priority: 5 }));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/process\/scheduler\/priority: a priority can only be set with SCHED_FIFO or SCHED_RR/);
  });

  test('ioPriority', () => {
    assert.equal(sh('ionice', (s) => (s.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE' })), 'idle\n');
    assert.equal(sh('ionice', (s) => (s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 3 })), 'best-effort: prio 3\n');
  });

  test('execCPUAffinity: final is the affinity at exec; initial alone is reset to the cgroup\'s CPUs', () => {
    const all = /Cpus_allowed_list:\s*(.*)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    assert.equal(sh('grep Cpus_allowed_list /proc/self/status', (s) => (s.process!.execCPUAffinity = { initial: '0', final: '0' })), 'Cpus_allowed_list:\t0\n');
    assert.equal(sh('grep Cpus_allowed_list /proc/self/status', (s) => (s.process!.execCPUAffinity = { initial: '0' })), `Cpus_allowed_list:\t${all}\n`);
    const r = run('true', (s) => (s.process!.execCPUAffinity = { final: '3-1' }));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/process\/execCPUAffinity\/final/);
  });

  test('a new session keyring named after the container, unless --no-new-keyring', () => {
    const unmask = (s: Spec) => (s.linux!.maskedPaths = s.linux!.maskedPaths!.filter((p) => p !== '/proc/keys'));
    const withKeyring = run('grep _ses /proc/keys', unmask);
    assert.equal(withKeyring.status, 0, withKeyring.stderr);
    assert.match(withKeyring.stdout, new RegExp(`keyring\\s+_ses\\.${withKeyring.id}:`));
    const none = run('grep _ses /proc/keys; true', unmask, ['--no-new-keyring']);
    assert.equal(none.status, 0, none.stderr);
    assert.doesNotMatch(none.stdout, new RegExp(`_ses\\.${none.id}`));
  });
});
