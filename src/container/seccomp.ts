// The config's seccomp profile → the program the init loads (SECCOMP op).
// With SCMP_ACT_NOTIFY rules the filter is installed with NEW_LISTENER and
// the init sends the listener fd, with the container process state
// (runtime-spec "containerProcessState"), over a socket skiff connected to
// linux.seccomp.listenerPath (see addProcessOps for the ordering).
import type { Spec } from '../spec/types.ts';
import { OCI_VERSION } from '../spec/types.ts';
import { SkiffError, SpecError } from '../errors.ts';
import { native } from '../native/addon.ts';
import { compileSeccomp } from '../seccomp/compile.ts';
import type { Plan } from '../plan/types.ts';
import { str } from '../plan/types.ts';

export interface CompiledForCreate {
  program: Buffer;
  flags: number;
  /** the profile can return USER_NOTIF: connect here and hand the socket to the init */
  listenerPath?: string;
  listenerMetadata?: string;
}

export function compileSeccompFor(spec: Spec, onWarning?: (m: string) => void): CompiledForCreate | undefined {
  const s = spec.linux?.seccomp;
  if (!s) return undefined;
  const c = compileSeccomp(s, { pointer: '/linux/seccomp' });
  // runc logs an unknown syscall name at debug level only (and libseccomp
  // knows names such as pciconfig_iobase that x86_64 lacks): as a warning it
  // reached the user's terminal on every `podman exec -t` / `docker exec -t`
  // of the clients' default profiles. `skiff explain` still lists them.
  for (const w of c.warnings ?? []) if (!/: unknown syscall "[^"]*" ignored$/.test(w)) onWarning?.(w);
  if (!c.notify) return { program: c.program, flags: c.flags };
  if (!s.listenerPath) throw new SpecError('/linux/seccomp/listenerPath', 'SCMP_ACT_NOTIFY needs a listenerPath to send the notify fd to');
  return { program: c.program, flags: c.flags, listenerPath: s.listenerPath, listenerMetadata: s.listenerMetadata };
}

/** runtime-spec containerProcessState: what the seccomp agent at listenerPath receives with the fd. */
export function containerProcessState(o: { id: string; bundle: string; pid: number; status: string; annotations?: Record<string, string>; metadata?: string }): string {
  const state: Record<string, unknown> = { ociVersion: OCI_VERSION, id: o.id, status: o.status, pid: o.pid, bundle: o.bundle };
  if (o.annotations && Object.keys(o.annotations).length) state.annotations = o.annotations;
  const m: Record<string, unknown> = { ociVersion: OCI_VERSION, fds: ['seccompFd'], pid: o.pid };
  if (o.metadata) m.metadata = o.metadata;
  m.state = state;
  return JSON.stringify(m);
}

/** The pid is known only after the bootstrap: put the final state into the SECCOMP op before the plan is sent. */
export function setNotifyState(plan: Plan, state: string): void {
  for (const op of plan.ops) if (op.op === 'SECCOMP' && op.args.length >= 4) op.args[3] = str(state);
}

/** Connect to linux.seccomp.listenerPath (the seccomp agent): the init sends the notify fd over this socket. */
export function connectListener(path: string): number {
  try {
    return native().connectUnix(path);
  } catch (e) {
    throw new SkiffError(`/linux/seccomp/listenerPath: connect ${path}: ${(e as Error).message}`, { pointer: '/linux/seccomp/listenerPath' });
  }
}
