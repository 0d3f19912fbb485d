// LinuxResources -> cgroup file writes, for v1 controllers and for cgroup v2,
// following runc's libcontainer/cgroups/fs (v1) and fs2 (v2) semantics:
// a zero value means "unset, leave alone"; -1 means unlimited.
import { posix } from 'node:path';
import type {
  LinuxBlockIO, LinuxCPU, LinuxHugepageLimit, LinuxMemory, LinuxNetwork, LinuxPids, LinuxRdma, LinuxResources,
} from '../spec/types.ts';
import { SkiffError, SpecError, ptr } from '../errors.ts';
import { type CgroupFs, errCode } from './fs.ts';
import { blkioWeightToIoWeight, memswToV2Swap, sharesToWeight, v2Num } from './convert.ts';

const R = '/linux/resources';

export interface SetContext {
  fs: CgroupFs;
  update: boolean;
  /** Huge page sizes the host supports ("2MB", "1GB"); undefined = unknown (don't check). */
  hugePageSizes?: string[];
}

/** Decimal text for a (possibly > 2^53) integer, never in exponent notation. */
export function num(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  if (Number.isInteger(n)) return BigInt(n).toString();
  return String(Math.trunc(n));
}

export function cgWrite(c: SetContext, dir: string, file: string, value: string, pointer: string): void {
  const p = posix.join(dir, file);
  try {
    c.fs.writeFile(p, value);
  } catch (e) {
    const code = errCode(e) ?? 'EIO';
    const why =
      code === 'ENOENT' ? 'the kernel does not provide this file'
      : code === 'EINVAL' ? 'invalid value'
      : code === 'EBUSY' ? 'device or resource busy'
      : code === 'EPERM' || code === 'EACCES' ? 'permission denied'
      : (e as Error).message;
    throw new SkiffError(`${pointer}: cannot write "${value.trim()}" to ${p}: ${why} (${code})`, { pointer, cause: e, code: 'ECGROUP' });
  }
}

function readNum(c: SetContext, dir: string, file: string): number {
  const t = c.fs.readFile(posix.join(dir, file)).trim();
  return t === 'max' ? Infinity : Number(t);
}

const has = (c: SetContext, dir: string, file: string): boolean => c.fs.exists(posix.join(dir, file));

// ---------------------------------------------------------------- is-set checks

export function memorySet(m: LinuxMemory | undefined): boolean {
  if (!m) return false;
  return !!(m.limit || m.reservation || m.swap || m.kernel || m.kernelTCP || m.disableOOMKiller ||
    (m.swappiness !== undefined && m.swappiness !== null && m.swappiness !== -1));
}
export function cpuSet(c: LinuxCPU | undefined): boolean {
  if (!c) return false;
  return !!(c.shares || c.quota || c.period || c.realtimePeriod || c.realtimeRuntime ||
    (c.burst !== undefined && c.burst !== null) || (c.idle !== undefined && c.idle !== null));
}
export const cpusetSet = (c: LinuxCPU | undefined): boolean => !!(c && (c.cpus || c.mems));
export const pidsSet = (p: LinuxPids | undefined): boolean => !!(p && p.limit);
export function blkioSet(b: LinuxBlockIO | undefined): boolean {
  if (!b) return false;
  return !!(b.weight || b.leafWeight || b.weightDevice?.length || b.throttleReadBpsDevice?.length ||
    b.throttleWriteBpsDevice?.length || b.throttleReadIOPSDevice?.length || b.throttleWriteIOPSDevice?.length);
}
export const hugetlbSet = (h: LinuxHugepageLimit[] | undefined): boolean => !!h?.length;
export const netClsSet = (n: LinuxNetwork | undefined): boolean => !!n?.classID;
export const netPrioSet = (n: LinuxNetwork | undefined): boolean => !!n?.priorities?.length;
export const rdmaSet = (r: Record<string, LinuxRdma> | undefined): boolean => !!r && Object.keys(r).length > 0;

