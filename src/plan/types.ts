// The init plan: a flat, ordered list of primitive operations the C init
// executes (see native/init/init.c). Pure data: it can be built, printed and
// tested without root.
import type { Op } from '../native/protocol.ts';
import type { Arg } from '../native/tlv.ts';

export type OpName = keyof typeof Op;

export interface PlanOp {
  op: OpName;
  args: Arg[];
  /** where this op comes from: a JSON pointer into config.json, or a
   * description of a runtime default; used in error messages */
  source: string;
  /** a short human description for `explain` and errors */
  what: string;
}

export interface Plan {
  ops: PlanOp[];
}

export const str = (v: string): Arg => ({ t: 'str', v });
export const u64 = (v: number | bigint): Arg => ({ t: 'u64', v });
export const bytes = (v: Buffer): Arg => ({ t: 'bytes', v });
export const strv = (v: string[]): Arg => ({ t: 'strv', v });
