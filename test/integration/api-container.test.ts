// The library API (src/api): real containers, in-process, checked from
// outside (the CLI, /proc) as well as through the API itself.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, busyboxRootfs, leftoverCgroups, sleep, testSpec } from './helpers.ts';
import {
  create, open, run, list, Runtime, SkiffError, SpecError, NotFoundError, type Spec, type State, type ContainerEvent,
} from '../../src/index.ts';

const env = new Env('api');
after(() => assert.deepEqual(env.cleanup(), []));

function spec(args: string[], fn: (s: Spec) => void = () => {}): Spec {
  const s = testSpec(busyboxRootfs());
  s.process!.args = args;
  fn(s);
  return s;
}

function gone(id: string): void {
  assert.equal(existsSync(join(env.root, id)), false, 'state dir removed');
  assert.deepEqual(leftoverCgroups(id), [], 'cgroups removed');
}

describe('run()', () => {
  test('collects stdout/stderr, feeds stdin, returns the exit code, deletes the container', async () => {
    const id = env.id();
    const r = await run({ id, root: env.root, config: spec(['sh', '-c', 'echo out; echo err >&2; read x; echo "got $x" > /dev/stdout; exit 3']), input: 'hello\n' });
    assert.deepEqual({ ...r }, { id, code: 3, signal: null, stdout: 'out\ngot hello\n', stderr: 'err\n', timedOut: false });
    gone(id);
  });

  test('timeout kills the container and says so', async () => {
    const id = env.id();
    const t0 = Date.now();
    const r = await run({ id, root: env.root, config: spec(['sh', '-c', 'echo started; sleep 30']), timeout: 300 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.code, 137);
    assert.equal(r.stdout, 'started\n');
    assert.ok(Date.now() - t0 < 5000);
    gone(id);
  });

  test('an AbortSignal kills, deletes and rejects with its reason', async () => {
    const id = env.id();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('enough')), 300);
    await assert.rejects(run({ id, root: env.root, config: spec(['sleep', '30']), signal: ac.signal }), /enough/);
    gone(id);
  });

  test('from a bundle directory (config.json), with a rootfs override', async () => {
    const b = env.bundle((s) => {
      s.process!.args = ['cat', '/etc/passwd'];
      s.root!.path = '/nonexistent';
    });
    const r = await run({ id: env.id(), root: env.root, bundle: b, rootfs: busyboxRootfs() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^root:x:0:0/);
  });
});

