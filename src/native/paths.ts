// Where skiff's own files live, from the source tree (tests, via tsx) or
// from dist/ (the bundles): the directory holding package.json.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let home: string | undefined;

export function skiffHome(): string {
  if (home) return home;
  let d = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'build', 'skiff-init')) || existsSync(join(d, 'package.json'))) return (home = d);
    d = dirname(d);
  }
  throw new Error(`cannot find skiff's install directory from ${__dirname}`);
}

export const initBinary = (): string => process.env.SKIFF_INIT ?? join(skiffHome(), 'build', 'skiff-init');
