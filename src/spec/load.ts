// Loading a bundle's config.json (create/run) and exec's process.json:
// read with a size cap, parse, validate, resolve the rootfs.

import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SkiffError, SpecError } from '../errors.ts';
import type { Process, Spec } from './types.ts';
import { validateProcess, validateSpec, type ValidateOptions } from './validate.ts';

/** Largest config.json / process.json accepted. */
export const MAX_CONFIG_SIZE = 16 * 1024 * 1024;

export interface LoadOptions extends ValidateOptions {
  /** Override MAX_CONFIG_SIZE (bytes). */
  maxSize?: number;
}

export interface LoadedBundle {
  spec: Spec;
  warnings: string[];
  /** Absolute bundle directory (resolved against the current directory, symlinks kept). */
  bundle: string;
  /** Absolute, symlink-free path of the root filesystem directory. */
  rootfs: string;
}

function errnoText(code: string | undefined, fallback: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'file name too long';
    default:
      return fallback;
  }
}

/**
 * Read a whole JSON file (at most `maxSize` bytes) and parse it. Errors are
 * SkiffErrors on one line: "open <path>: no such file or directory",
 * "<path>: invalid JSON at line 3, column 7: expected ',' or '}'",
 * "<path>: file too large (… bytes, limit 16777216)".
 */
export function readJsonFile(path: string, maxSize: number = MAX_CONFIG_SIZE): unknown {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SkiffError(`open ${path}: ${errnoText(err.code, err.message)}`, { code: err.code === 'ENOENT' ? 'ENOENT' : 'EIO', cause: e });
  }
  let buf: Buffer;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new SkiffError(`read ${path}: is a directory`, { code: 'EIO' });
    if (st.size > maxSize) throw new SkiffError(`${path}: file too large (${st.size} bytes, limit ${maxSize})`, { code: 'EINVALIDSPEC' });
    // Read until EOF but never more than maxSize + 1 bytes (the file may grow,
    // or be a pipe/proc file reporting size 0).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = total === 0 && st.size > 0 ? st.size + 1 : 65536;
      const chunk = Buffer.allocUnsafe(Math.min(want, maxSize + 1 - total));
      if (chunk.length === 0) break;
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > maxSize) throw new SkiffError(`${path}: file too large (more than ${maxSize} bytes)`, { code: 'EINVALIDSPEC' });
    }
    buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof SkiffError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new SkiffError(`read ${path}: ${errnoText(err.code, err.message)}`, { code: 'EIO', cause: e });
  } finally {
    closeSync(fd);
  }
  // Invalid UTF-8 becomes U+FFFD, as Go's decoder does inside strings.
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw jsonError(path, text, e);
  }
}

/** Parse JSON text; a syntax error becomes a one-line SkiffError naming line and column. */
export function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw jsonError(name, text, e);
  }
}

