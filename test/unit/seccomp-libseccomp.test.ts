// Differential test against libseccomp: the same profile is built with
// libseccomp the way runc does it (test/fixtures/seccomp/lsc-harness.c,
// compiled here with `gcc ... -lseccomp`), its BPF is exported with
// seccomp_export_bpf() and run through our interpreter next to our program.
// Needs gcc and libseccomp-dev (Debian packages: gcc, libseccomp-dev); skips
// with the reason otherwise.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import type { LinuxSeccomp } from '../../src/spec/types.ts';
import { compileSeccomp, retName, runFilter, checkProgram, syscallTable } from '../../src/seccomp/index.ts';
import { AUDIT_I386, AUDIT_X86_64, X32_BIT, accumulatorProblem, actionValue, loadClientProfile, reference } from './seccomp-reference.ts';
import type { Data } from './seccomp-reference.ts';
import { dataArb, profileArb } from './seccomp-arbitraries.ts';

const HARNESS = resolve(__dirname, '../fixtures/seccomp/lsc-harness.c');
let dir = '';
let bin = '';
let skipReason: string | false = false;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-seccomp-'));
  bin = join(dir, 'lsc-harness');
  const r = spawnSync('gcc', ['-O1', '-o', bin, HARNESS, '-lseccomp'], { encoding: 'utf8' });
  if (r.error) skipReason = `gcc not available (${r.error.message}); install the Debian packages gcc and libseccomp-dev`;
  else if (r.status !== 0) skipReason = `cannot build the libseccomp harness (install libseccomp-dev): ${r.stderr.trim().split('\n')[0]}`;
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const OPNUM: Record<string, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};
const ARCH: Record<string, string> = { SCMP_ARCH_X86_64: 'x86_64', SCMP_ARCH_X86: 'x86', SCMP_ARCH_X32: 'x32' };

function u64(v: unknown): string {
  const b = BigInt(v as bigint);
  return String(b === 1n << 64n ? b - 1n : b);
}

let seq = 0;
/** Build `cfg` with libseccomp; null when libseccomp refuses a rule (e.g. EEXIST on conflicting rules). */
function libseccomp(cfg: LinuxSeccomp, optimize = 0): Buffer | null {
  const lines = [`default ${actionValue(cfg.defaultAction, cfg.defaultErrnoRet)}`];
  for (const a of cfg.architectures ?? []) if (ARCH[a]) lines.push(`arch ${ARCH[a]}`);
  if (optimize) lines.push(`optimize ${optimize}`);
  for (const r of cfg.syscalls ?? []) {
    const act = actionValue(r.action, r.errnoRet);
    const conds = (r.args ?? []).map((a) => `${a.index} ${OPNUM[a.op]} ${u64(a.value)} ${u64(a.valueTwo ?? 0)}`);
    for (const n of r.names) lines.push(`rule ${act} ${n} ${conds.length} ${conds.join(' ')}`.trimEnd());
  }
  const n = seq++;
  const prof = join(dir, `p${n}.txt`);
  const out = join(dir, `p${n}.bpf`);
  writeFileSync(prof, lines.join('\n') + '\n');
  const stdout = execFileSync(bin, [prof, out], { encoding: 'utf8' });
  if (/^fail /m.test(stdout)) return null;
  return readFileSync(out);
}

interface Stats { checked: number; ambiguous: number; ambiguousAgree: number }

/** Compare verdicts; with `tolerate`, return false on the first difference instead of failing. */
function compare(cfg: LinuxSeccomp, inputs: Data[], lsc: Buffer, stats: Stats, tolerate = false): boolean {
  const mine = compileSeccomp(cfg, { enosysStub: false });
  for (const d of inputs) {
    const ref = reference(cfg, d, { enosysStub: false });
    const ours = runFilter(mine.program, d);
    const theirs = runFilter(lsc, d);
    assert.equal(ours, ref.verdict, 'our program disagrees with the reference');
    if (ref.ambiguous) {
      stats.ambiguous++;
      if (theirs === ours) stats.ambiguousAgree++;
      continue;
    }
    stats.checked++;
    if (ours !== theirs && tolerate) return false;
    if (ours !== theirs) {
      assert.fail(`libseccomp differs: arch=${d.arch.toString(16)} nr=${d.nr} args=${d.args.join(',')}: ours ${retName(ours)}, libseccomp ${retName(theirs)}\nprofile: ${JSON.stringify(cfg, (_k, v) => typeof v === 'bigint' ? String(v) : v)}`);
    }
  }
  return true;
}