// ---------------------------------------------------------------- validation (both versions)

export function validateResources(r: LinuxResources, hugePageSizes?: string[]): void {
  const m = r.memory;
  if (m) {
    for (const f of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) {
      const v = m[f];
      if (v !== undefined && v !== null && (!Number.isInteger(v) || v < -1)) {
        throw new SpecError(`${R}/memory/${f}`, `invalid value ${v} (want a byte count, or -1 for unlimited)`);
      }
    }
    if (m.swappiness !== undefined && m.swappiness !== null && m.swappiness !== -1 && !(m.swappiness >= 0 && m.swappiness <= 100)) {
      throw new SpecError(`${R}/memory/swappiness`, `invalid memory swappiness value: ${m.swappiness} (valid range is 0-100)`);
    }
    if (m.limit && m.limit > 0 && m.swap && m.swap > 0 && m.swap < m.limit) {
      throw new SpecError(`${R}/memory/swap`, `memory+swap limit (${m.swap}) should be >= memory limit (${m.limit})`);
    }
  }
  const cpu = r.cpu;
  if (cpu) {
    if (cpu.shares !== undefined && cpu.shares !== null && (!Number.isInteger(cpu.shares) || cpu.shares < 0)) {
      throw new SpecError(`${R}/cpu/shares`, `invalid value ${cpu.shares}`);
    }
    if (cpu.quota !== undefined && cpu.quota !== null && (!Number.isInteger(cpu.quota) || cpu.quota < -1)) {
      throw new SpecError(`${R}/cpu/quota`, `invalid value ${cpu.quota} (want microseconds, or -1 for unlimited)`);
    }
    for (const f of ['period', 'burst', 'realtimePeriod'] as const) {
      const v = cpu[f];
      if (v !== undefined && v !== null && (!Number.isInteger(v) || v < 0)) throw new SpecError(`${R}/cpu/${f}`, `invalid value ${v}`);
    }
    for (const f of ['cpus', 'mems'] as const) {
      const v = cpu[f];
      if (v && !/^\s*\d+(-\d+)?(\s*,\s*\d+(-\d+)?)*\s*$/.test(v)) throw new SpecError(`${R}/cpu/${f}`, `invalid list "${v}" (want e.g. "0-3,6")`);
    }
  }
  if (r.pids && (typeof r.pids.limit !== 'number' || !Number.isInteger(r.pids.limit))) {
    throw new SpecError(`${R}/pids/limit`, `invalid value ${String(r.pids.limit)}`);
  }
  r.hugepageLimits?.forEach((h, i) => {
    if (!h.pageSize || (hugePageSizes && !hugePageSizes.includes(h.pageSize))) {
      throw new SpecError(`${R}/hugepageLimits${ptr(i, 'pageSize')}`,
        `unsupported huge page size "${h.pageSize}"` + (hugePageSizes ? ` (this host has: ${hugePageSizes.join(', ') || 'none'})` : ''));
    }
  });
  if (r.unified) {
    for (const k of Object.keys(r.unified)) {
      if (k.includes('/') || k === '.' || k === '..') throw new SpecError(`${R}/unified${ptr(k)}`, `unified resource "${k}" must be a file name (no slashes)`);
      if (!/^[a-z_]+\.[^.]/.test(k)) throw new SpecError(`${R}/unified${ptr(k)}`, `unified resource "${k}" must be in the form CONTROLLER.PARAMETER`);
    }
  }
}

// ---------------------------------------------------------------- cgroup v1

