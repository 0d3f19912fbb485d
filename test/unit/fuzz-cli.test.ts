// CLI-level fuzzing with fast-check: random argv (commands, known and unknown
// flags, values and container ids with odd characters, huge strings) given to
// the real `bin/skiff`. Whatever the input: no crash, no stack trace (stderr
// is one line and has no "    at " frames), exit code 0 or 1 (1 with a
// message), and nothing created on the host (no state dir, cgroup or mount).
//
// Every case spawns skiff, so the default is small: SKIFF_FUZZ_RUNS (default
// 30 per property). Long mode: SKIFF_FUZZ_RUNS=10000. Reproduce a failure
// with SKIFF_FUZZ_SEED=<seed> (fast-check prints seed and path).
//
// Sandbox: every invocation gets `--root <sandbox>/root` first and runs in a
// deep cwd inside the sandbox; generated paths are kept inside it (a leading
// "/" is rebased on the sandbox, ".." is defused), since commands such as
// `spec` write files and `delete --force` removes directories.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';

const RUNS = Math.max(1, Number(process.env.SKIFF_FUZZ_RUNS) || 30);
const SEED = process.env.SKIFF_FUZZ_SEED === undefined ? undefined : Number(process.env.SKIFF_FUZZ_SEED);
const params = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

const SKIFF = resolve(__dirname, '../../bin/skiff');
const box = mkdtempSync(join(tmpdir(), 'skiff-fuzz-cli-'));
const root = join(box, 'root');
const cwd = join(box, 'w/a/b/c/d/e/f/g');
mkdirSync(cwd, { recursive: true });
after(() => rmSync(box, { recursive: true, force: true }));

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.SKIFF_STACK;
delete env.SKIFF_TEST_CRASH_AT;

// ---------------------------------------------------------------- arbitraries

const weird = fc.constantFrom(
  '', ' ', '-', '--', '---', '-=', '--=', '=', '.', '..', '...', '/', '\n', '\t', '\r\n', '\x1b[31m', '\u0000x'.slice(1), '%s%n', '$(id)', '`id`',
  ';rm -rf /', '../../../../etc', 'a/b', '\\', '"', "'", '\u202e', '\ud83d\ude00', 'é', '０', 'NaN', 'Infinity', '-1', '1e9', '0x10', '9'.repeat(40),
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype',
);
const bigString = fc.integer({ min: 1000, max: 50_000 }).chain((n) => fc.constantFrom('a', '/', '.', '-', 'é', '%').map((c) => c.repeat(n)));
const text = fc.oneof(
  { weight: 4, arbitrary: weird },
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: bigString },
  { weight: 2, arbitrary: fc.integer().map(String) },
);
/** argv elements cannot hold NUL; paths stay inside the sandbox */
const clean = (s: string) => s.replace(/\0/g, '');
const pathSafe = (s: string) => {
  let v = clean(s).replace(/\.\./g, '._');
  if (v.startsWith('/')) v = box + v;
  return v;
};
const ID_CHARS = fc.constantFrom(...'abcXYZ019_-+.:/\\ @#!?*~'.split(''), '\n', '..', 'é', '\u0001');
const id = fc.oneof(fc.string({ unit: ID_CHARS, minLength: 0, maxLength: 30 }), weird, fc.string({ maxLength: 20 }), bigString).map(clean);

const COMMANDS = ['create', 'delete', 'kill', 'list', 'run', 'spec', 'start', 'state', 'help', 'exec', 'pause', 'events', 'ps', 'update', 'checkpoint', 'features'];
const FLAGS = [
  'bundle', 'b', 'console-socket', 'pid-file', 'no-pivot', 'no-new-keyring', 'preserve-fds', 'strict', 'detach', 'd', 'keep', 'no-subreaper',
  'force', 'f', 'all', 'a', 'format', 'quiet', 'q', 'rootless', 'help', 'h', 'debug', 'log', 'log-format', 'systemd-cgroup', 'criu', 'version', 'v',
  'unknown', 'x', 'root-', '', 'bundle=', 'process', 'tty', 't',
];
const PATH_FLAGS = new Set(['bundle', 'b', 'pid-file', 'log', 'console-socket', 'criu', 'bundle=']);
const flag = fc.tuple(fc.constantFrom('-', '--'), fc.constantFrom(...FLAGS), fc.oneof(fc.constant(undefined), text), fc.boolean()).map(([dash, name, value, eq]) => {
  const v = value === undefined ? undefined : PATH_FLAGS.has(name) ? pathSafe(value) : clean(value);
  if (v === undefined) return [`${dash}${name}`];
  return eq ? [`${dash}${name}=${v}`] : [`${dash}${name}`, v];
});
const globalFlags = fc.array(flag, { maxLength: 3 }).map((a) => a.flat());
const argv = fc.tuple(globalFlags, fc.oneof(fc.constantFrom(...COMMANDS), text.map(clean)), fc.array(fc.oneof(flag, id.map((x) => [x])), { maxLength: 5 }))
  .map(([g, cmd, rest]) => [...g, cmd, ...rest.flat()]);

