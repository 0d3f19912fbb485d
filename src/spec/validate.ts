// Validation of an already JSON-parsed config.json (and exec's process.json)
// against the OCI runtime spec 1.2 (config.md, config-linux.md) and the checks
// runc 1.1 performs in specconv / libcontainer/configs/validate.
//
// Design:
// - Hand-written checks with a few tiny helpers; no schema library, no
//   recursion over user data (the walk follows the spec's fixed shape), so
//   deep nesting, giant arrays and odd numbers can only produce a SpecError.
// - The first error is thrown as a SpecError naming the field by JSON pointer
//   ("/process/user/uid: expected a non-negative integer, got -1"). Problems
//   runc only warns about are returned as warnings ("<pointer>: <message>");
//   with `strict` every warning is an error instead.
// - Unknown properties are ignored (config.md "Extensibility").
// - `null` for an OPTIONAL field means "absent", as Go's encoding/json (and so
//   runc) reads it; such keys are deleted from the input, which is validated
//   in place and returned as `spec` (no copy: this runs on every create).
// - Numbers: JSON.parse yields doubles. Integer fields must be integers in the
//   field's range. int64/uint64 fields accept values up to 2^63 / 2^64 as
//   doubles (18446744073709551615 parses to 2^64 and means "unlimited" for
//   rlimits; use rlimitValue() for the exact value). Values above 2^53 are
//   accepted but are not exact.
//
// Host-dependent runc checks are NOT done here (they need the filesystem or
// the kernel): rootfs existence (load.ts does it), selinux enabled, whether a
// joined netns is the host's (for net.* sysctls), kernel support for a
// namespace, Intel RDT availability, cgroup v1/v2 specifics.

import { SpecError } from '../errors.ts';
import { isKnownCapability } from './capabilities.ts';
import { rlimitNumber } from './rlimits.ts';
import type { Process, Spec } from './types.ts';

export interface ValidateOptions {
  /** Turn every warning into an error (unknown capabilities, relative mount destinations, …). */
  strict?: boolean;
  /**
   * The config will be used to create a container: `process` is required
   * (runc: "process property must not be empty"). Default: true. Pass false
   * to check a config that will not be run (e.g. a template).
   */
  forCreate?: boolean;
}

export interface ValidateResult {
  spec: Spec;
  warnings: string[];
}

type Rec = Record<string, unknown>;

interface Ctx {
  strict: boolean;
  warnings: string[];
}

// ---------------------------------------------------------------- helpers

const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;
const HAS_CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;
const escControl = (s: string): string => s.replace(CONTROL, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));

/** A pointer as shown in messages: control characters escaped, huge keys cut (err.pointer stays exact). */
function showPointer(pointer: string): string {
  let s = HAS_CONTROL.test(pointer) ? escControl(pointer) : pointer;
  if (s.length > 256) s = s.slice(0, 256) + '…';
  return s;
}

function fail(pointer: string, message: string): never {
  const e = new SpecError(pointer, message);
  const shown = showPointer(pointer);
  if (shown !== pointer) e.message = `${shown}: ${message}`; // keep it on one short line
  throw e;
}

function warn(c: Ctx, pointer: string, message: string): void {
  if (c.strict) fail(pointer, message);
  c.warnings.push(`${pointer === '' ? 'config' : showPointer(pointer)}: ${message}`);
}

