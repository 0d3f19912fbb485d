// Escape attempts: a hostile image or config against the runtime. Each test
// prepares a rootfs with one known attack; it would succeed on a naive
// runtime, and here must fail cleanly or be contained, always leaving the
// host unchanged (victim files and dirs, the skiff-init binary, mounts).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Env, REPO, makeRootfs } from './helpers.ts';
import type { Spec } from '../../src/spec/types.ts';
import { cleanError, isLive, leaksFor, mountsWith } from './reliability-util.ts';

const env = new Env('escape');
after(() => assert.deepEqual(env.cleanup(), []));

let n = 0;
/** A fresh, writable busybox rootfs for one attack. */
function rootfs(): string {
  const d = join(env.base, `rootfs-${++n}`);
  mkdirSync(d);
  makeRootfs(d);
  chmodSync(d, 0o755);
  return d;
}

/** A host directory with a sentinel file; `unchanged()` proves nothing touched it. */
function victim(tag: string, extra: Record<string, string> = {}): { dir: string; file: string; unchanged(): void } {
  const dir = join(env.base, `host-${tag}-${++n}`);
  mkdirSync(dir);
  const file = join(dir, 'secret');
  writeFileSync(file, 'host data\n');
  chmodSync(file, 0o600);
  for (const [k, v] of Object.entries(extra)) {
    mkdirSync(join(dir, k, '..'), { recursive: true });
    writeFileSync(join(dir, k), v);
  }
  const listing = spawnSync('find', [dir], { encoding: 'utf8' }).stdout;
  const contents = Object.keys(extra).map((k) => readFileSync(join(dir, k), 'utf8'));
  return {
    dir,
    file,
    unchanged() {
      assert.equal(spawnSync('find', [dir], { encoding: 'utf8' }).stdout, listing, `host dir ${dir} was modified`);
      assert.deepEqual(Object.keys(extra).map((k) => readFileSync(join(dir, k), 'utf8')), contents, `host files in ${dir} were modified`);
      assert.equal(readFileSync(file, 'utf8'), 'host data\n', `host file ${file} was modified`);
      assert.equal(statSync(file).mode & 0o7777, 0o600);
      assert.deepEqual(mountsWith(dir), [], `something is mounted on the host at ${dir}`);
    },
  };
}

/** Keep the image's own /dev (no tmpfs over it): the attacks below plant things there. */
function ownDev(s: Spec): void {
  s.root!.readonly = false;
  s.mounts = s.mounts!.filter((m) => m.destination !== '/dev');
  for (const m of s.mounts) if (m.destination === '/dev/pts') m.options = m.options!.filter((o) => !o.startsWith('gid='));
}

function failsCleanly(r: { status: number | null; stderr: string }, re?: RegExp): void {
  assert.equal(r.status, 1, `expected a clean failure, got ${r.status}: ${r.stderr}`);
  assert.equal(cleanError(r.stderr), undefined);
  if (re) assert.match(r.stderr, re);
}

