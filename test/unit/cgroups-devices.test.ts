import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeviceEmulator, normalizeDeviceRules, ruleString, type DeviceRule } from '../../src/cgroups/devices.ts';
import {
  BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR,
  OP, decodeProgram, deviceFilterInsns, deviceFilterProgram, encodeProgram, type Insn,
} from '../../src/cgroups/devices-bpf.ts';
import { createCgroupManager } from '../../src/cgroups/index.ts';
import type { LinuxDeviceCgroup } from '../../src/spec/types.ts';
import { fakeHost } from './cgroups-fakefs.ts';

// The default list a container runtime passes (runc's AllowedDevices + deny-all first).
const DEFAULT_RULES: LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // pts
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { allow: true, type: 'c', access: 'm' }, // mknod any char
  { allow: true, type: 'b', access: 'm' }, // mknod any block
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // tun
];

// ------------------------------------------------------------ a small eBPF interpreter

const MASK64 = (1n << 64n) - 1n;
const MASK32 = (1n << 32n) - 1n;

/** Run a program on struct bpf_cgroup_dev_ctx { u32 access_type, major, minor }. */
function runBpf(prog: Insn[], ctx: { accessType: number; major: number; minor: number }): number {
  const mem = Buffer.alloc(12);
  mem.writeUInt32LE(ctx.accessType >>> 0, 0);
  mem.writeUInt32LE(ctx.major >>> 0, 4);
  mem.writeUInt32LE(ctx.minor >>> 0, 8);
  const reg: bigint[] = new Array(11).fill(0n);
  reg[1] = 0x1000n; // ctx pointer
  let pc = 0;
  for (let steps = 0; steps < 100000; steps++) {
    const x = prog[pc];
    assert.ok(x, `pc ${pc} out of range`);
    const cls = x.code & 0x07;
    const imm = BigInt(x.imm) & MASK64; // sign-extended imm as u64
    const src = x.code & 0x08 ? reg[x.src] : imm;
    if (cls === 0x04 || cls === 0x07) {
      // ALU / ALU64
      const is32 = cls === 0x04;
      const a = is32 ? reg[x.dst] & MASK32 : reg[x.dst];
      const b = is32 ? src & MASK32 : src;
      let r: bigint;
      switch (x.code & 0xf0) {
        case 0x00: r = a + b; break;
        case 0x10: r = a - b; break;
        case 0x40: r = a | b; break;
        case 0x50: r = a & b; break;
        case 0x60: r = a << (b & (is32 ? 31n : 63n)); break;
        case 0x70: r = a >> (b & (is32 ? 31n : 63n)); break;
        case 0xb0: r = b; break;
        default: throw new Error(`unsupported ALU op 0x${x.code.toString(16)}`);
      }
      reg[x.dst] = is32 ? r & MASK32 : r & MASK64;
      pc++;
    } else if (cls === 0x01) {
      // LDX MEM
      assert.equal(x.code & 0xe0, 0x60, 'BPF_MEM');
      const addr = Number(reg[x.src] - 0x1000n) + x.off;
      const size = x.code & 0x18;
      assert.equal(size, 0x00, 'only word loads expected');
      assert.ok(addr >= 0 && addr + 4 <= 12 && addr % 4 === 0, `ctx access at ${addr}`);
      reg[x.dst] = BigInt(mem.readUInt32LE(addr));
      pc++;
    } else if (cls === 0x05) {
      const op = x.code & 0xf0;
      if (op === 0x90) return Number(reg[0] & MASK32);
      const a = reg[x.dst];
      let jump: boolean;
      switch (op) {
        case 0x00: jump = true; break;
        case 0x10: jump = a === src; break;
        case 0x50: jump = a !== src; break;
        case 0x20: jump = a > src; break;
        case 0x30: jump = a >= src; break;
        case 0x40: jump = (a & src) !== 0n; break;
        default: throw new Error(`unsupported JMP op 0x${x.code.toString(16)}`);
      }
      pc += 1 + (jump ? x.off : 0);
    } else throw new Error(`unsupported class ${cls}`);
  }
  throw new Error('program did not terminate');
}

const accBits = (a: string): number =>
  (a.includes('r') ? BPF_DEVCG_ACC_READ : 0) | (a.includes('w') ? BPF_DEVCG_ACC_WRITE : 0) | (a.includes('m') ? BPF_DEVCG_ACC_MKNOD : 0);

