// The create → state → start → state → kill → delete cycle, run, exit codes,
// signals, duplicates — real containers, checked from outside.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, sleep } from './helpers.ts';

const env = new Env('life');
after(() => assert.deepEqual(env.cleanup(), []));

describe('create/start/kill/delete', () => {
  test('full cycle with states like runc', async () => {
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '60']));
    const pidFile = join(env.base, `${id}.pid`);
    const c = env.skiff(['create', '--bundle', b, '--pid-file', pidFile, id]);
    assert.equal(c.status, 0, c.stderr);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    let st = env.state(id);
    assert.equal(st.status, 'created');
    assert.equal(st.pid, pid);
    assert.equal(st.id, id);
    assert.equal(st.bundle, b);
    assert.ok(st.created && st.ociVersion);
    // the created init waits on the fifo: it has not exec'd yet
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /skiff-init/);
    assert.equal(env.skiff(['start', id]).status, 0);
    st = env.state(id);
    assert.equal(st.status, 'running');
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], 'sleep');
    // start twice is an error
    const again = env.skiff(['start', id]);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /already running/);
    // delete of a running container needs --force
    const del = env.skiff(['delete', id]);
    assert.notEqual(del.status, 0);
    assert.match(del.stderr, /not stopped: running/);
    assert.equal(env.skiff(['kill', id, 'KILL']).status, 0);
    for (let i = 0; i < 100 && env.state(id).status !== 'stopped'; i++) await sleep(20);
    st = env.state(id);
    assert.equal(st.status, 'stopped');
    assert.equal(st.pid, 0);
    assert.equal(env.skiff(['kill', id]).status, 1, 'kill of a stopped container fails');
    assert.equal(env.skiff(['delete', id]).status, 0);
    assert.equal(existsSync(join(env.root, id)), false);
    const gone = env.skiff(['state', id]);
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /container does not exist/);
  });

  test('delete of a created container kills its init (as runc)', () => {
    const id = env.id();
    const b = env.bundle();
    assert.equal(env.skiff(['create', '--bundle', b, id]).status, 0);
    const pid = env.state(id).pid;
    assert.equal(env.skiff(['delete', id]).status, 0);
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    assert.ok(stat === '' || / Z /.test(stat), 'init is gone');
  });

  test('delete --force of a missing container exits 0', () => {
    const r = env.skiff(['delete', '--force', 'no-such-container']);
    assert.equal(r.status, 0, r.stderr);
    assert.notEqual(env.skiff(['delete', 'no-such-container']).status, 0);
  });

  test('duplicate id fails and leaves the first container alone', () => {
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '60']));
    assert.equal(env.skiff(['create', '--bundle', b, id]).status, 0);
    const pid = env.state(id).pid;
    const dup = env.skiff(['create', '--bundle', b, id]);
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /container with id exists/);
    const st = env.state(id);
    assert.equal(st.status, 'created');
    assert.equal(st.pid, pid);
    assert.equal(env.skiff(['delete', '--force', id]).status, 0);
  });

  test('kill accepts names with and without SIG, and numbers', async () => {
    // pid 1 of a pid namespace only gets signals it has a handler for (or KILL)
    for (const sig of ['TERM', 'SIGUSR1', '9', 'KILL']) {
      const id = env.id();
      const b = env.bundle((s) => (s.process!.args = ['sh', '-c', 'trap "exit 1" TERM USR1; while true; do sleep 0.05; done']));
      assert.equal(env.skiff(['run', '-d', '--bundle', b, id]).status, 0);
      const pid = env.state(id).pid;
      const r = env.skiff(['kill', id, sig]);
      assert.equal(r.status, 0, r.stderr);
      for (let i = 0; i < 100 && env.state(id).status !== 'stopped'; i++) await sleep(20);
      assert.equal(env.state(id).status, 'stopped', `${sig} stopped pid ${pid}`);
      env.skiff(['delete', id]);
    }
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '60']));
    assert.equal(env.skiff(['run', '-d', '--bundle', b, id]).status, 0);
    const bad = env.skiff(['kill', id, 'SIGNOPE']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /signal/);
    assert.equal(env.state(id).status, 'running');
    env.skiff(['delete', '-f', id]);
  });

  test('list shows containers in table, json and quiet forms', () => {
    const id = env.id();
    const b = env.bundle();
    assert.equal(env.skiff(['create', '--bundle', b, id]).status, 0);
    const table = env.skiff(['list']).stdout;
    assert.match(table, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER/);
    assert.match(table, new RegExp(`${id}\\s+\\d+\\s+created`));
    const json = JSON.parse(env.skiff(['list', '--format', 'json']).stdout);
    const mine = json.find((c: { id: string }) => c.id === id);
    assert.equal(mine.status, 'created');
    assert.equal(mine.owner, 'root');
    assert.ok(env.skiff(['list', '-q']).stdout.split('\n').includes(id));
    env.skiff(['delete', id]);
  });
});