/** RFC 6901 token escaping, only for keys that come from the document (map keys). */
function tok(k: string): string {
  return k.indexOf('~') < 0 && k.indexOf('/') < 0 ? k : k.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObj(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short description of a value for error messages ("got ..."). */
function desc(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return `string ${quote(v)}`;
    case 'number':
    case 'boolean':
      return String(v);
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

/** JSON-quote a string for a message, truncated to keep messages on one short line. */
function quote(s: string): string {
  const t = s.length > 64 ? s.slice(0, 64) : s;
  return escControl(JSON.stringify(t)) + (s.length > 64 ? '…' : '');
}

/** Read o[k]; null is treated as absent and removed. */
function get(o: Rec, k: string): unknown {
  const v = o[k];
  if (v === null) {
    delete o[k];
    return undefined;
  }
  return v;
}

function required(p: string, k: string): never {
  return fail(`${p}/${k}`, 'is required');
}

function optObj(o: Rec, k: string, p: string): Rec | undefined {
  const v = get(o, k);
  if (v === undefined) return undefined;
  if (!isObj(v)) fail(`${p}/${k}`, `expected an object, got ${desc(v)}`);
  return v;
}

function reqObj(o: Rec, k: string, p: string): Rec {
  return optObj(o, k, p) ?? required(p, k);
}

function optStr(o: Rec, k: string, p: string): string | undefined {
  const v = get(o, k);
  if (v === undefined || typeof v === 'string') return v;
  return fail(`${p}/${k}`, `expected a string, got ${desc(v)}`);
}

function reqStr(o: Rec, k: string, p: string): string {
  const v = optStr(o, k, p);
  return v === undefined ? required(p, k) : v;
}

function optBool(o: Rec, k: string, p: string): boolean | undefined {
  const v = get(o, k);
  if (v === undefined || typeof v === 'boolean') return v;
  return fail(`${p}/${k}`, `expected a boolean, got ${desc(v)}`);
}

function optArr(o: Rec, k: string, p: string): unknown[] | undefined {
  const v = get(o, k);
  if (v === undefined || Array.isArray(v)) return v;
  return fail(`${p}/${k}`, `expected an array, got ${desc(v)}`);
}

/** An array of strings; `check` (optional) runs on each element with its pointer built lazily. */
function optStrArr(o: Rec, k: string, p: string, check?: (s: string, i: number, ap: string) => void): string[] | undefined {
  const a = optArr(o, k, p);
  if (a === undefined) return undefined;
  const ap = `${p}/${k}`;
  for (let i = 0; i < a.length; i++) {
    const s = a[i];
    if (typeof s !== 'string') fail(`${ap}/${i}`, `expected a string, got ${desc(s)}`);
    if (check) check(s, i, ap);
  }
  return a as string[];
}

// Integer kinds. Bounds for 64-bit kinds are doubles (2^63, 2^64): the
// largest values a JSON number of that type can round to.
const K = { u16: 0, u32: 1, i32: 2, i64: 3, u64: 4 } as const;
type K = (typeof K)[keyof typeof K];
const MIN = [0, 0, -2147483648, -9223372036854775808, 0];
const MAX = [65535, 4294967295, 2147483647, 9223372036854775808, 18446744073709551616];
const KNAME = ['uint16', 'uint32', 'int32', 'int64', 'uint64'];

function intErr(pointer: string, kind: K, v: unknown): never {
  const unsigned = MIN[kind] === 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || (unsigned && v < 0)) {
    fail(pointer, `expected ${unsigned ? 'a non-negative integer' : 'an integer'}, got ${desc(v)}`);
  }
  const lo = kind === K.i64 ? '-9223372036854775808' : String(MIN[kind]);
  const hi = kind === K.i64 ? '9223372036854775807' : kind === K.u64 ? '18446744073709551615' : String(MAX[kind]);
  return fail(pointer, `expected an integer between ${lo} and ${hi} (${KNAME[kind]}), got ${desc(v)}`);
}

function checkInt(v: unknown, kind: K, pointer: () => string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= MIN[kind] && v <= MAX[kind]) return v;
  return intErr(pointer(), kind, v);
}

function optInt(o: Rec, k: string, p: string, kind: K): number | undefined {
  const v = get(o, k);
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= MIN[kind] && v <= MAX[kind]) return v;
  return intErr(`${p}/${k}`, kind, v);
}

function reqInt(o: Rec, k: string, p: string, kind: K): number {
  const v = optInt(o, k, p, kind);
  return v === undefined ? required(p, k) : v;
}

function optIntArr(o: Rec, k: string, p: string, kind: K): void {
  const a = optArr(o, k, p);
  if (a === undefined) return;
  for (let i = 0; i < a.length; i++) checkInt(a[i], kind, () => `${p}/${k}/${i}`);
}

function noNul(s: string, pointer: string): void {
  if (s.indexOf('\0') >= 0) fail(pointer, 'must not contain a NUL byte');
}

function absPath(s: string, pointer: string, what = 'an absolute path'): void {
  if (s.charCodeAt(0) !== 47 /* / */) fail(pointer, `must be ${what}, got ${quote(s)}`);
  noNul(s, pointer);
}

function oneOf(s: string | undefined, allowed: ReadonlySet<string>, pointer: string, what: string): void {
  if (s !== undefined && !allowed.has(s)) fail(pointer, `unknown ${what} ${quote(s)} (expected one of: ${[...allowed].filter((x) => x !== '').join(', ')})`);
}

/** Iterate a string→string map (annotations, sysctl, unified). */
function strMap(o: Rec, k: string, p: string, check?: (key: string, val: string, kp: string) => void): Rec | undefined {
  const m = optObj(o, k, p);
  if (m === undefined) return undefined;
  for (const key of Object.keys(m)) {
    const v = m[key];
    if (typeof v !== 'string') fail(`${p}/${k}/${tok(key)}`, `expected a string, got ${desc(v)}`);
    if (check) check(key, v, `${p}/${k}/${tok(key)}`);
  }
  return m;
}

// ---------------------------------------------------------------- tables

