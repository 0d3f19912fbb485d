// File descriptors a container gets: its stdio, --preserve-fds N, systemd's
// LISTEN_FDS — exactly those, nothing more (not skiff's own fds, not an fd
// the caller leaked to skiff as containerd's shim does with its socket).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Env, SKIFF } from './helpers.ts';

const env = new Env('fds');
after(() => assert.deepEqual(env.cleanup(), []));

let n = 0;
/** Run skiff with files as stdio and `extra` as its fds 3, 4, …; returns status and output. */
function skiffWithFds(args: string[], extra: number[] = [], opts: { env?: NodeJS.ProcessEnv; shell?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  const out = join(env.base, `out-${++n}`);
  const err = join(env.base, `err-${n}`);
  const o = openSync(out, 'w');
  const e = openSync(err, 'w');
  try {
    const cmd = opts.shell ? ['sh', '-c', opts.shell, 'sh', SKIFF, '--root', env.root, ...args] : [SKIFF, '--root', env.root, ...args];
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', o, e, ...extra], env: { ...process.env, ...opts.env }, timeout: 30_000 });
    return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    closeSync(o);
    closeSync(e);
  }
}

function tmpFile(tag: string): { path: string; fd: number } {
  const path = join(env.base, `${tag}-${++n}`);
  return { path, fd: openSync(path, 'w+') };
}

const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);

describe('fds', () => {
  test('run: only 0-2, even when skiff inherited a stray fd 3 (as from containerd\'s shim)', () => {
    const stray = tmpFile('stray');
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sh', '-c', 'ls /proc/$$/fd; true']));
    const r = skiffWithFds(['run', '--bundle', b, id], [stray.fd]);
    closeSync(stray.fd);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', '1', '2']);
  });

  test('run -d / exec -d: the processes hold exactly 0-2 (seen from the host)', () => {
    const stray = tmpFile('stray');
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '600']));
    const r = skiffWithFds(['run', '-d', '--bundle', b, id], [stray.fd, stray.fd]);
    assert.equal(r.status, 0, r.stderr);
    const pid = env.state(id).pid;
    assert.deepEqual(fdsOf(pid), [0, 1, 2]);
    const pidFile = join(env.base, 'exec.pid');
    const e = skiffWithFds(['exec', '-d', '--pid-file', pidFile, id, 'sleep', '600'], [stray.fd]);
    assert.equal(e.status, 0, e.stderr);
    const epid = Number(readFileSync(pidFile, 'utf8'));
    assert.deepEqual(fdsOf(epid), [0, 1, 2]);
    // and the stdio are the files skiff was given
    assert.match(readlinkSync(`/proc/${epid}/fd/1`), /out-\d+$/);
    closeSync(stray.fd);
    env.skiff(['delete', '-f', id]);
  });

  test('--preserve-fds 2: fds 3 and 4 pass, the container writes to them; fd 5 does not', () => {
    const a = tmpFile('p3');
    const c = tmpFile('p4');
    const d = tmpFile('p5');
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sh', '-c', 'echo via-3 >&3; echo via-4 >&4; ls /proc/$$/fd; true']));
    const r = skiffWithFds(['run', '--preserve-fds', '2', '--bundle', b, id], [a.fd, c.fd, d.fd]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', '1', '2', '3', '4']);
    assert.equal(readFileSync(a.path, 'utf8'), 'via-3\n');
    assert.equal(readFileSync(c.path, 'utf8'), 'via-4\n');
    for (const f of [a, c, d]) closeSync(f.fd);
  });

  test('exec --preserve-fds 1: a pipe/socket the container can write to', () => {
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '600']));
    assert.equal(skiffWithFds(['run', '-d', '--bundle', b, id]).status, 0);
    // a real pipe from the shell: skiff's fd 3 is its write end, the reader is cat
    const r = spawnSync('sh', ['-c', `exec 3>&1; ${SKIFF} --root ${env.root} exec --preserve-fds 1 ${id} sh -c 'echo through-the-pipe >&3; ls /proc/$$/fd; true' 1>&2`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'through-the-pipe\n');
    assert.deepEqual(r.stderr.trim().split('\n'), ['0', '1', '2', '3']);
    env.skiff(['delete', '-f', id]);
  });

  test('a preserved fd that is not open: runc\'s error', () => {
    const id = env.id();
    const b = env.bundle();
    const r = skiffWithFds(['run', '--preserve-fds', '3', '--bundle', b, id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unable to stat preserved-fd 0 \(of 3\): bad file descriptor/);
  });

  test('systemd socket activation: LISTEN_FDS fds pass, with LISTEN_FDS=N LISTEN_PID=1 inside', () => {
    const l = tmpFile('listen');
    const p = tmpFile('preserved');
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sh', '-c', 'echo LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID; echo listen >&3; echo preserved >&4; ls /proc/$$/fd; true']));
    // LISTEN_PID must be skiff's own pid: the shell execs skiff (which execs node) in place
    const r = skiffWithFds(['run', '--preserve-fds', '1', '--bundle', b, id], [l.fd, p.fd], { shell: 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'LISTEN_FDS=1 LISTEN_PID=1');
    assert.deepEqual(lines.slice(1), ['0', '1', '2', '3', '4']);
    assert.equal(readFileSync(l.path, 'utf8'), 'listen\n');
    assert.equal(readFileSync(p.path, 'utf8'), 'preserved\n');
    closeSync(l.fd);
    closeSync(p.fd);
  });

  test('LISTEN_FDS meant for another process (LISTEN_PID not ours) is ignored', () => {
    const l = tmpFile('listen');
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sh', '-c', 'echo "LISTEN_FDS=$LISTEN_FDS"; ls /proc/$$/fd; true']));
    const r = skiffWithFds(['run', '--bundle', b, id], [l.fd], { env: { LISTEN_FDS: '1', LISTEN_PID: '1' } });
    closeSync(l.fd);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['LISTEN_FDS=', '0', '1', '2']);
  });
});
