// The capabilities skiff itself can hand out: its own bounding set. A host
// may lack some (this machine kind has no CAP_SYS_RESOURCE); asking capset
// for them fails with a bare EPERM, so they are dropped with a warning
// naming them — or refused with --strict.
import { readFileSync } from 'node:fs';
import type { Capabilities } from '../spec/types.ts';
import { SpecError } from '../errors.ts';
import { unavailableCaps } from '../plan/caps.ts';

let own: bigint | undefined;

export function ownBoundingCaps(): bigint {
  if (own === undefined) {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    own = m ? BigInt('0x' + m[1]) : (1n << 64n) - 1n;
  }
  return own;
}

/** Returns the caps to grant from; warns (or throws when strict) about the rest. */
export function checkAvailableCaps(c: Capabilities | undefined, pointer: string, strict: boolean | undefined, onWarning?: (m: string) => void): bigint {
  const avail = ownBoundingCaps();
  const missing = unavailableCaps(c, avail);
  if (missing.length) {
    const msg = `${pointer}: ${missing.join(', ')} not in skiff's own bounding set on this host`;
    if (strict) throw new SpecError(pointer, `${missing.join(', ')} not in skiff's own bounding set on this host`);
    onWarning?.(`${msg}: ignoring`);
  }
  return avail;
}

let cachedLastCap: number | undefined;

/** The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
export function lastCap(): number | undefined {
  if (cachedLastCap === undefined) {
    try {
      cachedLastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    } catch {
      return undefined;
    }
  }
  return cachedLastCap;
}
