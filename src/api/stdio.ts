// Stdio of a container's process as Node streams. The init skiff spawns is a
// short-lived stage-0 process (its ChildProcess exits as soon as the
// container's pid 1 exists), so the streams cannot come from Node's spawn:
// we make real pipes ourselves (pipe2, O_CLOEXEC), hand the child ends to
// the init as fd slots (the container inherits them through CLONE_PARENT)
// and keep the parent ends as net.Sockets on libuv's loop. Pipes, not
// socketpairs: `echo > /dev/stdout` opens /proc/self/fd/1, which works on a
// pipe and fails (ENXIO) on a socket.
import type { StdioSlot as InitSlot } from '../container/init-process.ts';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { ReadStream } from 'node:tty';
import type { Readable, Writable, Duplex } from 'node:stream';
import { native } from '../native/addon.ts';

/** One of fds 0-2 of the container's process: a new pipe (exposed as a
 * stream), our own fd (inherited), /dev/null, or any fd of this process. */
export type StdioSlot = 'pipe' | 'inherit' | 'ignore' | number;
/** One slot for all three, or one per fd. */
export type StdioOption = StdioSlot | [StdioSlot, StdioSlot, StdioSlot];

export interface StdioStreams {
  /** write end of the process's stdin pipe; `end()` gives it EOF */
  stdin: Writable | null;
  /** read end of the process's stdout pipe */
  stdout: Readable | null;
  /** read end of the process's stderr pipe */
  stderr: Readable | null;
}

export class StdioPipes implements StdioStreams {
  stdin: Writable | null = null;
  stdout: Readable | null = null;
  stderr: Readable | null = null;
  /** what the init gets */
  readonly slots: [InitSlot, InitSlot, InitSlot];
  private childEnds: number[] = [];

  constructor(opt: StdioOption | undefined, dflt: StdioSlot = 'ignore') {
    const want: StdioSlot[] = Array.isArray(opt) ? [...opt] : [opt ?? dflt, opt ?? dflt, opt ?? dflt];
    const slots = want.map((s, i) => {
      if (s !== 'pipe') return s;
      const [r, w] = native().pipe();
      if (i === 0) {
        this.childEnds.push(r);
        this.stdin = new Socket({ fd: w, readable: false, writable: true });
        this.stdin.on('error', () => { /* EPIPE when the process is gone: not our caller's problem */ });
        return r;
      }
      this.childEnds.push(w);
      const s2 = new Socket({ fd: r, readable: true, writable: false });
      if (i === 1) this.stdout = s2;
      else this.stderr = s2;
      return w;
    });
    this.slots = slots as [InitSlot, InitSlot, InitSlot]; // every 'pipe' became an fd above
  }

  get any(): boolean {
    return this.stdin !== null || this.stdout !== null || this.stderr !== null;
  }

  /** After the init has them: our copies of the child ends must go, or no EOF ever comes. */
  closeChildEnds(): void {
    for (const fd of this.childEnds) {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    }
    this.childEnds = [];
  }

  /** Wait (up to ms) for the output pipes to reach EOF, then close everything. */
  async drain(ms: number): Promise<void> {
    const outs = [this.stdout, this.stderr].filter((s): s is Readable => s !== null && !s.readableEnded && !s.destroyed);
    if (outs.length) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(outs.map((s) => new Promise<void>((r) => {
          s.once('end', r);
          s.once('close', r);
        }))),
        new Promise<void>((r) => (timer = setTimeout(r, ms))),
      ]);
      clearTimeout(timer);
    }
    this.destroy();
  }

  destroy(): void {
    this.closeChildEnds();
    for (const s of [this.stdin, this.stdout, this.stderr]) if (s && !s.destroyed) s.destroy();
  }
}

/** A pty master as a Duplex (tty.ReadStream is a net.Socket: readable and writable). */
export function ptyStream(master: number): Duplex {
  const s = new ReadStream(master);
  // EIO when the last slave fd closes: that is the end of output, not an error
  s.on('error', () => s.destroy());
  return s;
}

/** Collect a readable stream into a string (for run()). */
export function collect(s: Readable | null, max = 16 << 20): Promise<string> {
  if (!s) return Promise.resolve('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    s.on('data', (d: Buffer) => {
      if (n < max) chunks.push(d);
      n += d.length;
    });
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'));
    s.once('end', done);
    s.once('close', done);
  });
}