export function setMemoryV1(c: SetContext, dir: string, m: LinuxMemory): void {
  const P = `${R}/memory`;
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  // memory unlimited and swap not given: make swap unlimited too (if the kernel accounts swap)
  if (limit === -1 && swap === 0 && has(c, dir, 'memory.memsw.limit_in_bytes')) swap = -1;
  if (m.checkBeforeUpdate && c.update && limit > 0) {
    const usage = readNum(c, dir, 'memory.usage_in_bytes');
    if (usage >= limit) throw new SkiffError(`${P}/limit: rejecting memory limit ${limit} below usage ${usage}`, { pointer: `${P}/limit` });
  }
  const setMem = (): void => {
    if (limit === 0) return;
    try {
      cgWrite(c, dir, 'memory.limit_in_bytes', num(limit), `${P}/limit`);
    } catch (e) {
      if (errCode((e as Error).cause) === 'EBUSY') {
        const usage = readNum(c, dir, 'memory.usage_in_bytes');
        const peak = readNum(c, dir, 'memory.max_usage_in_bytes');
        throw new SkiffError(`${P}/limit: unable to set memory limit to ${limit} (current usage: ${usage}, peak usage: ${peak})`, { pointer: `${P}/limit`, cause: e });
      }
      throw e;
    }
  };
  const setSwap = (): void => {
    if (swap === 0) return;
    cgWrite(c, dir, 'memory.memsw.limit_in_bytes', num(swap), `${P}/swap`);
  };
  if (limit !== 0 && swap !== 0) {
    // The kernel wants memsw >= limit at every moment: order the two writes.
    const cur = readNum(c, dir, 'memory.limit_in_bytes');
    if (swap === -1 || cur < swap) {
      setSwap();
      setMem();
    } else {
      setMem();
      setSwap();
    }
  } else {
    setMem();
    setSwap();
  }
  // Kernel memory limits are deprecated (runc >= 1.1 ignores them); write them where the kernel still has the files.
  if (m.kernel && has(c, dir, 'memory.kmem.limit_in_bytes')) cgWrite(c, dir, 'memory.kmem.limit_in_bytes', num(m.kernel), `${P}/kernel`);
  if (m.kernelTCP && has(c, dir, 'memory.kmem.tcp.limit_in_bytes')) cgWrite(c, dir, 'memory.kmem.tcp.limit_in_bytes', num(m.kernelTCP), `${P}/kernelTCP`);
  if (m.reservation) cgWrite(c, dir, 'memory.soft_limit_in_bytes', num(m.reservation), `${P}/reservation`);
  if (m.disableOOMKiller) cgWrite(c, dir, 'memory.oom_control', '1', `${P}/disableOOMKiller`);
  if (m.swappiness !== undefined && m.swappiness !== null && m.swappiness !== -1) {
    cgWrite(c, dir, 'memory.swappiness', num(m.swappiness), `${P}/swappiness`);
  }
}

export function setCpuV1(c: SetContext, dir: string, cpu: LinuxCPU): void {
  const P = `${R}/cpu`;
  if (cpu.shares) {
    cgWrite(c, dir, 'cpu.shares', num(cpu.shares), `${P}/shares`);
    const got = readNum(c, dir, 'cpu.shares');
    if (cpu.shares > got) throw new SpecError(`${P}/shares`, `the maximum allowed cpu-shares is ${got}`);
    if (cpu.shares < got) throw new SpecError(`${P}/shares`, `the minimum allowed cpu-shares is ${got}`);
  }
  let periodPending = false;
  if (cpu.period) {
    try {
      cgWrite(c, dir, 'cpu.cfs_period_us', num(cpu.period), `${P}/period`);
    } catch (e) {
      // A smaller period can be refused (EINVAL) until the quota is lowered: retry after the quota.
      if (errCode((e as Error).cause) !== 'EINVAL' || !cpu.quota) throw e;
      periodPending = true;
    }
  }
  if (cpu.quota) {
    cgWrite(c, dir, 'cpu.cfs_quota_us', num(cpu.quota), `${P}/quota`);
    if (periodPending) cgWrite(c, dir, 'cpu.cfs_period_us', num(cpu.period!), `${P}/period`);
  }
  if (cpu.burst !== undefined && cpu.burst !== null) cgWrite(c, dir, 'cpu.cfs_burst_us', num(cpu.burst), `${P}/burst`);
  if (cpu.idle !== undefined && cpu.idle !== null) cgWrite(c, dir, 'cpu.idle', num(cpu.idle), `${P}/idle`);
  if (cpu.realtimePeriod) cgWrite(c, dir, 'cpu.rt_period_us', num(cpu.realtimePeriod), `${P}/realtimePeriod`);
  if (cpu.realtimeRuntime) cgWrite(c, dir, 'cpu.rt_runtime_us', num(cpu.realtimeRuntime), `${P}/realtimeRuntime`);
}

