import { spawnSync } from 'node:child_process';
import { containerPids, filterPsOutput } from '../../container/ps.ts';
import { SkiffError } from '../../errors.ts';
import type { Command } from '../command.ts';
import { writeOut } from '../output.ts';

export const command: Command = {
  name: 'ps',
  summary: 'ps displays the processes running inside a container',
  usage: 'skiff ps [command options] <container-id> [ps options]',
  nargs: [1, Infinity],
  flags: [{ name: 'format', alias: 'f', type: 'string', usage: 'select one of: table or json', default: 'table' }],
  run(g, { flags, args }) {
    const pids = containerPids(g.root, args[0]);
    if (flags.format === 'json') {
      writeOut(JSON.stringify(pids) + '\n');
      return 0;
    }
    if (flags.format !== 'table') throw new SkiffError('invalid format option');
    // as runc: the host's ps (default -ef), lines filtered by the PID column
    const psArgs = args.length > 1 ? args.slice(1) : ['-ef'];
    const r = spawnSync('ps', psArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
    if (r.error) {
      if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new SkiffError('exec: "ps": executable file not found in $PATH');
      throw r.error;
    }
    const output = r.stdout + r.stderr;
    if (r.status !== 0) throw new SkiffError(`${r.signal ? `signal: ${r.signal}` : `exit status ${r.status}`}: ${output}`);
    writeOut(filterPsOutput(output, pids));
    return 0;
  },
};
