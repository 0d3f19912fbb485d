// RLIMIT_* names <-> resource numbers for Linux (asm-generic/resource.h, as
// used on x86_64 and aarch64; the table runc 1.1 accepts, rlimit_linux.go).

export const RLIMITS: readonly string[] = Object.freeze([
  'RLIMIT_CPU', //         0
  'RLIMIT_FSIZE', //       1
  'RLIMIT_DATA', //        2
  'RLIMIT_STACK', //       3
  'RLIMIT_CORE', //        4
  'RLIMIT_RSS', //         5
  'RLIMIT_NPROC', //       6
  'RLIMIT_NOFILE', //      7
  'RLIMIT_MEMLOCK', //     8
  'RLIMIT_AS', //          9
  'RLIMIT_LOCKS', //      10
  'RLIMIT_SIGPENDING', // 11
  'RLIMIT_MSGQUEUE', //   12
  'RLIMIT_NICE', //       13
  'RLIMIT_RTPRIO', //     14
  'RLIMIT_RTTIME', //     15
]);

/** RLIM_INFINITY (2^64-1) as a bigint; a JSON value of 18446744073709551615 parses to 2^64 as a double. */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

const BY_NAME: ReadonlyMap<string, number> = new Map(RLIMITS.map((n, i) => [n, i]));

/** Resource number of an RLIMIT_* name; undefined if unknown (runc: "wrong rlimit value: X"). */
export function rlimitNumber(name: string): number | undefined {
  return BY_NAME.get(name);
}

export function rlimitName(n: number): string | undefined {
  return Number.isInteger(n) && n >= 0 && n < RLIMITS.length ? RLIMITS[n] : undefined;
}

/**
 * An rlimit value from config.json as the exact 64-bit value to pass to
 * setrlimit/prlimit. Values at or above 2^64 (i.e. 18446744073709551615 after
 * JSON.parse rounding) become RLIM_INFINITY. Values above 2^53 are already
 * rounded by JSON.parse; only RLIM_INFINITY survives that meaningfully.
 */
export function rlimitValue(v: number): bigint {
  if (!(v >= 0)) return 0n;
  if (v >= 18446744073709551615) return RLIM_INFINITY; // the double 2^64
  return BigInt(Math.floor(v));
}
