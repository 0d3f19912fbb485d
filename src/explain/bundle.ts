// Host facts for `skiff explain`: the bundle (validated as create validates
// it), the cgroup dirs the container would get, the LSMs, cap_last_cap.
// Reads only; creates nothing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadBundle } from '../spec/load.ts';
import { createCgroupManager } from '../cgroups/index.ts';
import { detectLsm } from '../container/lsm.ts';
import { lookupHome } from '../container/passwd.ts';
import { explain, type Explained, type Section } from './explain.ts';

export interface ExplainBundleOptions {
  bundle: string;
  strict?: boolean;
  syscalls?: string[];
  syscallArgs?: bigint[];
  sections?: Section[];
}

export function explainBundle(o: ExplainBundleOptions): Explained {
  const { spec, warnings, bundle, rootfs } = loadBundle(o.bundle, { strict: o.strict, forCreate: true });
  const cgroup = createCgroupManager({ id: '<id>', cgroupsPath: spec.linux?.cgroupsPath, resources: spec.linux?.resources }).state;
  let lastCap: number | undefined;
  try {
    lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    lastCap = undefined;
  }
  return explain({
    spec,
    warnings,
    configPath: join(bundle, 'config.json'),
    rootfs,
    cgroup,
    isDir: (p) => {
      try {
        return statSync(p).isDirectory();
      } catch {
        return true;
      }
    },
    lastCap,
    lsmHost: detectLsm(),
    home: lookupHome(rootfs, spec.process!.user.uid, spec.process!.env),
    hasKcore: existsSync('/proc/kcore'),
    syscalls: o.syscalls,
    syscallArgs: o.syscallArgs,
    sections: o.sections,
  });
}
