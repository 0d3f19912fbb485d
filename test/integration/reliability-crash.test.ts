// Crash consistency: skiff is SIGKILLed at every crash point of create and
// delete (SKIFF_TEST_CRASH_AT, src/container/crash.ts); then `state`, `list`
// and `delete --force` must recover and leave nothing on the host: no
// process in the rootfs, no mount, no cgroup dir, no state dir or FIFO.
// A crashed create leaves the init blocked on its pipe: it must exit on its
// own (EOF when the parent dies), before anyone runs delete.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Env, busyboxRootfs } from './helpers.ts';
import { CRASH_POINTS } from '../../src/container/crash.ts';
import { dirIdents, isLive, leaksFor, procsIn, waitFor, cleanError } from './reliability-util.ts';

const env = new Env('rcrash');
after(() => assert.deepEqual(env.cleanup(), []));

const CREATE_POINTS = CRASH_POINTS.filter((p) => p.startsWith('create:'));
const DELETE_POINTS = CRASH_POINTS.filter((p) => p.startsWith('delete:'));
// points where the init still waits on the init pipe: it must die with skiff
const INIT_WAITS_ON_PIPE = new Set(['create:after-spawn', 'create:after-pid', 'create:after-apply', 'create:mid-plan']);

function storedPid(id: string): number {
  try {
    return JSON.parse(readFileSync(join(env.root, id, 'state.json'), 'utf8')).pid ?? 0;
  } catch {
    return 0;
  }
}

/** state and list never crash on what a crash left behind */
function queriesSurvive(id: string): string {
  const s = env.skiff(['state', id]);
  if (s.status === 0) {
    const st = JSON.parse(s.stdout);
    assert.equal(st.id, id);
    assert.ok(['creating', 'created', 'stopped', 'running'].includes(st.status), st.status);
  } else {
    assert.equal(s.status, 1, s.stderr);
    assert.equal(cleanError(s.stderr), undefined);
  }
  const l = env.skiff(['list', '--format', 'json']);
  assert.equal(l.status, 0, l.stderr);
  JSON.parse(l.stdout);
  const q = env.skiff(['list']);
  assert.equal(q.status, 0, q.stderr);
  return s.status === 0 ? JSON.parse(s.stdout).status : 'absent';
}

function spec(s: import('../../src/spec/types.ts').Spec) {
  s.process!.args = ['sleep', '1000'];
}

/** a create that fails in the init (missing bind source): it rolls back, and dies doing so */
function failingSpec(s: import('../../src/spec/types.ts').Spec) {
  spec(s);
  s.mounts!.push({ destination: '/data', type: 'bind', source: '/nonexistent/skiff-crash-test', options: ['rbind'] });
}

describe('kill -9 during create', () => {
  for (const point of CREATE_POINTS) {
    test(point, async () => {
      const id = env.id(point.replace(/\W/g, '-'));
      const cwd = mkdtempSync(join(env.base, 'cwd-'));
      const idents = dirIdents([busyboxRootfs(), cwd]);
      const r = env.skiff(['create', '--bundle', env.bundle(point === 'create:rollback' ? failingSpec : spec), id], { env: { SKIFF_TEST_CRASH_AT: point }, cwd });
      assert.equal(r.signal, 'SIGKILL', `skiff did not reach ${point}: ${r.status} ${r.stderr}`);
      const pid = storedPid(id);
      if (INIT_WAITS_ON_PIPE.has(point)) {
        // no delete yet: the orphaned init must notice EOF (or PDEATHSIG) and exit
        const gone = await waitFor(() => (pid ? !isLive(pid) : true) && procsIn(idents).length === 0, 5000);
        assert.ok(gone, `init left running after skiff died at ${point}: ${JSON.stringify(procsIn(idents))} pid ${pid}`);
      }
      const before = queriesSurvive(id);
      const d = env.skiff(['delete', '--force', id]);
      assert.equal(d.status, 0, `delete --force after ${point} (state ${before}): ${d.stderr}`);
      assert.deepEqual(leaksFor({ root: env.root, id, base: env.base, idents, pid }), []);
      assert.equal(queriesSurvive(id), 'absent');
      // the id is free again
      const again = env.skiff(['create', '--bundle', env.bundle(spec), id]);
      assert.equal(again.status, 0, again.stderr);
      assert.equal(env.skiff(['delete', '--force', id]).status, 0);
      assert.deepEqual(leaksFor({ root: env.root, id, base: env.base, idents }), []);
    });
  }
});

describe('kill -9 during delete', () => {
  for (const point of DELETE_POINTS) {
    for (const started of [false, true]) {
      test(`${point} (${started ? 'running' : 'created'} container)`, async () => {
        const id = env.id(point.replace(/\W/g, '-'));
        const idents = dirIdents([busyboxRootfs()]);
        const c = env.skiff(['create', '--bundle', env.bundle(spec), id]);
        assert.equal(c.status, 0, c.stderr);
        if (started) assert.equal(env.skiff(['start', id]).status, 0);
        const pid = storedPid(id);
        assert.ok(pid > 0 && isLive(pid));
        const r = env.skiff(['delete', '--force', id], { env: { SKIFF_TEST_CRASH_AT: point } });
        assert.equal(r.signal, 'SIGKILL', `skiff did not reach ${point}: ${r.status} ${r.stderr}`);
        queriesSurvive(id);
        const d = env.skiff(['delete', '--force', id]);
        assert.equal(d.status, 0, `delete --force after ${point}: ${d.stderr}`);
        assert.deepEqual(leaksFor({ root: env.root, id, base: env.base, idents, pid }), []);
        assert.equal(queriesSurvive(id), 'absent');
        assert.ok(!existsSync(join(env.root, id)));
      });
    }
  }
});

test('delete --force of an id without state.json never removes a foreign directory', () => {
  const victim = join(env.root, 'precious');
  mkdirSync(join(victim, 'sub'), { recursive: true });
  writeFileSync(join(victim, 'data'), 'keep me');
  const r = env.skiff(['delete', '--force', 'precious']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(cleanError(r.stderr), undefined);
  assert.equal(readFileSync(join(victim, 'data'), 'utf8'), 'keep me');
  rmSync(victim, { recursive: true });
});

test('a start that died between reading the exec fifo and removing it: state says running, a second start does not hang', () => {
  const id = env.id('start-crash');
  assert.equal(env.skiff(['create', '--bundle', env.bundle(spec), id]).status, 0);
  assert.equal(env.skiff(['start', id]).status, 0);
  // what `start` killed after its read and before its unlink leaves behind
  assert.equal(spawnSync('mkfifo', [join(env.root, id, 'exec.fifo')]).status, 0);
  try {
    assert.equal(env.state(id).status, 'running');
    const again = env.skiff(['start', id], { timeout: 5000 });
    assert.equal(again.signal, null, 'second start hung on the exec fifo');
    assert.equal(again.status, 1);
  } finally {
    assert.equal(env.skiff(['delete', '--force', id]).status, 0);
  }
});
