// The TypeScript face of the N-API addon (native/addon/addon.c). Loaded
// lazily: commands that need no extra syscalls never pay for dlopen.
import { join } from 'node:path';
import { skiffHome } from './paths.ts';

export interface WaitStatus {
  pid: number;
  /** exit code, or -1 when killed by a signal (or when not our child) */
  code: number;
  /** the killing signal, or 0 */
  signal: number;
}

export interface Addon {
  sealedCopy(path: string): number;
  /** posix_spawn with fds[i] → fd i (-1: /dev/null), default signals, empty env */
  spawnInit(path: string, argv: string[], fds: number[]): number;
  /** watch fd on libuv's loop; cb(status) whenever it is readable (status < 0: error) */
  pollReadable(fd: number, cb: (status: number) => void): object;
  stopPoll(handle: object): void;
  setNonblock(fd: number, on: boolean): void;
  flock(fd: number, op: number): boolean;
  mkfifo(path: string, mode: number): void;
  setSubreaper(): void;
  setCloexec(fd: number, on: boolean): void;
  watchExit(pid: number, cb: (s: WaitStatus) => void): boolean;
  sendFd(sock: number, fd: number, payload: string): void;
  recvFd(sock: number): { fd: number; payload: string };
  socketpair(): [number, number];
  /** pipe2(O_CLOEXEC): [read end, write end] */
  pipe(): [number, number];
  connectUnix(path: string): number;
  setRaw(fd: number): Buffer;
  restoreTermios(fd: number, saved: Buffer): void;
  setWinsize(fd: number, rows: number, cols: number): void;
  getWinsize(fd: number): { rows: number; cols: number };
  isatty(fd: number): boolean;
  bpfDeviceProgAttach?: (...args: unknown[]) => unknown;
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;

let addon: Addon | undefined;

export function native(): Addon {
  if (!addon) {
    const file = process.env.SKIFF_ADDON ?? join(skiffHome(), 'build', 'skiff.node');
    const m = { exports: {} as Addon };
    process.dlopen(m, file);
    addon = m.exports;
  }
  return addon;
}

/** Resolves when the process exits (reaping it if it is our child). */
export function waitExit(pid: number): Promise<WaitStatus> {
  return new Promise((resolve) => {
    if (!native().watchExit(pid, resolve)) resolve({ pid, code: -1, signal: 0 });
  });
}
