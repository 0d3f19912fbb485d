// Concurrency: many skiff processes on one --root at once. Same-id creates
// race on mkdir (exactly one wins); full lifecycles in parallel workers must
// see every state transition; state/list during deletes never crash nor
// print half-written JSON; nothing leaks (mounts, cgroups, state dirs,
// zombies, fds of a waiting skiff process).
// SKIFF_STRESS=1: the full counts (50 same-id creates, 200 containers).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { Env, busyboxRootfs } from './helpers.ts';
import { skiffFiles, cgroupChildCount, cleanError, dirIdents, fdCount, leaksFor, mountsWith, procsIn, waitFor, zombiesOf } from './reliability-util.ts';

const STRESS = !!process.env.SKIFF_STRESS;
const SAME_ID = STRESS ? 50 : 20;
const CONTAINERS = STRESS ? 200 : 40;
const WORKERS = 8;

const env = new Env('rconc');
after(() => assert.deepEqual(env.cleanup(), []));

const sleepSpec = (s: import('../../src/spec/types.ts').Spec) => {
  s.process!.args = ['sleep', '1000'];
};

test(`${SAME_ID} parallel creates of one id: exactly one succeeds`, async () => {
  const id = env.id('same');
  const b = env.bundle(sleepSpec);
  const rs = await Promise.all(Array.from({ length: SAME_ID }, () => skiffFiles(env.root, ['create', '--bundle', b, id])));
  const ok = rs.filter((r) => r.code === 0);
  assert.equal(ok.length, 1, `successes: ${ok.length}; ${rs.map((r) => r.stderr.trim()).filter(Boolean).slice(0, 3).join(' | ')}`);
  for (const r of rs.filter((x) => x.code !== 0)) {
    assert.equal(r.code, 1, r.stderr);
    assert.equal(cleanError(r.stderr), undefined);
    assert.match(r.stderr, /container with id exists/);
  }
  const st = env.state(id);
  assert.equal(st.status, 'created');
  // the losers did not remove or damage the winner's state
  assert.equal(env.skiff(['start', id]).status, 0);
  assert.equal(env.state(id).status, 'running');
  assert.equal(env.skiff(['delete', '--force', id]).status, 0);
  assert.deepEqual(leaksFor({ root: env.root, id, base: env.base, pid: st.pid }), []);
});

test(`${CONTAINERS} containers through create/start/kill/delete with ${WORKERS} workers`, async () => {
  const idents = dirIdents([busyboxRootfs()]);
  const cgBefore = cgroupChildCount();
  const b = env.bundle(sleepSpec);
  const ids = Array.from({ length: CONTAINERS }, () => env.id('life'));
  const errors: string[] = [];
  const transitions: string[] = [];
  let next = 0;
  let watcherErrors = 0;
  let watcherRuns = 0;
  let stop = false;
  // a reader hammering state/list while everything is created and deleted
  const watcher = (async () => {
    while (!stop) {
      const l = await skiffFiles(env.root, ['list', '--format', 'json']);
      watcherRuns++;
      if (l.code !== 0) {
        errors.push(`list failed: ${l.stderr.trim()}`);
        watcherErrors++;
      } else {
        try {
          const v = JSON.parse(l.stdout);
          for (const c of v ?? []) if (!['creating', 'created', 'running', 'stopped'].includes(c.status)) errors.push(`list: bad status ${c.status}`);
        } catch {
          errors.push(`list printed bad JSON: ${l.stdout.slice(0, 200)}`);
        }
      }
      const target = ids[Math.floor(Math.random() * Math.min(ids.length, next + 1))];
      const s = await skiffFiles(env.root, ['state', target]);
      if (s.code === 0) {
        try {
          JSON.parse(s.stdout);
        } catch {
          errors.push(`state printed bad JSON: ${s.stdout.slice(0, 200)}`);
        }
      } else if (!/container does not exist/.test(s.stderr) || cleanError(s.stderr)) errors.push(`state ${target}: ${s.stderr.trim()}`);
    }
  })();
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const step = async (args: string[]) => {
        const r = await skiffFiles(env.root, args);
        if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.code} ${r.stderr.trim()}`);
        return r;
      };
      const status = async () => JSON.parse((await step(['state', id])).stdout).status as string;
      try {
        await step(['create', '--bundle', b, id]);
        const s1 = await status();
        await step(['start', id]);
        const s2 = await status();
        await step(['kill', id, 'KILL']);
        let s3 = await status();
        for (let i = 0; s3 !== 'stopped' && i < 200; i++) {
          await new Promise((r) => setTimeout(r, 10));
          s3 = await status();
        }
        await step(['delete', id]);
        const gone = await skiffFiles(env.root, ['state', id]);
        if (gone.code === 0) throw new Error(`state after delete: ${gone.stdout}`);
        transitions.push(`${s1}>${s2}>${s3}`);
      } catch (e) {
        errors.push(`${id}: ${(e as Error).message}`);
        await skiffFiles(env.root, ['delete', '--force', id]);
      }
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: WORKERS }, worker));
  stop = true;
  await watcher;
  const ms = Date.now() - t0;
  console.log(`# ${CONTAINERS} lifecycles, ${WORKERS} workers: ${ms} ms, ${watcherRuns} concurrent list+state pairs`);
  assert.deepEqual(errors, []);
  assert.equal(transitions.length, CONTAINERS);
  for (const t of transitions) assert.equal(t, 'created>running>stopped');
  // nothing left behind
  assert.deepEqual(existsSync(env.root) ? readdirSync(env.root) : [], []);
  assert.deepEqual(mountsWith(env.base), []);
  assert.deepEqual(procsIn(idents), []);
  assert.ok(await waitFor(() => cgroupChildCount() <= cgBefore, 2000), `cgroups: ${cgroupChildCount()} > ${cgBefore}`);
  for (const id of ids) assert.deepEqual(leaksFor({ root: env.root, id }), []);
  assert.deepEqual(zombiesOf(process.pid), []);
});

test('a skiff process waiting on a container holds no leaked fds', async () => {
  // `run` stays alive for the container's lifetime: after a few creates in
  // it (run = create + start + wait) its fd table must be what it started with
  const b = env.bundle((s) => {
    s.process!.args = ['sleep', '3'];
  });
  const id = env.id('fds');
  const p = skiffFiles(env.root, ['run', '--bundle', b, id]);
  let pid = 0;
  assert.ok(await waitFor(() => {
    try {
      pid = JSON.parse(require('node:fs').readFileSync(`${env.root}/${id}/state.json`, 'utf8')).pid;
      return pid > 0 && existsSync(`${env.root}/${id}/state.json`) && !existsSync(`${env.root}/${id}/exec.fifo`);
    } catch {
      return false;
    }
  }, 5000));
  // the skiff `run` process is the container's parent
  const parent = Number(require('node:fs').readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ')[1]);
  const fds = require('./reliability-util.ts').fdTargets(parent) as string[];
  // stdio, node internals (epoll, eventfd, signalfd pipes) — but no state dir, fifo, or init socket left open
  const leaked = fds.filter((f) => f.includes(env.root) || f.includes('exec.fifo') || f.includes('memfd:') && !f.includes('skiff-init'));
  assert.deepEqual(leaked, [], fds.join('\n'));
  assert.ok(fdCount(parent) < 40, fds.join('\n'));
  const r = await p;
  assert.equal(r.code, 0, r.stderr);
});
