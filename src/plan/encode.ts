// Plan → the PLAN message of the init protocol.
import { Attr, Msg, Op } from '../native/protocol.ts';
import { Writer } from '../native/tlv.ts';
import type { Plan } from './types.ts';

export function encodePlan(plan: Plan): Buffer {
  const w = new Writer();
  for (const op of plan.ops) {
    const at = w.begin(Attr.OP);
    w.u16(Op[op.op]);
    w.u16(op.args.length);
    for (const a of op.args) w.arg(a);
    w.end(at);
  }
  return w.message(Msg.PLAN);
}

/** One line per op, for `explain` and debugging. */
export function formatPlan(plan: Plan): string {
  return plan.ops
    .map((o, i) => `${String(i).padStart(3)}  ${o.op.toLowerCase().padEnd(16)} ${o.what}${o.source ? `   (${o.source})` : ''}`)
    .join('\n');
}
