// v1 <-> v2 value conversions, as runc does them (libcontainer/cgroups/utils.go).

/** cpu.shares [2..262144] -> cpu.weight [1..10000]; 0 means unset. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  const s = Math.min(Math.max(shares, 2), 262144);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/** blkio.weight [10..1000] -> io.weight [1..10000]; 0 means unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  const w = Math.min(Math.max(weight, 10), 1000);
  return 1 + Math.floor(((w - 10) * 9999) / 990);
}

/**
 * OCI memory.swap is the v1 memsw value (memory + swap). cgroup v2's
 * memory.swap.max is swap only. Mirrors runc's ConvertMemorySwapToCgroupV2Value:
 * returns -1 for "max", 0 for "do not write", else the swap-only amount.
 * Throws a plain Error (the caller adds the field pointer).
 */
export function memswToV2Swap(memorySwap: number, memory: number): number {
  // memory unlimited and swap not given: both unlimited
  if (memory === -1 && memorySwap === 0) return -1;
  if (memorySwap === -1 || memorySwap === 0) return memorySwap;
  if (memory === 0 || memory === -1) throw new Error('unable to set swap limit without memory limit');
  if (memory < 0) throw new Error(`invalid memory value: ${memory}`);
  if (memorySwap < memory) throw new Error('memory+swap limit should be >= memory limit');
  return memorySwap - memory;
}

/** runc's numToStr for v2 files: 0 -> '' (unset), -1 -> 'max', else the number. */
export function v2Num(value: number | undefined): string {
  if (value === undefined || value === 0) return '';
  if (value === -1) return 'max';
  return String(value);
}

/** Page-size directory names (hugepages-2048kB) -> the cgroup file spelling (2MB). */
export function hugePageSizeName(dirName: string): string | undefined {
  const m = /^hugepages-(\d+)kB$/.exec(dirName);
  if (!m) return undefined;
  let size = Number(m[1]) * 1024;
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (size >= 1024 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  return `${size}${units[i]}`;
}

/** Parse a cpuset list ("0-3,7") into numbers. */
export function parseCpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) continue;
    for (let i = lo; i <= hi; i++) out.push(i);
  }
  return out;
}