export const NAMESPACE_TYPES: ReadonlySet<string> = new Set(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']);
const ROOTFS_PROPAGATION = new Set(['', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable']);
const DEVICE_TYPES = new Set(['c', 'b', 'u', 'p']);
const CGROUP_DEVICE_TYPES = new Set(['a', 'b', 'c']);
const PERSONALITY_DOMAINS = new Set(['LINUX', 'LINUX32']);
const HOOK_NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
const CAP_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;
const SCHED_POLICIES = new Set(['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE']);
const SCHED_FLAGS = new Set([
  'SCHED_FLAG_RESET_ON_FORK',
  'SCHED_FLAG_RECLAIM',
  'SCHED_FLAG_DL_OVERRUN',
  'SCHED_FLAG_KEEP_POLICY',
  'SCHED_FLAG_KEEP_PARAMS',
  'SCHED_FLAG_UTIL_CLAMP_MIN',
  'SCHED_FLAG_UTIL_CLAMP_MAX',
]);
const IOPRIO_CLASSES = new Set(['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE']);
const TIME_CLOCKS = new Set(['boottime', 'monotonic']);
export const SECCOMP_ACTIONS: ReadonlySet<string> = new Set([
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
]);
export const SECCOMP_OPERATORS: ReadonlySet<string> = new Set([
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
]);
export const SECCOMP_ARCHES: ReadonlySet<string> = new Set([
  'SCMP_ARCH_NATIVE',
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
  // newer libseccomp names, not in the 1.2 schema; the compiler decides what it supports
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
]);
// sysctls namespaced by the IPC namespace (runc validator.go), plus fs.mqueue.*.
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const HOST_NAME_MAX = 64;
/** Kernel limit on lines in uid_map/gid_map (Linux >= 4.15). */
const MAX_ID_MAPPINGS = 340;

// ---------------------------------------------------------------- process

function validateUser(c: Ctx, proc: Rec, p: string): void {
  const u = reqObj(proc, 'user', p);
  const up = `${p}/user`;
  reqInt(u, 'uid', up, K.u32);
  reqInt(u, 'gid', up, K.u32);
  const umask = optInt(u, 'umask', up, K.u32);
  if (umask !== undefined && umask > 0o777) fail(`${up}/umask`, `expected an integer between 0 and 511 (0o777), got ${umask}`);
  optIntArr(u, 'additionalGids', up, K.u32);
  optStr(u, 'username', up);
  void c;
}

function checkEnv(s: string, i: number, ap: string): void {
  const eq = s.indexOf('=');
  if (eq < 0) fail(`${ap}/${i}`, `invalid environment variable ${quote(s)}: missing "="`);
  if (eq === 0) fail(`${ap}/${i}`, `invalid environment variable ${quote(s)}: empty name`);
  if (s.indexOf('\0') >= 0) fail(`${ap}/${i}`, `invalid environment variable ${quote(s)}: contains a NUL byte`);
}

function checkArg(s: string, i: number, ap: string): void {
  if (s.indexOf('\0') >= 0) fail(`${ap}/${i}`, 'must not contain a NUL byte');
}

function validateCapabilities(c: Ctx, proc: Rec, p: string): void {
  const caps = optObj(proc, 'capabilities', p);
  if (caps === undefined) return;
  const cp = `${p}/capabilities`;
  for (const set of CAP_SETS) {
    optStrArr(caps, set, cp, (name, i, ap) => {
      if (!isKnownCapability(name)) warn(c, `${ap}/${i}`, `unknown capability ${quote(name)}${c.strict ? '' : ' (ignored)'}`);
    });
  }
}

function validateRlimits(proc: Rec, p: string): void {
  const rl = optArr(proc, 'rlimits', p);
  if (rl === undefined) return;
  const seen = new Set<string>();
  for (let i = 0; i < rl.length; i++) {
    const ip = `${p}/rlimits/${i}`;
    const r = rl[i];
    if (!isObj(r)) fail(ip, `expected an object, got ${desc(r)}`);
    const type = reqStr(r, 'type', ip);
    if (rlimitNumber(type) === undefined) fail(`${ip}/type`, `unknown rlimit type ${quote(type)}`);
    if (seen.has(type)) fail(`${ip}/type`, `duplicate rlimit type ${quote(type)}`);
    seen.add(type);
    const soft = reqInt(r, 'soft', ip, K.u64);
    const hard = reqInt(r, 'hard', ip, K.u64);
    if (soft > hard) fail(`${ip}/soft`, `soft limit ${soft} exceeds hard limit ${hard}`);
  }
}

function validateScheduler(proc: Rec, p: string): void {
  const s = optObj(proc, 'scheduler', p);
  if (s === undefined) return;
  const sp = `${p}/scheduler`;
  oneOf(reqStr(s, 'policy', sp), SCHED_POLICIES, `${sp}/policy`, 'scheduler policy');
  optInt(s, 'nice', sp, K.i32);
  optInt(s, 'priority', sp, K.i32);
  optStrArr(s, 'flags', sp, (f, i, ap) => oneOf(f, SCHED_FLAGS, `${ap}/${i}`, 'scheduler flag'));
  optInt(s, 'runtime', sp, K.u64);
  optInt(s, 'deadline', sp, K.u64);
  optInt(s, 'period', sp, K.u64);
}

function validateProcessObject(c: Ctx, proc: Rec, p: string): void {
  optBool(proc, 'terminal', p);
  const cs = optObj(proc, 'consoleSize', p);
  if (cs !== undefined) {
    reqInt(cs, 'height', `${p}/consoleSize`, K.u64);
    reqInt(cs, 'width', `${p}/consoleSize`, K.u64);
  }
  validateUser(c, proc, p);

  const args = optStrArr(proc, 'args', p, checkArg);
  const commandLine = optStr(proc, 'commandLine', p);
  if ((args === undefined || args.length === 0) && commandLine === undefined) fail(`${p}/args`, 'must not be empty');
  optStrArr(proc, 'env', p, checkEnv);

  const cwd = optStr(proc, 'cwd', p);
  if (cwd === undefined || cwd === '') fail(`${p}/cwd`, 'is required');
  absPath(cwd, `${p}/cwd`);

  validateCapabilities(c, proc, p);
  validateRlimits(proc, p);
  optBool(proc, 'noNewPrivileges', p);
  optStr(proc, 'apparmorProfile', p);
  const oom = get(proc, 'oomScoreAdj');
  if (oom !== undefined && !(typeof oom === 'number' && Number.isInteger(oom) && oom >= -1000 && oom <= 1000)) {
    fail(`${p}/oomScoreAdj`, `expected an integer between -1000 and 1000, got ${desc(oom)}`);
  }
  optStr(proc, 'selinuxLabel', p);
  validateScheduler(proc, p);
  const io = optObj(proc, 'ioPriority', p);
  if (io !== undefined) {
    const ip = `${p}/ioPriority`;
    oneOf(reqStr(io, 'class', ip), IOPRIO_CLASSES, `${ip}/class`, 'I/O priority class');
    const prio = optInt(io, 'priority', ip, K.i32);
    if (prio !== undefined && (prio < 0 || prio > 7)) fail(`${ip}/priority`, `expected an integer between 0 and 7, got ${prio}`);
  }
  const aff = optObj(proc, 'execCPUAffinity', p);
  if (aff !== undefined) {
    for (const k of ['initial', 'final']) {
      const v = optStr(aff, k, `${p}/execCPUAffinity`);
      if (v !== undefined && !/^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/.test(v)) {
        fail(`${p}/execCPUAffinity/${k}`, `invalid CPU list ${quote(v)}`);
      }
    }
  }
}

/**
 * Validate the process object of `exec --process process.json` (or any
 * process object) with the same rules as config.json's `process`.
 * `pointerBase` prefixes every pointer ("" for a stand-alone process.json).
 */
export function validateProcess(raw: unknown, pointerBase: string, opts: { strict?: boolean } = {}): { process: Process; warnings: string[] } {
  const c: Ctx = { strict: opts.strict === true, warnings: [] };
  if (!isObj(raw)) fail(pointerBase, `expected an object, got ${desc(raw)}`);
  validateProcessObject(c, raw, pointerBase);
  return { process: raw as unknown as Process, warnings: c.warnings };
}

// ---------------------------------------------------------------- top level parts

function validateIdMappings(o: Rec, k: string, p: string): unknown[] | undefined {
  const a = optArr(o, k, p);
  if (a === undefined) return undefined;
  if (a.length > MAX_ID_MAPPINGS) fail(`${p}/${k}`, `too many mappings: ${a.length} (the kernel allows at most ${MAX_ID_MAPPINGS})`);
  for (let i = 0; i < a.length; i++) {
    const ip = `${p}/${k}/${i}`;
    const m = a[i];
    if (!isObj(m)) fail(ip, `expected an object, got ${desc(m)}`);
    const cid = reqInt(m, 'containerID', ip, K.u32);
    const hid = reqInt(m, 'hostID', ip, K.u32);
    const size = reqInt(m, 'size', ip, K.u32);
    if (size === 0) fail(`${ip}/size`, 'must be at least 1');
    if (cid + size > 4294967296 || hid + size > 4294967296) fail(`${ip}/size`, 'mapping range exceeds the 32-bit id space');
  }
  return a;
}

function mapsId(mappings: unknown[] | undefined, id: number): boolean {
  if (!mappings) return false;
  for (const m of mappings as { containerID: number; size: number }[]) {
    if (id >= m.containerID && id < m.containerID + m.size) return true;
  }
  return false;
}

function validateMounts(c: Ctx, spec: Rec): void {
  const mounts = optArr(spec, 'mounts', '');
  if (mounts === undefined) return;
  for (let i = 0; i < mounts.length; i++) {
    const mp = `/mounts/${i}`;
    const m = mounts[i];
    if (!isObj(m)) fail(mp, `expected an object, got ${desc(m)}`);
    const dest = reqStr(m, 'destination', mp);
    noNul(dest, `${mp}/destination`);
    if (dest === '') fail(`${mp}/destination`, 'must not be empty');
    if (dest.charCodeAt(0) !== 47) {
      // config.md: MAY be relative (to "/") for compatibility; runc 1.1 warns.
      warn(c, `${mp}/destination`, `mount destination ${quote(dest)} is not absolute`);
    }
    const type = optStr(m, 'type', mp);
    if (type !== undefined) noNul(type, `${mp}/type`);
    const source = optStr(m, 'source', mp);
    if (source !== undefined) noNul(source, `${mp}/source`);
    optStrArr(m, 'options', mp, checkArg);
    const um = validateIdMappings(m, 'uidMappings', mp);
    const gm = validateIdMappings(m, 'gidMappings', mp);
    if ((um === undefined) !== (gm === undefined)) {
      fail(`${mp}/${um === undefined ? 'uidMappings' : 'gidMappings'}`, 'uidMappings and gidMappings must be specified together');
    }
  }
}

function validateHooks(spec: Rec): void {
  const hooks = optObj(spec, 'hooks', '');
  if (hooks === undefined) return;
  for (const name of HOOK_NAMES) {
    const list = optArr(hooks, name, '/hooks');
    if (list === undefined) continue;
    for (let i = 0; i < list.length; i++) {
      const hp = `/hooks/${name}/${i}`;
      const h = list[i];
      if (!isObj(h)) fail(hp, `expected an object, got ${desc(h)}`);
      absPath(reqStr(h, 'path', hp), `${hp}/path`);
      optStrArr(h, 'args', hp, checkArg);
      optStrArr(h, 'env', hp, checkArg);
      const t = get(h, 'timeout');
      if (t !== undefined && !(typeof t === 'number' && Number.isInteger(t) && t >= 1 && t <= 2147483647)) {
        fail(`${hp}/timeout`, `expected a positive integer (seconds), got ${desc(t)}`);
      }
    }
  }
}

interface NsInfo {
  /** namespace type -> path ('' = new namespace) */
  ns: Map<string, string>;
}

function validateNamespaces(linux: Rec): NsInfo {
  const ns = new Map<string, string>();
  const list = optArr(linux, 'namespaces', '/linux');
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const np = `/linux/namespaces/${i}`;
      const n = list[i];
      if (!isObj(n)) fail(np, `expected an object, got ${desc(n)}`);
      const type = reqStr(n, 'type', np);
      if (!NAMESPACE_TYPES.has(type)) fail(`${np}/type`, `unknown namespace type ${quote(type)}`);
      if (ns.has(type)) fail(`${np}/type`, `duplicate namespace type ${quote(type)}`);
      const path = optStr(n, 'path', np);
      if (path !== undefined && path !== '') absPath(path, `${np}/path`);
      ns.set(type, path ?? '');
    }
  }
  return { ns };
}

function validateDevices(c: Ctx, linux: Rec): void {
  const devs = optArr(linux, 'devices', '/linux');
  if (devs === undefined) return;
  for (let i = 0; i < devs.length; i++) {
    const dp = `/linux/devices/${i}`;
    const d = devs[i];
    if (!isObj(d)) fail(dp, `expected an object, got ${desc(d)}`);
    const type = reqStr(d, 'type', dp);
    if (!DEVICE_TYPES.has(type)) fail(`${dp}/type`, `invalid device type ${quote(type)} (expected c, b, u or p)`);
    const path = reqStr(d, 'path', dp);
    absPath(path, `${dp}/path`);
    // runc 1.1 (and docker's --device host:container) accept any absolute
    // path; only warn (error with strict).
    if (!isUnderDev(path)) warn(c, `${dp}/path`, `device path ${quote(path)} is not under /dev`);
    const major = optInt(d, 'major', dp, K.i64);
    const minor = optInt(d, 'minor', dp, K.i64);
    if (type !== 'p') {
      if (major === undefined) required(dp, 'major');
      if (minor === undefined) required(dp, 'minor');
    }
    optInt(d, 'fileMode', dp, K.u32);
    optInt(d, 'uid', dp, K.u32);
    optInt(d, 'gid', dp, K.u32);
  }
}

/** "/dev/x" (normalised) is strictly below /dev. */
function isUnderDev(path: string): boolean {
  if (!path.startsWith('/dev/')) return false;
  let depth = 0;
  for (const seg of path.slice(5).split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (--depth < 0) return false;
    } else depth++;
  }
  return depth > 0;
}