function bpfAllows(rules: DeviceRule[], type: 'b' | 'c', major: number, minor: number, access: string): boolean {
  const prog = decodeProgram(deviceFilterProgram(rules));
  const accessType = (accBits(access) << 16) | (type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
  return runBpf(prog, { accessType, major, minor }) === 1;
}

// ------------------------------------------------------------ rules & emulator

test('OCI rules are normalised: defaults a / * / rwm', () => {
  const r = normalizeDeviceRules([{ allow: false }, { allow: true, type: 'c', major: 1, minor: 3, access: 'wr' }]);
  assert.deepEqual(r[0], { type: 'a', major: -1, minor: -1, access: 'rwm', allow: false });
  assert.equal(ruleString(r[1]), 'c 1:3 rw');
});

test('emulator: "a" resets, exceptions merge, same-as-default removes bits', () => {
  const e = DeviceEmulator.fromRules(normalizeDeviceRules([
    { allow: false },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'w' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: false, type: 'c', major: 1, minor: 5, access: 'm' },
  ]));
  assert.equal(e.defaultAllow, false);
  assert.deepEqual(e.exceptions().map(ruleString), ['c 1:3 rw', 'c 1:5 rw']);
  assert.ok(e.allows('c', 1, 3, 'rw'));
  assert.ok(!e.allows('c', 1, 3, 'm'));
  assert.ok(!e.allows('c', 1, 5, 'm'));
  assert.ok(!e.allows('b', 8, 0, 'r'));
});

