// Device access rules: normalisation of OCI rules, and an emulator of the
// cgroup v1 devices controller (after runc's libcontainer/cgroups/devices):
// a default policy (allow-all "black-list" or deny-all "white-list") plus
// exceptions keyed by type+major+minor. The v1 code computes the minimal
// transition from the current state (devices.list) to the wanted one; the
// v2 BPF generator compiles the emulated state into a program.
import type { LinuxDeviceCgroup } from '../spec/types.ts';
import { SpecError, ptr } from '../errors.ts';

export type DevType = 'a' | 'b' | 'c';

export interface DeviceRule {
  type: DevType;
  /** -1 is the wildcard '*' */
  major: number;
  minor: number;
  /** subset of "rwm", canonical order */
  access: string;
  allow: boolean;
}

const ACCESS_ORDER = ['r', 'w', 'm'];

export function canonAccess(a: string): string {
  return ACCESS_ORDER.filter((c) => a.includes(c)).join('');
}

function accessMinus(a: string, b: string): string {
  return ACCESS_ORDER.filter((c) => a.includes(c) && !b.includes(c)).join('');
}

/** OCI rules -> DeviceRule, validating every field (pointer /linux/resources/devices/<i>/...). */
export function normalizeDeviceRules(rules: LinuxDeviceCgroup[] | undefined, base = '/linux/resources/devices'): DeviceRule[] {
  const out: DeviceRule[] = [];
  (rules ?? []).forEach((r, i) => {
    const p = (f: string): string => `${base}${ptr(i, f)}`;
    if (typeof r.allow !== 'boolean') throw new SpecError(p('allow'), 'must be a boolean');
    const type = (r.type ?? 'a') as DevType;
    if (type !== 'a' && type !== 'b' && type !== 'c') throw new SpecError(p('type'), `invalid device type "${String(r.type)}" (want a, b or c)`);
    const num = (v: number | undefined, f: string): number => {
      if (v === undefined || v === null || v === -1) return -1;
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new SpecError(p(f), `invalid device ${f} ${String(v)}`);
      return v;
    };
    const access = r.access === undefined || r.access === '' ? 'rwm' : r.access;
    if (!/^[rwm]+$/.test(access)) throw new SpecError(p('access'), `invalid device access "${access}" (want a combination of r, w, m)`);
    out.push({ type, major: num(r.major, 'major'), minor: num(r.minor, 'minor'), access: canonAccess(access), allow: r.allow });
  });
  return out;
}

const key = (t: string, maj: number, min: number): string => `${t} ${maj}:${min}`;

export function ruleString(r: Pick<DeviceRule, 'type' | 'major' | 'minor' | 'access'>): string {
  const n = (v: number): string => (v === -1 ? '*' : String(v));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

export interface Exception {
  type: 'b' | 'c';
  major: number;
  minor: number;
  access: string;
}

/** The state of one cgroup v1 devices controller. */
export class DeviceEmulator {
  defaultAllow: boolean;
  /** exceptions to the default policy, keyed "c 1:3" */
  readonly rules = new Map<string, Exception>();

  constructor(defaultAllow = true) {
    this.defaultAllow = defaultAllow;
  }

  static fromRules(rules: DeviceRule[]): DeviceEmulator {
    // The kernel's initial state of a new cgroup is its parent's; for a
    // container config the first rule is normally "deny all". Without an
    // "a" rule we start from allow-all, like the kernel's root cgroup.
    const e = new DeviceEmulator(true);
    for (const r of rules) e.apply(r);
    return e;
  }

  /** Parse devices.list. A black-list cgroup only shows "a *:* rwm" (its deny exceptions are invisible). */
  static fromList(list: string): DeviceEmulator {
    const e = new DeviceEmulator(false);
    for (const line of list.split('\n')) {
      const m = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]+)$/.exec(line.trim());
      if (!m) continue;
      const n = (s: string): number => (s === '*' ? -1 : Number(s));
      if (m[1] === 'a') {
        e.defaultAllow = true;
        e.rules.clear();
        continue;
      }
      e.apply({ type: m[1] as DevType, major: n(m[2]), minor: n(m[3]), access: m[4], allow: true });
    }
    return e;
  }

  apply(r: DeviceRule): void {
    if (r.type === 'a') {
      // Like the kernel: an "a" rule resets the policy and drops all exceptions.
      this.defaultAllow = r.allow;
      this.rules.clear();
      return;
    }
    const k = key(r.type, r.major, r.minor);
    const cur = this.rules.get(k);
    if (r.allow !== this.defaultAllow) {
      // an exception to the default: add (merge access bits)
      const access = canonAccess((cur?.access ?? '') + r.access);
      this.rules.set(k, { type: r.type, major: r.major, minor: r.minor, access });
    } else if (cur) {
      // same as default: remove those access bits from an exactly matching exception
      const access = accessMinus(cur.access, r.access);
      if (access) this.rules.set(k, { ...cur, access });
      else this.rules.delete(k);
    }
  }

  /** Exceptions in a stable order (to write the same rules every time). */
  exceptions(): Exception[] {
    return [...this.rules.values()].sort((a, b) =>
      a.type !== b.type ? (a.type < b.type ? -1 : 1) : a.major !== b.major ? a.major - b.major : a.minor - b.minor,
    );
  }

  /**
   * Would this access be allowed? (`access` is one or more of r, w, m.) As
   * the kernel: in a white-list one exception must cover all requested
   * bits; in a black-list any overlapping deny exception refuses.
   */
  allows(type: 'b' | 'c', major: number, minor: number, access: string): boolean {
    for (const ex of this.rules.values()) {
      if (ex.type !== type) continue;
      if (ex.major !== -1 && ex.major !== major) continue;
      if (ex.minor !== -1 && ex.minor !== minor) continue;
      if (this.defaultAllow ? accessMinus(access, ex.access) === access : accessMinus(access, ex.access) !== '') continue;
      return !this.defaultAllow;
    }
    return this.defaultAllow;
  }

  /**
   * The rules to write (in order) to get from this state to `target`. A
   * disruptive "a" rule is needed when the default policy changes, and
   * whenever this state is a black-list (its deny exceptions can't be read
   * back from devices.list).
   */
  transition(target: DeviceEmulator): DeviceRule[] {
    const out: DeviceRule[] = [];
    let old = this.rules;
    if (this.defaultAllow || this.defaultAllow !== target.defaultAllow) {
      out.push({ type: 'a', major: -1, minor: -1, access: 'rwm', allow: target.defaultAllow });
      old = new Map();
    }
    for (const ex of [...old.values()]) {
      const dropped = accessMinus(ex.access, target.rules.get(key(ex.type, ex.major, ex.minor))?.access ?? '');
      if (dropped) out.push({ ...ex, access: dropped, allow: target.defaultAllow });
    }
    // in the config's order (the Map keeps first-insertion order): the spec
    // says entries are applied in the listed order, and devices.list shows it
    for (const ex of target.rules.values()) {
      const gained = accessMinus(ex.access, old.get(key(ex.type, ex.major, ex.minor))?.access ?? '');
      if (gained) out.push({ ...ex, access: gained, allow: !target.defaultAllow });
    }
    return out;
  }

  equals(o: DeviceEmulator): boolean {
    if (this.defaultAllow !== o.defaultAllow || this.rules.size !== o.rules.size) return false;
    for (const [k, v] of this.rules) if (o.rules.get(k)?.access !== v.access) return false;
    return true;
  }
}
