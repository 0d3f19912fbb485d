// Signal names and numbers as runc's kill accepts them: "KILL", "SIGKILL",
// "9"; case-insensitive names.
import { constants } from 'node:os';
import { SkiffError } from '../errors.ts';

const SIG = constants.signals as Record<string, number>;

export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    // 0 checks that the init is alive, as `runc kill ID 0` does
    const n = Number(s);
    if (n > 64) throw new SkiffError(`invalid signal: ${s}`);
    return n;
  }
  const up = s.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const n = name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
    if (n >= 34 && n <= 64) return n;
  }
  const n = SIG[name];
  if (n === undefined) throw new SkiffError(`unknown signal "${s}"`);
  return n;
}

export function signalName(n: number): string {
  for (const [k, v] of Object.entries(SIG)) if (v === n) return k;
  return String(n);
}
