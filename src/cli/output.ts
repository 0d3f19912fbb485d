// Writing to stdout/stderr without touching process.stdout/stderr: their
// first use builds a stream (loading Node's net and stream modules, ~2-3 ms)
// that a one-shot command does not need. Blocking writes, with a short wait
// on EAGAIN in case a caller handed us a non-blocking pipe.
import { writeSync } from 'node:fs';

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') return; // nobody reads: as with SIGPIPE ignored, drop it
      throw e;
    }
  }
}

export const writeOut = (text: string): void => writeAll(1, text);
export const writeErr = (text: string): void => writeAll(2, text);
