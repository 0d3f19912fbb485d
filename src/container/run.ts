// `run`: create + start + wait, as the container's subreaper, forwarding
// signals; the result is the process's exit code (128+signal when killed).
import { native, waitExit, type WaitStatus } from '../native/addon.ts';
import { createContainer, type CreateOptions } from './create.ts';
import { deleteContainer } from './delete.ts';
import { startContainer } from './start.ts';
import { mark } from '../util/trace.ts';
import { ConsoleRelay } from './console.ts';

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  keep?: boolean;
  /** --no-subreaper: do not become the subreaper of the container's processes */
  noSubreaper?: boolean;
  /** forward these signals to the container (CLI: all catchable ones) */
  forwardSignals?: NodeJS.Signals[];
}

// Not SIGPIPE: removing our handler later would reset it to the default
// (death) instead of Node's "ignore", and a hook closing its stdin early
// would then kill skiff.
export const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGALRM'];

/** Returns the exit code (detached: 0 once started). */
export async function runContainer(opts: RunOptions): Promise<number> {
  // the container's pid 1 is our child (CLONE_PARENT) either way; as a
  // subreaper we also inherit, and can reap, whatever it leaves orphaned
  if (!opts.detach && !opts.noSubreaper) native().setSubreaper();
  const created = await createContainer({ ...opts, foreground: !opts.detach });
  // foreground `run -t`: the pty is relayed to our stdio (window size included)
  const relay = created.consoleMaster !== undefined ? new ConsoleRelay(created.consoleMaster) : undefined;
  let exit: Promise<WaitStatus> | undefined;
  const handlers: [NodeJS.Signals, () => void][] = [];
  if (!opts.detach) {
    exit = waitExit(created.pid);
    for (const sig of opts.forwardSignals ?? FORWARDED) {
      if (relay && sig === 'SIGWINCH') continue;
      const h = () => {
        try {
          process.kill(created.pid, sig);
        } catch {
          /* exited */
        }
      };
      process.on(sig, h);
      handlers.push([sig, h]);
    }
  }
  try {
    await startContainer(opts.root, opts.id, opts.onWarning);
    mark('run:started');
  } catch (e) {
    relay?.close();
    if (!opts.detach) await deleteContainer(opts.root, opts.id, true).catch(() => undefined);
    throw e;
  }
  if (opts.detach || !exit) return 0;
  const st = await exit;
  mark('run:exited');
  await relay?.finish();
  for (const [sig, h] of handlers) process.off(sig, h);
  if (!opts.keep) await deleteContainer(opts.root, opts.id, true, opts.onWarning);
  return st.signal ? 128 + st.signal : st.code;
}