/** `skiff run` of a one-shot container on a given rootfs. */
function runIn(rfs: string, fn: (s: Spec) => void, extra: string[] = []) {
  const id = env.id();
  const r = env.skiff(['run', '--bundle', env.bundle(fn, rfs), ...extra, id], { timeout: 20_000 });
  if (process.env.SKIFF_ESCAPE_VERBOSE) console.log(`outcome: ${r.status === 0 ? 'ran, contained' : `refused: ${r.stderr.trim()}`}`);
  return Object.assign(r, { id });
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('mount destinations through symlinks (CVE-2021-30465 class)', () => {
  test('rootfs/mnt -> host dir: the bind mount and its mkdir land inside the rootfs', () => {
    const rfs = rootfs();
    const v = victim('mnt');
    const src = join(env.base, `src-${++n}`);
    mkdirSync(src);
    writeFileSync(join(src, 'evil'), 'mounted\n');
    symlinkSync(v.dir, join(rfs, 'mnt'));
    const r = runIn(rfs, (s) => {
      s.root!.readonly = false;
      // a naive runtime would mkdir -p <host dir>/sub/dir and mount there
      s.mounts!.push({ destination: '/mnt/sub/dir', type: 'bind', source: src, options: ['rbind', 'ro'] });
      s.process!.args = ['sh', '-c', 'cat /mnt/sub/dir/evil'];
    });
    // either contained (visible inside, through the symlink resolved in the rootfs) or refused
    if (r.status === 0) assert.equal(r.stdout, 'mounted\n');
    else failsCleanly(r);
    v.unchanged();
    // the dirs were made under the rootfs, at the symlink's target taken inside it
    if (r.status === 0) assert.ok(existsSync(join(rfs, v.dir, 'sub/dir')));
  });

  test('rootfs/mnt -> host dir that also exists inside the rootfs: mounted there, host untouched', () => {
    const rfs = rootfs();
    const v = victim('mnt2');
    const src = join(env.base, `src-${++n}`);
    mkdirSync(src);
    writeFileSync(join(src, 'evil'), 'mounted\n');
    symlinkSync(v.dir, join(rfs, 'mnt'));
    mkdirSync(join(rfs, v.dir, 'sub/dir'), { recursive: true });
    const r = runIn(rfs, (s) => {
      s.root!.readonly = false;
      s.mounts!.push({ destination: '/mnt/sub/dir', type: 'bind', source: src, options: ['rbind', 'ro'] });
      s.process!.args = ['sh', '-c', `cat /mnt/sub/dir/evil ${v.dir}/sub/dir/evil`];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'mounted\nmounted\n');
    v.unchanged();
  });

  test('relative and ../ destinations are clamped to the rootfs', () => {
    const v = victim('dotdot');
    const src = join(env.base, `src-${++n}`);
    mkdirSync(src);
    writeFileSync(join(src, 'evil'), 'mounted\n');
    const rfs = rootfs();
    symlinkSync('../../../../../../../../..' + v.dir, join(rfs, 'up'));
    const r = runIn(rfs, (s) => {
      s.root!.readonly = false;
      s.mounts!.push({ destination: '/up/x', type: 'bind', source: src, options: ['rbind'] });
      s.mounts!.push({ destination: `/../../../../..${v.dir}/y`, type: 'bind', source: src, options: ['rbind'] });
      s.process!.args = ['true'];
    });
    if (r.status !== 0) failsCleanly(r);
    v.unchanged();
  });

  test('a tmpfs on a symlinked /dev/shm-like path does not cover a host dir', () => {
    const rfs = rootfs();
    const v = victim('tmpfs');
    symlinkSync(v.dir, join(rfs, 'cache'));
    const id = env.id();
    const b = env.bundle((s) => {
      s.root!.readonly = false;
      s.mounts!.push({ destination: '/cache', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
      s.process!.args = ['sh', '-c', 'echo x > /cache/planted'];
    }, rfs);
    const r = env.skiff(['run', '--bundle', b, id]);
    if (r.status !== 0) failsCleanly(r);
    v.unchanged();
  });
});

describe('/proc/self/exe of the init (CVE-2019-5736 class)', () => {
  const initBin = join(REPO, 'build/skiff-init');

  test('a created container\'s pid 1 runs a sealed memfd, not build/skiff-init; writing to it fails', () => {
    const before = sha(initBin);
    const id = env.id();
    const b = env.bundle((s) => {
      s.process!.args = ['true'];
    });
    const c = env.skiff(['create', '--bundle', b, id]);
    assert.equal(c.status, 0, c.stderr);
    const pid = env.state(id).pid;
    const exe = readlinkSync(`/proc/${pid}/exe`);
    assert.match(exe, /^\/memfd:/, `pid 1 runs ${exe}`);
    const st = statSync(`/proc/${pid}/exe`);
    const host = statSync(initBin);
    assert.ok(st.ino !== host.ino || st.dev !== host.dev, 'the init is the host binary itself');
    // root on the host cannot write it either: the memfd is sealed
    let wrote = false;
    try {
      const fd = openSync(`/proc/${pid}/exe`, 'r+');
      try {
        writeSync(fd, 'pwned');
        wrote = true;
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      assert.ok(['EPERM', 'ETXTBSY', 'EACCES', 'EBUSY'].includes((e as NodeJS.ErrnoException).code!), String(e));
    }
    assert.equal(wrote, false, 'wrote into the init binary');
    assert.equal(sha(initBin), before);
    assert.equal(env.skiff(['delete', '--force', id]).status, 0);
  });

  test('from inside (a startContainer hook, before exec): /proc/<init>/exe is the memfd and cannot be written', () => {
    const before = sha(initBin);
    const rfs = rootfs();
    const r = runIn(rfs, (s) => {
      s.root!.readonly = false;
      s.hooks = {
        startContainer: [{
          path: '/bin/sh',
          args: ['sh', '-c', 'readlink /proc/$PPID/exe > /exe-link; (echo pwned >> /proc/$PPID/exe) 2>/dev/null; echo $? > /write-rc; (echo pwned > /proc/$PPID/exe) 2>/dev/null; echo $? >> /write-rc'],
        }],
      };
      s.process!.args = ['sh', '-c', 'cat /exe-link /write-rc'];
    });
    assert.equal(r.status, 0, r.stderr);
    const [link, rc1, rc2] = r.stdout.trim().split('\n');
    assert.match(link, /^\/memfd:/);
    assert.notEqual(rc1, '0', 'append to the init binary succeeded');
    assert.notEqual(rc2, '0', 'overwrite of the init binary succeeded');
    assert.equal(sha(initBin), before);
    void rfs;
  });

  test('the container process cannot reach the init binary through /proc of its parent either', () => {
    const before = sha(initBin);
    const rfs = rootfs();
    const r = runIn(rfs, (s) => {
      s.root!.readonly = false;
      s.process!.args = ['sh', '-c', 'for p in /proc/[0-9]*; do (echo pwned >> $p/exe) 2>/dev/null && echo "wrote $p"; done; echo done'];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'done');
    assert.equal(sha(initBin), before);
  });
});

describe('leaked fds and cwd (CVE-2024-21626 class)', () => {
  test('the container process holds exactly fds 0-2 (seen from the host) and its cwd is inside the rootfs', () => {
    const rfs = rootfs();
    const id = env.id();
    const b = env.bundle((s) => {
      s.process!.args = ['sleep', '100'];
      s.process!.cwd = '/tmp';
    }, rfs);
    assert.equal(env.skiff(['run', '-d', '--bundle', b, id]).status, 0);
    const pid = env.state(id).pid;
    assert.deepEqual(readdirSync(`/proc/${pid}/fd`).sort(), ['0', '1', '2']);
    const cwd = statSync(`/proc/${pid}/cwd`);
    const want = statSync(join(rfs, 'tmp'));
    assert.deepEqual([cwd.dev, cwd.ino], [want.dev, want.ino]);
    const root = statSync(`/proc/${pid}/root`);
    const wantRoot = statSync(rfs);
    assert.deepEqual([root.dev, root.ino], [wantRoot.dev, wantRoot.ino]);
    assert.equal(env.skiff(['delete', '--force', id]).status, 0);
  });

  test('process.cwd = /proc/self/fd/N never leaves the process in a host directory', () => {
    const hostDirs = new Set<string>();
    for (const p of ['/', env.root, env.base, REPO, '/tmp', '/proc']) {
      const s = statSync(p);
      hostDirs.add(`${s.dev}:${s.ino}`);
    }
    for (let fd = 3; fd <= 9; fd++) {
      const id = env.id();
      const b = env.bundle((s) => {
        s.process!.args = ['sleep', '100'];
        s.process!.cwd = `/proc/self/fd/${fd}`;
      });
      const r = env.skiff(['run', '-d', '--bundle', b, id]);
      if (r.status !== 0) {
        failsCleanly(r);
        assert.deepEqual(leaksFor({ root: env.root, id, base: env.base }), []);
        continue;
      }
      const st = env.state(id);
      const c = statSync(`/proc/${st.pid}/cwd`);
      // the state dir is gone once delete ran, so check against it while it lives
      const sd = statSync(join(env.root, id));
      hostDirs.add(`${sd.dev}:${sd.ino}`);
      assert.ok(!hostDirs.has(`${c.dev}:${c.ino}`), `cwd /proc/self/fd/${fd} is a host directory: ${readlinkSync(`/proc/${st.pid}/cwd`)}`);
      assert.equal(env.skiff(['delete', '--force', id]).status, 0);
    }
  });

  test('exec does not leak fds either', () => {
    const id = env.id();
    const b = env.bundle((s) => {
      s.process!.args = ['sleep', '100'];
    });
    assert.equal(env.skiff(['run', '-d', '--bundle', b, id]).status, 0);
    const r = env.skiff(['exec', id, 'sh', '-c', 'echo $(ls /proc/self/fd); readlink /proc/self/cwd']);
    assert.equal(r.status, 0, r.stderr);
    // ls's own directory fd is the 4th
    assert.equal(r.stdout, '0 1 2 3\n/\n');
    assert.equal(env.skiff(['delete', '--force', id]).status, 0);
  });
});

describe('/dev/null and masked paths replaced by symlinks (CVE-2025-31133 class)', () => {
  test('/dev/null -> host file: never written through, never bound over masked paths', () => {
    const rfs = rootfs();
    const v = victim('devnull');
    mkdirSync(join(rfs, 'dev'), { recursive: true });
    symlinkSync(v.file, join(rfs, 'dev/null'));
    const r = runIn(rfs, (s) => {
      ownDev(s);
      s.process!.args = ['sh', '-c', 'echo pwned > /dev/null; stat -c "%F %t:%T" /dev/null; stat -c "%t:%T" /proc/kcore'];
    });
    if (r.status === 0) {
      // contained: the real null device is there and masks /proc/kcore
      assert.match(r.stdout, /^character special file 1:3\n1:3\n$/);
    } else failsCleanly(r);
    v.unchanged();
  });

  test('/dev/null -> a procfs file inside the container: masked paths are not bound to it', () => {
    const rfs = rootfs();
    mkdirSync(join(rfs, 'dev'), { recursive: true });
    // the 2025 attack points /dev/null at a writable procfs file so that
    // "masking" binds that file over /proc/kcore & co (here: a harmless one)
    symlinkSync('/proc/sys/kernel/domainname', join(rfs, 'dev/null'));
    const r = runIn(rfs, (s) => {
      ownDev(s);
      s.process!.args = ['sh', '-c', 'stat -c "%t:%T" /proc/kcore; echo evil > /proc/kcore 2>/dev/null && echo WROTE; cat /proc/sys/kernel/domainname'];
    });
    if (r.status === 0) assert.doesNotMatch(r.stdout, /WROTE|evil/);
    else failsCleanly(r);
  });

  test('a masked path that is a symlink in a bind-mounted /proc is not followed', () => {
    const rfs = rootfs();
    const v = victim('mask');
    const fake = join(env.base, `fakeproc-${++n}`);
    mkdirSync(join(fake, 'sys'), { recursive: true });
    symlinkSync(v.file, join(fake, 'kcore'));
    symlinkSync(v.dir, join(fake, 'acpi'));
    const r = runIn(rfs, (s) => {
      s.root!.readonly = false;
      s.mounts = s.mounts!.filter((m) => m.destination !== '/proc');
      s.mounts.push({ destination: '/proc', type: 'bind', source: fake, options: ['rbind'] });
      s.linux!.maskedPaths = ['/proc/kcore', '/proc/acpi'];
      s.linux!.readonlyPaths = ['/proc/kcore'];
      s.process!.args = ['true'];
    });
    if (r.status !== 0) failsCleanly(r);
    v.unchanged();
    assert.equal(readlinkSync(join(fake, 'kcore')), v.file);
  });
});

describe('/dev/console and /dev/pts tricks (CVE-2025-52565 class)', () => {
  const RECV = join(REPO, 'test/fixtures/console/recv-console.py');
  const hasConsole = existsSync(RECV);

  async function receiver(input: string, timeout: number): Promise<{ path: string; done: Promise<unknown> }> {
    const path = join(env.base, `console-${++n}.sock`);
    const p = spawn('python3', [RECV, path, input, String(timeout)], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const done = new Promise((r) => p.on('close', r));
    await new Promise<void>((r) => {
      p.stdout.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) r();
      });
      p.on('close', () => r());
    });
    return { path, done };
  }

  test('/dev/console -> host file with a terminal: not written through', { skip: hasConsole ? false : 'no console receiver fixture' }, async () => {
    const rfs = rootfs();
    const v = victim('console');
    symlinkSync(v.file, join(rfs, 'dev/console'));
    const id = env.id();
    const b = env.bundle((s) => {
      ownDev(s);
      s.process!.terminal = true;
      s.process!.args = ['sh', '-c', 'echo pwned > /dev/console'];
    }, rfs);
    const rc = await receiver('', 3);
    const r = env.skiff(['run', '-d', '--bundle', b, '--console-socket', rc.path, id]);
    if (r.status !== 0) failsCleanly(r);
    await rc.done;
    env.skiff(['delete', '--force', id]);
    v.unchanged();
  });

  test('/dev/pts -> host dir: devpts is mounted inside the rootfs, not on the host dir', () => {
    const rfs = rootfs();
    const v = victim('pts');
    symlinkSync(v.dir, join(rfs, 'dev/pts'));
    const r = runIn(rfs, (s) => {
      ownDev(s);
      s.process!.args = ['sh', '-c', 'ls /dev/pts/ptmx >/dev/null && echo ok'];
    });
    if (r.status !== 0) failsCleanly(r);
    v.unchanged();
  });

  test('/dev/pts -> host dir that also exists inside the rootfs: devpts lands inside', () => {
    const rfs = rootfs();
    const v = victim('pts2');
    symlinkSync(v.dir, join(rfs, 'dev/pts'));
    mkdirSync(join(rfs, v.dir), { recursive: true });
    const r = runIn(rfs, (s) => {
      ownDev(s);
      s.process!.args = ['sh', '-c', `stat -c %F ${v.dir}/ptmx`];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'character special file\n');
    v.unchanged();
  });

  test('/dev/ptmx -> host file: the runtime\'s ptmx symlink does not write through it', () => {
    const rfs = rootfs();
    const v = victim('ptmx');
    symlinkSync(v.file, join(rfs, 'dev/ptmx'));
    const r = runIn(rfs, (s) => {
      ownDev(s);
      s.process!.args = ['true'];
    });
    if (r.status !== 0) failsCleanly(r);
    v.unchanged();
  });
});

describe('procfs write redirection (sysctl)', () => {
  test('a sysctl whose /proc/sys path is a symlink (bind-mounted fake /proc) is refused', () => {
    const rfs = rootfs();
    const v = victim('sysctl');
    const fake = join(env.base, `fakeproc-${++n}`);
    mkdirSync(join(fake, 'sys/kernel'), { recursive: true });
    // inside the container the host is out of reach; so point at the bind-mounted host dir itself
    symlinkSync('/hostdir/secret', join(fake, 'sys/kernel/domainname'));
    const r = runIn(rfs, (s) => {
      s.root!.readonly = false;
      s.mounts = s.mounts!.filter((m) => m.destination !== '/proc');
      s.mounts.push({ destination: '/proc', type: 'bind', source: fake, options: ['rbind'] });
      s.mounts.push({ destination: '/hostdir', type: 'bind', source: v.dir, options: ['rbind'] });
      s.linux!.sysctl = { 'kernel.domainname': 'pwned' };
      s.linux!.maskedPaths = [];
      s.linux!.readonlyPaths = [];
      s.process!.args = ['true'];
    });
    failsCleanly(r);
    v.unchanged();
  });

  test('a sysctl path with a symlinked directory component is refused too', () => {
    const rfs = rootfs();
    const v = victim('sysctl2', { 'ipv4/ip_forward': '0\n' });
    const fake = join(env.base, `fakeproc-${++n}`);
    mkdirSync(join(fake, 'sys'), { recursive: true });
    symlinkSync('/hostdir', join(fake, 'sys/net'));
    const r = runIn(rfs, (s) => {
      s.root!.readonly = false;
      s.mounts = s.mounts!.filter((m) => m.destination !== '/proc');
      s.mounts.push({ destination: '/proc', type: 'bind', source: fake, options: ['rbind'] });
      s.mounts.push({ destination: '/hostdir', type: 'bind', source: v.dir, options: ['rbind'] });
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      s.linux!.maskedPaths = [];
      s.linux!.readonlyPaths = [];
      s.process!.args = ['true'];
    });
    failsCleanly(r);
    v.unchanged();
  });

  test('sysctl keys with .. or / cannot climb out of /proc/sys', () => {
    const rfs = rootfs();
    const r = runIn(rfs, (s) => {
      s.linux!.sysctl = { '../../../etc/passwd': 'x', 'kernel/../../x': 'y' };
      s.process!.args = ['true'];
    });
    failsCleanly(r);
  });
});

describe('malicious /etc/passwd in the image (HOME lookup)', () => {
  const cases: [string, (rfs: string, v: ReturnType<typeof victim>) => void][] = [
    ['a symlink to /dev/zero', (rfs) => {
      rmSync(join(rfs, 'etc/passwd'));
      symlinkSync('/dev/zero', join(rfs, 'etc/passwd'));
    }],
    ['a FIFO', (rfs) => {
      rmSync(join(rfs, 'etc/passwd'));
      assert.equal(spawnSync('mkfifo', [join(rfs, 'etc/passwd')]).status, 0);
    }],
    ['a huge sparse file', (rfs) => {
      writeFileSync(join(rfs, 'etc/passwd'), '');
      truncateSync(join(rfs, 'etc/passwd'), 8 * 1024 ** 3);
    }],
    ['a symlink to a host passwd file (absolute)', (rfs, v) => {
      writeFileSync(v.file, 'root:x:0:0:root:/HOST-SECRET-HOME:/bin/sh\n');
      rmSync(join(rfs, 'etc/passwd'));
      symlinkSync(v.file, join(rfs, 'etc/passwd'));
    }],
    ['a relative symlink climbing out', (rfs, v) => {
      writeFileSync(v.file, 'root:x:0:0:root:/HOST-SECRET-HOME:/bin/sh\n');
      rmSync(join(rfs, 'etc/passwd'));
      symlinkSync('../../../../../../../..' + v.file, join(rfs, 'etc/passwd'));
    }],
    ['a directory', (rfs) => {
      rmSync(join(rfs, 'etc/passwd'));
      mkdirSync(join(rfs, 'etc/passwd'));
    }],
    ['a symlink loop', (rfs) => {
      rmSync(join(rfs, 'etc/passwd'));
      symlinkSync('/etc/passwd', join(rfs, 'etc/passwd'));
    }],
  ];
  for (const [name, plant] of cases) {
    test(`/etc/passwd is ${name}: create neither hangs nor reads host files`, () => {
      const rfs = rootfs();
      const v = victim('passwd');
      plant(rfs, v);
      const hostContent = readFileSync(v.file, 'utf8');
      const t0 = Date.now();
      const id = env.id();
      const b = env.bundle((s) => {
        s.process!.env = ['PATH=/bin'];
        s.process!.args = ['sh', '-c', 'echo "$HOME"'];
      }, rfs);
      const r2 = env.skiff(['run', '--bundle', b, id], { timeout: 15_000 });
      assert.equal(r2.signal, null, `create hung (${Date.now() - t0} ms)`);
      assert.equal(r2.status, 0, r2.stderr);
      assert.doesNotMatch(r2.stdout, /HOST-SECRET/);
      assert.equal(r2.stdout, '/\n');
      assert.equal(readFileSync(v.file, 'utf8'), hostContent);
      assert.deepEqual(leaksFor({ root: env.root, id, base: env.base }), []);
    });
  }
});

test('no init of this file is left alive', () => {
  for (const id of env.ids) {
    const r = env.skiff(['state', id]);
    if (r.status === 0) {
      const st = JSON.parse(r.stdout);
      if (st.pid) assert.ok(!isLive(st.pid) || st.status !== 'stopped');
    }
  }
});