describe('Container', () => {
  test('create → start → kill → wait → delete, visible to the CLI', async () => {
    const id = env.id();
    const config = spec(['sleep', '30']);
    const before = JSON.stringify(config);
    const c = await create({ id, root: env.root, config });
    assert.equal(JSON.stringify(config), before, 'the caller\'s config is not modified');
    assert.equal(c.owned, true);
    assert.equal(c.state().status, 'created');
    assert.equal(env.state(id).status, 'created', 'the CLI sees it');
    assert.equal(env.state(id).pid, c.pid);
    assert.ok((await list({ root: env.root })).some((s) => s.id === id));
    await c.start();
    assert.equal(c.state().status, 'running');
    // start returns once the init took the go-ahead; its execve follows at once
    const argv0 = () => readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').split('\0')[0];
    for (let i = 0; i < 100 && argv0() !== 'sleep'; i++) await sleep(5);
    assert.equal(argv0(), 'sleep');
    await c.kill('SIGKILL');
    assert.deepEqual(await c.wait(), { code: 137, signal: 'SIGKILL' });
    assert.equal(c.state().status, 'stopped');
    await c.delete();
    assert.equal(existsSync(`/proc/${c.pid}`) && !/ Z /.test(readFileSync(`/proc/${c.pid}/stat`, 'utf8')), false, 'reaped');
    gone(id);
  });

  test('stdio pipes: interactive stdin/stdout while running', async () => {
    const id = env.id();
    await using c = await create({ id, root: env.root, config: spec(['sh', '-c', 'while read l; do echo "<$l>"; done; echo bye >&2']), stdio: 'pipe' });
    assert.ok(c.stdin && c.stdout && c.stderr);
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    await c.start();
    c.stdin.write('a\n');
    for (let i = 0; i < 100 && out !== '<a>\n'; i++) await sleep(10);
    assert.equal(out, '<a>\n', 'output arrives while the process runs');
    c.stdin.end('b\n');
    assert.deepEqual(await c.wait(), { code: 0, signal: null });
    await c.delete();
    assert.equal(out, '<a>\n<b>\n');
    assert.equal(err, 'bye\n');
  });

  test('await using deletes the container at the end of the scope', async () => {
    const id = env.id();
    {
      await using c = await create({ id, root: env.root, config: spec(['sleep', '30']) });
      await c.start();
      assert.equal(c.state().status, 'running');
    }
    gone(id);
  });

  test('terminal: the pty master as a stream, resize', async () => {
    const id = env.id();
    await using c = await create({ id, root: env.root, config: spec(['sh']), terminal: true });
    assert.ok(c.pty);
    assert.equal(c.stdout, null);
    let out = '';
    c.pty.on('data', (d) => (out += d));
    c.resize(40, 100);
    await c.start();
    c.pty.write('stty size; tty; exit 7\n');
    assert.deepEqual(await c.wait(), { code: 7, signal: null });
    for (let i = 0; i < 50 && !/\/dev\/pts\/\d+/.test(out); i++) await sleep(10);
    assert.match(out, /40 100/);
    assert.match(out, /\/dev\/pts\/0/);
  });

  test('exec: pipes, exit code, env, user; tty', async () => {
    const id = env.id();
    await using c = await create({ id, root: env.root, config: spec(['sleep', '30']) });
    await c.start();
    const p = await c.exec({ args: ['sh', '-c', 'read x; echo "$x $FOO $(id -u)"; echo e >&2; exit 4'], env: ['FOO=bar'], user: { uid: 65534, gid: 65534 }, stdio: 'pipe' });
    assert.ok(p.pid > 0);
    p.stdin!.end('in\n');
    assert.deepEqual(await p.output(), { code: 4, signal: null, stdout: 'in bar 65534\n', stderr: 'e\n' });
    const t = await c.exec({ args: ['sh', '-c', 'tty; exit 2'], tty: true });
    assert.ok(t.pty);
    let out = '';
    t.pty.on('data', (d) => (out += d));
    assert.deepEqual(await t.wait(), { code: 2, signal: null });
    for (let i = 0; i < 50 && !out.includes('/dev/pts/'); i++) await sleep(10);
    assert.match(out, /\/dev\/pts\/\d+/);
    t.close();
    await assert.rejects(c.exec({ args: ['no-such-binary'] }), (e: SkiffError) => e.op === 'exec' && /executable file not found/.test(e.message));
  });

  test('pause/resume, update, stats, pids, events', async () => {
    const id = env.id();
    await using c = await create({ id, root: env.root, config: spec(['sh', '-c', 'sleep 30 & wait'], (s) => (s.linux!.resources = { ...s.linux!.resources, pids: { limit: 50 } })) });
    await c.start();
    await c.pause();
    assert.equal(c.state().status, 'paused');
    assert.equal(env.state(id).status, 'paused');
    await c.resume();
    assert.equal(c.state().status, 'running');
    for (let i = 0; i < 100 && c.pids().length < 2; i++) await sleep(10);
    assert.ok(c.pids().length >= 2, String(c.pids()));
    await c.update({ pids: { limit: 20 }, memory: { limit: 64 << 20 } });
    const st = c.stats();
    assert.equal(st.pids?.limit, 20);
    assert.equal(st.memory?.usage?.limit, 64 << 20);
    const events: ContainerEvent[] = [];
    for await (const e of c.events({ interval: 50 })) {
      events.push(e);
      if (events.length === 2) break;
    }
    assert.equal(events[0].type, 'stats');
    assert.equal(events[0].id, id);
    assert.ok((events[0].data?.pids?.current ?? 0) >= 2);
    // an AbortSignal ends the stream
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    let n = 0;
    for await (const e of c.events({ interval: 50, signal: ac.signal })) if (e.type === 'stats') n++;
    assert.ok(n >= 1 && n <= 6, String(n));
    // the stream ends by itself when the container stops
    setTimeout(() => void c.kill('SIGKILL'), 100);
    for await (const e of c.events({ interval: 20 })) assert.equal(e.type, 'stats');
  });

  test('hook callbacks run in-process with the OCI state', async () => {
    const id = env.id();
    const seen: [string, State][] = [];
    const c = await create({
      id,
      root: env.root,
      config: spec(['true']),
      hooks: {
        onCreateRuntime: async (s) => {
          // the container's pid exists and has its namespaces, its process has not run
          assert.ok(existsSync(`/proc/${s.pid}/ns/mnt`));
          seen.push(['createRuntime', s]);
        },
        onPoststart: (s) => void seen.push(['poststart', s]),
        onPoststop: (s) => void seen.push(['poststop', s]),
      },
    });
    await c.start();
    await c.wait();
    await c.delete();
    assert.deepEqual(seen.map(([k, s]) => [k, s.status, s.id]), [['createRuntime', 'created', id], ['poststart', 'running', id], ['poststop', 'stopped', id]]);
    assert.equal(seen[0][1].pid, c.pid);
  });

  test('a failing onCreateRuntime rolls create back, with a typed error', async () => {
    const id = env.id();
    await assert.rejects(
      create({ id, root: env.root, config: spec(['true']), hooks: { onCreateRuntime: () => { throw new Error('no network for you'); } } }),
      (e: SkiffError) => e instanceof SkiffError && e.code === 'EHOOK' && e.op === 'hook' && e.containerId === id && /no network for you/.test(e.message),
    );
    gone(id);
  });

  test('AbortSignal: before create, and during create (rolled back)', async () => {
    const id = env.id();
    await assert.rejects(create({ id, root: env.root, config: spec(['true']), signal: AbortSignal.abort() }), { name: 'AbortError' });
    gone(id);
    const ac = new AbortController();
    await assert.rejects(
      create({ id, root: env.root, config: spec(['true']), signal: ac.signal, hooks: { onCreateRuntime: () => ac.abort(new Error('cancelled')) } }),
      /cancelled/,
    );
    gone(id);
  });

  test('typed errors: config field, operation, container', async () => {
    const id = env.id();
    await assert.rejects(create({ id, root: env.root, config: spec([]) }), (e: SpecError) => e instanceof SpecError && e.pointer === '/process/args' && e.op === 'create' && e.code === 'EINVALIDSPEC');
    await assert.rejects(create({ id, root: env.root, config: spec(['true'], (s) => s.linux!.namespaces!.push({ type: 'bogus' as 'pid' })) }), (e: SkiffError) => /^\/linux\/namespaces\/\d+\/type$/.test(e.pointer ?? ''));
    await assert.rejects(create({ id, root: env.root, config: spec(['true']), rootfs: '/nonexistent-rootfs' }), (e: SkiffError) => e.pointer === '/root/path' && e.op === 'create');
    await assert.rejects(create({ id, root: env.root, config: spec(['no-such-binary']) }), (e: SkiffError) => e.op === 'create' && /executable file not found/.test(e.message));
    gone(id);
    assert.throws(() => open('no-such-container', { root: env.root }), (e: NotFoundError) => e instanceof NotFoundError && e.op === 'open' && e.containerId === 'no-such-container');
    await using c = await create({ id, root: env.root, config: spec(['sleep', '30']) });
    await c.start();
    await assert.rejects(c.start(), (e: SkiffError) => e.op === 'start' && /already running/.test(e.message));
    await assert.rejects(c.delete(), (e: SkiffError) => e.op === 'delete' && /not stopped/.test(e.message));
  });

  test('open() a CLI-created container; a Runtime bound to a root', async () => {
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '30']));
    assert.equal(env.skiff(['create', '--bundle', b, id]).status, 0);
    const rt = new Runtime({ root: env.root });
    const c = rt.open(id);
    assert.equal(c.owned, false);
    assert.equal(c.state().status, 'created');
    await c.start();
    const w = c.wait();
    await c.kill('SIGKILL');
    assert.deepEqual(await w, { code: -1, signal: null }, 'not our child: exit noticed, code unknown');
    await c.delete();
    gone(id);
    assert.deepEqual((await rt.list()).filter((s) => s.id === id), []);
  });

  test('wait() with an AbortSignal stops waiting, not the container', async () => {
    const id = env.id();
    await using c = await create({ id, root: env.root, config: spec(['sleep', '30']) });
    await c.start();
    await assert.rejects(c.wait({ signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' });
    assert.equal(c.state().status, 'running');
  });
});

describe('the bundled library (dist/lib.js)', () => {
  test('exports the API and runs a container', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(join(__dirname, '../../dist/lib.js')) as typeof import('../../src/index.ts');
    for (const name of ['create', 'open', 'run', 'list', 'features', 'Runtime', 'Container', 'SkiffError', 'defaultSpec']) assert.ok(name in lib, name);
    const r = await lib.run({ id: env.id(), root: env.root, config: spec(['echo', 'from dist']) });
    assert.equal(r.stdout, 'from dist\n');
  });
});

describe('concurrency in one process', () => {
  test('more containers at once than libuv has pool threads (4): none starves the others', { timeout: 60_000 }, async () => {
    const ids = Array.from({ length: 10 }, () => env.id('conc'));
    const t0 = Date.now();
    const results = await Promise.all(ids.map((id, i) => run({ id, root: env.root, config: spec(['sh', '-c', `echo ${i}`]), timeout: 20_000 })));
    results.forEach((r, i) => {
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${i}\n`);
      assert.equal(r.timedOut, false);
    });
    assert.ok(Date.now() - t0 < 20_000);
    ids.forEach(gone);
  });
});
