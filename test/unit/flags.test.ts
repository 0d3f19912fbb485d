// The CLI parser follows Go's flag package as runc uses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, type FlagDef } from '../../src/cli/flags.ts';

const defs: FlagDef[] = [
  { name: 'bundle', alias: 'b', type: 'string', usage: '' },
  { name: 'detach', alias: 'd', type: 'bool', usage: '' },
  { name: 'preserve-fds', type: 'int', usage: '', default: 0 },
  { name: 'env', alias: 'e', type: 'strings', usage: '' },
];

test('single and double dashes, = and separate values', () => {
  const p = parseFlags(['-b', 'x', '--detach', '--preserve-fds=2', '-e', 'A=1', '--env=B=2', 'id'], defs);
  assert.deepEqual(p.flags, { bundle: 'x', detach: true, 'preserve-fds': 2, env: ['A=1', 'B=2'] });
  assert.deepEqual(p.args, ['id']);
});

test('parsing stops at the first positional argument and after --', () => {
  assert.deepEqual(parseFlags(['id', 'sh', '-c', 'ls -l'], defs).args, ['id', 'sh', '-c', 'ls -l']);
  assert.deepEqual(parseFlags(['-d', '--', '-b'], defs).args, ['-b']);
});

test('bool values and errors worded like Go', () => {
  assert.equal(parseFlags(['--detach=false'], defs).flags.detach, false);
  assert.throws(() => parseFlags(['--nope'], defs), /flag provided but not defined: -nope/);
  assert.throws(() => parseFlags(['--bundle'], defs), /flag needs an argument: -bundle/);
  assert.throws(() => parseFlags(['--preserve-fds', 'x'], defs), /invalid value "x" for flag -preserve-fds/);
  assert.throws(() => parseFlags(['--detach=maybe'], defs), /invalid boolean value/);
});

test('defaults apply when a flag is absent; -h is help', () => {
  assert.equal(parseFlags([], defs).flags['preserve-fds'], 0);
  assert.equal(parseFlags(['-h'], defs).flags.help, true);
});
