// What the container gets, checked from inside: namespaces, pid 1, hostname,
// user namespace maps, mounts, read-only root, devices, rlimits,
// capabilities, user/cwd/env/umask, sysctls, time offsets.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Env } from './helpers.ts';
import type { Spec } from '../../src/spec/types.ts';

const env = new Env('ctr');
after(() => assert.deepEqual(env.cleanup(), []));

/** Run a shell script in a container; returns stdout (asserting exit 0). */
function sh(script: string, fn: (s: Spec) => void = () => {}): string {
  const r = env.run((s) => {
    s.process!.args = ['sh', '-c', script];
    fn(s);
  });
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const ns = (s: Spec, type: string) => s.linux!.namespaces!.some((n) => n.type === type);

describe('namespaces', () => {
  test('pid 1 in a new pid namespace; new mount, uts, ipc, net namespaces', () => {
    const out = sh('echo $$; for n in pid mnt uts ipc net; do readlink /proc/self/ns/$n; done', (s) => {
      for (const t of ['pid', 'mount', 'uts', 'ipc', 'network']) assert.ok(ns(s, t), `default spec has ${t}`);
    });
    const [pid, ...links] = out.trim().split('\n');
    assert.equal(pid, '1');
    const host = ['pid', 'mnt', 'uts', 'ipc', 'net'].map((n) => readlinkSync(`/proc/self/ns/${n}`));
    links.forEach((l, i) => assert.notEqual(l, host[i], `${host[i]} is not shared`));
  });

  test('a namespace joined by path is shared', () => {
    const out = sh('readlink /proc/self/ns/net', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
      s.linux!.namespaces!.push({ type: 'network', path: '/proc/self/ns/net' });
    });
    // the path is opened by the init, which runs on the host: /proc/self is the init itself, in the host's net ns
    assert.equal(out.trim(), readlinkSync('/proc/self/ns/net'));
  });

  test('hostname and domainname in the new uts namespace', () => {
    const out = sh('hostname; cat /proc/sys/kernel/domainname', (s) => {
      s.hostname = 'skiff-box';
      s.domainname = 'example.test';
    });
    assert.equal(out, 'skiff-box\nexample.test\n');
  });

  test('user namespace with uid/gid maps', () => {
    const out = sh('cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /', (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
    });
    const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.equal(lines[0], '0 200000 1000');
    assert.equal(lines[1], '0 200000 1000');
    assert.equal(lines[2], '0');
    assert.equal(lines[3], '65534', 'host root is unmapped inside');
  });

  test('cgroup namespace shows the container cgroup as /', () => {
    const out = sh('cat /proc/self/cgroup', (s) => s.linux!.namespaces!.push({ type: 'cgroup' }));
    for (const line of out.trim().split('\n')) assert.match(line, /:\/$/, line);
  });

  test('time namespace offsets', () => {
    const out = sh('cut -d. -f1 /proc/uptime', (s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { boottime: { secs: 86400 * 365 } };
    });
    assert.ok(Number(out) > 86400 * 365, `uptime ${out}`);
  });
});

