// Pure parts of ps / update / events: value syntaxes as runc parses them,
// runc's ps filtering, the update merge, the event line format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration, ramInBytes } from '../../src/cli/units.ts';
import { filterPsOutput } from '../../src/container/ps.ts';
import { mergeUpdate } from '../../src/container/update.ts';
import { formatEvent } from '../../src/container/events.ts';
import { resourcesFromFlags } from '../../src/cli/commands/update.ts';
import { parseFlags } from '../../src/cli/flags.ts';
import { command as updateCommand } from '../../src/cli/commands/update.ts';
import { emptyStats } from '../../src/cgroups/stats.ts';

test('ramInBytes: go-units RAMInBytes', () => {
  const K = 1024;
  const cases: [string, number][] = [
    ['0', 0], ['32', 32], ['32b', 32], ['32B', 32], ['32k', 32 * K], ['32K', 32 * K], ['32kb', 32 * K], ['32Kib', 32 * K],
    ['32m', 32 * K * K], ['32MB', 32 * K * K], ['1g', K ** 3], ['1.5g', 1.5 * K ** 3], ['2t', 2 * K ** 4], ['1p', K ** 5],
    ['32 mb', 32 * K * K], ['1.5', 1], ['0.5k', 512],
  ];
  for (const [s, n] of cases) assert.equal(ramInBytes(s), n, s);
  for (const s of ['', 'm', '-1', '1x', ' 1', '1kk', '1.k', 'abc', '1e3']) assert.throws(() => ramInBytes(s), /invalid size/, s);
});

test('parseGoDuration: time.ParseDuration, in ms', () => {
  const cases: [string, number][] = [
    ['5s', 5000], ['0', 0], ['100ms', 100], ['1m30s', 90_000], ['1.5h', 5_400_000], ['250us', 0.25], ['1000ns', 0.001],
    ['-1s', -1000], ['+2s', 2000], ['.5s', 500], ['1µs', 0.001],
  ];
  for (const [s, n] of cases) assert.equal(parseGoDuration(s), n, s);
  for (const s of ['', '5', 's', '1x', '5 s', '.s', '--1s', '1s2']) assert.throws(() => parseGoDuration(s), /invalid duration/, s);
});

