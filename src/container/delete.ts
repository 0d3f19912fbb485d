// `delete`: remove a stopped container (or, as runc does, a created one;
// anything with --force): kill what is left, remove its cgroups and state,
// run poststop hooks. A crashed create is cleaned up the same way.
import { SkiffError, NotFoundError } from '../errors.ts';
import { runHooks } from '../hooks/run.ts';
import { crashPoint } from './crash.ts';
import { hookStateJson, waitGone } from './create.ts';
import { loadContainer } from './load.ts';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_ROOT, DirLock, FIFO, STATE_FILE, containerDir, removeContainerDir, isAlive } from './state.ts';

export async function deleteContainer(root: string | undefined, id: string, force = false, onWarning?: (m: string) => void): Promise<void> {
  let c;
  try {
    c = loadContainer(root, id);
  } catch (e) {
    if (e instanceof NotFoundError && force) {
      // a create that crashed before writing state.json leaves only the dir
      cleanupBareDir(root, id);
      return;
    }
    throw e;
  }
  // An exec into a paused container holds a shared lock until its process,
  // frozen with the container, gets going: thaw first (the container is
  // about to be killed anyway, as runc does) or we would wait on that lock
  // for ever.
  if (force && c.status === 'paused') c.cgroup()?.thaw();
  // a creating container whose creator is alive holds the lock: wait for it
  const lock = DirLock.acquire(c.dir, true, c.status !== 'creating' || !force);
  try {
    if (lock) c = loadContainer(root, id);
    const st = c.state;
    if (c.status === 'running' || c.status === 'paused' || (c.status === 'creating' && st.pid && !force)) {
      if (!force) throw new SkiffError(`cannot delete container ${id} that is not stopped: ${c.status}`);
    }
    const cg = c.cgroup();
    if (st.pid && isAlive(st.pid, st.startTime)) {
      if (c.status === 'paused') cg?.thaw();
      try {
        process.kill(st.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    // without its own pid namespace, children of the init survive it
    if (cg && !st.ownPidNs) {
      try {
        cg.killAll(9);
      } catch {
        /* cgroup gone */
      }
    }
    if (st.pid) await waitGone(st.pid, st.startTime, 10_000);
    crashPoint('delete:after-kill');
    if (cg) {
      try {
        cg.destroy();
      } catch (e) {
        throw new SkiffError(`failed to remove cgroups of ${id}: ${(e as Error).message}`);
      }
    }
    crashPoint('delete:after-cgroup');
    removeContainerDir(c.dir);
    crashPoint('delete:after-statedir');
    if (st.createComplete) {
      try {
        await runHooks('poststop', st.config.hooks?.poststop, hookStateJson(st, 'stopped', 0));
      } catch (e) {
        onWarning?.((e as Error).message);
      }
    }
  } finally {
    lock?.release();
  }
}

function cleanupBareDir(root: string | undefined, id: string): void {
  const dir = containerDir(resolve(root ?? DEFAULT_ROOT), id);
  const lock = DirLock.acquire(dir, true, false);
  if (!lock) return; // missing (nothing to do) or a live create owns it
  try {
    // only what a crashed create leaves (nothing, the fifo, a temp state
    // file): `--root / delete --force etc` must not be `rm -rf /etc`
    const foreign = readdirSync(dir).filter((n) => n !== FIFO && !n.startsWith(`.${STATE_FILE}.`));
    if (foreign.length) throw new SkiffError(`${dir} is not a container state directory (it holds ${foreign.slice(0, 3).join(', ')}); not removing it`);
    removeContainerDir(dir);
  } finally {
    lock.release();
  }
}