function validateThrottle(bio: Rec, k: string, bp: string): void {
  const list = optArr(bio, k, bp);
  if (list === undefined) return;
  for (let i = 0; i < list.length; i++) {
    const tp = `${bp}/${k}/${i}`;
    const t = list[i];
    if (!isObj(t)) fail(tp, `expected an object, got ${desc(t)}`);
    reqInt(t, 'major', tp, K.i64);
    reqInt(t, 'minor', tp, K.i64);
    reqInt(t, 'rate', tp, K.u64);
  }
}

/**
 * Validate a LinuxResources object (config.json's linux.resources, or the
 * payload of `update --resources`). Returns warnings.
 */
export function validateResources(raw: unknown, pointerBase: string, opts: { strict?: boolean } = {}): { warnings: string[] } {
  const c: Ctx = { strict: opts.strict === true, warnings: [] };
  if (!isObj(raw)) fail(pointerBase, `expected an object, got ${desc(raw)}`);
  resources(c, raw, pointerBase);
  return { warnings: c.warnings };
}

function resources(c: Ctx, r: Rec, rp: string): void {
  const devs = optArr(r, 'devices', rp);
  if (devs !== undefined) {
    for (let i = 0; i < devs.length; i++) {
      const dp = `${rp}/devices/${i}`;
      const d = devs[i];
      if (!isObj(d)) fail(dp, `expected an object, got ${desc(d)}`);
      if (optBool(d, 'allow', dp) === undefined) required(dp, 'allow');
      const type = optStr(d, 'type', dp);
      if (type !== undefined && type !== '' && !CGROUP_DEVICE_TYPES.has(type)) fail(`${dp}/type`, `invalid cgroup device type ${quote(type)} (expected a, b or c)`);
      optInt(d, 'major', dp, K.i64);
      optInt(d, 'minor', dp, K.i64);
      const access = optStr(d, 'access', dp);
      if (access === undefined || access === '') fail(`${dp}/access`, 'must not be empty');
      if (!/^[rwm]{1,3}$/.test(access)) fail(`${dp}/access`, `invalid device access ${quote(access)} (expected letters from "rwm")`);
    }
  }
  const mem = optObj(r, 'memory', rp);
  if (mem !== undefined) {
    const mp = `${rp}/memory`;
    optInt(mem, 'limit', mp, K.i64);
    optInt(mem, 'reservation', mp, K.i64);
    optInt(mem, 'swap', mp, K.i64);
    const kmem = optInt(mem, 'kernel', mp, K.i64);
    const ktcp = optInt(mem, 'kernelTCP', mp, K.i64);
    if (kmem !== undefined || ktcp !== undefined) {
      warn(c, `${mp}/${kmem !== undefined ? 'kernel' : 'kernelTCP'}`, 'kernel memory settings are ignored');
    }
    optInt(mem, 'swappiness', mp, K.u64);
    optBool(mem, 'disableOOMKiller', mp);
    optBool(mem, 'useHierarchy', mp);
    optBool(mem, 'checkBeforeUpdate', mp);
  }
  const cpu = optObj(r, 'cpu', rp);
  if (cpu !== undefined) {
    const cp = `${rp}/cpu`;
    optInt(cpu, 'shares', cp, K.u64);
    optInt(cpu, 'quota', cp, K.i64);
    optInt(cpu, 'burst', cp, K.u64);
    optInt(cpu, 'period', cp, K.u64);
    optInt(cpu, 'realtimeRuntime', cp, K.i64);
    optInt(cpu, 'realtimePeriod', cp, K.u64);
    optStr(cpu, 'cpus', cp);
    optStr(cpu, 'mems', cp);
    optInt(cpu, 'idle', cp, K.i64);
  }
  const pids = optObj(r, 'pids', rp);
  if (pids !== undefined) reqInt(pids, 'limit', `${rp}/pids`, K.i64);
  const bio = optObj(r, 'blockIO', rp);
  if (bio !== undefined) {
    const bp = `${rp}/blockIO`;
    optInt(bio, 'weight', bp, K.u16);
    optInt(bio, 'leafWeight', bp, K.u16);
    const wd = optArr(bio, 'weightDevice', bp);
    if (wd !== undefined) {
      for (let i = 0; i < wd.length; i++) {
        const wp = `${bp}/weightDevice/${i}`;
        const w = wd[i];
        if (!isObj(w)) fail(wp, `expected an object, got ${desc(w)}`);
        reqInt(w, 'major', wp, K.i64);
        reqInt(w, 'minor', wp, K.i64);
        optInt(w, 'weight', wp, K.u16);
        optInt(w, 'leafWeight', wp, K.u16);
      }
    }
    validateThrottle(bio, 'throttleReadBpsDevice', bp);
    validateThrottle(bio, 'throttleWriteBpsDevice', bp);
    validateThrottle(bio, 'throttleReadIOPSDevice', bp);
    validateThrottle(bio, 'throttleWriteIOPSDevice', bp);
  }
  const huge = optArr(r, 'hugepageLimits', rp);
  if (huge !== undefined) {
    for (let i = 0; i < huge.length; i++) {
      const hp = `${rp}/hugepageLimits/${i}`;
      const h = huge[i];
      if (!isObj(h)) fail(hp, `expected an object, got ${desc(h)}`);
      const ps = reqStr(h, 'pageSize', hp);
      if (!/^[1-9][0-9]*[KMG]B$/.test(ps)) fail(`${hp}/pageSize`, `invalid hugepage size ${quote(ps)} (expected e.g. "2MB")`);
      reqInt(h, 'limit', hp, K.u64);
    }
  }
  const net = optObj(r, 'network', rp);
  if (net !== undefined) {
    const np = `${rp}/network`;
    optInt(net, 'classID', np, K.u32);
    const prios = optArr(net, 'priorities', np);
    if (prios !== undefined) {
      for (let i = 0; i < prios.length; i++) {
        const pp = `${np}/priorities/${i}`;
        const pr = prios[i];
        if (!isObj(pr)) fail(pp, `expected an object, got ${desc(pr)}`);
        reqStr(pr, 'name', pp);
        reqInt(pr, 'priority', pp, K.u32);
      }
    }
  }
  const rdma = optObj(r, 'rdma', rp);
  if (rdma !== undefined) {
    for (const dev of Object.keys(rdma)) {
      const dp = `${rp}/rdma/${tok(dev)}`;
      const e = rdma[dev];
      if (!isObj(e)) fail(dp, `expected an object, got ${desc(e)}`);
      optInt(e, 'hcaHandles', dp, K.u32);
      optInt(e, 'hcaObjects', dp, K.u32);
    }
  }
  strMap(r, 'unified', rp);
}

