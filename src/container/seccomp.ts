// The config's seccomp profile → the program the init loads (SECCOMP op).
// Notify (listenerPath) needs the listener fd handed over and is refused
// here until that path exists.
import type { Spec } from '../spec/types.ts';
import { SkiffError } from '../errors.ts';
import { compileSeccomp } from '../seccomp/compile.ts';

export function compileSeccompFor(spec: Spec, onWarning?: (m: string) => void): { program: Buffer; flags: number } | undefined {
  const s = spec.linux?.seccomp;
  if (!s) return undefined;
  const c = compileSeccomp(s, { pointer: '/linux/seccomp' });
  for (const w of c.warnings ?? []) onWarning?.(w);
  if (c.notify) throw new SkiffError('/linux/seccomp: SCMP_ACT_NOTIFY (seccomp user notification) is not supported yet', { pointer: '/linux/seccomp' });
  return { program: c.program, flags: c.flags };
}
