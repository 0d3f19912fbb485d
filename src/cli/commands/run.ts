import { runContainer } from '../../container/run.ts';
import { CREATE_FLAGS, strictMode, type Command } from '../command.ts';
import { listenFds } from '../listen-fds.ts';

export const command: Command = {
  name: 'run',
  summary: 'create and run a container',
  usage: 'skiff run [command options] <container-id>',
  nargs: 1,
  flags: [
    ...CREATE_FLAGS,
    { name: 'detach', alias: 'd', type: 'bool', usage: 'detach from the container\'s process' },
    { name: 'keep', type: 'bool', usage: 'do not delete the container after it exits' },
    { name: 'no-subreaper', type: 'bool', usage: 'disable the use of the subreaper used to reap reparented processes' },
  ],
  async run(g, { flags, args }) {
    return runContainer({
      id: args[0],
      bundle: String(flags.bundle || '.'),
      root: g.root,
      pidFile: flags['pid-file'] as string | undefined,
      consoleSocket: flags['console-socket'] as string | undefined,
      noPivot: !!flags['no-pivot'],
      noNewKeyring: !!flags['no-new-keyring'],
      preserveFds: listenFds() + Number(flags['preserve-fds'] ?? 0),
      listenFds: listenFds(),
      strict: strictMode(flags.strict),
      detach: !!flags.detach,
      keep: !!flags.keep,
      onWarning: (m) => g.log.warn(m),
    });
  },
};
