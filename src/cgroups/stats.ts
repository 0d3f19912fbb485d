// Statistics in the shape `runc events --stats` prints (runc's
// types/events.go): fields Go tags `omitempty` are left out when zero/empty,
// so JSON.stringify gives the same keys as runc. (Values above 2^53, e.g.
// v1's "unlimited" 9223372036854771712, lose precision as JS numbers.)
import { posix } from 'node:path';
import { type CgroupFs, tryRead } from './fs.ts';
import { parseCpuList } from './convert.ts';

export interface CpuUsage {
  total?: number;
  percpu?: number[];
  percpu_kernel?: number[];
  percpu_user?: number[];
  kernel: number;
  user: number;
}
export interface Throttling {
  periods?: number;
  throttledPeriods?: number;
  throttledTime?: number;
}
export interface CpuStats {
  usage: CpuUsage;
  throttling: Throttling;
}
export interface CpusetStats {
  cpus?: number[];
  cpu_exclusive: number;
  mems?: number[];
  mem_hardwall: number;
  mem_exclusive: number;
  memory_migrate: number;
  memory_spread_page: number;
  memory_spread_slab: number;
  memory_pressure: number;
  sched_load_balance: number;
  sched_relax_domain_level: number;
}
export interface MemoryEntry {
  limit: number;
  usage?: number;
  max?: number;
  failcnt: number;
}
export interface MemoryStats {
  cache?: number;
  usage: MemoryEntry;
  swap: MemoryEntry;
  kernel: MemoryEntry;
  kernelTCP: MemoryEntry;
  raw?: Record<string, number>;
}
export interface PidsStats {
  current?: number;
  limit?: number;
}
export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}
export interface BlkioStats {
  ioServiceBytesRecursive?: BlkioEntry[];
  ioServicedRecursive?: BlkioEntry[];
  ioQueueRecursive?: BlkioEntry[];
  ioServiceTimeRecursive?: BlkioEntry[];
  ioWaitTimeRecursive?: BlkioEntry[];
  ioMergedRecursive?: BlkioEntry[];
  ioTimeRecursive?: BlkioEntry[];
  sectorsRecursive?: BlkioEntry[];
}
export interface HugetlbStats {
  usage?: number;
  max?: number;
  failcnt: number;
}
export interface CgroupStats {
  cpu: CpuStats;
  cpuset: CpusetStats;
  memory: MemoryStats;
  pids: PidsStats;
  blkio: BlkioStats;
  hugetlb: Record<string, HugetlbStats>;
  intel_rdt: Record<string, never>;
  /** filled in by the caller (from the container's network namespace); null like runc when unknown */
  network_interfaces: unknown[] | null;
}

const MAX_U64 = 18446744073709551615; // what Go prints for "max" (as a JS number: 18446744073709552000)

function u(text: string | undefined): number {
  if (text === undefined) return 0;
  const t = text.trim();
  if (t === 'max') return MAX_U64;
  const n = Number(t);
  return Number.isFinite(n) ? n : 0;
}

/** "key value" lines -> map */
export function parseKeyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = u(v);
  }
  return out;
}

/** Drop zero/empty values of the omitempty fields, recursively for the plain objects we build. */
function omitEmpty<T extends object>(o: T, keep: string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (!keep.includes(k) && (v === 0 || v === undefined || (Array.isArray(v) && v.length === 0) || v === '')) continue;
    if (!keep.includes(k) && v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 && k === 'raw') continue;
    out[k] = v;
  }
  return out as T;
}

// (key order as Go's struct order, so the JSON reads like runc's)
const memEntry = (e: { limit: number; usage: number; max: number; failcnt: number }): MemoryEntry =>
  omitEmpty({ limit: e.limit, usage: e.usage, max: e.max, failcnt: e.failcnt }, ['limit', 'failcnt']);