export function setCpusetV1(c: SetContext, dir: string, cpu: LinuxCPU): void {
  if (cpu.cpus) cgWrite(c, dir, 'cpuset.cpus', cpu.cpus, `${R}/cpu/cpus`);
  if (cpu.mems) cgWrite(c, dir, 'cpuset.mems', cpu.mems, `${R}/cpu/mems`);
}

export function setPids(c: SetContext, dir: string, p: LinuxPids): void {
  // runc: 0 = leave alone, negative = unlimited
  if (!p.limit) return;
  cgWrite(c, dir, 'pids.max', p.limit > 0 ? num(p.limit) : 'max', `${R}/pids/limit`);
}

export function setBlkioV1(c: SetContext, dir: string, b: LinuxBlockIO): void {
  const P = `${R}/blockIO`;
  // CFQ (blkio.weight) or BFQ (blkio.bfq.weight), whichever the kernel has
  const cfq = has(c, dir, 'blkio.weight');
  const weightFile = cfq ? 'blkio.weight' : 'blkio.bfq.weight';
  const weightDeviceFile = cfq ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
  if (b.weight) cgWrite(c, dir, weightFile, num(b.weight), `${P}/weight`);
  if (b.leafWeight) cgWrite(c, dir, 'blkio.leaf_weight', num(b.leafWeight), `${P}/leafWeight`);
  b.weightDevice?.forEach((wd, i) => {
    if (wd.weight) cgWrite(c, dir, weightDeviceFile, `${wd.major}:${wd.minor} ${wd.weight}`, `${P}/weightDevice${ptr(i, 'weight')}`);
    if (wd.leafWeight) cgWrite(c, dir, 'blkio.leaf_weight_device', `${wd.major}:${wd.minor} ${wd.leafWeight}`, `${P}/weightDevice${ptr(i, 'leafWeight')}`);
  });
  const thr = (list: LinuxBlockIO['throttleReadBpsDevice'], field: string, file: string): void =>
    list?.forEach((t, i) => cgWrite(c, dir, file, `${t.major}:${t.minor} ${num(t.rate)}`, `${P}/${field}${ptr(i, 'rate')}`));
  thr(b.throttleReadBpsDevice, 'throttleReadBpsDevice', 'blkio.throttle.read_bps_device');
  thr(b.throttleWriteBpsDevice, 'throttleWriteBpsDevice', 'blkio.throttle.write_bps_device');
  thr(b.throttleReadIOPSDevice, 'throttleReadIOPSDevice', 'blkio.throttle.read_iops_device');
  thr(b.throttleWriteIOPSDevice, 'throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device');
}

export function setHugetlbV1(c: SetContext, dir: string, list: LinuxHugepageLimit[]): void {
  list.forEach((h, i) => {
    const pointer = `${R}/hugepageLimits${ptr(i, 'limit')}`;
    cgWrite(c, dir, `hugetlb.${h.pageSize}.limit_in_bytes`, num(h.limit), pointer);
    const rsvd = `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`;
    if (has(c, dir, rsvd)) cgWrite(c, dir, rsvd, num(h.limit), pointer);
  });
}