function validateSeccomp(c: Ctx, linux: Rec): void {
  const s = optObj(linux, 'seccomp', '/linux');
  if (s === undefined) return;
  const sp = '/linux/seccomp';
  const def = optStr(s, 'defaultAction', sp);
  const syscalls = optArr(s, 'syscalls', sp);
  if ((def === undefined || def === '') && (syscalls === undefined || syscalls.length === 0)) {
    // runc 1.1 (SetupSeccomp): no default action and no rules = no seccomp.
    warn(c, sp, 'neither defaultAction nor syscalls given: seccomp is disabled');
    delete linux.seccomp;
    return;
  }
  if (def === undefined || def === '') required(sp, 'defaultAction');
  oneOf(def, SECCOMP_ACTIONS, `${sp}/defaultAction`, 'seccomp action');
  optInt(s, 'defaultErrnoRet', sp, K.u32);
  optStrArr(s, 'architectures', sp, (a, i, ap) => oneOf(a, SECCOMP_ARCHES, `${ap}/${i}`, 'seccomp architecture'));
  optStrArr(s, 'flags', sp); // values are the seccomp compiler's business
  const lp = optStr(s, 'listenerPath', sp);
  if (lp !== undefined && lp !== '') absPath(lp, `${sp}/listenerPath`);
  const lm = optStr(s, 'listenerMetadata', sp);
  if (lm !== undefined && lm !== '' && (lp === undefined || lp === '')) fail(`${sp}/listenerMetadata`, 'must not be set without listenerPath');
  if (syscalls === undefined) return;
  for (let i = 0; i < syscalls.length; i++) {
    const yp = `${sp}/syscalls/${i}`;
    const y = syscalls[i];
    if (!isObj(y)) fail(yp, `expected an object, got ${desc(y)}`);
    const names = optStrArr(y, 'names', yp);
    if (names === undefined || names.length === 0) fail(`${yp}/names`, 'must contain at least one syscall name');
    oneOf(reqStr(y, 'action', yp), SECCOMP_ACTIONS, `${yp}/action`, 'seccomp action');
    optInt(y, 'errnoRet', yp, K.u32);
    const args = optArr(y, 'args', yp);
    if (args === undefined) continue;
    for (let j = 0; j < args.length; j++) {
      const ap = `${yp}/args/${j}`;
      const a = args[j];
      if (!isObj(a)) fail(ap, `expected an object, got ${desc(a)}`);
      const index = reqInt(a, 'index', ap, K.u32);
      if (index > 5) fail(`${ap}/index`, `syscall argument index must be between 0 and 5, got ${index}`);
      reqInt(a, 'value', ap, K.u64);
      optInt(a, 'valueTwo', ap, K.u64);
      oneOf(reqStr(a, 'op', ap), SECCOMP_OPERATORS, `${ap}/op`, 'seccomp operator');
    }
  }
}

