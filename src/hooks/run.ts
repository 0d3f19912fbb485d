// Runs OCI hooks on the host (prestart, createRuntime, poststart, poststop):
// the state JSON on stdin, `timeout` honoured, output captured for errors.
// createContainer and startContainer hooks run inside the container and are
// executed by the init (RUN_HOOK ops), not here.
import type { Hook, HookName } from '../spec/types.ts';
import { SkiffError } from '../errors.ts';

export async function runHook(h: Hook, state: string): Promise<void> {
  // loaded only when a config has hooks: node:child_process costs ~3 ms to load
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const [argv0, ...rest] = h.args && h.args.length ? h.args : [h.path];
  const child = spawn(h.path, rest, {
    argv0,
    // no env in the config → the hook inherits ours (as runc's exec.Cmd does)
    env: h.env ? Object.fromEntries(h.env.map((e) => { const i = e.indexOf('='); return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)]; })) : process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { if (out.length < 4096) out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { if (err.length < 4096) err += d.toString(); });
  child.stdin!.on('error', () => { /* the hook need not read its stdin */ });
  child.stdin!.end(state);
  let timer: NodeJS.Timeout | undefined;
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error; timedOut?: boolean }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('close', (code, signal) => resolve({ code, signal }));
    if (h.timeout && h.timeout > 0) {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: null, signal: 'SIGKILL', timedOut: true });
      }, h.timeout * 1000);
    }
  });
  if (timer) clearTimeout(timer);
  if (result.error) throw new SkiffError(`error running hook: ${result.error.message}`);
  if (result.timedOut) throw new SkiffError(`error running hook: timeout after ${h.timeout}s`);
  if (result.code !== 0) {
    const how = result.signal ? `signal: ${signalText(result.signal)}` : `exit status ${result.code}`;
    throw new SkiffError(`error running hook: ${how}, stdout: ${out.trim()}, stderr: ${err.trim()}`);
  }
}

function signalText(s: string): string {
  return s === 'SIGKILL' ? 'killed' : s.toLowerCase().replace(/^sig/, '');
}

/** Runs one kind of hook in order; the first failure stops and names the hook. */
export async function runHooks(kind: HookName, hooks: Hook[] | undefined, state: string): Promise<void> {
  for (let i = 0; i < (hooks ?? []).length; i++) {
    try {
      await runHook(hooks![i], state);
    } catch (e) {
      throw new SkiffError(`error running ${kind} hook #${i}: ${(e as Error).message}`, { pointer: `/hooks/${kind}/${i}` });
    }
  }
}