export function setNetCls(c: SetContext, dir: string, n: LinuxNetwork): void {
  if (n.classID) cgWrite(c, dir, 'net_cls.classid', num(n.classID), `${R}/network/classID`);
}

export function setNetPrio(c: SetContext, dir: string, n: LinuxNetwork): void {
  n.priorities?.forEach((p, i) =>
    cgWrite(c, dir, 'net_prio.ifpriomap', `${p.name} ${p.priority}`, `${R}/network/priorities${ptr(i)}`));
}

export function rdmaLine(device: string, l: LinuxRdma): string {
  let s = device;
  if (l.hcaHandles !== undefined && l.hcaHandles !== null) s += ` hca_handle=${l.hcaHandles}`;
  if (l.hcaObjects !== undefined && l.hcaObjects !== null) s += ` hca_object=${l.hcaObjects}`;
  return s;
}

/** rdma.max has the same format on v1 and v2. */
export function setRdma(c: SetContext, dir: string, r: Record<string, LinuxRdma>): void {
  for (const [dev, l] of Object.entries(r)) cgWrite(c, dir, 'rdma.max', rdmaLine(dev, l), `${R}/rdma${ptr(dev)}`);
}

// ---------------------------------------------------------------- cgroup v2

export function setMemoryV2(c: SetContext, dir: string, m: LinuxMemory): void {
  const P = `${R}/memory`;
  if (!(m.limit || m.swap || m.reservation)) return; // swappiness, OOM killer, kernel: no v2 equivalent (ignored, as runc)
  const limit = m.limit ?? 0;
  if (m.checkBeforeUpdate && c.update && limit > 0) {
    const usage = readNum(c, dir, 'memory.current');
    if (usage >= limit) throw new SkiffError(`${P}/limit: rejecting memory limit ${limit} below usage ${usage}`, { pointer: `${P}/limit` });
  }
  let swap: number;
  try {
    swap = memswToV2Swap(m.swap ?? 0, limit);
  } catch (e) {
    throw new SpecError(`${P}/swap`, (e as Error).message);
  }
  let swapStr = v2Num(swap);
  // memory == swap: no swap at all
  if (swapStr === '' && swap === 0 && (m.swap ?? 0) > 0) swapStr = '0';
  if (swapStr !== '') {
    try {
      cgWrite(c, dir, 'memory.swap.max', swapStr, `${P}/swap`);
    } catch (e) {
      // no swap accounting: quietly ignore "unlimited" and "none"
      if (!(errCode((e as Error).cause) === 'ENOENT' && (swapStr === 'max' || swapStr === '0'))) throw e;
    }
  }
  const lim = v2Num(limit);
  if (lim) cgWrite(c, dir, 'memory.max', lim === 'max' ? lim : num(limit), `${P}/limit`);
  const low = v2Num(m.reservation);
  if (low) cgWrite(c, dir, 'memory.low', low === 'max' ? low : num(m.reservation!), `${P}/reservation`);
}

export function setCpuV2(c: SetContext, dir: string, cpu: LinuxCPU): void {
  const P = `${R}/cpu`;
  if (cpu.realtimePeriod || cpu.realtimeRuntime) {
    throw new SpecError(`${P}/${cpu.realtimeRuntime ? 'realtimeRuntime' : 'realtimePeriod'}`, 'real-time CPU scheduling limits are not supported on cgroup v2');
  }
  if (cpu.shares) cgWrite(c, dir, 'cpu.weight', String(sharesToWeight(cpu.shares)), `${P}/shares`);
  if (cpu.idle !== undefined && cpu.idle !== null) cgWrite(c, dir, 'cpu.idle', num(cpu.idle), `${P}/idle`);
  let burstPending = false;
  if (cpu.burst !== undefined && cpu.burst !== null) {
    try {
      cgWrite(c, dir, 'cpu.max.burst', num(cpu.burst), `${P}/burst`);
    } catch (e) {
      if (errCode((e as Error).cause) !== 'EINVAL' || !cpu.quota) throw e;
      burstPending = true;
    }
  }
  if (cpu.quota || cpu.period) {
    let v = cpu.quota && cpu.quota > 0 ? num(cpu.quota) : 'max';
    if (cpu.period) v += ` ${num(cpu.period)}`;
    cgWrite(c, dir, 'cpu.max', v, `${P}/${cpu.quota ? 'quota' : 'period'}`);
    if (burstPending) cgWrite(c, dir, 'cpu.max.burst', num(cpu.burst!), `${P}/burst`);
  }
}