function jsonError(name: string, text: string, cause: unknown): SkiffError {
  const found = findJsonError(text);
  if (found === null) {
    const msg = cause instanceof Error ? cause.message.replace(/\s+/g, ' ') : String(cause);
    return new SkiffError(`${name}: invalid JSON: ${msg}`, { code: 'EINVALIDSPEC', cause });
  }
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < found.pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return new SkiffError(`${name}: invalid JSON at line ${line}, column ${found.pos - lineStart + 1} (offset ${found.pos}): ${found.reason}`, {
    code: 'EINVALIDSPEC',
    cause,
  });
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Locate the first JSON syntax error (RFC 8259) in `s`: offset and reason.
 * Iterative (no recursion), so deep nesting is fine. Only used after
 * JSON.parse failed, whose messages do not always carry a position.
 */
export function findJsonError(s: string): { pos: number; reason: string } | null {
  const n = s.length;
  const stack: boolean[] = []; // true = object, false = array
  let i = 0;
  let state: 0 | 1 | 2 = 0; // 0 = value expected, 1 = key expected, 2 = after a value
  const ws = (): void => {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const at = (reason: string): { pos: number; reason: string } => ({ pos: i, reason: i >= n ? 'unexpected end of input' : reason });
  const charDesc = (): string => {
    const c = s.codePointAt(i)!;
    return c === 0xfeff ? 'a byte order mark' : c < 0x20 || c === 0x7f ? `control character U+${c.toString(16).padStart(4, '0')}` : `character ${JSON.stringify(String.fromCodePoint(c))}`;
  };
  // Returns an error or null; on success i is just past the closing quote.
  const str = (): { pos: number; reason: string } | null => {
    i++;
    for (;;) {
      if (i >= n) return { pos: i, reason: 'unterminated string' };
      const c = s.charCodeAt(i);
      if (c === 34) {
        i++;
        return null;
      }
      if (c < 0x20) return { pos: i, reason: `${charDesc()} in string` };
      if (c === 92) {
        const e = s[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) return { pos: i, reason: 'invalid \\u escape in string' };
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          return { pos: i, reason: 'invalid escape in string' };
        }
        continue;
      }
      i++;
    }
  };
  for (;;) {
    ws();
    if (state === 0) {
      if (i >= n) return at('');
      const c = s[i];
      if (c === '{' || c === '[') {
        i++;
        ws();
        if (s[i] === (c === '{' ? '}' : ']')) {
          i++;
          state = 2;
        } else {
          stack.push(c === '{');
          state = c === '{' ? 1 : 0;
        }
        continue;
      }
      if (c === '"') {
        const e = str();
        if (e) return e;
        state = 2;
        continue;
      }
      if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(s);
        if (m === null) return at('invalid number');
        i += m[0].length;
        state = 2;
        continue;
      }
      let lit = false;
      for (const w of ['true', 'false', 'null']) {
        if (s.startsWith(w, i)) {
          i += w.length;
          lit = true;
          break;
        }
      }
      if (lit) {
        state = 2;
        continue;
      }
      return at(`unexpected ${charDesc()}`);
    } else if (state === 1) {
      if (i >= n) return at('');
      if (s[i] !== '"') return at(`expected a double-quoted property name, found ${charDesc()}`);
      const e = str();
      if (e) return e;
      ws();
      if (s[i] !== ':') return at(`expected ':' after property name${i < n ? `, found ${charDesc()}` : ''}`);
      i++;
      state = 0;
    } else {
      if (stack.length === 0) return i < n ? at(`unexpected ${charDesc()} after the JSON value`) : null;
      if (i >= n) return at('');
      const obj = stack[stack.length - 1];
      const c = s[i];
      if (c === ',') {
        i++;
        state = obj ? 1 : 0;
      } else if (c === (obj ? '}' : ']')) {
        i++;
        stack.pop();
      } else {
        return at(`expected ',' or '${obj ? '}' : ']'}', found ${charDesc()}`);
      }
    }
  }
}

/**
 * Load `<bundle>/config.json`: read (≤ 16 MiB), parse, validate (see
 * validateSpec; `forCreate` defaults to true), resolve `root.path` against
 * the bundle and check the rootfs is an existing directory.
 */
export function loadBundle(bundleDir: string, opts: LoadOptions = {}): LoadedBundle {
  const bundle = resolve(bundleDir);
  const configPath = `${bundle}/config.json`;
  let raw: unknown;
  try {
    raw = readJsonFile(configPath, opts.maxSize);
  } catch (e) {
    if (e instanceof SkiffError && e.code === 'ENOENT') {
      let bundleOk = true;
      try {
        bundleOk = statSync(bundle).isDirectory();
      } catch {
        bundleOk = false;
      }
      if (!bundleOk) throw new SkiffError(`bundle ${bundle}: no such file or directory`, { code: 'ENOENT', cause: e });
    }
    throw e;
  }
  const { spec, warnings } = validateSpec(raw, opts);
  const rootPath = spec.root!.path;
  const rootAbs = resolve(bundle, rootPath);
  let rootfs: string;
  try {
    rootfs = realpathSync(rootAbs);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SpecError('/root/path', `invalid rootfs: stat ${rootAbs}: ${errnoText(err.code, err.message)}`);
  }
  let isDir = false;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch {
    /* raced away: reported below */
  }
  if (!isDir) throw new SpecError('/root/path', `invalid rootfs: ${rootAbs} is not a directory`);
  return { spec, warnings, bundle, rootfs };
}

/** Load and validate exec's `--process` file. Pointers in errors are relative to the file ("/args"). */
export function loadProcessFile(path: string, opts: { strict?: boolean; maxSize?: number } = {}): { process: Process; warnings: string[] } {
  const raw = readJsonFile(resolve(path), opts.maxSize);
  return validateProcess(raw, '', opts);
}
