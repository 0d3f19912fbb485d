// Spawning skiff-init and speaking the init pipe protocol with it.
//
// The init is executed from a sealed memfd copy (CVE-2019-5736). Its fds are
// laid out by libuv's spawn: 0-2 stdio, 3..3+N-1 preserved fds, then the init
// pipe (a socketpair libuv creates for a 'pipe' stdio slot), then private fds
// (state dir, console socket). The init closes everything above that at once.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { getSystemErrorMap } from 'node:util';
import { Attr, Msg } from '../native/protocol.ts';
import { Reader, Writer, attrI32, attrStr, attrU32, type Message } from '../native/tlv.ts';
import { native } from '../native/addon.ts';
import { initBinary } from '../native/paths.ts';
import { SkiffError } from '../errors.ts';

export type StdioSlot = 'inherit' | 'pipe' | 'ignore' | number;

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
  readonly child: ChildProcess;
  private readonly sock: Duplex;
  private readonly reader = new Reader();
  private readonly queue: Message[] = [];
  private waiter: ((m: Message | null) => void) | undefined;
  private eof = false;
  /** fd numbers of the layout inside the init */
  readonly pipeFd: number;
  readonly firstPrivateFd: number;
  readonly privateFdNumbers: number[];

  constructor(opts: SpawnInitOptions = {}) {
    const preserve = opts.preserveFds ?? 0;
    const stdio: StdioOptions = [...(opts.stdio ?? ['inherit', 'inherit', 'inherit'])];
    for (let i = 0; i < preserve; i++) stdio.push(3 + i);
    this.pipeFd = stdio.length;
    stdio.push('pipe');
    this.firstPrivateFd = 3 + preserve;
    this.privateFdNumbers = [];
    for (const fd of opts.privateFds ?? []) {
      this.privateFdNumbers.push(stdio.length);
      stdio.push(fd);
    }
    const memfd = sealedInit();
    this.child = spawn(`/proc/${process.pid}/fd/${memfd}`, [String(this.pipeFd), String(stdio.length)], {
      argv0: 'skiff-init',
      stdio,
      env: {},
    });
    this.child.on('error', () => { /* surfaced as EOF on the pipe */ });
    this.sock = this.child.stdio[this.pipeFd] as Duplex;
    this.sock.on('data', (chunk: Buffer) => {
      for (const m of this.reader.push(chunk)) this.deliver(m);
    });
    const end = () => {
      this.eof = true;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(null);
      }
    };
    this.sock.on('end', end);
    this.sock.on('close', end);
    this.sock.on('error', end);
  }

  private deliver(m: Message): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(m);
    } else this.queue.push(m);
  }

  send(buf: Buffer): void {
    this.sock.write(buf);
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

  /** Wait for a message of one type; EOF or another type is a protocol error. */
  async expect(type: number, what: string): Promise<Message> {
    const m = await this.next();
    if (!m) throw new SkiffError(`init exited before ${what}${await this.exitText()}`);
    if (m.type !== type) throw new SkiffError(`init protocol error: got message ${m.type} while waiting for ${what}`);
    return m;
  }

  private async exitText(): Promise<string> {
    const c = this.child;
    if (c.exitCode === null && c.signalCode === null) {
      await new Promise((r) => { c.once('exit', r); setTimeout(r, 200); });
    }
    if (c.signalCode) return ` (killed by ${c.signalCode})`;
    if (c.exitCode !== null) return ` (exit status ${c.exitCode})`;
    return '';
  }

  /** Stop talking: close our end of the pipe. */
  close(): void {
    this.sock.destroy();
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
  errMap ??= getSystemErrorMap();
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
