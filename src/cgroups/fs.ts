// The tiny file-system surface the cgroup code uses. Everything the cgroup
// manager does to the host goes through one of these calls, so unit tests can
// swap in an in-memory fake (test/unit/cgroups-fakefs.ts) and the integration
// tests use the real thing. Errors keep Node's shape: `.code` is the errno
// name ('ENOENT', 'EBUSY', 'EINVAL', ...).
import * as fs from 'node:fs';

export interface CgroupFs {
  /** Whole file as text (cgroup files are small). */
  readFile(path: string): string;
  /** One write(2) of `data` to an existing file (no O_CREAT, no O_TRUNC games). */
  writeFile(path: string, data: string): void;
  /** The same on libuv's thread pool (optional: the manager falls back to writeFile). */
  writeFileAsync?(path: string, data: string): Promise<void>;
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  /** mkdir(2); throws EEXIST if it is already there. */
  mkdir(path: string): void;
  rmdir(path: string): void;
  /** Names of the sub-directories of `path`. */
  subdirs(path: string): string[];
  /** Names of all entries of `path`. */
  readdir(path: string): string[];
  /** Sleep (synchronously) between retries; the fake makes it a no-op. */
  sleep(ms: number): void;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export const realFs: CgroupFs = {
  readFile: (p) => fs.readFileSync(p, 'utf8'),
  writeFile(p, data) {
    // cgroup files want exactly one write(2) per value: open without
    // O_CREAT/O_TRUNC (a typo must fail with ENOENT, not create a file).
    // (libuv opens with O_CLOEXEC by default.)
    const fd = fs.openSync(p, fs.constants.O_WRONLY);
    try {
      fs.writeSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
  },
  // callback fs in the thread pool (fs/promises would cost ~1 ms to load);
  // one write(2) of the whole value, as the cgroup files want
  writeFileAsync: (p, data) =>
    new Promise<void>((resolve, reject) => {
      fs.open(p, fs.constants.O_WRONLY, (e, fd) => {
        if (e) return reject(e);
        fs.write(fd, data, (we) => fs.close(fd, () => (we ? reject(we) : resolve())));
      });
    }),
  exists: (p) => fs.existsSync(p),
  isDirectory(p) {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
  mkdir: (p) => fs.mkdirSync(p, { mode: 0o755 }),
  rmdir: (p) => fs.rmdirSync(p),
  subdirs: (p) =>
    fs
      .readdirSync(p, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name),
  readdir: (p) => fs.readdirSync(p),
  sleep(ms) {
    if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
  },
};

export function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** readFile that returns undefined when the file is missing (ENOENT/ENODEV). */
export function tryRead(f: CgroupFs, p: string): string | undefined {
  try {
    return f.readFile(p);
  } catch (e) {
    const c = errCode(e);
    if (c === 'ENOENT' || c === 'ENODEV' || c === 'ENOTDIR') return undefined;
    throw e;
  }
}
