import { resumeContainer } from '../../container/pause.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'resume',
  summary: 'resumes all processes that have been previously paused',
  usage: 'skiff resume <container-id>',
  nargs: 1,
  flags: [],
  run(g, { args }) {
    resumeContainer(g.root, args[0]);
    return 0;
  },
};
