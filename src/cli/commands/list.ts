import { listContainers } from '../../container/query.ts';
import { UsageError } from '../../errors.ts';
import type { Command } from '../command.ts';
import { writeOut } from '../output.ts';

export const command: Command = {
  name: 'list',
  summary: 'lists containers started by skiff with the given root',
  usage: 'skiff list [command options]',
  nargs: 0,
  flags: [
    { name: 'format', alias: 'f', type: 'string', usage: 'select one of: table or json', default: 'table' },
    { name: 'quiet', alias: 'q', type: 'bool', usage: 'display only container IDs' },
  ],
  run(g, { flags }) {
    const list = listContainers(g.root);
    if (flags.quiet) {
      for (const c of list) writeOut(c.id + '\n');
      return 0;
    }
    if (flags.format === 'json') {
      writeOut(JSON.stringify(list.length ? list : null) + '\n');
      return 0;
    }
    if (flags.format !== 'table') throw new UsageError(`invalid format option`);
    // Go's tabwriter(minwidth 12, tabwidth 1, padding 3)
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...list.map((c) => [c.id, String(c.pid), c.status, c.bundle, c.created, c.owner])];
    const w = rows[0].map((_, i) => Math.max(12, ...rows.map((r) => r[i].length + 3)));
    writeOut(rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('')).join('\n') + '\n');
    return 0;
  },
};
