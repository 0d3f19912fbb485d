// Hooks at the spec's points, in order, with the state on stdin; timeouts;
// failing create-time hooks fail create and leave nothing; failing poststop
// is only a warning.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env } from './helpers.ts';
import type { Hook } from '../../src/spec/types.ts';

const env = new Env('hooks');
after(() => assert.deepEqual(env.cleanup(), []));

/** A host script that appends "<name> <state json>" and its mount ns to a log. */
function recorder(log: string): string {
  const p = join(env.base, 'record.sh');
  if (!existsSync(p)) {
    writeFileSync(p, `#!/bin/sh\nstate=$(cat)\nprintf '%s %s %s\\n' "$1" "$(readlink /proc/self/ns/mnt)" "$state" >> "$2"\n`);
    chmodSync(p, 0o755);
  }
  return p;
}

describe('hooks', () => {
  test('all six kinds run at their points, in order, with state on stdin', async () => {
    const log = join(env.base, 'hooks.log');
    const rec = recorder(log);
    // createContainer/startContainer run inside the container: log through a bind mount
    const inLog = join(env.base, 'in');
    writeFileSync(inLog, '');
    // createContainer runs before pivot_root: paths are the host's (cwd is the rootfs)
    const inner = (name: string, file: string): Hook => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${name} $(readlink /proc/self/ns/mnt) $(cat) >> ${file}; [ -x ./bin/busybox ] || echo bad-cwd >> ${file}`] });
    const host = (name: string): Hook => ({ path: rec, args: [rec, name, log] });
    const id = env.id();
    const b = env.bundle((s) => {
      s.process!.args = ['sh', '-c', 'echo process >> /hooklog'];
      s.root!.readonly = false;
      s.mounts!.push({ destination: '/hooklog', type: 'bind', source: inLog, options: ['bind'] });
      s.hooks = {
        prestart: [host('prestart')],
        createRuntime: [host('createRuntime1'), host('createRuntime2')],
        createContainer: [inner('createContainer', inLog)],
        startContainer: [inner('startContainer', '/hooklog')],
        poststart: [host('poststart')],
        poststop: [host('poststop')],
      };
    });
    assert.equal(env.skiff(['create', '--bundle', b, id]).status, 0);
    const pid = env.state(id).pid;
    assert.equal(env.skiff(['start', id]).status, 0);
    for (let i = 0; i < 200 && env.state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(env.skiff(['delete', id]).status, 0);
    const hostLines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(hostLines.map((l) => l[0]), ['prestart', 'createRuntime1', 'createRuntime2', 'poststart', 'poststop']);
    const hostMnt = require('node:fs').readlinkSync('/proc/self/ns/mnt');
    for (const l of hostLines) assert.equal(l[1], hostMnt, `${l[0]} runs in the runtime namespace`);
    const st = (l: string[]) => JSON.parse(l.slice(2).join(' '));
    assert.equal(st(hostLines[0]).status, 'created', 'prestart sees created, as with runc');
    assert.equal(st(hostLines[0]).pid, pid);
    assert.equal(st(hostLines[0]).id, id);
    assert.equal(st(hostLines[0]).bundle, b);
    assert.equal(st(hostLines[3]).status, 'running');
    assert.equal(st(hostLines[4]).status, 'stopped');
    const inLines = readFileSync(inLog, 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(inLines.map((l) => l[0]), ['createContainer', 'startContainer', 'process']);
    assert.notEqual(inLines[0][1], hostMnt, 'createContainer runs in the container namespace');
    assert.equal(JSON.parse(inLines[0].slice(2).join(' ')).status, 'creating');
    assert.equal(JSON.parse(inLines[0].slice(2).join(' ')).pid, pid);
    assert.equal(JSON.parse(inLines[1].slice(2).join(' ')).pid, pid);
    assert.ok(!inLines.some((l) => l[0] === 'bad-cwd'), 'createContainer hooks run in the rootfs');
    assert.equal(JSON.parse(inLines[1].slice(2).join(' ')).status, 'created');
  });

  test('a failing prestart hook fails create and destroys what was made', () => {
    const id = env.id();
    const b = env.bundle((s) => (s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'echo nope >&2; exit 3'] }] }));
    const r = env.skiff(['create', '--bundle', b, id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error running prestart hook #0: .*exit status 3.*nope/);
    assert.equal(existsSync(join(env.root, id)), false);
  });

  test('a failing createContainer hook (inside) fails create', () => {
    const id = env.id();
    const b = env.bundle((s) => (s.hooks = { createContainer: [{ path: '/bin/false' }] }));
    const r = env.skiff(['create', '--bundle', b, id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /createContainer hook #0/);
    assert.equal(existsSync(join(env.root, id)), false);
  });

  test('hook timeout is honoured', () => {
    const id = env.id();
    const b = env.bundle((s) => (s.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }));
    const t0 = Date.now();
    const r = env.skiff(['create', '--bundle', b, id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /timeout/);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(existsSync(join(env.root, id)), false);
  });

  test('a failing poststop hook is only a warning', () => {
    const r = env.run((s) => {
      s.process!.args = ['true'];
      s.hooks = { poststop: [{ path: '/bin/false' }] };
    });
    assert.equal(r.status, 0);
    assert.match(r.stderr, /level=warning.*poststop hook #0/);
    assert.equal(existsSync(join(env.root, r.id)), false);
  });
});