describe('rootfs and mounts', () => {
  test('read-only root, proc/sys/dev mounted, mount options applied', () => {
    const out = sh('touch /x 2>/dev/null && echo rw || echo ro; grep -E " / | /proc | /sys | /dev | /dev/shm " /proc/self/mountinfo');
    const [rw, ...mi] = out.trim().split('\n');
    assert.equal(rw, 'ro');
    const byMp = Object.fromEntries(mi.map((l) => [l.split(' ')[4], l]));
    assert.match(byMp['/'], / ro[, ]/);
    assert.match(byMp['/proc'], / - proc /);
    assert.match(byMp['/sys'], / ro,nosuid,nodev,noexec.* - sysfs /);
    assert.match(byMp['/dev'], /nosuid.* - tmpfs .*mode=755/);
    assert.match(byMp['/dev/shm'], /nosuid,nodev,noexec.* - tmpfs .*size=65536k/);
  });

  test('bind mounts (file and dir), ro, and propagation', () => {
    const dir = join(env.base, 'data');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'f'), 'hello');
    const file = join(env.base, 'single');
    writeFileSync(file, 'one');
    const out = sh('cat /data/f /etc/single; echo; touch /data/g 2>/dev/null && echo w || echo nw; grep " /data " /proc/self/mountinfo', (s) => {
      s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['rbind', 'ro', 'nosuid', 'rprivate'] });
      s.mounts!.push({ destination: '/etc/single', type: 'none', source: file, options: ['bind'] });
    });
    const [content, w, mi] = out.trim().split('\n');
    assert.equal(content, 'helloone');
    assert.equal(w, 'nw');
    assert.match(mi, / \/data ro,nosuid/);
    assert.doesNotMatch(mi, /shared:/);
    assert.equal(existsSync(join(dir, 'g')), false);
  });

  test('--no-pivot uses MS_MOVE + chroot', () => {
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sh', '-c', 'ls /bin/busybox && cat /proc/self/mountinfo | wc -l']));
    const r = env.skiff(['run', '--no-pivot', '--bundle', b, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\/bin\/busybox/);
  });

  test('default devices and /dev symlinks', () => {
    const out = sh('for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done; for l in fd ptmx stdin; do readlink /dev/$l; done; echo x > /dev/null && head -c 4 /dev/zero | wc -c');
    for (const [d, maj, min] of [['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0]]) {
      assert.match(out, new RegExp(`/dev/${d} character special file ${(maj as number).toString(16)}:${(min as number).toString(16)} 666`));
    }
    assert.match(out, /\/proc\/self\/fd\npts\/ptmx\n\/proc\/self\/fd\/0\n4\n/);
  });

  test('linux.devices creates extra nodes', () => {
    const out = sh('stat -c "%n %F %t:%T %a %u:%g" /dev/mydev /dev/fifo', (s) => {
      s.linux!.devices = [
        { path: '/dev/mydev', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 12, gid: 34 },
        { path: '/dev/fifo', type: 'p', fileMode: 0o644 },
      ];
    });
    assert.match(out, /\/dev\/mydev character special file 1:3 600 12:34/);
    assert.match(out, /\/dev\/fifo fifo 0:0 644 0:0/);
  });
});

describe('process', () => {
  test('user, groups, cwd, env, umask, HOME from passwd', () => {
    const out = sh('id -u; id -g; id -G; pwd; echo $FOO; umask; echo $HOME', (s) => {
      s.process!.user = { uid: 65534, gid: 65534, additionalGids: [5, 7], umask: 0o027 };
      s.process!.cwd = '/tmp/work';
      s.process!.env!.push('FOO=bar baz');
    });
    assert.equal(out, '65534\n65534\n65534 5 7\n/tmp/work\nbar baz\n0027\n/home/nobody\n');
  });

  test('capabilities of all five sets', () => {
    const out = sh('grep Cap /proc/self/status', (s) => {
      const c = ['CAP_CHOWN', 'CAP_NET_RAW', 'CAP_SYS_ADMIN'];
      s.process!.capabilities = { bounding: [...c, 'CAP_KILL'], effective: c, permitted: c, inheritable: ['CAP_NET_RAW'], ambient: ['CAP_NET_RAW'] };
    });
    const get = (k: string) => BigInt('0x' + new RegExp(`${k}:\\s+([0-9a-f]+)`).exec(out)![1]);
    const bit = (n: number) => 1n << BigInt(n);
    assert.equal(get('CapBnd'), bit(0) | bit(13) | bit(21) | bit(5));
    assert.equal(get('CapEff'), bit(0) | bit(13) | bit(21));
    assert.equal(get('CapPrm'), bit(0) | bit(13) | bit(21));
    assert.equal(get('CapInh'), bit(13));
    assert.equal(get('CapAmb'), bit(13));
  });

  test('non-root user keeps only ambient caps', () => {
    const out = sh('grep -E "CapEff|CapAmb" /proc/self/status', (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = { bounding: ['CAP_NET_BIND_SERVICE'], effective: ['CAP_NET_BIND_SERVICE'], permitted: ['CAP_NET_BIND_SERVICE'], inheritable: ['CAP_NET_BIND_SERVICE'], ambient: ['CAP_NET_BIND_SERVICE'] };
    });
    assert.match(out, /CapEff:\s+0000000000000400/);
    assert.match(out, /CapAmb:\s+0000000000000400/);
  });

  test('noNewPrivileges, rlimits, oomScoreAdj', () => {
    const out = sh('grep NoNewPrivs /proc/self/status; ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj', (s) => {
      s.process!.noNewPrivileges = true;
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 768 }];
      s.process!.oomScoreAdj = 123;
    });
    assert.equal(out, 'NoNewPrivs:\t1\n512\n768\n123\n');
  });

  test('sysctl is written in the container namespaces', () => {
    const out = sh('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax', (s) => {
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '4096' };
      s.mounts = s.mounts!.map((m) => m);
    });
    assert.equal(out, '1\n4096\n');
  });

  test('rootfsPropagation and maskedPaths/readonlyPaths defaults', () => {
    const out = sh('cat /proc/keys | wc -c; ls /proc/acpi | wc -l; echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo w || echo ro', (s) => {
      s.linux!.rootfsPropagation = 'rprivate';
      assert.ok(ns(s, 'mount'));
    });
    assert.equal(out, '0\n0\nro\n');
  });
});

