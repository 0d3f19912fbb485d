// Bad input: a one-line error naming the field (JSON pointer) or argument,
// exit 1, no stack trace, and nothing left behind on the host.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, leftoverCgroups } from './helpers.ts';
import type { Spec } from '../../src/spec/types.ts';

const env = new Env('bad');
after(() => assert.deepEqual(env.cleanup(), []));

function expectClean(id: string, r: { status: number | null; stderr: string }, re: RegExp): void {
  assert.equal(r.status, 1, `exit status (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.match(lines[0], re);
  assert.equal(existsSync(join(env.root, id)), false, 'no state dir');
  assert.deepEqual(leftoverCgroups(id), [], 'no cgroup');
  assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(env.base), false, 'no mount');
}

const cases: [string, (s: Spec) => void, RegExp][] = [
  ['unknown namespace type', (s) => s.linux!.namespaces!.push({ type: 'bogus' as 'pid' }), /\/linux\/namespaces\/\d+\/type.*bogus/],
  ['relative cwd', (s) => (s.process!.cwd = 'tmp'), /\/process\/cwd.*absolute/],
  ['missing rootfs', (s) => (s.root!.path = '/nonexistent/rootfs'), /\/root\/path/],
  ['wrong type', (s) => ((s.process!.user as unknown as { uid: string }).uid = 'zero'), /\/process\/user\/uid/],
  ['unknown rlimit', (s) => (s.process!.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]), /\/process\/rlimits\/0\/type/],
  ['duplicate rlimit', (s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }]), /\/process\/rlimits\/1/],
  ['bad mount option', (s) => s.mounts!.push({ destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }), /\/mounts\/\d+\/options/],
  ['bad seccomp action', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_NOPE' as 'SCMP_ACT_ALLOW' }), /\/linux\/seccomp\/defaultAction/],
  ['missing process', (s) => delete s.process, /\/process/],
];

describe('config errors name the field and leave nothing behind', () => {
  for (const [name, fn, re] of cases) {
    test(name, () => {
      const id = env.id();
      const r = env.skiff(['create', '--bundle', env.bundle(fn), id]);
      expectClean(id, r, re);
    });
  }

  test('missing config.json', () => {
    const dir = join(env.base, 'empty-bundle');
    mkdirSync(dir);
    const id = env.id();
    expectClean(id, env.skiff(['create', '--bundle', dir, id]), /config\.json.*(no such file|not found)/);
  });

  test('malformed config.json', () => {
    const dir = join(env.base, 'broken-bundle');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{"ociVersion": "1.0.2", "process": {');
    const id = env.id();
    expectClean(id, env.skiff(['create', '--bundle', dir, id]), /config\.json.*JSON/i);
  });

  test('unknown properties are ignored', () => {
    const r = env.run((s) => ((s as unknown as Record<string, unknown>).someFutureField = { x: 1 }));
    assert.equal(r.status, 0, r.stderr);
  });

  test('a failure inside the init (mount source missing) names the mount', () => {
    const id = env.id();
    const r = env.skiff(['create', '--bundle', env.bundle((s) => s.mounts!.push({ destination: '/data', type: 'bind', source: '/nonexistent/source', options: ['bind'] })), id]);
    expectClean(id, r, /\/mounts\/\d+: .*no such file or directory/);
  });
});

describe('CLI errors', () => {
  test('unknown container', () => {
    for (const cmd of [['state', 'nope'], ['start', 'nope'], ['kill', 'nope'], ['delete', 'nope']]) {
      const r = env.skiff(cmd);
      assert.equal(r.status, 1, cmd.join(' '));
      assert.match(r.stderr, /container does not exist/);
    }
  });

  test('invalid id', () => {
    const r = env.skiff(['create', '--bundle', env.bundle(), '../escape']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /invalid id format/);
    assert.equal(existsSync(join(env.root, '..', 'escape')), false);
  });

  test('unknown flag and wrong argument count', () => {
    const f = env.skiff(['create', '--bogus', 'x']);
    assert.equal(f.status, 1);
    assert.match(f.stderr, /flag provided but not defined: -bogus/);
    const a = env.skiff(['start']);
    assert.equal(a.status, 1);
    assert.match(a.stderr, /"start" requires exactly 1 argument/);
    const u = env.skiff(['frobnicate']);
    assert.equal(u.status, 3, 'runc exits 3 for an unknown command');
    assert.match(u.stderr, /No help topic for 'frobnicate'/);
  });

  test('nothing is created by failed commands', () => {
    const before = existsSync(env.root) ? readdirSync(env.root) : [];
    env.skiff(['run', '--bundle', '/nonexistent', 'x1']);
    env.skiff(['create', '--preserve-fds', 'abc', 'x2']);
    const afterList = existsSync(env.root) ? readdirSync(env.root) : [];
    assert.deepEqual(afterList, before);
  });
});

test('a relative mount destination is taken relative to / with a warning (runc 1.1)', () => {
  const r = env.run((s) => {
    s.process!.args = ['sh', '-c', 'grep -c " /relative " /proc/self/mountinfo'];
    s.mounts!.push({ destination: 'relative', type: 'tmpfs', source: 'tmpfs' });
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '1\n');
  assert.match(r.stderr, /level=warning.*\/mounts\/\d+\/destination/);
});
