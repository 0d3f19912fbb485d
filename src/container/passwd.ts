// HOME for the container user, from the container's /etc/passwd, read
// without following symlinks out of the rootfs (a hostile image may point
// /etc/passwd anywhere: a host file, a FIFO, /dev/zero).
import { closeSync, fstatSync, lstatSync, openSync, readSync, readlinkSync, constants as C } from 'node:fs';
import { posix } from 'node:path';

const MAX = 1 << 20;

/** Resolve `path` inside `root` by hand, symlinks clamped to the root. */
export function resolveInRoot(root: string, path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  const out: string[] = [];
  let hops = 0;
  while (parts.length) {
    const p = parts.shift()!;
    if (p === '.') continue;
    if (p === '..') {
      out.pop();
      continue;
    }
    const host = posix.join(root, ...out, p);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) return undefined;
      const t = readlinkSync(host);
      if (t.startsWith('/')) out.length = 0;
      parts.unshift(...t.split('/').filter(Boolean));
      continue;
    }
    out.push(p);
  }
  return posix.join(root, ...out);
}

export function readFileInRoot(root: string, path: string): string | undefined {
  const host = resolveInRoot(root, path);
  if (!host) return undefined;
  let fd: number;
  try {
    fd = openSync(host, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK | C.O_NOCTTY);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX) return undefined;
    const buf = Buffer.alloc(st.size);
    const n = readSync(fd, buf, 0, st.size, 0);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** runc sets HOME from the container's passwd entry when the env lacks it. */
export function lookupHome(rootfs: string, uid: number, env: string[] | undefined): string | undefined {
  if (env?.some((e) => e.startsWith('HOME='))) return undefined;
  const text = readFileInRoot(rootfs, '/etc/passwd');
  if (!text) return '/';
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 6 && Number(f[2]) === uid && f[2] !== '') return f[5] || '/';
  }
  return '/';
}
