// The config.json `runc spec` writes (runc 1.1: libcontainer/specconv
// Example() and ToRootless()), and a serializer that reproduces Go's
// json.MarshalIndent(spec, "", "\t") byte for byte, so `skiff spec` writes
// exactly what `runc spec` writes.

import type { Spec } from './types.ts';

/** The ociVersion runc 1.1 writes (specs-go 1.0.2-dev). */
export const RUNC_SPEC_VERSION = '1.0.2-dev';

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/**
 * The spec `runc spec` (or `runc spec --rootless`) generates. Every call
 * returns a fresh object. For rootless, the uid/gid mappings map container
 * root to the calling process's effective uid/gid, as runc does.
 */
export function defaultSpec(opts: { rootless?: boolean; uid?: number; gid?: number } = {}): Spec {
  const spec: Spec = {
    ociVersion: RUNC_SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...CAPS],
        effective: [...CAPS],
        permitted: [...CAPS],
        ambient: [...CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  if (opts.rootless) toRootless(spec, opts.uid ?? process.geteuid?.() ?? 0, opts.gid ?? process.getegid?.() ?? 0);
  return spec;
}

/** runc's specconv.ToRootless. Key order follows Go's struct order (uidMappings, gidMappings come first in Linux). */
function toRootless(spec: Spec, uid: number, gid: number): void {
  const linux = spec.linux!;
  const namespaces = linux.namespaces!.filter((n) => n.type !== 'network' && n.type !== 'user');
  namespaces.push({ type: 'user' });
  spec.mounts = spec.mounts!.map((m) => {
    if (m.destination === '/sys') {
      return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    }
    const options = m.options?.filter((o) => !o.startsWith('gid=') && !o.startsWith('uid='));
    const out = { ...m };
    if (options === undefined || options.length === 0) delete out.options;
    else out.options = options;
    return out;
  });
  // Rebuild `linux` so the keys come out in specs-go order.
  spec.linux = {
    uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    namespaces,
    maskedPaths: linux.maskedPaths,
    readonlyPaths: linux.readonlyPaths,
  };
}

// ---------------------------------------------------------------- Go-compatible JSON

const HEX = '0123456789abcdef';

/** A JSON string literal exactly as Go 1.19's encoding/json writes it (HTML-escaping on). */
export function goQuote(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      if (c === 0x22) rep = '\\"';
      else if (c === 0x5c) rep = '\\\\';
      else if (c === 0x0a) rep = '\\n';
      else if (c === 0x0d) rep = '\\r';
      else if (c === 0x09) rep = '\\t';
      else rep = '\\u00' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 0x2028 || c === 0x2029) {
      rep = c === 0x2028 ? '\\u2028' : '\\u2029';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A valid pair is written as is; a lone surrogate cannot come from valid
      // UTF-8 and Go writes invalid UTF-8 as U+FFFD.
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

function goNumber(n: number): string {
  if (Number.isInteger(n)) {
    if (Number.isSafeInteger(n)) return String(n);
    // Beyond 2^53 a double is not exact; print its exact integer value as Go
    // prints an integer field, except for the doubles that 2^64-1 and 2^63-1
    // round to, which can only have come from uint64/int64 maxima.
    if (n === 18446744073709551616) return '18446744073709551615';
    if (n === 9223372036854775808) return '9223372036854775807';
    return BigInt(n).toString();
  }
  if (!Number.isFinite(n)) throw new TypeError(`cannot encode ${n} as JSON`);
  return String(n);
}

function enc(v: unknown, indent: string): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return goQuote(v);
    case 'number':
      return goNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'object':
      break;
    default:
      return undefined; // undefined, functions, symbols: omitted (like JSON.stringify)
  }
  const inner = indent + '\t';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const parts = v.map((x) => enc(x, inner) ?? 'null');
    return '[\n' + inner + parts.join(',\n' + inner) + '\n' + indent + ']';
  }
  const parts: string[] = [];
  for (const k of Object.keys(v)) {
    const s = enc((v as Record<string, unknown>)[k], inner);
    if (s !== undefined) parts.push(goQuote(k) + ': ' + s);
  }
  if (parts.length === 0) return '{}';
  return '{\n' + inner + parts.join(',\n' + inner) + '\n' + indent + '}';
}

/**
 * Serialize a spec like Go's json.MarshalIndent(spec, "", "\t"), which is how
 * `runc spec` writes config.json: tab indentation, ": " after keys, no
 * trailing newline, <, >, & and U+2028/U+2029 escaped as \u003c etc.,
 * control characters as \u00XX (except \n, \r, \t). Object keys keep their
 * insertion order (Go uses struct order; defaultSpec() builds objects in that
 * order). Undefined properties are omitted.
 */
export function formatSpec(spec: Spec): string {
  return enc(spec, '') ?? 'null';
}
