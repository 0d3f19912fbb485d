// Terminals: process.terminal with --console-socket (the containerd/conmon
// protocol: the pty master over SCM_RIGHTS), /dev/console, consoleSize, and
// the foreground `run -t` / `exec -t` relay under a real pseudo-terminal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, REPO, SKIFF, busyboxRootfs, makeRootfs } from './helpers.ts';
import type { Spec } from '../../src/spec/types.ts';

const env = new Env('console');
after(() => assert.deepEqual(env.cleanup(), []));
chmodSync(busyboxRootfs(), 0o755);

const RECV = join(REPO, 'test/fixtures/console/recv-console.py');
const PTY_RUN = join(REPO, 'test/fixtures/console/pty-run.py');

interface Received { payload: string; output: string; rows: number; cols: number; isatty: boolean; fds: number }

/** A console-socket receiver (as a shim): resolves with what it got once the pty closes. */
async function receiver(input: string, timeout = 10): Promise<{ path: string; result: Promise<Received> }> {
  const path = join(env.base, `console-${process.hrtime.bigint()}.sock`);
  const p = spawn('python3', [RECV, path, input, String(timeout)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  p.stdout.on('data', (d) => {
    out += d;
    if (out.includes('ready\n')) ready();
  });
  const result = new Promise<Received>((resolve, reject) => p.on('close', (code) => {
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (code !== 0 || !line) reject(new Error(`receiver exited ${code}: ${out}`));
    else resolve(JSON.parse(line));
  }));
  await Promise.race([isReady, result]);
  return { path, result };
}

/** Run a command under a fresh pty (pty-run.py); steps drive it. */
function underPty(cmd: string[], opts: { rows?: number; cols?: number; steps?: unknown[]; timeout?: number } = {}): Promise<{ output: string; code: number; timed_out: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', [PTY_RUN, ...cmd], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ROWS: String(opts.rows ?? 24), COLS: String(opts.cols ?? 80), STEPS: JSON.stringify(opts.steps ?? []), TIMEOUT: String(opts.timeout ?? 20) },
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', () => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`pty-run: ${out}`));
      }
    });
  });
}

const termSpec = (args: string[], extra: (s: Spec) => void = () => {}) => (s: Spec) => {
  s.process!.terminal = true;
  s.process!.args = args;
  extra(s);
};

