// OCI capability sets → the 64-bit masks the init's CAPBSET_DROP/CAPSET/
// AMBIENT_RAISE ops take. Unknown names were already warned about (or
// rejected in strict mode) by the validator; here they are skipped.
import type { Capabilities } from '../spec/types.ts';
import { CAP_LAST_CAP, capMask } from '../spec/capabilities.ts';

export interface CapMasks {
  /** caps to remove from the bounding set */
  dropBounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

/**
 * `available`: the caps the runtime itself can grant (its bounding set);
 * asking for more would make capset fail, so those are left out (the caller
 * warns, or refuses in strict mode: see unavailableCaps).
 */
export function capsToMasks(c: Capabilities | undefined, _pointer: string, lastCap: number = CAP_LAST_CAP, available?: bigint): CapMasks {
  const all = (1n << BigInt(lastCap + 1)) - 1n;
  const avail = available ?? all;
  const m = (names: string[] | undefined) => capMask(names ?? [], lastCap).mask & avail;
  return {
    dropBounding: all & ~m(c?.bounding),
    effective: m(c?.effective),
    permitted: m(c?.permitted),
    inheritable: m(c?.inheritable),
    ambient: m(c?.ambient),
  };
}

/** Names in any set of `c` that are outside `available`. */
export function unavailableCaps(c: Capabilities | undefined, available: bigint, lastCap: number = CAP_LAST_CAP): string[] {
  const out = new Set<string>();
  for (const set of [c?.bounding, c?.effective, c?.permitted, c?.inheritable, c?.ambient]) {
    for (const name of set ?? []) {
      const bit = capMask([name], lastCap).mask;
      if (bit && !(bit & available)) out.add(name);
    }
  }
  return [...out];
}
