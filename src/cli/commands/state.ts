import { containerState } from '../../container/query.ts';
import type { Command } from '../command.ts';
import { writeOut } from '../output.ts';

export const command: Command = {
  name: 'state',
  summary: 'output the state of a container',
  usage: 'skiff state <container-id>',
  nargs: 1,
  flags: [],
  run(g, { args }) {
    writeOut(JSON.stringify(containerState(g.root, args[0]), null, 2) + '\n');
    return 0;
  },
};
