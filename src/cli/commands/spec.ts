import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../errors.ts';
import { defaultSpec, formatSpec } from '../../spec/default.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'spec',
  summary: 'create a new specification file',
  usage: 'skiff spec [command options]',
  nargs: 0,
  flags: [
    { name: 'bundle', alias: 'b', type: 'string', usage: 'path to the root of the bundle directory', default: '' },
    { name: 'rootless', type: 'bool', usage: 'generate a configuration for a rootless container' },
  ],
  run(_g, { flags }) {
    const bundle = String(flags.bundle || '.');
    // runc chdirs into the bundle first
    if (!existsSync(bundle)) throw new SkiffError(`chdir ${bundle}: no such file or directory`);
    if (!statSync(bundle).isDirectory()) throw new SkiffError(`chdir ${bundle}: not a directory`);
    const file = join(bundle, 'config.json');
    if (existsSync(file)) throw new SkiffError('File config.json exists. Remove it first');
    const spec = defaultSpec({ rootless: !!flags.rootless, uid: process.getuid?.(), gid: process.getgid?.() });
    writeFileSync(file, formatSpec(spec), { mode: 0o666 });
    return 0;
  },
};
