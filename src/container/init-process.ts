// Spawning skiff-init and speaking the init pipe protocol with it.
//
// The init is executed from a sealed memfd copy (CVE-2019-5736) by the
// addon's posix_spawn (no fork of Node's address space, no child_process
// module on the hot path). Its fds: 0-2 stdio, 3..3+N-1 preserved fds, then
// the init pipe (our socketpair, read without blocking on libuv's loop),
// then private fds (state dir, console socket, ...). The init closes
// everything above that at once.
import { closeSync, readSync, writeSync } from 'node:fs';
import { Attr, Msg } from '../native/protocol.ts';
import { Reader, Writer, attrI32, attrStr, attrU32, type Message } from '../native/tlv.ts';
import { native } from '../native/addon.ts';
import { initBinary } from '../native/paths.ts';
import { SkiffError } from '../errors.ts';

/** 'pipe' is not a slot here: callers that want pipes make them and pass the fds. */
export type StdioSlot = 'inherit' | 'ignore' | number;

export interface SpawnInitOptions {
  stdio?: [StdioSlot, StdioSlot, StdioSlot];
  /** fds 3..3+preserveFds-1 of this process go to the container unchanged */
  preserveFds?: number;
  /** extra private fds for the init (after the pipe), e.g. the state dir */
  privateFds?: number[];
}

export interface InitError {
  op: number;
  errno: number;
  message: string;
}

export class InitFailed extends Error {
  constructor(readonly detail: InitError) {
    super(detail.message);
  }
}

let sealedFd: number | undefined;

/** One sealed copy per skiff process is enough: it is read-only. */
function sealedInit(): number {
  if (sealedFd === undefined) sealedFd = native().sealedCopy(initBinary());
  return sealedFd;
}

export class InitProcess {
  /** the stage-0 process (it forks the container's process and exits) */
  readonly pid: number;
  private readonly fd: number;
  private readonly reader = new Reader();
  private readonly queue: Message[] = [];
  private waiter: ((m: Message | null) => void) | undefined;
  private eof = false;
  private closed = false;
  /** fd numbers of the layout inside the init */
  readonly pipeFd: number;
  readonly firstPrivateFd: number;
  readonly privateFdNumbers: number[];

  constructor(opts: SpawnInitOptions = {}) {
    const preserve = opts.preserveFds ?? 0;
    const fds: number[] = (opts.stdio ?? ['inherit', 'inherit', 'inherit']).map((s, i) => (s === 'inherit' ? i : s === 'ignore' ? -1 : s));
    for (let i = 0; i < preserve; i++) fds.push(3 + i);
    const [ours, theirs] = native().socketpair();
    this.pipeFd = fds.length;
    fds.push(theirs);
    this.firstPrivateFd = 3 + preserve;
    this.privateFdNumbers = [];
    for (const fd of opts.privateFds ?? []) {
      this.privateFdNumbers.push(fds.length);
      fds.push(fd);
    }
    try {
      this.pid = native().spawnInit(`/proc/${process.pid}/fd/${sealedInit()}`, ['skiff-init', String(this.pipeFd), String(fds.length)], fds);
    } catch (e) {
      closeSync(ours);
      closeSync(theirs);
      throw new SkiffError(`cannot start the init: ${(e as Error).message}`);
    }
    closeSync(theirs);
    this.fd = ours;
    // reap stage 0: it is our child, not libuv's
    native().watchExit(this.pid, () => {});
    this.readLoop();
  }

  /**
   * Our end is non-blocking and watched on libuv's loop (the addon's
   * pollReadable): a blocking read in the thread pool would park one of its
   * four threads per container being created, and four concurrent creates in
   * one process (the library) would then starve every other fs call.
   */
  private poll: object | undefined;

  private readLoop(): void {
    native().setNonblock(this.fd, true);
    const buf = Buffer.allocUnsafe(64 * 1024);
    this.poll = native().pollReadable(this.fd, (status) => {
      if (this.closed) return;
      if (status < 0) return this.end();
      for (;;) {
        let n: number;
        try {
          n = readSync(this.fd, buf, 0, buf.length, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
          return this.end();
        }
        if (n === 0) return this.end();
        try {
          for (const m of this.reader.push(Buffer.from(buf.subarray(0, n)))) this.deliver(m);
        } catch {
          return this.end();
        }
      }
    });
  }

  private end(): void {
    if (this.poll) {
      native().stopPoll(this.poll);
      this.poll = undefined;
    }
    this.eof = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(null);
    }
  }

  private deliver(m: Message): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(m);
    } else this.queue.push(m);
  }

  send(buf: Buffer): void {
    if (this.closed) throw new SkiffError('init pipe already closed');
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // the socket buffer is full: the init is reading, give it a moment
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          continue;
        }
        // the init died: what it said last (an ERROR) is still to be read
        if (code === 'EPIPE' || code === 'ECONNRESET') return;
        throw e;
      }
    }
  }

  /** The next message, or null at EOF. ERROR messages are thrown. */
  async next(): Promise<Message | null> {
    const m = this.queue.shift() ?? (this.eof ? null : await new Promise<Message | null>((r) => (this.waiter = r)));
    if (m && m.type === Msg.ERROR) {
      throw new InitFailed({
        op: attrI32(m, Attr.OP_INDEX) ?? -1,
        errno: attrI32(m, Attr.ERRNO) ?? 0,
        message: attrStr(m, Attr.MESSAGE) ?? 'unknown error',
      });
    }
    return m;
  }

  /** Stop talking: stop watching and close our end of the pipe. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.end(); // stops the poll before the fd number can be reused
    closeSync(this.fd);
  }

  static u32(msg: Message, attr: number): number {
    const v = attrU32(msg, attr);
    if (v === undefined) throw new SkiffError(`init protocol error: message ${msg.type} lacks attribute ${attr}`);
    return v;
  }
}

export function bootstrapMessage(b: {
  mode: number;
  cloneFlags: number;
  join: { flag: number; path: string }[];
  timensOffsets?: string;
  statedirFd?: number;
  firstPrivateFd: number;
  /** process.execCPUAffinity.initial: set by the init first thing, before the cgroup join */
  cpuAffinity?: Buffer;
}): Buffer {
  const w = new Writer();
  w.u32(Attr.MODE, b.mode);
  w.u32(Attr.CLONE_FLAGS, b.cloneFlags);
  for (const j of b.join) {
    const at = w.begin(Attr.JOIN_NS);
    w.u64(Attr.U64, j.flag);
    w.str(Attr.STR, j.path);
    w.end(at);
  }
  if (b.timensOffsets) w.str(Attr.TIMENS_OFFSETS, b.timensOffsets);
  if (b.statedirFd !== undefined) w.u32(Attr.STATEDIR_FD, b.statedirFd);
  w.u32(Attr.FIRST_PRIVATE_FD, b.firstPrivateFd);
  if (b.cpuAffinity) w.bytes(Attr.CPU_AFFINITY, b.cpuAffinity);
  return w.message(Msg.BOOTSTRAP);
}

let errMap: Map<number, [string, string]> | undefined;

/** strerror(3) text, as Go/runc print it ("no such file or directory"). */
export function strerror(errno: number): string {
  if (errno === 0) return '';
  errMap ??= (require('node:util') as typeof import('node:util')).getSystemErrorMap();
  const e = errMap.get(-errno);
  return e ? e[1].charAt(0).toLowerCase() + e[1].slice(1) : `errno ${errno}`;
}

export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    /* ignore */
  }
}
