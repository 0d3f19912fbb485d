import { execProcess } from '../../container/exec.ts';
import { SkiffError, UsageError } from '../../errors.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'exec',
  summary: 'execute new process inside the container',
  usage: 'skiff exec [command options] <container-id> <command> [command options]  || -p process.json <container-id>',
  nargs: [1, Infinity],
  flags: [
    { name: 'console-socket', type: 'string', usage: 'path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console\'s pseudoterminal' },
    { name: 'cwd', type: 'string', usage: 'current working directory in the container' },
    { name: 'env', alias: 'e', type: 'strings', usage: 'set environment variables' },
    { name: 'tty', alias: 't', type: 'bool', usage: 'allocate a pseudo-TTY' },
    { name: 'user', alias: 'u', type: 'string', usage: 'UID (format: <uid>[:<gid>])' },
    { name: 'additional-gids', alias: 'g', type: 'strings', usage: 'additional gids' },
    { name: 'process', alias: 'p', type: 'string', usage: 'path to the process.json' },
    { name: 'detach', alias: 'd', type: 'bool', usage: 'detach from the container\'s process' },
    { name: 'pid-file', type: 'string', usage: 'specify the file to write the process id to' },
    { name: 'process-label', type: 'string', usage: 'set the asm process label for the process commonly used with selinux' },
    { name: 'apparmor', type: 'string', usage: 'set the apparmor profile for the process' },
    { name: 'no-new-privs', type: 'bool', usage: 'set the no new privileges value for the process' },
    { name: 'cap', alias: 'c', type: 'strings', usage: 'add a capability to the bounding set for the process' },
    { name: 'preserve-fds', type: 'int', usage: 'Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)', default: 0 },
    { name: 'cgroup', type: 'strings', usage: 'run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.' },
    { name: 'ignore-paused', type: 'bool', usage: 'allow exec in a paused container' },
    { name: 'no-subreaper', type: 'bool', usage: 'disable the use of the subreaper used to reap reparented processes (ignored, as by runc)' },
    { name: 'strict', type: 'bool', usage: 'treat what runc only warns about (e.g. unknown capabilities) as errors' },
  ],
  async run(g, { flags, args }) {
    try {
      if (!flags.process && args.length < 2) throw new SkiffError('exec args cannot be empty');
      const gids = ((flags['additional-gids'] as string[] | undefined) ?? []).map((s) => {
        if (!/^[+-]?\d+$/.test(s)) throw new UsageError(`invalid value "${s}" for flag -additional-gids: parse error`);
        return Number(s);
      });
      return await execProcess({
        root: g.root,
        id: args[0],
        processFile: flags.process as string | undefined,
        args: args.slice(1),
        cwd: flags.cwd as string | undefined,
        env: flags.env as string[] | undefined,
        tty: !!flags.tty,
        user: flags.user as string | undefined,
        additionalGids: gids,
        caps: flags.cap as string[] | undefined,
        noNewPrivs: flags['no-new-privs'] === undefined ? undefined : !!flags['no-new-privs'],
        apparmor: flags.apparmor as string | undefined,
        processLabel: flags['process-label'] as string | undefined,
        detach: !!flags.detach,
        pidFile: flags['pid-file'] as string | undefined,
        consoleSocket: flags['console-socket'] as string | undefined,
        preserveFds: Number(flags['preserve-fds'] ?? 0),
        cgroup: flags.cgroup as string[] | undefined,
        ignorePaused: !!flags['ignore-paused'],
        strict: !!flags.strict,
        onWarning: (m) => g.log.warn(m),
      });
    } catch (e) {
      if (e instanceof UsageError) throw e;
      // runc: "exec failed: ..." and exit status 255
      const msg = e instanceof Error && (e instanceof SkiffError || (e as NodeJS.ErrnoException).code) ? e.message : String(e instanceof Error && process.env.SKIFF_STACK ? e.stack : e);
      g.log.fatal(`exec failed: ${msg}`);
      return 255;
    }
  },
};
