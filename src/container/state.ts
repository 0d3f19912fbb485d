// The state directory of one container (<root>/<id>/): state.json written
// atomically, the exec FIFO, and an flock on the directory so two commands
// cannot interleave on one container. Status is computed from /proc every
// time (pid + start time), never trusted from the file.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, rmdirSync, unlinkSync, writeFileSync, constants as C } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStatus } from '../spec/types.ts';
import type { CgroupState } from '../cgroups/index.ts';
import { NotFoundError, SkiffError } from '../errors.ts';
import { LOCK_EX, LOCK_NB, LOCK_SH, native } from '../native/addon.ts';

export const DEFAULT_ROOT = '/run/skiff';
export const STATE_FILE = 'state.json';
export const FIFO = 'exec.fifo';

/** What skiff remembers about a container (state.json). */
export interface StoredState {
  ociVersion: string;
  id: string;
  /** 0 until the init reported its pid */
  pid: number;
  /** field 22 of /proc/<pid>/stat: tells a reused pid apart */
  startTime: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339 */
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** false until create finished: a crashed create leaves it false */
  createComplete: boolean;
  cgroup?: CgroupState;
  /** namespace paths of the init, /proc/<pid>/ns/<type>, for exec */
  namespaces?: Record<string, string>;
  /** the container has its own pid namespace (killing pid 1 kills all) */
  ownPidNs: boolean;
  /** the config, for poststop hooks and exec defaults */
  config: import('../spec/types.ts').Spec;
  /** resolved --root */
  root: string;
}

const ID_RE = /^[\w+\-.]+$/;

export function validateId(id: string): void {
  if (!id) throw new SkiffError('container id cannot be empty');
  if (!ID_RE.test(id) || id === '.' || id === '..' || id.length > 1024) throw new SkiffError(`invalid id format: ${id}`);
}

export function containerDir(root: string, id: string): string {
  validateId(id);
  return join(root, id);
}

/** Reserve the id: mkdir is the atomic test (EEXIST → duplicate). */
export function makeContainerDir(root: string, id: string): string {
  const dir = containerDir(root, id);
  mkdirSync(root, { recursive: true, mode: 0o711 });
  try {
    mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new SkiffError(`container with id exists: ${id}`, { code: 'EEXIST' });
    throw e;
  }
  return dir;
}

/** An flock on the container directory; released by close. */
export class DirLock {
  constructor(readonly fd: number) {}
  static acquire(dir: string, exclusive = true, wait = true): DirLock | null {
    let fd: number;
    try {
      fd = openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const ok = native().flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB));
    if (!ok) {
      closeSync(fd);
      return null;
    }
    return new DirLock(fd);
  }
  release(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

export function writeState(dir: string, s: StoredState): void {
  const tmp = join(dir, `.${STATE_FILE}.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
  renameSync(tmp, join(dir, STATE_FILE));
}

export function readState(root: string, id: string): StoredState {
  const dir = containerDir(root, id);
  let raw: string;
  try {
    raw = readFileSync(join(dir, STATE_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(id);
    throw e;
  }
  try {
    return JSON.parse(raw) as StoredState;
  } catch {
    throw new SkiffError(`state of container ${id} is corrupt (${join(dir, STATE_FILE)})`);
  }
}

/**
 * Remove a state dir: flat files only (state.json, exec.fifo, temp files).
 * By hand rather than rmSync({recursive}), whose implementation loads
 * fs/promises and readline (~1-2 ms per delete); anything unexpected (a
 * subdirectory) falls back to it.
 */
export function removeContainerDir(dir: string): void {
  try {
    for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
    rmdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    rmSync(dir, { recursive: true, force: true });
  }
}

export function listIds(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && ID_RE.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

// ---- liveness ----

export interface ProcStat {
  state: string;
  startTime: string;
}

/** State letter and start time of a pid, or undefined if it does not exist. */
export function procStat(pid: number): ProcStat | undefined {
  if (!(pid > 0)) return undefined;
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parens: fields start after the last ')'
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], startTime: f[19] };
}

/** Is this the process we started (same start time) and not yet dead? */
export function isAlive(pid: number, startTime: string): boolean {
  const st = procStat(pid);
  return !!st && st.startTime === startTime && st.state !== 'Z' && st.state !== 'X';
}

export function computeStatus(dir: string, s: StoredState, isFrozen?: () => boolean): ContainerStatus {
  if (!s.pid) return s.createComplete ? 'stopped' : 'creating';
  if (!isAlive(s.pid, s.startTime)) return 'stopped';
  if (!s.createComplete) return 'creating';
  // runc checks the freezer first: a created container can be paused too
  try {
    if (isFrozen?.()) return 'paused';
  } catch {
    /* cgroup gone: not paused */
  }
  // created = the init still waits on the fifo; a fifo left by a `start`
  // that died after releasing the init must not make a running container
  // look created (its exe is no longer our sealed init)
  if (existsSync(join(dir, FIFO)) && isOurInit(s.pid)) return 'created';
  return 'running';
}

/** Is pid still executing skiff-init (from its sealed memfd)? */
export function isOurInit(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`).startsWith('/memfd:skiff-init');
  } catch {
    return true; // cannot tell (no permission): trust the fifo, as runc does
  }
}