describe('capabilities the host cannot grant', () => {
  const bnd = BigInt('0x' + /CapBnd:\s*([0-9a-f]+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))![1]);
  const missing = ['CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_MODULE'].find((n) => {
    const num = { CAP_SYS_RESOURCE: 24, CAP_SYS_TIME: 25, CAP_SYS_MODULE: 16 }[n]!;
    return !(bnd & (1n << BigInt(num)));
  });
  test('are dropped with a warning; --strict refuses them', (t) => {
    if (!missing) return t.skip('this host grants every capability to root, nothing to test');
    const fn = (s: Spec) => {
      s.process!.args = ['sh', '-c', 'grep CapEff /proc/self/status'];
      s.process!.capabilities!.effective!.push(missing);
      s.process!.capabilities!.bounding!.push(missing);
      s.process!.capabilities!.permitted!.push(missing);
    };
    const r = env.run(fn);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`level=warning.*${missing}.*bounding set`));
    const strict = env.run(fn, ['--strict']);
    assert.equal(strict.status, 1);
    assert.match(strict.stderr, new RegExp(`/process/capabilities: ${missing}`));
  });
});

describe('mount destinations through dangling symlinks', () => {
  test('the link target is made inside the rootfs (as runc), never on the host', () => {
    const { mkdtempSync, symlinkSync, chmodSync: chmod } = require('node:fs') as typeof import('node:fs');
    const rootfs = mkdtempSync(join(env.base, 'dangle-'));
    chmod(rootfs, 0o755);
    require('./helpers.ts').makeRootfs(rootfs);
    const hostTarget = join(env.base, 'must-not-exist');
    symlinkSync(hostTarget, join(rootfs, 'abs')); // absolute, dangling: host path
    symlinkSync('../../../rel-target', join(rootfs, 'rel')); // climbs above the root
    const src = join(env.base, 'dangle-src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'inside');
    const id = env.id();
    const b = env.bundle((s) => {
      s.process!.args = ['sh', '-c', 'cat /abs/f /rel/f'];
      s.mounts!.push({ destination: '/abs', type: 'bind', source: src, options: ['bind'] });
      s.mounts!.push({ destination: '/rel', type: 'bind', source: src, options: ['bind'] });
    }, rootfs);
    const r = env.skiff(['run', '--bundle', b, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'insideinside');
    assert.equal(existsSync(hostTarget), false, 'nothing made on the host');
    assert.ok(existsSync(join(rootfs, hostTarget)), 'the absolute target was made inside the rootfs');
    assert.ok(existsSync(join(rootfs, 'rel-target')), 'the relative target was clamped to the rootfs');
  });
});