function sweepInputs(): Data[] {
  const inputs: Data[] = [];
  const argsets = [[0n, 0n, 0n], [8n, 1n, 9n], [16n, 0n, 9n], [16n, 0n, 0n], [0x10000000n, 0n, 0n], [0xffffffffn, 0n, 0n], [0x100000000n, 0n, 9n], [0xffffffffffffffffn, 2n, 3n], [1n, 0n, 0n]];
  for (let nr = 0; nr < 560; nr++) for (const args of argsets) {
    inputs.push({ nr, arch: AUDIT_X86_64, args }, { nr: nr | X32_BIT, arch: AUDIT_X86_64, args }, { nr, arch: AUDIT_I386, args });
  }
  for (const nr of [0xffffffff, 0x80000000, 0xc0000000, 0x3fffffff, 0x7fffffff]) {
    for (const arch of [AUDIT_X86_64, AUDIT_I386, 0xc00000b7]) inputs.push({ nr, arch, args: [] });
  }
  return inputs;
}

for (const client of ['docker', 'podman'] as const) {
  test(`libseccomp differential: ${client} default profile`, (t) => {
    if (skipReason) return t.skip(skipReason);
    const cfg = loadClientProfile(client);
    if (!cfg) return t.skip(`../shared/clients/config-${client}.json not found`);
    const stats: Stats = { checked: 0, ambiguous: 0, ambiguousAgree: 0 };
    const lsc0 = libseccomp(cfg, 0);
    const lsc2 = libseccomp(cfg, 2); // runc enables the binary tree for > 32 rules
    assert.ok(lsc0 && lsc2, 'libseccomp accepts the profile');
    assert.equal(accumulatorProblem(lsc0), null);
    assert.equal(accumulatorProblem(lsc2), null);
    const inputs = sweepInputs();
    compare(cfg, inputs, lsc0, stats);
    compare(cfg, inputs, lsc2, stats);
    assert.equal(stats.ambiguous, 0);
    const ours = compileSeccomp(cfg);
    const oursNoStub = compileSeccomp(cfg, { enosysStub: false });
    t.diagnostic(`${client}: instructions: skiff ${ours.insns} (${oursNoStub.insns} without runc's ENOSYS stub), ` +
      `libseccomp ${lsc0.length / 8} (linear) / ${lsc2.length / 8} (binary tree, as runc uses it; runc then prepends its ENOSYS stub)`);
    t.diagnostic(`${client}: ${stats.checked} verdicts compared`);
  });
}

test('libseccomp differential: random profiles', (t) => {
  if (skipReason) return t.skip(skipReason);
  const seed = Number(process.env.SECCOMP_DIFF_SEED ?? 20240601);
  // distinct argument indexes per rule: libseccomp cannot express two tests on one argument
  // (runc then splits the rule into an OR of single tests; skiff ANDs them)
  const profiles = fc.sample(profileArb({ distinctArgs: true }).chain((cfg) => fc.tuple(fc.constant(cfg), fc.array(dataArb(cfg), { minLength: 60, maxLength: 60 }), fc.boolean())), { numRuns: 250, seed });
  const stats: Stats = { checked: 0, ambiguous: 0, ambiguousAgree: 0 };
  let refused = 0;
  let miscompiled = 0;
  for (const [cfg, inputs, optimize] of profiles) {
    const lsc = libseccomp(cfg, optimize ? 2 : 0);
    if (lsc === null) { refused++; continue; }
    assert.equal(checkProgram(lsc), null);
    // libseccomp 2.5.4 sometimes shares a comparison block between paths that
    // loaded different words (or drops a section's `ld [0]`), so it tests the
    // wrong value. A difference is tolerated (and counted) only for programs
    // where that provably happens.
    const confused = accumulatorProblem(lsc) !== null;
    if (!compare(cfg, inputs, lsc, stats, confused)) miscompiled++;
  }
  t.diagnostic(`seed ${seed}: ${profiles.length} profiles, ${refused} refused by libseccomp (conflicting rules, EEXIST), ` +
    `${miscompiled} differed where libseccomp compares an ambiguous accumulator (its bug), ${stats.checked} verdicts identical; ${stats.ambiguous} inputs matched conflicting argument rules ` +
    `(skiff: first rule in config order; libseccomp agreed on ${stats.ambiguousAgree})`);
  assert.ok(stats.checked > 5000, `only ${stats.checked} comparisons`);
});

test('syscall tables agree with libseccomp where both know a name', (t) => {
  if (skipReason) return t.skip(skipReason);
  for (const [abi, lscArch] of [['x86_64', 'x86_64'], ['x86', 'x86'], ['x32', 'x32']] as const) {
    const table = syscallTable(abi);
    const out = execFileSync(bin, ['--resolve', lscArch], { input: [...table.keys()].join('\n'), encoding: 'utf8' });
    let same = 0;
    const unknown: string[] = [];
    for (const line of out.trim().split('\n')) {
      const [name, num] = line.split(' ');
      const n = Number(num);
      if (n === -1) { unknown.push(name); continue; } // newer than this libseccomp
      if (n < 0) continue; // pseudo number (i386 socketcall/ipc family)
      assert.equal(table.get(name), n >>> 0, `${abi} ${name}`);
      same++;
    }
    t.diagnostic(`${abi}: ${same} numbers identical; unknown to libseccomp: ${unknown.join(' ') || 'none'}`);
    assert.ok(same > 300);
  }
});