describe('run', () => {
  test('foreground run returns the exit code', () => {
    const r = env.run((s) => (s.process!.args = ['sh', '-c', 'echo out; echo err >&2; exit 7']));
    assert.equal(r.status, 7);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(existsSync(join(env.root, r.id)), false, 'deleted after exit');
  });

  test('killed by a signal → 128+signal', () => {
    // not pid 1 of a pid namespace: that one cannot be killed from inside
    const r = env.run((s) => {
      s.process!.args = ['sh', '-c', 'kill -9 $$'];
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
    });
    assert.equal(r.status, 137);
  });

  test('signals sent to skiff are forwarded to the container', async () => {
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sh', '-c', 'trap "echo got-term; exit 3" TERM; while true; do sleep 0.05; done']));
    const p = env.skiffAsync(['run', '--bundle', b, id]);
    for (let i = 0; i < 200; i++) {
      const st = env.skiff(['state', id]);
      if (st.status === 0 && JSON.parse(st.stdout).status === 'running') break;
      await sleep(20);
    }
    await sleep(100);
    const { pid } = await Promise.race([p, (async () => ({ pid: findSkiffRun(id) }))()]);
    process.kill(pid, 'SIGTERM');
    const res = await p;
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stdout, /got-term/);
  });

  test('--keep leaves a stopped container; --detach returns at once', async () => {
    const kept = env.run((s) => (s.process!.args = ['true']), ['--keep']);
    assert.equal(kept.status, 0);
    assert.equal(env.state(kept.id).status, 'stopped');
    assert.equal(env.skiff(['delete', kept.id]).status, 0);
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['sleep', '30']));
    const t0 = Date.now();
    const d = env.skiff(['run', '-d', '--bundle', b, id]);
    assert.equal(d.status, 0, d.stderr);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(env.state(id).status, 'running');
    assert.equal(env.skiff(['delete', '-f', id]).status, 0);
  });

  test('a missing executable fails create with runc\'s error text', () => {
    const r = env.run((s) => (s.process!.args = ['no-such-binary']));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /exec: "no-such-binary": executable file not found in \$PATH/);
    const abs = env.run((s) => (s.process!.args = ['/nonexistent']));
    assert.match(abs.stderr, /exec: "\/nonexistent": stat \/nonexistent: no such file or directory/);
    const perm = env.run((s) => (s.process!.args = ['/etc/passwd']));
    assert.match(perm.stderr, /permission denied/);
    assert.equal(existsSync(join(env.root, r.id)), false);
  });

  test('--log-format json writes the error as the last error line', () => {
    const id = env.id();
    const b = env.bundle((s) => (s.process!.args = ['/nonexistent']));
    const log = join(env.base, 'log.json');
    const r = env.skiff(['--log', log, '--log-format', 'json', 'create', '--bundle', b, id]);
    assert.equal(r.status, 1);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const last = lines[lines.length - 1];
    assert.equal(last.level, 'error');
    assert.match(last.msg, /^skiff create failed: unable to start container process: exec: "\/nonexistent": stat \/nonexistent: no such file or directory$/);
    assert.match(last.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

function findSkiffRun(id: string): number {
  for (const p of require('node:fs').readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => /dist\/skiff(-boot)?\.js$/.test(a)) && cmd.includes('run') && cmd.includes(id)) return Number(p);
    } catch {
      /* gone */
    }
  }
  throw new Error('skiff run process not found');
}
