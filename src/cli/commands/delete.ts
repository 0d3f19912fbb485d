import { deleteContainer } from '../../container/delete.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'delete',
  summary: 'delete any resources held by the container often used with detached container',
  usage: 'skiff delete [command options] <container-id>',
  nargs: 1,
  flags: [{ name: 'force', alias: 'f', type: 'bool', usage: 'Forcibly deletes the container if it is still running (uses SIGKILL)' }],
  async run(g, { flags, args }) {
    await deleteContainer(g.root, args[0], !!flags.force, (m) => g.log.warn(m));
    return 0;
  },
};