/** runc's convertSysctlVariableToDotsSeparator: "net/ipv4/conf/eth0.100/x" -> "net.ipv4.conf.eth0/100.x". */
export function normalizeSysctlName(name: string): string {
  const first = name.search(/[./]/);
  if (first < 0 || name[first] === '.') return name;
  let out = '';
  for (const ch of name) out += ch === '.' ? '/' : ch === '/' ? '.' : ch;
  return out;
}

function validateSysctl(linux: Rec, ns: Map<string, string>): void {
  strMap(linux, 'sysctl', '/linux', (key, _val, kp) => {
    if (key === '') fail(kp, 'sysctl name must not be empty');
    const s = normalizeSysctlName(key);
    if (IPC_SYSCTLS.has(s) || s.startsWith('fs.mqueue.')) {
      if (!ns.has('ipc')) fail(kp, `sysctl ${quote(s)} is not allowed in the host's ipc namespace (add an ipc namespace)`);
      return;
    }
    if (s.startsWith('net.')) {
      // runc also rejects a joined netns that is the host's; that needs a stat()
      // of the path and is left to the caller.
      if (!ns.has('network')) fail(kp, `sysctl ${quote(s)} is not allowed in the host's network namespace (add a network namespace)`);
      return;
    }
    if (ns.has('uts')) {
      if (s === 'kernel.domainname') return;
      if (s === 'kernel.hostname') fail(kp, `sysctl ${quote(s)} is not allowed as it conflicts with the OCI "hostname" field`);
    }
    fail(kp, `sysctl ${quote(s)} is not in a separate kernel namespace`);
  });
}

