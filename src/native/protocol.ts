// The init pipe protocol, defined once. scripts/build.mjs generates
// build/protocol.h from these tables for the C init, and a unit test compiles
// a probe against that header to check both sides agree.
//
// Wire format (the seed's netlink style):
//   message = u32 length (incl. this 16-byte header), u16 type, u16 flags,
//             u32 seq, u32 reserved, then attributes
//   attribute = u16 length (incl. 4-byte header), u16 type, payload,
//               padded with zeros to a multiple of 4
// An op is one attribute of type A_OP whose payload is u16 opcode, u16 argc
// followed by argc attributes (A_STR, A_U64, A_BYTES, A_STRV) in positional
// order. All integers are little endian (host order on x86_64).

/** Message types. Parent → init are < 0x20, init → parent ≥ 0x20. */
export const Msg = {
  BOOTSTRAP: 0x01,
  MAPS_DONE: 0x02,
  PLAN: 0x03,
  SYNC_ACK: 0x04,
  ABORT: 0x05,
  NEED_MAPS: 0x20,
  PID: 0x21,
  SYNC: 0x22,
  ERROR: 0x23,
  DONE: 0x24,
} as const;

/** Attribute types. */
export const Attr = {
  // bootstrap
  MODE: 1, // u32: 0 create, 1 exec (join)
  CLONE_FLAGS: 2, // u32: namespaces to unshare
  JOIN_NS: 3, // u32 nstype + path (nested: U64, STR)
  TIMENS_OFFSETS: 4, // str written to /proc/self/timens_offsets
  STATEDIR_FD: 5, // u32
  FIRST_PRIVATE_FD: 6, // u32: fds >= this are made close-on-exec
  CPU_AFFINITY: 7, // bytes: cpu mask set first thing (process.execCPUAffinity.initial)
  // generic payload attributes
  OP: 16,
  STR: 17,
  U64: 18,
  BYTES: 19,
  STRV: 20, // nested STR list
  // init → parent
  PID: 32, // u32
  OP_INDEX: 33, // i32 (-1: bootstrap stage)
  ERRNO: 34, // i32
  MESSAGE: 35, // str
  SYNC_KIND: 36, // u32
} as const;

/** Init plan opcodes: the primitive operations the C init knows. */
export const Op = {
  MOUNT: 1, // source, target, fstype, flags, data, resolve(0 host path | 1 in root)
  MKDIR_ALL: 2, // path in root, mode
  MKFILE: 3, // path in root, mode (create empty file, parents too)
  MKNOD: 4, // path in root, mode (incl. S_IFMT), dev, uid, gid
  SYMLINK: 5, // target, linkpath in root
  SET_ROOT: 6, // host path of the rootfs (base for "in root" paths)
  PIVOT_ROOT: 7, // rootfs path; no_pivot (0|1)
  SETHOSTNAME: 8, // name
  SETDOMAINNAME: 9, // name
  WRITE_FILE: 10, // base dir, relative path, data (opened with RESOLVE_BENEATH|NO_SYMLINKS)
  SETRLIMIT: 11, // resource, soft, hard
  PRCTL: 12, // option, arg2
  CAPBSET_DROP: 13, // mask of caps to drop from the bounding set
  CAPSET: 14, // effective, permitted, inheritable
  AMBIENT_RAISE: 15, // mask
  SETGROUPS: 16, // bytes: u32 gids
  SETRESGID: 17, // gid
  SETRESUID: 18, // uid
  UMASK: 19, // mask
  CHDIR: 20, // path
  SYNC: 21, // kind: ask the parent to run hooks, wait for SYNC_ACK
  RUN_HOOK: 22, // path, argv, envp, timeout secs, stdin
  WAIT_FIFO: 23, // send DONE, close pipe, open exec.fifo, write a byte
  SECCOMP: 24, // program bytes, flags[, listener socket fd, container process state JSON]: with the two
  //            extra args the listener fd (NEW_LISTENER) is sent over the socket with the JSON (SCM_RIGHTS)
  LOOKUP: 25, // candidates (strv), name for messages
  EXEC: 26, // argv, envp
  MASK_PATH: 27, // absolute path (after pivot)
  READONLY_PATH: 28, // absolute path (after pivot), mask of MS_* flags of the mount to keep (fallback remount)
  DONE: 29, // send DONE and close the pipe (exec mode, no fifo)
  KEYRING: 30, // session keyring name
  SET_CLOEXEC_FROM: 31, // fd: mark fds >= fd close-on-exec
  SETSID: 32,
  UNSHARE: 48, // flags: namespaces created only once the parent has set things up (cgroup)
  PTY: 33, // ptmx path, console socket fd, rows, cols, mount /dev/console (0|1): new pty, master sent over the socket, slave becomes the controlling tty and stdio
  FIX_STDIO: 34, // uid: chown fds 0-2 to uid (not /dev/null), as runc's fixStdioPermissions
  PERSONALITY: 60, // persona (personality(2))
  SCHED_SETATTR: 61, // bytes: struct sched_attr (sched_setattr(0, attr, 0))
  IOPRIO_SET: 62, // ioprio value (ioprio_set(IOPRIO_WHO_PROCESS, 0, v))
  CPU_AFFINITY: 63, // bytes: cpu mask (sched_setaffinity(0, ...))
} as const;

/** SYNC kinds: which hooks the parent runs at this point. */
export const SyncKind = {
  CREATE_RUNTIME: 1, // prestart + createRuntime (runtime namespace)
} as const;

export const Mode = { CREATE: 0, EXEC: 1 } as const;

export const HEADER_LEN = 16;
export const ATTR_HEADER_LEN = 4;

/** Render the C header. */
export function cHeader(): string {
  const lines = [
    '/* Generated from src/native/protocol.ts by scripts/build.mjs. Do not edit. */',
    '#ifndef SKIFF_PROTOCOL_H',
    '#define SKIFF_PROTOCOL_H',
  ];
  const emit = (prefix: string, table: Record<string, number>) => {
    for (const [k, v] of Object.entries(table)) lines.push(`#define ${prefix}${k} ${v}`);
  };
  emit('MSG_', Msg);
  emit('A_', Attr);
  emit('OP_', Op);
  emit('SYNC_', SyncKind);
  emit('MODE_', Mode);
  lines.push(`#define HEADER_LEN ${HEADER_LEN}`, `#define ATTR_HEADER_LEN ${ATTR_HEADER_LEN}`);
  lines.push('static const char *const op_names[] = {');
  for (const [k, v] of Object.entries(Op)) lines.push(`  [${v}] = "${k.toLowerCase()}",`);
  lines.push('};', '#define OP_MAX ' + Math.max(...Object.values(Op)), '#endif', '');
  return lines.join('\n');
}
