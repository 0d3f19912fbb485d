// The shape of one CLI command (src/cli/commands/<name>.ts).
import type { FlagDef, FlagValues, Parsed } from './flags.ts';
import type { CreateOptions } from '../container/create.ts';
import { listenFds } from './listen-fds.ts';
import type { Logger } from './log.ts';

export interface Globals {
  root: string | undefined;
  log: Logger;
  debug: boolean;
  systemdCgroup: boolean;
  rootless: string | undefined;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  flags: FlagDef[];
  /** exact positional argument count, or [min, max] */
  nargs?: number | [number, number];
  run(g: Globals, p: Parsed): Promise<number> | number;
}

/** The create flags that run shares. */
export const CREATE_FLAGS: FlagDef[] = [
  { name: 'bundle', alias: 'b', type: 'string', usage: 'path to the root of the bundle directory, defaults to the current directory', default: '' },
  { name: 'console-socket', type: 'string', usage: 'path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console\'s pseudoterminal' },
  { name: 'pid-file', type: 'string', usage: 'specify the file to write the process id to' },
  { name: 'no-pivot', type: 'bool', usage: 'do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk' },
  { name: 'no-new-keyring', type: 'bool', usage: 'do not create a new session keyring for the container.  This will cause the container to inherit the calling processes session key' },
  { name: 'preserve-fds', type: 'int', usage: 'Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)', default: 0 },
  { name: 'strict', type: 'bool', usage: 'treat what runc only warns about (e.g. unknown capabilities) as errors (also: SKIFF_STRICT=1)' },
];

/** --strict, or SKIFF_STRICT=1 for callers that cannot pass flags (e.g. test suites run through a RUNTIME path). */
export function strictMode(flag: unknown): boolean {
  return !!flag || process.env.SKIFF_STRICT === '1';
}

/** create's flags (shared with run) → the library's CreateOptions. */
export function createOptions(g: Globals, flags: FlagValues, id: string): CreateOptions {
  const listen = listenFds();
  return {
    id,
    bundle: String(flags.bundle || '.'),
    root: g.root,
    pidFile: flags['pid-file'] as string | undefined,
    consoleSocket: flags['console-socket'] as string | undefined,
    noPivot: !!flags['no-pivot'],
    noNewKeyring: !!flags['no-new-keyring'],
    preserveFds: listen + Number(flags['preserve-fds'] ?? 0),
    listenFds: listen,
    strict: strictMode(flags.strict),
    onWarning: (m) => g.log.warn(m),
    onDebug: g.debug ? (m) => g.log.debug(m) : undefined,
  };
}