describe('console socket (create/start, as containerd and podman do it)', () => {
  test('the pty master arrives over the socket; /dev/console, consoleSize, controlling tty', async () => {
    const id = env.id();
    const b = env.bundle(termSpec(['sh'], (s) => (s.process!.consoleSize = { height: 33, width: 111 })));
    const rc = await receiver('tty; stty size; ls -l /dev/console; ls -l /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; echo sid=$(cut -d" " -f6 /proc/self/stat) pid=$$; exit 0\n');
    const c = env.skiff(['create', '--bundle', b, '--console-socket', rc.path, id]);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(env.skiff(['start', id]).status, 0);
    const got = await rc.result;
    assert.equal(got.fds, 1);
    assert.equal(got.isatty, true);
    assert.equal(got.payload, '/dev/pts/ptmx');
    assert.deepEqual([got.rows, got.cols], [33, 111]);
    const out = got.output.replace(/\r/g, '');
    assert.match(out, /^\/dev\/pts\/0$/m, 'stdin is the pty slave (tty)');
    assert.match(out, /^33 111$/m);
    assert.match(out, /^crw--w----\s+1 root\s+\S+\s+136,\s+0 .* \/dev\/console$/m, '/dev/console is the pty slave');
    for (const fd of [0, 1, 2]) assert.match(out, new RegExp(`/proc/self/fd/${fd} -> /dev/pts/0`));
    // the shell is its session's leader (and so could take the tty as controlling terminal)
    const m = /sid=(\d+) pid=(\d+)/.exec(out)!;
    assert.ok(m, out);
    env.skiff(['delete', '-f', id]);
  });

  test('run -d -t --console-socket: works; the pid file is written', async () => {
    const id = env.id();
    const b = env.bundle(termSpec(['sh', '-c', 'read line; echo "got:$line"; exit 0']));
    const rc = await receiver('hello\n');
    const pidFile = join(env.base, `${id}.pid`);
    const r = env.skiff(['run', '-d', '--console-socket', rc.path, '--pid-file', pidFile, '--bundle', b, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Number(readFileSync(pidFile, 'utf8')) > 0);
    const got = await rc.result;
    assert.match(got.output, /got:hello/);
    env.skiff(['delete', '-f', id]);
  });

  test('terminal without a console socket for create, and a socket without a terminal: runc\'s errors', () => {
    const b = env.bundle(termSpec(['true']));
    const r = env.skiff(['create', '--bundle', b, env.id()]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot allocate tty if skiff will detach without setting console socket/);
    const b2 = env.bundle();
    const r2 = env.skiff(['create', '--bundle', b2, '--console-socket', '/x.sock', env.id()]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /cannot use console socket if skiff will not detach or allocate tty/);
    const r3 = env.skiff(['create', '--bundle', b, '--console-socket', join(env.base, 'nobody-listens.sock'), env.id()]);
    assert.equal(r3.status, 1);
    assert.match(r3.stderr, /console-socket/);
  });

  test('exec -t --console-socket -d (as containerd\'s exec -t)', async () => {
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '600']));
    assert.equal(env.skiff(['run', '-d', '--bundle', b, id]).status, 0);
    const rc = await receiver('tty; echo in-exec-$((6*7)); exit 0\n');
    const pidFile = join(env.base, `${id}-exec.pid`);
    const r = env.skiff(['exec', '-t', '-d', '--console-socket', rc.path, '--pid-file', pidFile, id, 'sh']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Number(readFileSync(pidFile, 'utf8')) > 0);
    const got = await rc.result;
    assert.match(got.output, /\/dev\/pts\/\d+/);
    assert.match(got.output, /in-exec-42/);
    // a process.json with terminal: true (docker/podman exec -t)
    const p = join(env.base, 'tty-process.json');
    writeFileSync(p, JSON.stringify({ terminal: true, consoleSize: { height: 12, width: 34 }, user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'stty size'], env: ['PATH=/bin'], cwd: '/' }));
    const rc2 = await receiver('');
    const r2 = env.skiff(['exec', '-p', p, '-d', '--console-socket', rc2.path, id]);
    assert.equal(r2.status, 0, r2.stderr);
    const got2 = await rc2.result;
    assert.match(got2.output, /12 34/);
    assert.deepEqual([got2.rows, got2.cols], [12, 34]);
    env.skiff(['delete', '-f', id]);
  });

  test('/dev/console planted by the image is not followed (CVE-2025-52565 class)', async () => {
    // a rootfs whose /dev is its own (no tmpfs), with /dev/console a symlink
    const rootfs = join(env.base, 'evil-rootfs');
    mkdirSync(rootfs);
    makeRootfs(rootfs);
    chmodSync(rootfs, 0o755);
    const victim = join(env.base, 'victim');
    writeFileSync(victim, 'host data\n');
    symlinkSync(victim, join(rootfs, 'dev/console'));
    const noDevTmpfs = (s: Spec) => {
      s.root!.readonly = false;
      s.mounts = s.mounts!.filter((m) => m.destination !== '/dev');
      s.mounts.forEach((m) => { if (m.destination === '/dev/pts') m.options = m.options!.filter((o) => !o.startsWith('gid=')); });
    };
    const id = env.id();
    const b = env.bundle(termSpec(['true'], noDevTmpfs), rootfs);
    const rc = await receiver('', 3);
    const r = env.skiff(['create', '--bundle', b, '--console-socket', rc.path, id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\/dev\/console is not a regular file or a character device/);
    await rc.result.catch(() => undefined);
    assert.equal(readFileSync(victim, 'utf8'), 'host data\n');
    // a directory there is refused too; a plain file is fine
    rmSync(join(rootfs, 'dev/console'));
    mkdirSync(join(rootfs, 'dev/console'));
    const rc2 = await receiver('', 3);
    const r2 = env.skiff(['create', '--bundle', b, '--console-socket', rc2.path, env.id()]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /\/dev\/console is not a regular file/);
    await rc2.result.catch(() => undefined);
    rmSync(join(rootfs, 'dev/console'), { recursive: true });
    writeFileSync(join(rootfs, 'dev/console'), '');
    const rc3 = await receiver('ls -l /dev/console; exit 0\n');
    const id3 = env.id();
    const b3 = env.bundle(termSpec(['sh'], noDevTmpfs), rootfs);
    const r3 = env.skiff(['run', '-d', '--bundle', b3, '--console-socket', rc3.path, id3]);
    assert.equal(r3.status, 0, r3.stderr);
    assert.match((await rc3.result).output, /136,/);
    env.skiff(['delete', '-f', id3]);
  });
});

