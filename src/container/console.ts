// Terminals and fd passing, shared by create/run and exec.
//
// With process.terminal the init makes a pty inside the container and sends
// its master over a unix socket (SCM_RIGHTS): the caller's --console-socket
// (containerd, podman's conmon), or — for a foreground `run -t`/`exec -t` —
// one end of a socketpair, after which skiff relays the pty to its own stdio
// (raw mode, window size, EOF) as runc does.
import { existsSync } from 'node:fs';
import type { ReadStream } from 'node:tty';
import type { Spec } from '../spec/types.ts';
import { SkiffError } from '../errors.ts';
import { native } from '../native/addon.ts';
import type { ConsoleOpts } from '../plan/build.ts';
import { closeQuietly } from './init-process.ts';

/** runc's checkTerminal, with its wording. */
export function checkTerminal(terminal: boolean, detach: boolean, consoleSocket: string | undefined): void {
  if (detach && terminal && !consoleSocket) throw new SkiffError('cannot allocate tty if skiff will detach without setting console socket');
  if ((!detach || !terminal) && consoleSocket) throw new SkiffError('cannot use console socket if skiff will not detach or allocate tty');
}

/** How many fds from 3 up our caller really gave us (bin/skiff counts them
 * before Node starts and opens its own fds at the lowest free numbers). */
const inheritedEnv = process.env.SKIFF_INHERITED_FDS;
delete process.env.SKIFF_INHERITED_FDS;
const INHERITED = inheritedEnv !== undefined && /^\d+$/.test(inheritedEnv) ? Number(inheritedEnv) : undefined;

/** runc: every preserved fd must exist — and be one our caller gave us, not
 * one of Node's (epoll, eventfd, signal pipe…), which would leak into the container. */
export function checkPreservedFds(n: number, listen = 0): void {
  for (let i = 0; i < n; i++) {
    const fd = 3 + i;
    if (INHERITED !== undefined ? i < INHERITED : existsSync(`/proc/self/fd/${fd}`)) continue;
    const what = i < listen ? `LISTEN_FDS fd ${fd}` : `preserved-fd ${i - listen} (of ${n - listen})`;
    throw new SkiffError(`unable to stat ${what}: bad file descriptor`);
  }
}

/** runc's runner.run: LISTEN_FDS=N and LISTEN_PID=1 appended to the process env. */
export function withListenEnv(spec: Spec, n: number): Spec {
  const env = [...(spec.process?.env ?? []), `LISTEN_FDS=${n}`, 'LISTEN_PID=1'];
  return { ...spec, process: { ...spec.process!, env } };
}

/** The PTY op's arguments: the socket is the init's private fd number `index` (after the pipe). */
export function consolePlan(preserve: number, index: number, size: { height: number; width: number } | undefined): ConsoleOpts {
  // fd layout of InitProcess: 0-2, preserved fds, the pipe, private fds
  return { socketFd: 3 + preserve + 1 + index, rows: size?.height, cols: size?.width };
}

/** The size of the terminal we run in (stdin, stdout or stderr), if any. */
export function hostWinsize(): { height: number; width: number } | undefined {
  const n = native();
  for (const fd of [0, 1, 2]) {
    try {
      if (!n.isatty(fd)) continue;
      const { rows, cols } = n.getWinsize(fd);
      if (rows && cols) return { height: rows, width: cols };
    } catch {
      /* not a terminal */
    }
  }
  return undefined;
}

export interface ConsoleFds {
  /** the fd handed to the init */
  child: number;
  /** our end of the socketpair, when we receive the master ourselves */
  parent?: number;
}

/** Connect --console-socket, or make a socketpair to receive the master ourselves. */
export function openConsoleSocket(path: string | undefined): ConsoleFds {
  if (path) {
    try {
      return { child: native().connectUnix(path) };
    } catch (e) {
      throw new SkiffError(`--console-socket ${path}: ${(e as Error).message}`);
    }
  }
  const [parent, child] = native().socketpair();
  return { child, parent };
}

export function receiveConsole(c: ConsoleFds): number {
  closeQuietly(c.child);
  c.child = -1;
  const { fd } = native().recvFd(c.parent!);
  if (fd < 0) throw new SkiffError('the init sent no console');
  return fd;
}

export function closeConsoleSocket(c: ConsoleFds | undefined): void {
  if (!c) return;
  if (c.child >= 0) closeQuietly(c.child);
  closeQuietly(c.parent);
  c.child = -1;
  c.parent = undefined;
}

/**
 * Relay a pty master to our stdio: stdin → master (raw mode when stdin is a
 * terminal; at EOF of a non-terminal stdin the pty gets ^D), master → stdout,
 * our window size (now and at each SIGWINCH) → the pty.
 */
export class ConsoleRelay {
  private readonly stream: ReadStream;
  private readonly done: Promise<void>;
  private readonly hostTty: number | undefined;
  private raw = false;
  private readonly onWinch = () => this.resize();
  private readonly onStdin = (d: Buffer) => this.stream.write(d);
  private readonly onStdinEnd = () => {
    if (!this.stream.destroyed) this.stream.write('\x04');
  };

  constructor(readonly master: number) {
    const n = native();
    this.hostTty = [0, 1, 2].find((fd) => n.isatty(fd));
    this.resize();
    // node:tty (and net, streams) only load when a terminal is relayed: ~2 ms otherwise spent on every create
    const { ReadStream: TtyStream } = require('node:tty') as typeof import('node:tty');
    this.stream = new TtyStream(master);
    this.done = new Promise((resolve) => this.stream.once('close', () => resolve()));
    // EIO when the last slave fd closes: that is the end of output, not an error
    this.stream.on('error', () => this.stream.destroy());
    this.stream.on('data', (d: Buffer) => process.stdout.write(d));
    const stdin = process.stdin;
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      this.raw = true;
    }
    stdin.on('data', this.onStdin);
    if (!stdin.isTTY) stdin.on('end', this.onStdinEnd);
    stdin.on('error', () => undefined);
    process.on('SIGWINCH', this.onWinch);
  }

  resize(): void {
    if (this.hostTty === undefined) return;
    try {
      const { rows, cols } = native().getWinsize(this.hostTty);
      if (rows && cols) native().setWinsize(this.master, rows, cols);
    } catch {
      /* the pty or our terminal is gone */
    }
  }

  /** After the process exited: drain its output (up to graceMs), then restore our terminal. */
  async finish(graceMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.close();
  }

  close(): void {
    process.off('SIGWINCH', this.onWinch);
    const stdin = process.stdin;
    stdin.off('data', this.onStdin);
    stdin.off('end', this.onStdinEnd);
    if (this.raw) {
      try {
        stdin.setRawMode(false);
      } catch {
        /* not a terminal any more */
      }
    }
    stdin.pause();
    stdin.destroy();
    this.stream.destroy();
  }
}