export function emptyStats(): CgroupStats {
  const me = (): MemoryEntry => ({ limit: 0, failcnt: 0 });
  return {
    cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
    cpuset: {
      cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
      memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
    },
    memory: { usage: me(), swap: me(), kernel: me(), kernelTCP: me() },
    pids: {},
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

const rd = (f: CgroupFs, dir: string, file: string): string | undefined => tryRead(f, posix.join(dir, file));
const numList = (t: string | undefined): number[] => (t ?? '').trim().split(/\s+/).filter(Boolean).map(Number);

// ---------------------------------------------------------------- v1

const CLOCK_TICKS = 100; // USER_HZ: cpuacct.stat is in ticks

export function cpuacctStatsV1(f: CgroupFs, dir: string, s: CgroupStats): void {
  const total = u(rd(f, dir, 'cpuacct.usage'));
  const st = parseKeyValues(rd(f, dir, 'cpuacct.stat'));
  const k: number[] = [];
  const us: number[] = [];
  const all = rd(f, dir, 'cpuacct.usage_all');
  for (const line of (all ?? '').split('\n').slice(1)) {
    const [, user, sys] = line.trim().split(/\s+/);
    if (user === undefined) continue;
    us.push(Number(user));
    k.push(Number(sys));
  }
  const usage: CpuUsage = {
    total,
    percpu: numList(rd(f, dir, 'cpuacct.usage_percpu')),
    percpu_kernel: k,
    percpu_user: us,
    kernel: Math.round(((st.system ?? 0) * 1e9) / CLOCK_TICKS),
    user: Math.round(((st.user ?? 0) * 1e9) / CLOCK_TICKS),
  };
  s.cpu.usage = omitEmpty(usage, ['kernel', 'user']);
}

export function cpuStatsV1(f: CgroupFs, dir: string, s: CgroupStats): void {
  const st = parseKeyValues(rd(f, dir, 'cpu.stat'));
  s.cpu.throttling = omitEmpty({ periods: st.nr_periods ?? 0, throttledPeriods: st.nr_throttled ?? 0, throttledTime: st.throttled_time ?? 0 });
}

export function cpusetStatsV1(f: CgroupFs, dir: string, s: CgroupStats): void {
  const n = (file: string): number => u(rd(f, dir, `cpuset.${file}`));
  s.cpuset = omitEmpty(
    {
      cpus: parseCpuList(rd(f, dir, 'cpuset.cpus') ?? ''),
      cpu_exclusive: n('cpu_exclusive'),
      mems: parseCpuList(rd(f, dir, 'cpuset.mems') ?? ''),
      mem_hardwall: n('mem_hardwall'),
      mem_exclusive: n('mem_exclusive'),
      memory_migrate: n('memory_migrate'),
      memory_spread_page: n('memory_spread_page'),
      memory_spread_slab: n('memory_spread_slab'),
      memory_pressure: n('memory_pressure'),
      sched_load_balance: n('sched_load_balance'),
      sched_relax_domain_level: n('sched_relax_domain_level'),
    },
    ['cpu_exclusive', 'mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page', 'memory_spread_slab',
      'memory_pressure', 'sched_load_balance', 'sched_relax_domain_level'],
  );
}

export function memoryStatsV1(f: CgroupFs, dir: string, s: CgroupStats): void {
  const raw = parseKeyValues(rd(f, dir, 'memory.stat'));
  const entry = (prefix: string): MemoryEntry => {
    const usage = rd(f, dir, `${prefix}.usage_in_bytes`);
    if (usage === undefined) return { limit: 0, failcnt: 0 }; // no swap / kmem accounting
    return memEntry({
      usage: u(usage),
      max: u(rd(f, dir, `${prefix}.max_usage_in_bytes`)),
      failcnt: u(rd(f, dir, `${prefix}.failcnt`)),
      limit: u(rd(f, dir, `${prefix}.limit_in_bytes`)),
    });
  };
  s.memory = omitEmpty(
    {
      cache: raw.cache ?? 0,
      usage: entry('memory'),
      swap: entry('memory.memsw'),
      kernel: entry('memory.kmem'),
      kernelTCP: entry('memory.kmem.tcp'),
      raw,
    },
    ['usage', 'swap', 'kernel', 'kernelTCP'],
  );
}

export function pidsStats(f: CgroupFs, dir: string, s: CgroupStats): void {
  const max = rd(f, dir, 'pids.max')?.trim();
  s.pids = omitEmpty({ current: u(rd(f, dir, 'pids.current')), limit: max === 'max' ? 0 : u(max) });
}

function blkioEntries(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3) continue; // "Total N"
    const [maj, min] = parts[0].split(':').map(Number);
    const e: BlkioEntry = { major: maj, minor: min };
    if (parts.length === 3) {
      e.op = parts[1];
      e.value = Number(parts[2]);
    }
    out.push(omitEmpty(e));
  }
  return out;
}

export function blkioStatsV1(f: CgroupFs, dir: string, s: CgroupStats): void {
  const get = (file: string): BlkioEntry[] => blkioEntries(rd(f, dir, file));
  const b: BlkioStats = {};
  if (rd(f, dir, 'blkio.io_serviced_recursive') !== undefined && get('blkio.io_serviced_recursive').length > 0) {
    // CFQ
    b.sectorsRecursive = get('blkio.sectors_recursive');
    b.ioServiceBytesRecursive = get('blkio.io_service_bytes_recursive');
    b.ioServicedRecursive = get('blkio.io_serviced_recursive');
    b.ioQueueRecursive = get('blkio.io_queued_recursive');
    b.ioServiceTimeRecursive = get('blkio.io_service_time_recursive');
    b.ioWaitTimeRecursive = get('blkio.io_wait_time_recursive');
    b.ioMergedRecursive = get('blkio.io_merged_recursive');
    b.ioTimeRecursive = get('blkio.time_recursive');
  } else if (rd(f, dir, 'blkio.bfq.io_serviced_recursive') !== undefined && get('blkio.bfq.io_serviced_recursive').length > 0) {
    b.ioServiceBytesRecursive = get('blkio.bfq.io_service_bytes_recursive');
    b.ioServicedRecursive = get('blkio.bfq.io_serviced_recursive');
  } else {
    b.ioServiceBytesRecursive = get('blkio.throttle.io_service_bytes_recursive');
    b.ioServicedRecursive = get('blkio.throttle.io_serviced_recursive');
  }
  s.blkio = omitEmpty(b);
}

