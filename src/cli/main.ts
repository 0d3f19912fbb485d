// skiff's CLI entry: global flags as runc has them, then one command. Each
// command lives in src/cli/commands/<name>.ts and is loaded only when used.
import { SkiffError, UsageError } from '../errors.ts';
import { formatFlags, parseFlags, reorderArgs, type FlagDef } from './flags.ts';
import { Logger } from './log.ts';
import { mark } from '../util/trace.ts';
import type { Command, Globals } from './command.ts';
import { VERSION, COMMIT, SPEC_VERSION } from '../version.ts';
import { writeErr, writeOut } from './output.ts';

const COMMANDS: Record<string, () => Command> = {
  create: () => require('./commands/create.ts').command,
  delete: () => require('./commands/delete.ts').command,
  events: () => require('./commands/events.ts').command,
  exec: () => require('./commands/exec.ts').command,
  explain: () => require('./commands/explain.ts').command,
  features: () => require('./commands/features.ts').command,
  kill: () => require('./commands/kill.ts').command,
  list: () => require('./commands/list.ts').command,
  pause: () => require('./commands/pause.ts').command,
  ps: () => require('./commands/ps.ts').command,
  resume: () => require('./commands/resume.ts').command,
  run: () => require('./commands/run.ts').command,
  spec: () => require('./commands/spec.ts').command,
  start: () => require('./commands/start.ts').command,
  state: () => require('./commands/state.ts').command,
  update: () => require('./commands/update.ts').command,
};

/** runc's commands with urfave/cli's SkipArgReorder: what follows the id is the process's (exec) or ps's own. */
const NO_REORDER = new Set(['exec', 'ps']);

const GLOBAL_FLAGS: FlagDef[] = [
  { name: 'debug', type: 'bool', usage: 'enable debug logging' },
  { name: 'log', type: 'string', usage: 'set the log file to write skiff logs to (default is \'/dev/stderr\')' },
  { name: 'log-format', type: 'string', usage: 'set the log format (\'text\' (default), or \'json\')', default: 'text' },
  { name: 'root', type: 'string', usage: 'root directory for storage of container state (this should be located in tmpfs)', default: '/run/skiff' },
  { name: 'criu', type: 'string', usage: 'path to the criu binary used for checkpoint and restore (unsupported)' },
  { name: 'systemd-cgroup', type: 'bool', usage: 'enable systemd cgroup support (not supported yet)' },
  { name: 'rootless', type: 'string', usage: 'ignore cgroup permission errors (\'true\', \'false\', or \'auto\')', default: 'auto' },
  { name: 'version', alias: 'v', type: 'bool', usage: 'print the version' },
];

function versionText(): string {
  return `skiff version ${VERSION}\ncommit: ${COMMIT}\nspec: ${SPEC_VERSION}\nnode: ${process.version}\n`;
}

function mainHelp(): string {
  const names = Object.keys(COMMANDS).sort();
  const rows = names.map((n) => `   ${n.padEnd(10)} ${COMMANDS[n]().summary}`);
  return `NAME:\n   skiff - an OCI container runtime in TypeScript (runc-compatible)\n\nUSAGE:\n   skiff [global options] command [command options] [arguments...]\n\nVERSION:\n   ${VERSION}\n\nCOMMANDS:\n${rows.join('\n')}\n\nGLOBAL OPTIONS:\n${formatFlags(GLOBAL_FLAGS)}\n   --help, -h  show help\n`;
}

function commandHelp(c: Command): string {
  return `NAME:\n   skiff ${c.name} - ${c.summary}\n\nUSAGE:\n   ${c.usage}\n${c.flags.length ? `\nOPTIONS:\n${formatFlags(c.flags)}\n` : ''}`;
}

export async function main(argv: string[]): Promise<number> {
  mark('cli:main');
  let log = new Logger(undefined, 'text', false);
  let cmdName = '';
  try {
    const g = parseFlags(argv, GLOBAL_FLAGS);
    const fmt = String(g.flags['log-format']);
    if (fmt !== 'text' && fmt !== 'json') throw new UsageError(`invalid log-format: ${fmt}`);
    log = new Logger(g.flags.log as string | undefined, fmt, !!g.flags.debug);
    if (g.flags.version) {
      writeOut(versionText());
      return 0;
    }
    if (g.flags.help || g.args.length === 0 || g.args[0] === 'help' && g.args.length === 1) {
      writeOut(mainHelp());
      return g.flags.help || g.args[0] === 'help' ? 0 : 0;
    }
    cmdName = g.args[0] === 'help' ? g.args[1] : g.args[0];
    const load = Object.hasOwn(COMMANDS, cmdName) ? COMMANDS[cmdName] : undefined;
    if (!load) {
      // runc (urfave/cli): this text, exit status 3
      log.fatal(`No help topic for '${cmdName}'`);
      return 3;
    }
    const cmd = load();
    if (g.args[0] === 'help') {
      writeOut(commandHelp(cmd));
      return 0;
    }
    if (g.flags['systemd-cgroup']) throw new SkiffError('--systemd-cgroup: the systemd cgroup manager is not supported yet; use the default cgroupfs manager');
    const rootless = String(g.flags.rootless);
    if (rootless === 'true') throw new SkiffError('--rootless=true: rootless containers are not supported yet');
    if (rootless !== 'auto' && rootless !== 'false') throw new UsageError(`invalid value "${rootless}" for flag -rootless`);
    if (g.flags.criu) throw new SkiffError('--criu: checkpoint/restore is not supported');
    let p;
    try {
      const rest = g.args.slice(1);
      p = parseFlags(NO_REORDER.has(cmd.name) ? rest : reorderArgs(rest, cmd.flags), cmd.flags);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`Incorrect Usage: ${e.message}`);
      throw e;
    }
    if (p.flags.help) {
      writeOut(commandHelp(cmd));
      return 0;
    }
    const n = cmd.nargs;
    if (typeof n === 'number' && p.args.length !== n) {
      throw new UsageError(`skiff: "${cmd.name}" requires exactly ${n} argument(s)`);
    }
    if (Array.isArray(n) && (p.args.length < n[0] || p.args.length > n[1])) {
      throw new UsageError(p.args.length < n[0] ? `skiff: "${cmd.name}" requires a minimum of ${n[0]} argument(s)` : `skiff: "${cmd.name}" requires a maximum of ${n[1]} argument(s)`);
    }
    const globals: Globals = {
      root: g.flags.root as string,
      log,
      debug: !!g.flags.debug,
      systemdCgroup: !!g.flags['systemd-cgroup'],
      rootless,
    };
    return await cmd.run(globals, p);
  } catch (e) {
    let msg: string;
    if (e instanceof SkiffError) msg = e.message;
    else if (e instanceof Error && (e as NodeJS.ErrnoException).code && !process.env.SKIFF_STACK) msg = e.message;
    else msg = e instanceof Error ? (process.env.SKIFF_STACK ? String(e.stack) : e.message) : String(e);
    if (cmdName === 'create' || cmdName === 'run') msg = `skiff ${cmdName} failed: ${msg}`;
    log.fatal(msg);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      writeErr(String(e) + '\n');
      process.exitCode = 1;
    },
  );
}