test('v1 transition: from the allow-all default to a white-list, then updates are minimal and non-disruptive', () => {
  const allowAll = DeviceEmulator.fromList('a *:* rwm\n');
  const target = DeviceEmulator.fromRules(normalizeDeviceRules(DEFAULT_RULES));
  const t = allowAll.transition(target).map((r) => `${r.allow ? 'allow' : 'deny'} ${ruleString(r)}`);
  assert.equal(t[0], 'deny a *:* rwm', 'deny everything first');
  assert.equal(t.length, 1 + target.rules.size);
  assert.ok(t.includes('allow c 136:* rwm'));
  // current == target: nothing to write
  const cur = DeviceEmulator.fromList(target.exceptions().map(ruleString).join('\n'));
  assert.deepEqual(cur.transition(target), []);
  // drop /dev/tun, and take write access away from /dev/null
  const next = DeviceEmulator.fromRules(normalizeDeviceRules([
    ...DEFAULT_RULES.filter((r) => r.minor !== 200),
    { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
  ]));
  assert.deepEqual(cur.transition(next).map((r) => `${r.allow ? 'allow' : 'deny'} ${ruleString(r)}`), ['deny c 1:3 w', 'deny c 10:200 rwm']);
});

test('v1 devices through the manager: kernel-like fake ends with exactly the configured list', () => {
  const h = fakeHost('v1');
  const m = createCgroupManager({ id: 'c', cgroupsPath: 'x' }, { fs: h.fs, layout: h.layout });
  m.create();
  h.fs.writes = [];
  m.set({ devices: DEFAULT_RULES });
  const dir = m.state.paths.devices;
  const w = h.fs.writesIn(dir);
  assert.equal(w[0], 'devices.deny=a *:* rwm');
  assert.ok(w.includes('devices.allow=c 5:2 rwm'));
  const list = h.fs.readFile(`${dir}/devices.list`);
  assert.ok(!list.includes('a *:*'));
  assert.ok(list.includes('c *:* m') && list.includes('b *:* m'));
  // re-applying is a no-op (no disruptive deny-all on update)
  h.fs.writes = [];
  m.set({ devices: DEFAULT_RULES }, { update: true });
  assert.deepEqual(h.fs.writes, []);
  // allow-all config
  m.set({ devices: [{ allow: true, access: 'rwm' }] });
  assert.equal(h.fs.readFile(`${dir}/devices.list`), 'a *:* rwm\n');
});

// ------------------------------------------------------------ BPF

test('bpf: encoding of struct bpf_insn (little and big endian) round-trips', () => {
  const insns = deviceFilterInsns(normalizeDeviceRules(DEFAULT_RULES));
  const le = encodeProgram(insns, 'LE');
  assert.equal(le.length, insns.length * 8);
  assert.deepEqual(decodeProgram(le, 'LE'), insns);
  assert.deepEqual(decodeProgram(encodeProgram(insns, 'BE'), 'BE'), insns);
  // r2 = *(u32 *)(r1 + 0): code 0x61, dst 2 | src 1 << 4
  assert.deepEqual([...le.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0]);
  // ends with r0 = 0; exit (deny by default)
  assert.deepEqual(insns.slice(-2).map((i) => [i.code, i.imm]), [[OP.MOV32_K, 0], [OP.EXIT, 0]]);
});

test('bpf: jumps stay inside the program and every path exits', () => {
  const insns = deviceFilterInsns(normalizeDeviceRules(DEFAULT_RULES));
  insns.forEach((x, i) => {
    if ((x.code & 0x07) === 0x05 && x.code !== OP.EXIT) {
      const t = i + 1 + x.off;
      assert.ok(x.off >= 0 && t < insns.length, `insn ${i} jumps to ${t}`);
    }
  });
  assert.equal(insns.at(-1)!.code, OP.EXIT);
});

test('bpf: the default device list', () => {
  const rules = normalizeDeviceRules(DEFAULT_RULES);
  assert.ok(bpfAllows(rules, 'c', 1, 3, 'rw'), '/dev/null');
  assert.ok(bpfAllows(rules, 'c', 136, 7, 'rw'), '/dev/pts/7');
  assert.ok(bpfAllows(rules, 'c', 10, 200, 'rwm'), '/dev/net/tun');
  assert.ok(bpfAllows(rules, 'b', 8, 0, 'm'), 'mknod of a block device');
  assert.ok(!bpfAllows(rules, 'b', 8, 0, 'r'), 'read /dev/sda');
  assert.ok(!bpfAllows(rules, 'c', 1, 1, 'r'), '/dev/mem');
  assert.ok(!bpfAllows(rules, 'c', 10, 229, 'rw'), '/dev/fuse');
});

test('bpf: allow-all and deny-all programs', () => {
  assert.ok(bpfAllows(normalizeDeviceRules([{ allow: true }]), 'b', 8, 0, 'rwm'));
  assert.ok(!bpfAllows(normalizeDeviceRules([{ allow: false }]), 'c', 1, 3, 'r'));
  // black-list: everything but /dev/sda writes
  const bl = normalizeDeviceRules([{ allow: true }, { allow: false, type: 'b', major: 8, minor: 0, access: 'w' }]);
  assert.ok(!bpfAllows(bl, 'b', 8, 0, 'w'));
  assert.ok(!bpfAllows(bl, 'b', 8, 0, 'rw'));
  assert.ok(bpfAllows(bl, 'b', 8, 0, 'r'));
  assert.ok(bpfAllows(bl, 'b', 8, 1, 'w'));
});

test('bpf program agrees with the emulator on random rule lists (property)', () => {
  const small = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 4 }));
  const access = fc.subarray(['r', 'w', 'm'], { minLength: 1 }).map((a) => a.join(''));
  const rule = fc.record({
    allow: fc.boolean(),
    type: fc.constantFrom('a', 'b', 'c'),
    major: small,
    minor: small,
    access,
  });
  const req = fc.record({ type: fc.constantFrom('b' as const, 'c' as const), major: fc.integer({ min: 0, max: 4 }), minor: fc.integer({ min: 0, max: 4 }), access });
  fc.assert(
    fc.property(fc.array(rule, { maxLength: 12 }), fc.array(req, { minLength: 1, maxLength: 20 }), (raw, reqs) => {
      const rules = normalizeDeviceRules(raw as LinuxDeviceCgroup[]);
      const emu = DeviceEmulator.fromRules(rules);
      const prog = decodeProgram(deviceFilterProgram(rules));
      for (const q of reqs) {
        const at = (accBits(q.access) << 16) | (q.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
        const got = runBpf(prog, { accessType: at, major: q.major, minor: q.minor }) === 1;
        if (got !== emu.allows(q.type, q.major, q.minor, q.access)) return false;
      }
      return true;
    }),
    { numRuns: 500 },
  );
});

test('v2 devices through the manager: the program goes to the addon with the cgroup dir', () => {
  const h = fakeHost('v2');
  const calls: [string | number, Buffer, string][] = [];
  const m = createCgroupManager({ id: 'c', cgroupsPath: '/skiff/c' }, {
    fs: h.fs, layout: h.layout,
    addon: () => ({ bpfDeviceProgAttach: (cg: string | number, prog: Buffer, lic: string) => void calls.push([cg, prog, lic]) }),
  });
  m.create();
  m.set({ devices: DEFAULT_RULES });
  assert.equal(calls.length, 1);
  assert.equal(calls[0][0], '/sys/fs/cgroup/skiff/c');
  assert.deepEqual(calls[0][1], deviceFilterProgram(normalizeDeviceRules(DEFAULT_RULES)));
  assert.equal(calls[0][2], 'Apache');
  const bare = createCgroupManager({ id: 'c', cgroupsPath: '/skiff/d' }, { fs: h.fs, layout: h.layout, addon: () => ({}) });
  bare.create();
  assert.throws(() => bare.set({ devices: DEFAULT_RULES }), /eBPF support of the native addon/);
});
