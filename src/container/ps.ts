// `ps`: the processes in the container's cgroup, and runc's filtering of the
// host's `ps` output down to them.
import { SkiffError } from '../errors.ts';
import { loadContainer } from './load.ts';

/** Every pid in the container's cgroup; null (runc prints `null`) when there are none. */
export function containerPids(root: string | undefined, id: string): number[] | null {
  const c = loadContainer(root, id);
  const cg = c.cgroup();
  if (!cg) throw new SkiffError('container has no cgroup');
  if (c.status === 'stopped' && !cg.exists()) return null;
  const pids = cg.pids();
  return pids.length ? pids : null;
}

/**
 * runc's table output: the header line of `ps` output, then every line whose
 * PID column is one of `pids` (the rest of each line untouched).
 */
export function filterPsOutput(output: string, pids: number[] | null): string {
  const lines = output.split('\n');
  const pidIndex = lines[0].trim().split(/\s+/).indexOf('PID');
  if (pidIndex < 0) throw new SkiffError("couldn't find PID field in ps output");
  const want = new Set(pids ?? []);
  const out = [lines[0]];
  for (const line of lines.slice(1)) {
    if (line.length === 0) continue;
    const field = line.trim().split(/\s+/)[pidIndex];
    const p = /^[+-]?\d+$/.test(field ?? '') ? Number(field) : NaN;
    if (!Number.isSafeInteger(p)) throw new SkiffError(`unable to parse pid: strconv.Atoi: parsing ${JSON.stringify(field ?? '')}: invalid syntax`);
    if (want.has(p)) out.push(line);
  }
  return out.join('\n') + '\n';
}
