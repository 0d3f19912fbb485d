import { createContainer } from '../../container/create.ts';
import { CREATE_FLAGS, strictMode, type Command } from '../command.ts';
import { listenFds } from '../listen-fds.ts';

export const command: Command = {
  name: 'create',
  summary: 'create a container',
  usage: 'skiff create [command options] <container-id>',
  nargs: 1,
  flags: CREATE_FLAGS,
  async run(g, { flags, args }) {
    await createContainer({
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
      onWarning: (m) => g.log.warn(m),
    });
    return 0;
  },
};
