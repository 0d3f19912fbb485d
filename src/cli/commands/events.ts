import { containerEvents } from '../../container/events.ts';
import { UsageError } from '../../errors.ts';
import { parseGoDuration } from '../units.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'events',
  summary: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
  usage: 'skiff events [command options] <container-id>',
  nargs: 1,
  flags: [
    { name: 'interval', type: 'string', usage: 'set the stats collection interval', default: '5s' },
    { name: 'stats', type: 'bool', usage: "display the container's stats then exit" },
  ],
  async run(g, { flags, args }) {
    let intervalMs: number;
    try {
      intervalMs = parseGoDuration(String(flags.interval));
    } catch {
      throw new UsageError(`Incorrect Usage: invalid value "${String(flags.interval)}" for flag -interval: parse error`);
    }
    await containerEvents(g.root, args[0], {
      intervalMs,
      statsOnly: !!flags.stats,
      write: (line) => process.stdout.write(line),
      onError: (m) => g.log.error(m),
    });
    return 0;
  },
};
