// An init failure (op index, errno, message) → the one-line error a user
// sees, naming the config field the op came from. Exec lookups use runc's
// exact wording: clients map "executable file not found" / "no such file or
// directory" to exit 127 and "permission denied" to 126.
import type { Plan } from '../plan/types.ts';
import type { InitError } from './init-process.ts';
import { strerror } from './init-process.ts';

const ENOENT = 2;
const EACCES = 13;

export function describeInitError(plan: Plan | undefined, e: InitError): string {
  const op = e.op >= 0 ? plan?.ops[e.op] : undefined;
  const sys = strerror(e.errno);
  let detail: string;
  if (op?.op === 'LOOKUP') {
    const name = (op.args[1] as { v: string }).v;
    if (e.errno === ENOENT) detail = name.includes('/') ? `exec: "${name}": stat ${name}: no such file or directory` : `exec: "${name}": executable file not found in $PATH`;
    else if (e.errno === EACCES) detail = `exec: "${name}": permission denied`;
    else detail = `exec: "${name}": ${sys}`;
  } else if (op?.op === 'RUN_HOOK') {
    const [, kind, idx] = /^\/hooks\/(\w+)\/(\d+)/.exec(op.source) ?? [];
    detail = `error running ${kind} hook #${idx}: ${e.message}${sys ? `: ${sys}` : ''}`;
  } else if (op) {
    detail = `${op.source && op.source.startsWith('/') ? op.source + ': ' : ''}${e.message}${sys ? `: ${sys}` : ''}`;
  } else {
    detail = `${e.message}${sys ? `: ${sys}` : ''}`;
  }
  return `unable to start container process: ${detail}`;
}
