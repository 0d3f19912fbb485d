// `start`: release a created container by opening its exec fifo, then run
// the poststart hooks.
import { promises as fsp, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.ts';
import { runHooks } from '../hooks/run.ts';
import { hookStateJson } from './create.ts';
import { loadContainer } from './load.ts';
import { DirLock, FIFO, isAlive } from './state.ts';

export async function startContainer(root: string | undefined, id: string, onWarning?: (m: string) => void): Promise<void> {
  const c = loadContainer(root, id);
  const lock = DirLock.acquire(c.dir);
  try {
    switch (c.status) {
      case 'created':
        break;
      case 'stopped':
        throw new SkiffError('cannot start a container that has stopped');
      case 'running':
        throw new SkiffError('cannot start an already running container');
      default:
        throw new SkiffError(`cannot start a container in the ${c.status} state`);
    }
    const fifo = join(c.dir, FIFO);
    // The init is blocked opening the fifo for writing, so this open returns
    // at once; if the init died meanwhile it never would: watch for that.
    let dead = false;
    const watch = setInterval(() => {
      if (!isAlive(c.state.pid, c.state.startTime)) dead = true;
    }, 20);
    let data: Buffer;
    try {
      const fh = await Promise.race([
        fsp.open(fifo, 'r'),
        new Promise<never>((_, rej) => {
          const t = setInterval(() => {
            if (dead) {
              clearInterval(t);
              rej(new SkiffError('cannot start a container that has stopped'));
            }
          }, 20);
          t.unref();
        }),
      ]);
      try {
        data = await fh.readFile();
      } finally {
        await fh.close();
      }
    } finally {
      clearInterval(watch);
    }
    if (data.length === 0) throw new SkiffError('cannot start a container that has stopped');
    unlinkSync(fifo);
    try {
      await runHooks('poststart', c.state.config.hooks?.poststart, hookStateJson(c.state, 'running', c.state.pid));
    } catch (e) {
      onWarning?.((e as Error).message);
    }
  } finally {
    lock?.release();
  }
}
