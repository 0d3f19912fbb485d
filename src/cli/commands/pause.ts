import { pauseContainer } from '../../container/pause.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'pause',
  summary: 'pause suspends all processes inside the container',
  usage: 'skiff pause <container-id>',
  nargs: 1,
  flags: [],
  run(g, { args }) {
    pauseContainer(g.root, args[0]);
    return 0;
  },
};
