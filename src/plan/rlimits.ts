import { SpecError } from '../errors.ts';
import { rlimitNumber as lookup } from '../spec/rlimits.ts';

/** RLIMIT_* name → resource number, or a SpecError naming the field. */
export function rlimitNumber(type: string, pointer: string): number {
  const n = lookup(type);
  if (n === undefined) throw new SpecError(pointer, `unknown rlimit type "${type}"`);
  return n;
}
