// runc-compatible logging: --log FILE (default stderr), --log-format
// text|json. json lines are {"level","msg","time"}; clients (containerd,
// podman) show the last "error" line of the log file as the failure.
import { appendFileSync } from 'node:fs';
import { writeErr } from './output.ts';

export type Level = 'debug' | 'info' | 'warning' | 'error';

export class Logger {
  constructor(
    private readonly file: string | undefined,
    private readonly format: 'text' | 'json',
    private readonly debugOn: boolean,
  ) {}

  private write(level: Level, msg: string, fallback = true): void {
    if (level === 'debug' && !this.debugOn) return;
    const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const line = this.format === 'json'
      ? JSON.stringify({ level, msg, time }) + '\n'
      : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
    if (this.file) {
      try {
        appendFileSync(this.file, line);
        return;
      } catch {
        /* fall back to stderr */
      }
    }
    if (fallback) writeErr(line);
  }

  debug(msg: string): void { this.write('debug', msg); }
  info(msg: string): void { this.write('info', msg); }
  warn(msg: string): void { this.write('warning', msg); }
  error(msg: string): void { this.write('error', msg); }
  /** Errors go to the log file (if any) and always to stderr, as runc does. */
  fatal(msg: string): void {
    if (this.file) this.write('error', msg, false); // stderr gets it below, once
    // one line whatever the message holds (ids, paths and values come from
    // the user): control characters are escaped as JSON does
    writeErr(msg.replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1)) + '\n');
  }
}
