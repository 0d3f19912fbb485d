import { killContainer } from '../../container/kill.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'kill',
  summary: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process',
  usage: 'skiff kill [command options] <container-id> [signal]',
  nargs: [1, 2],
  flags: [{ name: 'all', alias: 'a', type: 'bool', usage: 'send the specified signal to all processes inside the container' }],
  run(g, { flags, args }) {
    killContainer(g.root, args[0], args[1] ?? 'SIGTERM', !!flags.all);
    return 0;
  },
};
