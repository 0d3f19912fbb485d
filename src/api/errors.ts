// Every error the API throws is a SkiffError (or a subclass: SpecError,
// NotFoundError, UsageError) that names what failed: `op` (the API
// operation), `containerId`, `pointer` (the config field, as a JSON pointer,
// when a field caused it) and `code`. Cancellation is the exception: an
// aborted operation rejects with the AbortSignal's reason, as Node's own
// APIs do.
import { SkiffError } from '../errors.ts';

export type Operation =
  | 'create' | 'start' | 'kill' | 'delete' | 'state' | 'list' | 'open' | 'wait' | 'exec'
  | 'pause' | 'resume' | 'update' | 'stats' | 'pids' | 'events' | 'run' | 'hook';

/** Tag (or wrap) an error with the operation and container it came from. */
export function tagError(e: unknown, op: Operation, id?: string, signal?: AbortSignal): unknown {
  if (signal?.aborted && e === signal.reason) return e;
  if (e instanceof Error && e.name === 'AbortError') return e;
  let se: SkiffError;
  if (e instanceof SkiffError) se = e;
  else {
    const ne = e as NodeJS.ErrnoException;
    se = new SkiffError(`${op}: ${ne?.message ?? String(e)}`, { code: typeof ne?.code === 'string' ? ne.code : 'ESKIFF', cause: e });
  }
  se.op ??= op;
  if (id !== undefined) se.containerId ??= id;
  return se;
}

/** Run fn, tagging what it throws. */
export async function tagged<T>(op: Operation, id: string | undefined, fn: () => T | Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw tagError(e, op, id, signal);
  }
}