// ---------------------------------------------------------------- checks

function runSkiff(args: string[]) {
  return spawnSync(SKIFF, ['--root', root, ...args], { encoding: 'utf8', env, cwd, timeout: 20_000, maxBuffer: 64 << 20 });
}

function cgroupDirsNamed(names: string[]): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, ctrl, path] = line.split(':');
    if (path === undefined) continue;
    const mp = ctrl === '' ? '/sys/fs/cgroup/unified' : `/sys/fs/cgroup/${ctrl.replace(/^name=/, '')}`;
    for (const n of names) {
      if (!n || n.includes('/') || n === '.' || n === '..' || n.length > 255) continue;
      try {
        if (existsSync(join(mp, path, n))) out.push(join(mp, path, n));
      } catch {
        /* odd name */
      }
    }
  }
  return out;
}

function check(args: string[]): void {
  try {
    check1(args);
  } catch (e) {
    // fast-check reports only the counterexample: print why it failed
    console.error(String((e as Error).message).slice(0, 2000));
    throw e;
  }
}

function check1(args: string[]): void {
  const r = runSkiff(args);
  const what = `argv ${JSON.stringify(args).slice(0, 400)}`;
  assert.equal(r.error, undefined, `${what}: ${r.error}`);
  assert.equal(r.signal, null, `${what}: killed by ${r.signal}`);
  // runc's convention: 1 on failure, 255 for a failed exec, 3 for an unknown command (urfave/cli's "No help topic")
  const failCode = args.includes('exec') && r.status === 255 ? 255 : r.status === 3 && /^No help topic for /.test(r.stderr) ? 3 : 1;
  assert.ok(r.status === 0 || r.status === failCode, `${what}: exit ${r.status}\n${r.stderr.slice(0, 500)}`);
  for (const out of [r.stdout, r.stderr]) assert.doesNotMatch(out, /^\s+at .+(\(|:\d+)/m, `${what}: stack trace\n${out.slice(0, 1000)}`);
  if (r.status !== 0) {
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^time="[^"]*" level=warning msg=/.test(l));
    assert.equal(lines.length, 1, `${what}: stderr must be one line:\n${r.stderr.slice(0, 1000)}`);
    assert.ok(lines[0].trim().length > 3, `${what}: empty error`);
    assert.doesNotMatch(lines[0], /TypeError|ReferenceError|RangeError|SyntaxError|undefined is not|Cannot read prop|\[object Object\]/, `${what}: ${lines[0]}`);
  }
  // nothing on the host
  if (existsSync(root)) assert.deepEqual(readdirSync(root), [], `${what}: state dirs left`);
  const m = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(box));
  assert.deepEqual(m, [], `${what}: mounts left`);
  assert.deepEqual(cgroupDirsNamed(args), [], `${what}: cgroups left`);
}

describe('fuzz: skiff argv', () => {
  test('random argv never crashes nor leaves anything', () => {
    fc.assert(fc.property(argv, (a) => check(a)), params);
  });

  test('every command with random flags and a weird id', () => {
    fc.assert(
      fc.property(fc.constantFrom(...COMMANDS), fc.array(flag, { maxLength: 4 }), id, (cmd, fl, i) => check([cmd, ...fl.flat(), i])),
      params,
    );
  });

  test('known crash-prone shapes', () => {
    const cases: string[][] = [
      ['create'], ['create', ''], ['create', '..'], ['create', '.'], ['create', 'a/b'], ['create', 'x'.repeat(100_000)], ['create', 'a\nb'],
      ['create', '--bundle'], ['create', '--bundle', '', 'x'], ['create', '--bundle', cwd, 'x'], ['create', '--preserve-fds', '-1', 'x'],
      ['create', '--preserve-fds', '99999999999999999999', 'x'], ['create', '--preserve-fds=1e3', 'x'], ['create', '--pid-file', '', 'x'],
      ['run', '-d', '--bundle', '/nonexistent', 'x'], ['delete', '--force', '..'], ['delete', '--force', '...'], ['delete', '-f', '-f'],
      ['kill', 'x', 'SIGFOO'], ['kill', 'x', '99999'], ['kill', 'x', '-9'], ['kill', 'x', ''], ['kill'], ['state'], ['state', '\u0001'],
      ['list', '--format', 'xml'], ['list', '-f', ''], ['--log-format', 'yaml', 'list'], ['--log', join(box, 'no/such/dir/log'), 'state', 'x'],
      ['--root', '', 'list'], ['--rootless', 'maybe', 'list'], ['--debug=maybe', 'list'], ['help', 'nope'], ['help', '__proto__'], ['__proto__'],
      ['constructor'], ['toString'], ['hasOwnProperty'], ['-', 'list'], ['--', 'list'], ['---x'], ['-=x'], ['spec', '--bundle', join(box, 'no/such')],
      ['start', 'x'.repeat(1025)], ['state', 'é'], ['delete', 'a b'],
    ];
    for (const c of cases) check(c);
  });
});
