import { startContainer } from '../../container/start.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'start',
  summary: 'executes the user defined process in a created container',
  usage: 'skiff start <container-id>',
  nargs: 1,
  flags: [],
  async run(g, { args }) {
    await startContainer(g.root, args[0], (m) => g.log.warn(m));
    return 0;
  },
};
