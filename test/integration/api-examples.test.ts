// Every example in examples/ runs, as a user would run it (tsx), against a
// private state root, and does what it says.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Env, REPO, busyboxRootfs } from './helpers.ts';

const env = new Env('apiex');
after(() => assert.deepEqual(env.cleanup(), []));

function example(file: string, args: string[] = [], opts: { input?: string; wrap?: (argv: string[]) => string[] } = {}) {
  const argv = [process.execPath, '--import', 'tsx', join(REPO, 'examples', file), ...args];
  const [cmd, ...rest] = opts.wrap ? opts.wrap(argv) : argv;
  const e: NodeJS.ProcessEnv = { ...process.env, SKIFF_ROOT: env.root, ROOTFS: busyboxRootfs() };
  delete e.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(cmd, rest, { cwd: REPO, input: opts.input ?? '', encoding: 'utf8', timeout: 60_000, env: e });
  return r;
}

function noContainersLeft(): void {
  assert.deepEqual(existsSync(env.root) ? readdirSync(env.root) : [], []);
}

describe('examples', () => {
  test('every example has a test', () => {
    const files = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort();
    assert.deepEqual(files, ['pty-session.ts', 'run-with-timeout.ts', 'sandbox-pool.ts']);
  });

  test('run-with-timeout: output captured, timeout enforced', () => {
    const slow = example('run-with-timeout.ts', ['500']);
    assert.equal(slow.status, 124, slow.stderr);
    assert.match(slow.stdout, /^stdout: "hello from runc\\n"$/m);
    assert.match(slow.stdout, /^stderr: "to stderr\\n"$/m);
    assert.match(slow.stdout, /timed out after 500 ms \(killed by SIGKILL\)/);
    const fast = example('run-with-timeout.ts', ['5000', 'sh', '-c', 'echo quick; exit 7']);
    assert.equal(fast.status, 7, fast.stderr);
    assert.match(fast.stdout, /stdout: "quick\\n"/);
    assert.match(fast.stdout, /exit code 7/);
    const bad = example('run-with-timeout.ts', ['5000', 'no-such-command']);
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /skiff: create: .*executable file not found/);
    noContainersLeft();
  });

  test('sandbox-pool: limits hold, warm starts are fast', () => {
    const r = example('sandbox-pool.ts');
    assert.equal(r.status, 0, r.stderr);
    const out = Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((o) => [o.name, o]));
    assert.equal(out.hello.stdout, '42 from sandbox as uid 65534');
    assert.equal(out.network.stdout, 'lo', 'no network but loopback');
    assert.match(out.readonly.stdout, /Read-only file system\nblocked/);
    assert.match(out.seccomp.stdout, /^Seccomp:2\n/);
    assert.match(out.seccomp.stdout, /unshare blocked/);
    assert.match(out.forkbomb.stderr, /can't fork/, 'pids limit');
    assert.equal(out.spin.timedOut, true);
    assert.equal(out.spin.code, 137);
    for (const k of ['hello', 'network', 'seccomp', 'spin']) assert.ok(out[k].startMs < out.cold.ms, `${k}: warm start ${out[k].startMs} ms < cold ${out.cold.ms} ms`);
    noContainersLeft();
  });

  test('pty-session: piped stdin', () => {
    const r = example('pty-session.ts', [], { input: 'echo hi-$((1+2))\nexit 3\n' });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, /^hi-3\r?$/m);
    noContainersLeft();
  });

  const script = ['/usr/bin/script', '/bin/script'].find(existsSync);
  test('pty-session: on a real terminal (script(1)), window size passed on', { skip: script ? false : 'script(1) not installed' }, () => {
    const r = example('pty-session.ts', [], {
      input: 'stty size\nexit 4\n',
      wrap: (argv) => [script!, '-qec', `stty rows 33 cols 99; ${argv.map((a) => `'${a}'`).join(' ')}`, '/dev/null'],
    });
    assert.equal(r.status, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /^33 99\r*$/m);
    noContainersLeft();
  });
});
