// `start`: release a created container by opening its exec fifo, then run
// the poststart hooks.
import { closeSync, constants as C, open, openSync, readFile, unlinkSync } from 'node:fs';
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
    // at once; if the init died meanwhile it never would (and would hold a
    // libuv pool thread for good): then we open the write end ourselves and
    // close it, the read sees EOF with no data, and that is "stopped". The
    // fifo's content decides, never the watcher alone: a process that ran
    // and exited between the open and the poll (a busy event loop, /bin/true)
    // was started.
    const watch = setInterval(() => {
      if (isAlive(c.state.pid, c.state.startTime)) return;
      try {
        closeSync(openSync(fifo, C.O_WRONLY | C.O_NONBLOCK));
        clearInterval(watch);
      } catch {
        /* ENXIO: no reader yet, the next poll retries; ENOENT: gone */
      }
    }, 20);
    let data: Buffer;
    try {
      // callback fs, not fs/promises: that module costs ~1 ms to load
      const fd = await new Promise<number>((res, rej) => open(fifo, 'r', (e, f) => (e ? rej(e) : res(f))));
      try {
        data = await new Promise<Buffer>((res, rej) => readFile(fd, (e, b) => (e ? rej(e) : res(b))));
      } finally {
        closeSync(fd);
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