function validateLinux(c: Ctx, spec: Rec, hasProcess: boolean): void {
  const linux = optObj(spec, 'linux', '');
  const { ns } = linux !== undefined ? validateNamespaces(linux) : { ns: new Map<string, string>() };

  // hostname / domainname (runc validator: hostname needs a UTS namespace).
  for (const k of ['hostname', 'domainname']) {
    const v = optStr(spec, k, '');
    if (v === undefined || v === '') continue;
    noNul(v, `/${k}`);
    if (Buffer.byteLength(v) > HOST_NAME_MAX) fail(`/${k}`, `must be at most ${HOST_NAME_MAX} bytes long`);
    if (!ns.has('uts')) fail(`/${k}`, `unable to set ${k} without a private UTS namespace`);
  }
  if (linux === undefined) return;

  // user namespace and id mappings
  const um = validateIdMappings(linux, 'uidMappings', '/linux');
  const gm = validateIdMappings(linux, 'gidMappings', '/linux');
  const userns = ns.get('user');
  if (userns === undefined) {
    if (um !== undefined && um.length > 0) fail('/linux/uidMappings', 'uid mappings are specified, but there is no user namespace in /linux/namespaces');
    if (gm !== undefined && gm.length > 0) fail('/linux/gidMappings', 'gid mappings are specified, but there is no user namespace in /linux/namespaces');
  } else if (userns === '') {
    if (um === undefined || um.length === 0) fail('/linux/uidMappings', 'a new user namespace requires uid mappings');
    if (gm === undefined || gm.length === 0) fail('/linux/gidMappings', 'a new user namespace requires gid mappings');
    if (!mapsId(um, 0)) fail('/linux/uidMappings', 'no mapping for the container root user (uid 0)');
    if (!mapsId(gm, 0)) fail('/linux/gidMappings', 'no mapping for the container root group (gid 0)');
  }

  validateSysctl(linux, ns);
  const res = optObj(linux, 'resources', '/linux');
  if (res !== undefined) resources(c, res, '/linux/resources');
  optStr(linux, 'cgroupsPath', '/linux');
  validateDevices(c, linux);
  validateSeccomp(c, linux);

  const prop = optStr(linux, 'rootfsPropagation', '/linux');
  if (prop !== undefined && !ROOTFS_PROPAGATION.has(prop)) {
    fail('/linux/rootfsPropagation', `rootfsPropagation ${quote(prop)} is not supported (expected one of: ${[...ROOTFS_PROPAGATION].filter((x) => x).join(', ')})`);
  }
  for (const k of ['maskedPaths', 'readonlyPaths']) {
    const list = optStrArr(linux, k, '/linux', (s, i, ap) => absPath(s, `${ap}/${i}`));
    if (list !== undefined && list.length > 0 && !ns.has('mount')) {
      fail(`/linux/${k}`, 'unable to restrict paths without a private mount namespace');
    }
  }
  optStr(linux, 'mountLabel', '/linux');

  const rdt = optObj(linux, 'intelRdt', '/linux');
  if (rdt !== undefined) {
    const rp = '/linux/intelRdt';
    const clos = optStr(rdt, 'closID', rp);
    if (clos !== undefined && (clos === '.' || clos === '..' || clos.includes('/') || clos.includes('\0'))) fail(`${rp}/closID`, `invalid closID ${quote(clos)}`);
    optStr(rdt, 'l3CacheSchema', rp);
    const mb = optStr(rdt, 'memBwSchema', rp);
    if (mb !== undefined && mb !== '' && !/^MB:[^\n]*$/.test(mb)) fail(`${rp}/memBwSchema`, 'must start with "MB:" and not contain newlines');
    optBool(rdt, 'enableCMT', rp);
    optBool(rdt, 'enableMBM', rp);
  }

  const pers = optObj(linux, 'personality', '/linux');
  if (pers !== undefined) {
    const d = reqStr(pers, 'domain', '/linux/personality');
    oneOf(d, PERSONALITY_DOMAINS, '/linux/personality/domain', 'personality domain');
    optStrArr(pers, 'flags', '/linux/personality');
  }

  const to = optObj(linux, 'timeOffsets', '/linux');
  if (to !== undefined) {
    const keys = Object.keys(to);
    for (const clock of keys) {
      const op = `/linux/timeOffsets/${tok(clock)}`;
      if (!TIME_CLOCKS.has(clock)) fail(op, `unknown clock ${quote(clock)} (expected boottime or monotonic)`);
      const o = to[clock];
      if (o === null) continue;
      if (!isObj(o)) fail(op, `expected an object, got ${desc(o)}`);
      optInt(o, 'secs', op, K.i64);
      const ns2 = optInt(o, 'nanosecs', op, K.u32);
      if (ns2 !== undefined && ns2 > 999999999) fail(`${op}/nanosecs`, `expected an integer between 0 and 999999999, got ${ns2}`);
    }
    if (keys.length > 0) {
      const t = ns.get('time');
      if (t === undefined) fail('/linux/timeOffsets', 'time offsets require a time namespace in /linux/namespaces');
      if (t !== '') fail('/linux/timeOffsets', 'time offsets cannot be applied to a joined time namespace');
    }
  }
  void hasProcess;
}

