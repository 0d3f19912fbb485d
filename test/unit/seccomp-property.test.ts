// fast-check: random profiles x random seccomp_data -> compiled program run by
// the interpreter must give the reference evaluator's verdict.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkProgram, compileSeccomp, disassemble, retName, runFilter } from '../../src/seccomp/index.ts';
import { accumulatorProblem, reference } from './seccomp-reference.ts';
import { dataArb, profileArb } from './seccomp-arbitraries.ts';

test('property: compiled program == reference evaluator on random profiles', () => {
  let checks = 0;
  fc.assert(
    fc.property(
      profileArb().chain((cfg) => fc.tuple(fc.constant(cfg), fc.array(dataArb(cfg), { minLength: 30, maxLength: 30 }), fc.boolean(), fc.constantFrom('x86_64', 'x86_64', 'x86', 'x32') as fc.Arbitrary<'x86_64' | 'x86' | 'x32'>)),
      ([cfg, datas, enosysStub, nativeArch]) => {
        const c = compileSeccomp(cfg, { enosysStub, nativeArch });
        assert.equal(checkProgram(c.program), null);
        assert.equal(c.comments.length, c.insns);
        for (const d of datas) {
          const want = reference(cfg, d, { enosysStub, nativeArch }).verdict;
          const got = runFilter(c.program, d);
          checks++;
          if (got !== want) {
            assert.fail(`arch=${d.arch.toString(16)} nr=${d.nr} args=${d.args.join(',')}: got ${retName(got)}, want ${retName(want)}\n${disassemble(c.program, c.comments)}`);
          }
        }
      },
    ),
    { numRuns: 600 },
  );
  assert.ok(checks >= 12000);
});

test('property: compiling is deterministic and never produces an invalid program', () => {
  fc.assert(
    fc.property(profileArb(), (cfg) => {
      const a = compileSeccomp(cfg);
      const b = compileSeccomp(structuredClone(cfg));
      assert.ok(a.program.equals(b.program));
      assert.equal(checkProgram(a.program), null);
      assert.equal(accumulatorProblem(a.program), null);
      assert.ok(a.insns <= 4096);
    }),
    { numRuns: 200 },
  );
});
