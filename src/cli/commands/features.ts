import { features } from '../../features.ts';
import type { Command } from '../command.ts';
import { writeOut } from '../output.ts';

export const command: Command = {
  name: 'features',
  summary: 'show the enabled features',
  usage: 'skiff features',
  nargs: 0,
  flags: [],
  run() {
    // runc prints the document indented with 4 spaces
    writeOut(JSON.stringify(features(), null, 4) + '\n');
    return 0;
  },
};
