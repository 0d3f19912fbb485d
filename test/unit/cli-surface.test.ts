// runc's CLI surface as clients and users meet it, on the built bin/skiff:
// --version, -h/--help on every command, the texts and exit codes of usage
// errors, runc's argument reordering, --log/--log-format json lines,
// `delete --force` of a missing container, `features`, `spec --rootless`.
// No root needed: nothing here creates a container.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { reorderArgs, type FlagDef } from '../../src/cli/flags.ts';

const SKIFF = resolve(__dirname, '../../bin/skiff');
const built = existsSync(resolve(__dirname, '../../dist/skiff.js'));
const box = mkdtempSync(join(tmpdir(), 'skiff-cli-surface-'));
const root = join(box, 'root');
after(() => rmSync(box, { recursive: true, force: true }));
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

function skiff(...args: string[]) {
  const r = spawnSync(SKIFF, args, { encoding: 'utf8', env, cwd: box, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const COMMANDS = ['create', 'delete', 'events', 'exec', 'features', 'kill', 'list', 'pause', 'ps', 'resume', 'run', 'spec', 'start', 'state', 'update'];

describe('CLI surface (bin/skiff)', { skip: !built && 'dist/skiff.js not built (npm run build)' }, () => {
  test('--version / -v: name and version, commit, spec version', () => {
    for (const f of ['--version', '-v']) {
      const r = skiff(f);
      assert.equal(r.code, 0);
      const [l1, l2, l3] = r.stdout.split('\n');
      assert.match(l1, /^skiff version \S+$/);
      assert.match(l2, /^commit: \S+$/);
      assert.match(l3, /^spec: 1\.\d+\.\d+$/);
    }
  });

  test('the main help lists every runc command skiff has', () => {
    const r = skiff('--help');
    assert.equal(r.code, 0);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^   ${c}\\s`, 'm'), c);
  });

  test('-h, --help and `help CMD` on every command', () => {
    for (const c of COMMANDS) {
      for (const args of [[c, '--help'], [c, '-h'], ['help', c]]) {
        const r = skiff(...args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^NAME:\\n   skiff ${c} - `), args.join(' '));
        assert.match(r.stdout, /\nUSAGE:\n/);
      }
    }
  });

  test('an unknown command: runc\'s text, exit status 3', () => {
    for (const args of [['frobnicate'], ['help', 'frobnicate']]) {
      const r = skiff(...args);
      assert.equal(r.code, 3);
      assert.equal(r.stderr, "No help topic for 'frobnicate'\n");
    }
  });

  test('unknown flags and missing arguments: runc\'s texts, exit status 1', () => {
    const cases: [string[], string][] = [
      [['--frob'], 'flag provided but not defined: -frob'],
      [['--root'], 'flag needs an argument: -root'],
      [['state', '--frob', 'x'], 'Incorrect Usage: flag provided but not defined: -frob'],
      [['delete', '-frob', 'x'], 'Incorrect Usage: flag provided but not defined: -frob'],
      [['state'], 'skiff: "state" requires exactly 1 argument(s)'],
      [['start', 'a', 'b'], 'skiff: "start" requires exactly 1 argument(s)'],
      [['kill'], 'skiff: "kill" requires a minimum of 1 argument(s)'],
      [['features', 'x'], 'skiff: "features" requires exactly 0 argument(s)'],
    ];
    for (const [args, msg] of cases) {
      const r = skiff('--root', root, ...args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr, `${msg}\n`, args.join(' '));
    }
  });

  test('flags after the container id are reordered as runc does (not for exec and ps)', () => {
    const defs: FlagDef[] = [{ name: 'force', alias: 'f', type: 'bool', usage: '' }, { name: 'pids-limit', type: 'int', usage: '' }];
    assert.deepEqual(reorderArgs(['x', '--force'], defs), ['--force', 'x']);
    assert.deepEqual(reorderArgs(['x', '--pids-limit', '5'], defs), ['--pids-limit', '5', 'x']);
    assert.deepEqual(reorderArgs(['x', '--pids-limit=5', 'y'], defs), ['--pids-limit=5', 'x', 'y']);
    assert.deepEqual(reorderArgs(['x', '--', '--force'], defs), ['x', '--', '--force']);
    assert.deepEqual(reorderArgs(['x', '-', '--unknown'], defs), ['x', '-', '--unknown']);
    // a flag's value may look like a flag or be "-" (docker: update --resources - ID)
    const upd: FlagDef[] = [{ name: 'resources', alias: 'r', type: 'string', usage: '' }, ...defs];
    assert.deepEqual(reorderArgs(['--resources', '-', 'x'], upd), ['--resources', '-', 'x']);
    assert.deepEqual(reorderArgs(['x', '--pids-limit', '-5'], defs), ['--pids-limit', '-5', 'x']);
    assert.deepEqual(reorderArgs(['--force', '--', 'x'], defs), ['--force', '--', 'x']);
    assert.equal(skiff('--root', root, 'delete', 'nosuch', '--force').code, 0);
    assert.match(skiff('state', 'x', '--help').stdout, /^NAME:\n   skiff state/);
    // exec: what follows the id belongs to the process
    assert.equal(skiff('--root', root, 'exec', 'nosuch', 'sh', '--help').stderr, 'exec failed: container does not exist\n');
  });

  test('--log FILE --log-format json: one {"level","msg","time"} line per error, as clients read it', () => {
    const log = join(box, 'log.json');
    const r = skiff('--root', root, '--log', log, '--log-format', 'json', 'state', 'nosuch');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'container does not exist\n');
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.deepEqual(Object.keys(lines[0]), ['level', 'msg', 'time']);
    assert.equal(lines[0].level, 'error');
    assert.equal(lines[0].msg, 'container does not exist');
    assert.match(lines[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(skiff('--log-format', 'xml', 'list').code, 1);
  });

  test('delete --force of a missing container exits 0 (clients call it after every delete)', () => {
    const r = skiff('--root', root, 'delete', '--force', 'nosuch');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(skiff('--root', join(box, 'never-created'), 'delete', '--force', 'nosuch').code, 0);
    assert.equal(skiff('--root', root, 'delete', 'nosuch').code, 1);
  });

  test('features prints the features.md document', () => {
    const r = skiff('features');
    assert.equal(r.code, 0);
    const f = JSON.parse(r.stdout);
    assert.equal(f.ociVersionMin, '1.0.0');
    assert.ok(f.linux.seccomp.enabled);
    assert.match(r.stdout, /^{\n {4}"ociVersionMin"/);
  });

  test('spec and spec --rootless write runc\'s default configs; never over an existing one', () => {
    for (const [dir, rootless] of [['s1', false], ['s2', true]] as const) {
      const b = join(box, dir);
      mkdirSync(b);
      const r = rootless ? skiff('spec', '--rootless', '--bundle', b) : skiff('spec', '-b', b);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
      const ns = s.linux.namespaces.map((n: { type: string }) => n.type);
      assert.equal(ns.includes('user'), rootless);
      if (rootless) assert.equal(s.linux.uidMappings[0].hostID, process.getuid!());
      const again = skiff('spec', '-b', b);
      assert.equal(again.code, 1);
      assert.equal(again.stderr, 'File config.json exists. Remove it first\n');
    }
    const r = skiff('spec', '-b', join(box, 'nonexistent'));
    assert.equal(r.stderr, `chdir ${join(box, 'nonexistent')}: no such file or directory\n`);
  });
});
