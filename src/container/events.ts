// `events`: runc's event stream. One JSON object per line, the shape of
// runc's types.Event ({"type","id","data"}): a "stats" event every interval
// and an "oom" event whenever the memory cgroup's OOM counters rise, until
// the container stops (runc stops when its OOM notifier closes: the cgroup
// is gone or, on v2, empty). OOM counters are polled (no eventfd), a few
// times a second, and checked once more after the container stopped, so an
// OOM that killed the init is still reported.
import { SkiffError } from '../errors.ts';
import type { CgroupManager, CgroupStats, OomEvents } from '../cgroups/index.ts';
import { loadContainer } from './load.ts';
import { isAlive } from './state.ts';

export interface ContainerEvent {
  type: 'stats' | 'oom';
  id: string;
  data?: CgroupStats;
}

// JS numbers lose the low digits of the kernel's "unlimited" values; print
// them as Go does (v1's PAGE_COUNTER_MAX * 4096, and v2's "max" = MaxUint64).
const BIG: [RegExp, string][] = [
  [/(?<=[:,[])9223372036854772000(?=[,}\]])/g, '9223372036854771712'],
  [/(?<=[:,[])18446744073709552000(?=[,}\]])/g, '18446744073709551615'],
];

/** One event as the line runc prints (JSON + newline). */
export function formatEvent(e: ContainerEvent): string {
  let s = JSON.stringify(e);
  if (e.data) for (const [re, v] of BIG) s = s.replace(re, v);
  return s + '\n';
}

export interface EventsOptions {
  /** stats interval in ms (runc default 5 s) */
  intervalMs: number;
  /** one stats event, then return */
  statsOnly: boolean;
  write: (line: string) => void;
  onError?: (msg: string) => void;
  /** how often OOM counters and liveness are checked (ms) */
  pollMs?: number;
  /** stop early (tests, library use) */
  signal?: AbortSignal;
}

export async function containerEvents(root: string | undefined, id: string, o: EventsOptions): Promise<void> {
  if (!(o.intervalMs > 0)) throw new SkiffError('duration interval must be greater than 0');
  const c = loadContainer(root, id);
  if (c.status === 'stopped') throw new SkiffError(`container with id ${id} is not running`);
  const cg = c.cgroup();
  if (!cg) throw new SkiffError('container has no cgroup');
  const statsEvent = (): ContainerEvent => ({ type: 'stats', id, data: cg.stats() });
  if (o.statsOnly) {
    o.write(formatEvent(statsEvent()));
    return;
  }
  const poll = Math.max(1, Math.min(o.pollMs ?? 100, o.intervalMs));
  let last = readOom(cg);
  const checkOom = (): void => {
    const now = readOom(cg);
    if (!now || !last) {
      last = now ?? last;
      return;
    }
    if (now.oom > last.oom || now.oomKill > last.oomKill || (now.underOom && !last.underOom)) o.write(formatEvent({ type: 'oom', id }));
    last = now;
  };
  const alive = (): boolean => isAlive(c.state.pid, c.state.startTime) && cg.exists();
  let nextStats = Date.now() + o.intervalMs;
  while (!o.signal?.aborted) {
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(poll, nextStats - Date.now()))));
    checkOom();
    if (!alive()) {
      checkOom();
      return;
    }
    if (Date.now() >= nextStats) {
      nextStats += o.intervalMs;
      if (nextStats < Date.now()) nextStats = Date.now() + o.intervalMs; // fell behind: no burst
      try {
        o.write(formatEvent(statsEvent()));
      } catch (e) {
        o.onError?.((e as Error).message); // runc logs and goes on
      }
    }
  }
}

function readOom(cg: CgroupManager): OomEvents | undefined {
  try {
    return cg.oomEvents();
  } catch {
    return undefined;
  }
}