export function setCpusetV2(c: SetContext, dir: string, cpu: LinuxCPU): void {
  if (cpu.cpus) cgWrite(c, dir, 'cpuset.cpus', cpu.cpus, `${R}/cpu/cpus`);
  if (cpu.mems) cgWrite(c, dir, 'cpuset.mems', cpu.mems, `${R}/cpu/mems`);
}

export function setIoV2(c: SetContext, dir: string, b: LinuxBlockIO): void {
  const P = `${R}/blockIO`;
  // BFQ takes the blkio weight as is; otherwise convert to io.weight's range
  const bfq = has(c, dir, 'io.bfq.weight');
  if (b.weight) {
    if (bfq) cgWrite(c, dir, 'io.bfq.weight', num(b.weight), `${P}/weight`);
    else cgWrite(c, dir, 'io.weight', String(blkioWeightToIoWeight(b.weight)), `${P}/weight`);
  }
  if (bfq) {
    b.weightDevice?.forEach((wd, i) => {
      if (wd.weight) cgWrite(c, dir, 'io.bfq.weight', `${wd.major}:${wd.minor} ${wd.weight}`, `${P}/weightDevice${ptr(i, 'weight')}`);
    });
  }
  const thr = (list: LinuxBlockIO['throttleReadBpsDevice'], field: string, key: string): void =>
    list?.forEach((t, i) => cgWrite(c, dir, 'io.max', `${t.major}:${t.minor} ${key}=${num(t.rate)}`, `${P}/${field}${ptr(i, 'rate')}`));
  thr(b.throttleReadBpsDevice, 'throttleReadBpsDevice', 'rbps');
  thr(b.throttleWriteBpsDevice, 'throttleWriteBpsDevice', 'wbps');
  thr(b.throttleReadIOPSDevice, 'throttleReadIOPSDevice', 'riops');
  thr(b.throttleWriteIOPSDevice, 'throttleWriteIOPSDevice', 'wiops');
}

export function setHugetlbV2(c: SetContext, dir: string, list: LinuxHugepageLimit[]): void {
  list.forEach((h, i) => {
    const pointer = `${R}/hugepageLimits${ptr(i, 'limit')}`;
    cgWrite(c, dir, `hugetlb.${h.pageSize}.max`, num(h.limit), pointer);
    const rsvd = `hugetlb.${h.pageSize}.rsvd.max`;
    if (has(c, dir, rsvd)) cgWrite(c, dir, rsvd, num(h.limit), pointer);
  });
}

/**
 * linux.resources.unified: written as is. `available` is the set of
 * controllers enabled in the cgroup (its cgroup.controllers).
 */
export function setUnified(c: SetContext, dir: string, u: Record<string, string>, available: Set<string>): void {
  for (const [k, v] of Object.entries(u)) {
    const pointer = `${R}/unified${ptr(k)}`;
    const ctl = k.split('.')[0];
    if (ctl !== 'cgroup' && !available.has(ctl)) {
      throw new SkiffError(`${pointer}: unified resource "${k}" can't be set: controller "${ctl}" not available`, { pointer, code: 'ECGROUP' });
    }
    // multi-line values (io.max, rdma.max...) take one write per line
    for (const line of v.split('\n')) {
      if (line.trim() === '' && v.trim() !== '') continue;
      cgWrite(c, dir, k, line, pointer);
    }
  }
}
