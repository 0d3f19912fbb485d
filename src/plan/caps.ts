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

export function capsToMasks(c: Capabilities | undefined, _pointer: string, lastCap: number = CAP_LAST_CAP): CapMasks {
  const all = (1n << BigInt(lastCap + 1)) - 1n;
  const m = (names: string[] | undefined) => capMask(names ?? [], lastCap).mask;
  return {
    dropBounding: all & ~m(c?.bounding),
    effective: m(c?.effective),
    permitted: m(c?.permitted),
    inheritable: m(c?.inheritable),
    ambient: m(c?.ambient),
  };
}
