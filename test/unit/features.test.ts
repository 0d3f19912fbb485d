// `skiff features` / features(): a runtime-spec features.md document that is
// truthful, i.e. everything it lists is accepted by the code that applies it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { features } from '../../src/features.ts';
import { parseMountOptions } from '../../src/config/mount-options.ts';
import { compileSeccomp } from '../../src/seccomp/compile.ts';
import { CAPABILITIES, isKnownCapability } from '../../src/spec/capabilities.ts';
import { validateSpec } from '../../src/spec/validate.ts';
import type { LinuxSeccomp, Spec } from '../../src/spec/types.ts';

const f = features();

describe('features', () => {
  test('the document has the features.md shape', () => {
    assert.equal(f.ociVersionMin, '1.0.0');
    assert.match(f.ociVersionMax, /^1\.\d+\.\d+$/);
    assert.deepEqual(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    for (const k of ['namespaces', 'capabilities', 'cgroup', 'seccomp', 'apparmor', 'selinux', 'intelRdt', 'mountExtensions']) assert.ok(k in f.linux!, k);
    assert.equal(typeof f.annotations?.['org.skiff.version'], 'string');
  });

  test('every mount option is one skiff parses into flags (none passed on as fs data or refused)', () => {
    for (const o of f.mountOptions!) {
      const p = parseMountOptions([o]);
      assert.deepEqual(p.data, [], o);
      assert.deepEqual(p.unsupported, [], o);
    }
    for (const o of ['ro', 'rw', 'bind', 'rbind', 'nosuid', 'nodev', 'noexec', 'rprivate', 'rslave', 'relatime', 'strictatime']) assert.ok(f.mountOptions!.includes(o), o);
  });

  test('every capability is known', () => {
    assert.deepEqual(f.linux!.capabilities, [...CAPABILITIES]);
    for (const c of f.linux!.capabilities!) assert.ok(isKnownCapability(c), c);
  });

  test('every namespace is accepted by the validator', () => {
    for (const type of f.linux!.namespaces!) {
      const s: Spec = { ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { cwd: '/', args: ['true'], user: { uid: 0, gid: 0 } }, linux: { namespaces: [{ type }] } };
      if (type !== 'user' && type !== 'time') assert.doesNotThrow(() => validateSpec(s), type);
    }
  });

  test('every seccomp action, operator, arch and supported flag compiles', () => {
    const sc = f.linux!.seccomp!;
    assert.equal(sc.enabled, true);
    for (const action of sc.actions!) {
      if (action === 'SCMP_ACT_NOTIFY') continue; // needs a listener; compiled in the seccomp tests
      const p: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: action as LinuxSeccomp['defaultAction'] }] };
      assert.doesNotThrow(() => compileSeccomp(p), action);
    }
    for (const op of sc.operators!) {
      const p: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, valueTwo: 8, op: op as never }] }] };
      assert.doesNotThrow(() => compileSeccomp(p), op);
    }
    assert.deepEqual(sc.archs, ['SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64']);
    assert.doesNotThrow(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: sc.archs as never, syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO' }] }));
    for (const fl of sc.supportedFlags!) assert.ok(sc.knownFlags!.includes(fl), fl);
  });

  test('what skiff does not implement is reported as such', () => {
    assert.equal(f.linux!.cgroup!.systemd, false);
    assert.equal(f.linux!.intelRdt!.enabled, false);
    assert.equal(f.linux!.mountExtensions!.idmap!.enabled, false);
  });
});
