import { createContainer } from '../../container/create.ts';
import { CREATE_FLAGS, createOptions, type Command } from '../command.ts';

export const command: Command = {
  name: 'create',
  summary: 'create a container',
  usage: 'skiff create [command options] <container-id>',
  nargs: 1,
  flags: CREATE_FLAGS,
  async run(g, { flags, args }) {
    await createContainer(createOptions(g, flags, args[0]));
    return 0;
  },
};