export function hugetlbStatsV1(f: CgroupFs, dir: string, sizes: string[], s: CgroupStats): void {
  for (const size of sizes) {
    const usage = rd(f, dir, `hugetlb.${size}.usage_in_bytes`);
    if (usage === undefined) continue;
    s.hugetlb[size] = omitEmpty(
      { usage: u(usage), max: u(rd(f, dir, `hugetlb.${size}.max_usage_in_bytes`)), failcnt: u(rd(f, dir, `hugetlb.${size}.failcnt`)) },
      ['failcnt'],
    );
  }
}

// ---------------------------------------------------------------- v2

export function cpuStatsV2(f: CgroupFs, dir: string, s: CgroupStats): void {
  const st = parseKeyValues(rd(f, dir, 'cpu.stat'));
  s.cpu.usage = omitEmpty({ total: (st.usage_usec ?? 0) * 1000, kernel: (st.system_usec ?? 0) * 1000, user: (st.user_usec ?? 0) * 1000 }, ['kernel', 'user']);
  s.cpu.throttling = omitEmpty({ periods: st.nr_periods ?? 0, throttledPeriods: st.nr_throttled ?? 0, throttledTime: (st.throttled_usec ?? 0) * 1000 });
}

export function cpusetStatsV2(f: CgroupFs, dir: string, s: CgroupStats): void {
  const cpus = parseCpuList(rd(f, dir, 'cpuset.cpus.effective') ?? '');
  const mems = parseCpuList(rd(f, dir, 'cpuset.mems.effective') ?? '');
  if (cpus.length) s.cpuset.cpus = cpus;
  if (mems.length) s.cpuset.mems = mems;
}

export function memoryStatsV2(f: CgroupFs, dir: string, s: CgroupStats): void {
  const raw = parseKeyValues(rd(f, dir, 'memory.stat'));
  const data = (prefix: string): { usage: number; limit: number; max: number; failcnt: number } | undefined => {
    const usage = rd(f, dir, `${prefix}.current`);
    if (usage === undefined) return undefined;
    return { usage: u(usage), limit: u(rd(f, dir, `${prefix}.max`)), max: u(rd(f, dir, `${prefix}.peak`)), failcnt: 0 };
  };
  const mem = data('memory') ?? { usage: 0, limit: 0, max: 0, failcnt: 0 };
  mem.failcnt = parseKeyValues(rd(f, dir, 'memory.events')).max ?? 0;
  const swapOnly = data('memory.swap');
  const swap = swapOnly ? { ...swapOnly } : { usage: 0, limit: 0, max: 0, failcnt: 0 };
  // v1 reports mem+swap; do the same for compatibility (as runc)
  swap.usage += mem.usage;
  if (swap.limit !== MAX_U64) swap.limit += mem.limit;
  swap.max = 0;
  s.memory = omitEmpty(
    {
      cache: raw.file ?? 0,
      usage: memEntry(mem),
      swap: memEntry(swap),
      kernel: { limit: 0, failcnt: 0 },
      kernelTCP: { limit: 0, failcnt: 0 },
      raw,
    },
    ['usage', 'swap', 'kernel', 'kernelTCP'],
  );
}

export function ioStatsV2(f: CgroupFs, dir: string, s: CgroupStats): void {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of (rd(f, dir, 'io.stat') ?? '').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (!parts[0]) continue;
    const [major, minor] = parts[0].split(':').map(Number);
    for (const kv of parts.slice(1)) {
      const [k, v] = kv.split('=');
      const target = k === 'rbytes' || k === 'wbytes' ? bytes : k === 'rios' || k === 'wios' ? ios : undefined;
      if (!target) continue;
      target.push(omitEmpty({ major, minor, op: k[0] === 'r' ? 'Read' : 'Write', value: Number(v) }));
    }
  }
  s.blkio = omitEmpty({ ioServiceBytesRecursive: bytes, ioServicedRecursive: ios });
}

export function hugetlbStatsV2(f: CgroupFs, dir: string, sizes: string[], s: CgroupStats): void {
  for (const size of sizes) {
    const usage = rd(f, dir, `hugetlb.${size}.current`);
    if (usage === undefined) continue;
    const ev = parseKeyValues(rd(f, dir, `hugetlb.${size}.events`));
    s.hugetlb[size] = omitEmpty({ usage: u(usage), failcnt: ev.max ?? 0 }, ['failcnt']);
  }
}
