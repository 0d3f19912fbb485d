// Linux capability names <-> numbers (include/uapi/linux/capability.h).
// CAP_LAST_CAP here is the highest capability this table knows (Linux 5.9+:
// CAP_CHECKPOINT_RESTORE = 40). The running kernel's own limit is in
// /proc/sys/kernel/cap_last_cap; pass it as `lastCap` to capMask() so that
// capabilities the kernel does not have are reported (runc: "ignoring unknown
// or unavailable capabilities") instead of being set in the mask.

export const CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', //               0
  'CAP_DAC_OVERRIDE', //        1
  'CAP_DAC_READ_SEARCH', //     2
  'CAP_FOWNER', //              3
  'CAP_FSETID', //              4
  'CAP_KILL', //                5
  'CAP_SETGID', //              6
  'CAP_SETUID', //              7
  'CAP_SETPCAP', //             8
  'CAP_LINUX_IMMUTABLE', //     9
  'CAP_NET_BIND_SERVICE', //   10
  'CAP_NET_BROADCAST', //      11
  'CAP_NET_ADMIN', //          12
  'CAP_NET_RAW', //            13
  'CAP_IPC_LOCK', //           14
  'CAP_IPC_OWNER', //          15
  'CAP_SYS_MODULE', //         16
  'CAP_SYS_RAWIO', //          17
  'CAP_SYS_CHROOT', //         18
  'CAP_SYS_PTRACE', //         19
  'CAP_SYS_PACCT', //          20
  'CAP_SYS_ADMIN', //          21
  'CAP_SYS_BOOT', //           22
  'CAP_SYS_NICE', //           23
  'CAP_SYS_RESOURCE', //       24
  'CAP_SYS_TIME', //           25
  'CAP_SYS_TTY_CONFIG', //     26
  'CAP_MKNOD', //              27
  'CAP_LEASE', //              28
  'CAP_AUDIT_WRITE', //        29
  'CAP_AUDIT_CONTROL', //      30
  'CAP_SETFCAP', //            31
  'CAP_MAC_OVERRIDE', //       32
  'CAP_MAC_ADMIN', //          33
  'CAP_SYSLOG', //             34
  'CAP_WAKE_ALARM', //         35
  'CAP_BLOCK_SUSPEND', //      36
  'CAP_AUDIT_READ', //         37
  'CAP_PERFMON', //            38
  'CAP_BPF', //                39
  'CAP_CHECKPOINT_RESTORE', // 40
]);

export const CAP_LAST_CAP = CAPABILITIES.length - 1;

const BY_NAME: ReadonlyMap<string, number> = new Map(CAPABILITIES.map((n, i) => [n, i]));

/** Number of a capability name ("CAP_CHOWN" -> 0); undefined if unknown. Names are case-sensitive, as in runc. */
export function capNumber(name: string): number | undefined {
  return BY_NAME.get(name);
}

/** Name of a capability number (0 -> "CAP_CHOWN"); undefined if unknown. */
export function capName(n: number): string | undefined {
  return Number.isInteger(n) && n >= 0 && n <= CAP_LAST_CAP ? CAPABILITIES[n] : undefined;
}

export function isKnownCapability(name: string): boolean {
  return BY_NAME.has(name);
}

/**
 * Build a 64-bit capability mask from names. Unknown names, and names whose
 * number is above `lastCap` (the running kernel's cap_last_cap), are not set
 * in the mask and are returned in `unknown` (deduplicated, in input order).
 */
export function capMask(names: readonly string[] | undefined, lastCap: number = CAP_LAST_CAP): { mask: bigint; unknown: string[] } {
  let lo = 0; // bits 0..31
  let hi = 0; // bits 32..63
  const unknown: string[] = [];
  if (names) {
    for (const name of names) {
      const n = BY_NAME.get(name);
      if (n === undefined || n > lastCap) {
        if (!unknown.includes(name)) unknown.push(name);
      } else if (n < 32) {
        lo |= 1 << n;
      } else {
        hi |= 1 << (n - 32);
      }
    }
  }
  return { mask: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), unknown };
}

/** The names whose bits are set in `mask`, in number order (bits above CAP_LAST_CAP are ignored). */
export function capNames(mask: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i <= CAP_LAST_CAP; i++) if ((mask >> BigInt(i)) & 1n) out.push(CAPABILITIES[i]);
  return out;
}