// ---------------------------------------------------------------- entry point

/**
 * Validate a JSON-parsed config.json. Throws a SpecError naming the first
 * offending field; returns the config typed as Spec (same object, with
 * optional `null` fields removed) and runc-style warnings.
 */
export function validateSpec(raw: unknown, opts: ValidateOptions = {}): ValidateResult {
  const c: Ctx = { strict: opts.strict === true, warnings: [] };
  const forCreate = opts.forCreate !== false;
  if (!isObj(raw)) fail('', `expected a JSON object, got ${desc(raw)}`);

  const ver = reqStr(raw, 'ociVersion', '');
  if (!SEMVER.test(ver)) warn(c, '/ociVersion', `${quote(ver)} is not a SemVer 2.0.0 version`);
  else if (!ver.startsWith('1.')) warn(c, '/ociVersion', `unsupported major version ${quote(ver)} (skiff implements 1.x)`);

  const root = optObj(raw, 'root', '');
  if (root === undefined) fail('/root', 'is required');
  const rootPath = reqStr(root, 'path', '/root');
  if (rootPath === '') fail('/root/path', 'must not be empty');
  noNul(rootPath, '/root/path');
  optBool(root, 'readonly', '/root');

  validateMounts(c, raw);

  const proc = optObj(raw, 'process', '');
  if (proc !== undefined) validateProcessObject(c, proc, '/process');
  else if (forCreate) fail('/process', 'is required');

  validateHooks(raw);
  strMap(raw, 'annotations', '', (key, _v, kp) => {
    if (key === '') fail(kp, 'annotation key must not be empty');
  });
  validateLinux(c, raw, proc !== undefined);

  return { spec: raw as unknown as Spec, warnings: c.warnings };
}
