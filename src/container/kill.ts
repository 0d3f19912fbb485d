// `kill`: signal the container's init (or, with --all, every process in its
// cgroup).
import { SkiffError } from '../errors.ts';
import { loadContainer } from './load.ts';
import { parseSignal } from './signals.ts';

export function killContainer(root: string | undefined, id: string, signal: string | number = 'SIGTERM', all = false): void {
  const c = loadContainer(root, id);
  const sig = typeof signal === 'number' ? signal : parseSignal(signal);
  if (all) {
    // as runc: every process in the cgroup, even after the init died (a
    // container without its own pid namespace can leave children behind)
    const cg = c.cgroup();
    if (!cg) throw new SkiffError('container has no cgroup to signal');
    if (c.status === 'stopped' && !cg.exists()) return;
    cg.killAll(sig);
    // a frozen process only dies once thawed (runc thaws after signalling all)
    if (c.status === 'paused' && sig === 9) cg.thaw();
    return;
  }
  if (c.status === 'stopped' || c.status === 'creating') throw new SkiffError('container not running');
  try {
    process.kill(c.state.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new SkiffError('container not running');
    throw e;
  }
  // runc: SIGKILL to a paused container thaws it, or the kill would wait for a resume
  if (c.status === 'paused' && sig === 9) c.cgroup()?.thaw();
}
