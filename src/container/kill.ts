// `kill`: signal the container's init (or, with --all, every process in its
// cgroup).
import { SkiffError } from '../errors.ts';
import { loadContainer } from './load.ts';
import { parseSignal } from './signals.ts';

export function killContainer(root: string | undefined, id: string, signal: string | number = 'SIGTERM', all = false): void {
  const c = loadContainer(root, id);
  const sig = typeof signal === 'number' ? signal : parseSignal(signal);
  if (c.status === 'stopped' || c.status === 'creating') throw new SkiffError('container not running');
  if (all) {
    const cg = c.cgroup();
    if (!cg) throw new SkiffError('container has no cgroup to signal');
    cg.killAll(sig);
    return;
  }
  try {
    process.kill(c.state.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new SkiffError('container not running');
    throw e;
  }
}
