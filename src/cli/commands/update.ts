import { readFileSync } from 'node:fs';
import type { LinuxResources } from '../../spec/types.ts';
import { checkIntelRdt, updateContainer } from '../../container/update.ts';
import { SkiffError } from '../../errors.ts';
import { validateResources } from '../../spec/validate.ts';
import { ramInBytes } from '../units.ts';
import type { FlagValues } from '../flags.ts';
import type { Command } from '../command.ts';

const RESOURCES_USAGE = `path to the file containing the resources to update or '-' to read from the standard input

The accepted format is as follow (unchanged values can be omitted):

{
  "memory": {
    "limit": 0,
    "reservation": 0,
    "swap": 0
  },
  "cpu": {
    "shares": 0,
    "quota": 0,
    "period": 0,
    "realtimeRuntime": 0,
    "realtimePeriod": 0,
    "cpus": "",
    "mems": ""
  },
  "blockIO": {
    "weight": 0
  }
}

Note: if data is to be read from a file or the standard input, all
other options are ignored.`;

export const command: Command = {
  name: 'update',
  summary: 'update container resource constraints',
  usage: 'skiff update [command options] <container-id>',
  nargs: 1,
  flags: [
    { name: 'resources', alias: 'r', type: 'string', usage: RESOURCES_USAGE },
    { name: 'blkio-weight', type: 'int', usage: 'Specifies per cgroup weight, range is from 10 to 1000', default: 0 },
    { name: 'cpu-period', type: 'string', usage: 'CPU CFS period to be used for hardcapping (in usecs). 0 to use system default' },
    { name: 'cpu-quota', type: 'string', usage: 'CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period' },
    { name: 'cpu-burst', type: 'string', usage: 'CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for burst a given period' },
    { name: 'cpu-share', type: 'string', usage: 'CPU shares (relative weight vs. other containers)' },
    { name: 'cpu-rt-period', type: 'string', usage: 'CPU realtime period to be used for hardcapping (in usecs). 0 to use system default' },
    { name: 'cpu-rt-runtime', type: 'string', usage: 'CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period' },
    { name: 'cpu-idle', type: 'string', usage: 'set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE' },
    { name: 'cpuset-cpus', type: 'string', usage: 'CPU(s) to use' },
    { name: 'cpuset-mems', type: 'string', usage: 'Memory node(s) to use' },
    { name: 'kernel-memory', type: 'string', usage: '(obsoleted; do not use)' },
    { name: 'kernel-memory-tcp', type: 'string', usage: '(obsoleted; do not use)' },
    { name: 'memory', type: 'string', usage: 'Memory limit (in bytes)' },
    { name: 'memory-reservation', type: 'string', usage: 'Memory reservation or soft_limit (in bytes)' },
    { name: 'memory-swap', type: 'string', usage: "Total memory usage (memory + swap); set '-1' to enable unlimited swap" },
    { name: 'pids-limit', type: 'int', usage: 'Maximum number of pids allowed in the container', default: 0 },
    { name: 'l3-cache-schema', type: 'string', usage: 'The string of Intel RDT/CAT L3 cache schema' },
    { name: 'mem-bw-schema', type: 'string', usage: 'The string of Intel RDT/MBA memory bandwidth schema' },
  ],
  run(g, { flags, args }) {
    let r: LinuxResources;
    const file = flags.resources as string | undefined;
    if (file) {
      r = readResources(file);
    } else {
      r = resourcesFromFlags(flags);
      for (const opt of ['kernel-memory', 'kernel-memory-tcp']) {
        if (flags[opt]) g.log.warn(`Setting --${opt} is ignored and will be removed`);
      }
    }
    checkIntelRdt(flags['l3-cache-schema'] as string | undefined, flags['mem-bw-schema'] as string | undefined);
    updateContainer(g.root, args[0], r);
    return 0;
  },
};

/** `--resources FILE|-`: a JSON LinuxResources (docker: stdin, zeros = unchanged; podman: a file). */
export function readResources(file: string): LinuxResources {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new SkiffError(`open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SkiffError(`--resources ${file}: invalid JSON: ${(e as Error).message}`);
  }
  try {
    validateResources(raw, '');
  } catch (e) {
    throw new SkiffError(`--resources ${file}: ${(e as Error).message}`);
  }
  return raw as LinuxResources;
}

/** The individual flags, parsed as runc parses them. */
export function resourcesFromFlags(flags: FlagValues): LinuxResources {
  const r: LinuxResources = { memory: {}, cpu: {}, blockIO: {}, pids: { limit: 0 } };
  const str = (name: string): string | undefined => {
    const v = flags[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const weight = Number(flags['blkio-weight'] ?? 0);
  if (weight) r.blockIO!.weight = weight & 0xffff; // Go: uint16(val)
  if (str('cpuset-cpus')) r.cpu!.cpus = str('cpuset-cpus');
  if (str('cpuset-mems')) r.cpu!.mems = str('cpuset-mems');
  const int = (name: string, unsigned: boolean): number | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    const ok = unsigned ? /^\d+$/.test(v) : /^[+-]?\d+$/.test(v);
    const n = Number(v);
    if (!ok || !Number.isSafeInteger(n)) {
      throw new SkiffError(`invalid value for ${name}: strconv.${unsigned ? 'ParseUint' : 'ParseInt'}: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    return n;
  };
  const set = <K extends string>(obj: Partial<Record<K, number>>, key: K, v: number | undefined): void => {
    if (v !== undefined) obj[key] = v;
  };
  set(r.cpu!, 'idle', int('cpu-idle', false));
  set(r.cpu!, 'burst', int('cpu-burst', true));
  set(r.cpu!, 'period', int('cpu-period', true));
  set(r.cpu!, 'realtimePeriod', int('cpu-rt-period', true));
  set(r.cpu!, 'shares', int('cpu-share', true));
  set(r.cpu!, 'quota', int('cpu-quota', false));
  set(r.cpu!, 'realtimeRuntime', int('cpu-rt-runtime', false));
  for (const [name, key] of [['memory', 'limit'], ['memory-swap', 'swap'], ['memory-reservation', 'reservation']] as const) {
    const v = str(name);
    if (v === undefined) continue;
    if (v === '-1') r.memory![key] = -1;
    else {
      try {
        r.memory![key] = ramInBytes(v);
      } catch (e) {
        throw new SkiffError(`invalid value for ${name}: ${(e as Error).message}`);
      }
    }
  }
  r.pids!.limit = Number(flags['pids-limit'] ?? 0);
  return r;
}
