// Typed errors. A SkiffError is a user-facing failure: the CLI prints its
// message on one line (and as the last json log line) and exits non-zero,
// never with a stack trace. `pointer` is the JSON pointer of the config field
// that caused it (e.g. "/linux/namespaces/2/type"), when there is one.

export class SkiffError extends Error {
  readonly pointer: string | undefined;
  readonly code: string;
  /** the library operation that failed ('create', 'start', 'exec', …): set by src/api */
  op: string | undefined;
  /** the container the operation was about, when there is one: set by src/api */
  containerId: string | undefined;
  constructor(message: string, opts: { pointer?: string; code?: string; cause?: unknown; op?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SkiffError';
    this.pointer = opts.pointer;
    this.code = opts.code ?? 'ESKIFF';
    this.op = opts.op;
    this.containerId = undefined;
  }
}

/** Invalid config.json / process.json: names the field by JSON pointer. */
export class SpecError extends SkiffError {
  constructor(pointer: string, message: string) {
    super(`${pointer === '' ? 'config' : pointer}: ${message}`, { pointer, code: 'EINVALIDSPEC' });
    this.name = 'SpecError';
  }
}

/** A bad command-line flag or argument. */
export class UsageError extends SkiffError {
  constructor(message: string) {
    super(message, { code: 'EUSAGE' });
    this.name = 'UsageError';
  }
}

export class NotFoundError extends SkiffError {
  constructor(id: string) {
    super(`container does not exist`, { code: 'ENOTFOUND' });
    this.name = 'NotFoundError';
    this.containerId = id;
  }
}

/** Escape a JSON pointer token (RFC 6901). */
export function ptr(...tokens: (string | number)[]): string {
  return tokens.map((t) => '/' + String(t).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
