import { runContainer } from '../../container/run.ts';
import { CREATE_FLAGS, createOptions, type Command } from '../command.ts';

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
      ...createOptions(g, flags, args[0]),
      detach: !!flags.detach,
      keep: !!flags.keep,
      noSubreaper: !!flags['no-subreaper'],
    });
  },
};