const PS_EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 01:31 ?        00:00:01 /sbin/init
root         812       1  0 01:59 ?        00:00:00 sleep 1000
root         813     812  0 01:59 ?        00:00:00 sleep  two  spaces
root        1200       1  0 02:00 pts/0    00:00:00 ps -ef
`;

test('filterPsOutput: header plus the lines whose PID column matches, untouched', () => {
  assert.equal(filterPsOutput(PS_EF, [812, 813, 99999]),
    'UID          PID    PPID  C STIME TTY          TIME CMD\n' +
    'root         812       1  0 01:59 ?        00:00:00 sleep 1000\n' +
    'root         813     812  0 01:59 ?        00:00:00 sleep  two  spaces\n');
  // a pid that only appears in another column (PPID 1) is not matched
  assert.equal(filterPsOutput(PS_EF, [0]), PS_EF.split('\n')[0] + '\n');
  assert.equal(filterPsOutput(PS_EF, null), PS_EF.split('\n')[0] + '\n');
  // PID in another position (ps -o comm,pid)
  assert.equal(filterPsOutput('COMMAND   PID\nsleep     812\nbash      900\n', [812]), 'COMMAND   PID\nsleep     812\n');
  assert.throws(() => filterPsOutput('COMMAND\nsleep\n', [1]), /couldn't find PID field in ps output/);
  assert.throws(() => filterPsOutput('PID CMD\nabc sleep\n', [1]), /unable to parse pid/);
});

test('mergeUpdate: zeros are "unchanged", runc merges only its fields, devices never applied', () => {
  const old = {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 100, swap: 200 },
    cpu: { shares: 300, quota: 40000, period: 100000, cpus: '0' },
    pids: { limit: 30 },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] },
    unified: { 'memory.high': '50000' },
  };
  const frozen = JSON.stringify(old);
  // docker's payload
  const docker = { memory: { limit: 0, reservation: 0, kernel: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, pids: { limit: 100 }, blockIO: { weight: 0 } };
  const { apply, save } = mergeUpdate(old, docker);
  assert.equal(JSON.stringify(old), frozen, 'input untouched');
  assert.deepEqual(save, { ...old, pids: { limit: 100 } });
  assert.equal(apply.devices, undefined);
  assert.equal(apply.unified, undefined, 'unified only as requested now (runc)');
  assert.deepEqual(apply.memory, old.memory);
  assert.deepEqual(apply.blockIO, old.blockIO);
  // new values
  const m2 = mergeUpdate(old, { memory: { limit: -1 }, cpu: { quota: -1, cpus: '', idle: 0, burst: 0 }, blockIO: { weight: 10, leafWeight: 5 }, unified: { 'pids.max': '7' } });
  assert.deepEqual(m2.save.memory, { limit: -1, swap: -1 }, 'memory unlimited without swap: both unlimited');
  assert.deepEqual(m2.save.cpu, { shares: 300, quota: -1, period: 100000, cpus: '0', idle: 0, burst: 0 });
  assert.equal(m2.save.blockIO!.weight, 10);
  assert.equal(m2.save.blockIO!.leafWeight, undefined, 'runc takes only the weight from blockIO');
  assert.deepEqual(m2.save.unified, { 'memory.high': '50000', 'pids.max': '7' });
  assert.deepEqual(m2.apply.unified, { 'pids.max': '7' });
  assert.deepEqual(mergeUpdate(old, { memory: { limit: -1, swap: 300 } }).save.memory, { limit: -1, swap: 300 });
  assert.deepEqual(mergeUpdate(undefined, { pids: { limit: 5 } }).save, { pids: { limit: 5 } });
  assert.deepEqual(mergeUpdate(undefined, { memory: {}, cpu: {}, blockIO: {}, pids: { limit: 0 } }).save, {});
});

test('update flags: parsed as runc parses them', () => {
  const parse = (...argv: string[]) => resourcesFromFlags(parseFlags(argv, updateCommand.flags).flags);
  assert.deepEqual(parse('--memory', '512m', '--memory-swap', '-1', '--memory-reservation', '1k'), {
    memory: { limit: 512 * 1024 * 1024, swap: -1, reservation: 1024 }, cpu: {}, blockIO: {}, pids: { limit: 0 },
  });
  assert.deepEqual(parse('--cpu-quota', '-1', '--cpu-period', '100000', '--cpu-share', '2', '--cpu-rt-period', '1', '--cpu-rt-runtime', '-1',
    '--cpuset-cpus', '0-1', '--cpuset-mems', '0', '--pids-limit', '-1', '--blkio-weight', '300', '--cpu-idle', '1', '--cpu-burst', '0').cpu,
  { quota: -1, period: 100000, shares: 2, realtimePeriod: 1, realtimeRuntime: -1, cpus: '0-1', mems: '0', idle: 1, burst: 0 });
  assert.deepEqual(parse('--pids-limit', '-1', '--blkio-weight', '300').pids, { limit: -1 });
  assert.equal(parse('--blkio-weight', '65836').blockIO!.weight, 300, 'uint16 as Go truncates');
  assert.throws(() => parse('--memory', '1x'), /invalid value for memory: invalid size: '1x'/);
  assert.throws(() => parse('--cpu-period', '-5'), /invalid value for cpu-period: strconv.ParseUint: parsing "-5": invalid syntax/);
  assert.throws(() => parse('--cpu-quota', '1.5'), /invalid value for cpu-quota: strconv.ParseInt/);
  assert.throws(() => parse('--pids-limit', 'x'), /invalid value "x" for flag -pids-limit/);
});

test('formatEvent: runc types.Event lines, unlimited values as Go prints them', () => {
  assert.equal(formatEvent({ type: 'oom', id: 'c1' }), '{"type":"oom","id":"c1"}\n');
  const s = emptyStats();
  s.memory.usage = { limit: 9223372036854771712, usage: 5, failcnt: 0 };
  s.memory.swap = { limit: 18446744073709551615, failcnt: 0 };
  s.memory.raw = { hierarchical_memory_limit: 9223372036854771712 };
  const line = formatEvent({ type: 'stats', id: 'c1', data: s });
  assert.match(line, /^\{"type":"stats","id":"c1","data":\{"cpu":/);
  assert.match(line, /"usage":\{"limit":9223372036854771712,"usage":5,"failcnt":0\}/);
  assert.match(line, /"swap":\{"limit":18446744073709551615,"failcnt":0\}/);
  assert.match(line, /"hierarchical_memory_limit":9223372036854771712/);
  assert.match(line, /"network_interfaces":null\}\}\n$/);
  assert.doesNotThrow(() => JSON.parse(line));
});