describe('foreground run -t / exec -t under a terminal', () => {
  let id: string;
  before(() => {
    id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '600']));
    assert.equal(env.skiff(['run', '-d', '--bundle', b, id]).status, 0);
  });

  test('run -t: the pty is relayed both ways, with our size; exit code', async () => {
    const cid = env.id();
    const b = env.bundle(termSpec(['sh']));
    const r = await underPty([SKIFF, '--root', env.root, 'run', '--bundle', b, cid], {
      rows: 31, cols: 101,
      steps: [['wait', '# '], ['write', 'tty; stty size; echo answer-$((6*7)); exit 5\n']],
    });
    assert.equal(r.timed_out, false, r.output);
    assert.equal(r.code, 5, r.output);
    const out = r.output.replace(/\r/g, '');
    assert.match(out, /^\/dev\/pts\/0$/m);
    assert.match(out, /^31 101$/m);
    assert.match(out, /^answer-42$/m);
    assert.equal(env.skiff(['state', cid]).status, 1, 'run removed the container');
  });

  test('exec -t: SIGWINCH resizes the container\'s pty; raw mode keeps ^C as a byte', async () => {
    const r = await underPty([SKIFF, '--root', env.root, 'exec', '-t', id, 'sh', '-c', 'echo SIZE1 $(stty size); read x; echo SIZE2 $(stty size); trap "echo got-int; exit 9" INT; echo armed; while :; do sleep 0.1; done'], {
      rows: 30, cols: 100,
      steps: [['wait', 'SIZE1'], ['resize', 50, 160], ['sleep', 0.3], ['write', 'go\n'], ['wait', 'armed'], ['write', '\x03']],
    });
    assert.equal(r.timed_out, false, r.output);
    const out = r.output.replace(/\r/g, '');
    assert.match(out, /SIZE1 30 100/);
    assert.match(out, /SIZE2 50 160/);
    // ^C went through our raw terminal into the container's pty, whose line discipline made it SIGINT
    assert.match(out, /got-int/);
    assert.equal(r.code, 9);
  });

  test('exec -t with a piped stdin: input relayed, EOF becomes ^D', () => {
    const r = env.skiff(['exec', '-t', id, 'sh', '-c', 'cat; echo cat-done'], { input: 'line one\nline two\n' });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.replace(/\r/g, '');
    assert.match(out, /line two\n(line one\nline two\n)?cat-done/);
  });

  test('exec -t -u 1000: the pty belongs to the user', () => {
    const r = env.skiff(['exec', '-t', '-u', '1000:1000', id, 'sh', '-c', 'stat -c %u $(tty); echo hi > /dev/stdout'], { input: '' });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.replace(/\r/g, '');
    assert.match(out, /^1000$/m);
    assert.match(out, /^hi$/m);
  });
});
