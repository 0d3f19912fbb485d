/*
 * skiff's N-API addon: thin wrappers for the syscalls Node lacks. No policy
 * here: every function does one syscall (or a tight sequence of them) and
 * throws an Error with .code = errno name and .errno on failure.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <spawn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#include "addon.h"
#include "sendfd.h"

#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 2U
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x10U
#endif

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, NULL, "napi call failed: " #call);                 \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

napi_value skiff_throw_errno(napi_env env, int err, const char *what, const char *extra) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s: %s%s%s", what, strerror(err), extra && *extra ? "\n" : "", extra ? extra : "");
  napi_value m, e, code, num;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, e, "code", code);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, e, "errno", num);
  napi_throw(env, e);
  return NULL;
}

static napi_value throw_errno(napi_env env, int err, const char *what) { return skiff_throw_errno(env, err, what, NULL); }
static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
static int32_t get_i32(napi_env env, napi_value v);

/* fcntl get-modify-set of one flag bit (FD_CLOEXEC, O_NONBLOCK, ...) */
static napi_value set_fd_flag(napi_env env, napi_callback_info info, int get, int set, int bit, const char *what) {
  napi_value argv[2];
  bool on;
  if (get_args(env, info, 2, argv)) return NULL;
  napi_get_value_bool(env, argv[1], &on);
  int fd = get_i32(env, argv[0]);
  int fl = fcntl(fd, get);
  if (fl < 0 || fcntl(fd, set, on ? (fl | bit) : (fl & ~bit)) < 0) return throw_errno(env, errno, what);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  if (argc < want) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return -1;
  }
  return 0;
}

static int32_t get_i32(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}

static napi_value make_i32(napi_env env, int32_t x) {
  napi_value v;
  napi_create_int32(env, x, &v);
  return v;
}

static int get_str(napi_env env, napi_value v, char *buf, size_t n) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, n, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string");
    return -1;
  }
  if (len >= n - 1) {
    napi_throw_range_error(env, NULL, "string too long");
    return -1;
  }
  return 0;
}

/* sealedCopy(path) -> fd: copy a binary into a sealed memfd (CVE-2019-5736):
 * the container can reach only this read-only, unlinked copy via
 * /proc/<pid>/exe, never the host's file. */
static napi_value sealed_copy(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[4096];
  if (get_args(env, info, 1, argv) || get_str(env, argv[0], path, sizeof path)) return NULL;
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) return throw_errno(env, errno, path);
  struct stat st;
  if (fstat(src, &st) < 0) {
    int e = errno;
    close(src);
    return throw_errno(env, e, "fstat");
  }
  int fd = (int)syscall(SYS_memfd_create, "skiff-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = (int)syscall(SYS_memfd_create, "skiff-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    int e = errno;
    close(src);
    return throw_errno(env, e, "memfd_create");
  }
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = sendfile(fd, src, NULL, (size_t)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(src);
      close(fd);
      return throw_errno(env, e, "copy init into memfd");
    }
    left -= n;
  }
  close(src);
  if (fchmod(fd, 0555) < 0 ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "seal memfd");
  }
  return make_i32(env, fd);
}

/* flock(fd, op) -> true, or false when LOCK_NB and it is held elsewhere */
static napi_value do_flock(napi_env env, napi_callback_info info) {
  napi_value argv[2], r;
  if (get_args(env, info, 2, argv)) return NULL;
  int op = get_i32(env, argv[1]);
  int rc;
  do rc = flock(get_i32(env, argv[0]), op);
  while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno == EWOULDBLOCK && (op & LOCK_NB)) {
    napi_get_boolean(env, false, &r);
    return r;
  }
  if (rc < 0) return throw_errno(env, errno, "flock");
  napi_get_boolean(env, true, &r);
  return r;
}

static napi_value do_mkfifo(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char path[4096];
  if (get_args(env, info, 2, argv) || get_str(env, argv[0], path, sizeof path)) return NULL;
  if (mkfifo(path, (mode_t)get_i32(env, argv[1])) < 0) return throw_errno(env, errno, path);
  return NULL;
}

static napi_value set_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return throw_errno(env, errno, "prctl(PR_SET_CHILD_SUBREAPER)");
  return NULL;
}

/* setCloexec(fd, on) */
static napi_value set_cloexec(napi_env env, napi_callback_info info) {
  return set_fd_flag(env, info, F_GETFD, F_SETFD, FD_CLOEXEC, "fcntl(F_SETFD)");
}

/* ---- exit watching without a thread: a pidfd polled on libuv's loop ---- */

struct watch {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  int pidfd;
  pid_t pid;
};

static void watch_closed(uv_handle_t *h) {
  struct watch *w = h->data;
  close(w->pidfd);
  free(w);
}

static void watch_fired(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  struct watch *w = p->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  /* reap if it is our child; otherwise we only learn that it ended */
  siginfo_t si;
  memset(&si, 0, sizeof si);
  napi_value res;
  int r = waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG | __WALL);
  if (r == 0 && si.si_pid != 0) {
    napi_create_object(env, &res);
    napi_set_named_property(env, res, "pid", make_i32(env, w->pid));
    int exited = si.si_code == CLD_EXITED;
    napi_set_named_property(env, res, "code", make_i32(env, exited ? si.si_status : -1));
    napi_set_named_property(env, res, "signal", make_i32(env, exited ? 0 : si.si_status));
  } else {
    napi_create_object(env, &res);
    napi_set_named_property(env, res, "pid", make_i32(env, w->pid));
    napi_set_named_property(env, res, "code", make_i32(env, -1));
    napi_set_named_property(env, res, "signal", make_i32(env, 0));
  }
  napi_value cb, global;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &global);
  napi_delete_reference(env, w->cb);
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, watch_closed);
  napi_call_function(env, global, cb, 1, &res, NULL);
  napi_close_handle_scope(env, scope);
}

/* watchExit(pid, cb(status)) -> true, or false if the process is already gone */
static napi_value watch_exit(napi_env env, napi_callback_info info) {
  napi_value argv[2], r;
  if (get_args(env, info, 2, argv)) return NULL;
  pid_t pid = get_i32(env, argv[0]);
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    if (errno == ESRCH) {
      napi_get_boolean(env, false, &r);
      return r;
    }
    return throw_errno(env, errno, "pidfd_open");
  }
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  struct watch *w = calloc(1, sizeof *w);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  w->env = env;
  w->pidfd = fd;
  w->pid = pid;
  w->poll.data = w;
  napi_create_reference(env, argv[1], 1, &w->cb);
  if (uv_poll_init(loop, &w->poll, fd) != 0 || uv_poll_start(&w->poll, UV_READABLE, watch_fired) != 0) {
    close(fd);
    free(w);
    return throw_errno(env, EINVAL, "uv_poll");
  }
  napi_get_boolean(env, true, &r);
  return r;
}

/* ---- fd passing (console socket, seccomp listener) ---- */

/* sendFd(sock, fd, payload) */
static napi_value send_fd(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  char payload[4096];
  if (get_args(env, info, 3, argv) || get_str(env, argv[2], payload, sizeof payload)) return NULL;
  ssize_t r = skiff_send_fd(get_i32(env, argv[0]), get_i32(env, argv[1]), payload);
  if (r < 0) return throw_errno(env, errno, "sendmsg");
  return NULL;
}

/* recvFd(sock) -> {fd, payload} (blocking) */
static napi_value recv_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1], o, s;
  if (get_args(env, info, 1, argv)) return NULL;
  char payload[4096];
  struct iovec iov = {payload, sizeof payload - 1};
  char cbuf[CMSG_SPACE(sizeof(int) * 4)];
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = sizeof cbuf;
  ssize_t r;
  do r = recvmsg(get_i32(env, argv[0]), &m, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "recvmsg");
  int fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof fd);
  payload[r] = 0;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "fd", make_i32(env, fd));
  napi_create_string_utf8(env, payload, (size_t)r, &s);
  napi_set_named_property(env, o, "payload", s);
  return o;
}

/* socketpair() -> [fd, fd] (AF_UNIX, SOCK_STREAM, cloexec) */
static napi_value do_socketpair(napi_env env, napi_callback_info info) {
  (void)info;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return throw_errno(env, errno, "socketpair");
  napi_value a;
  napi_create_array_with_length(env, 2, &a);
  napi_set_element(env, a, 0, make_i32(env, sv[0]));
  napi_set_element(env, a, 1, make_i32(env, sv[1]));
  return a;
}

/* pipe() -> [read end, write end] (cloexec; stdio pipes for the library API) */
static napi_value do_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return throw_errno(env, errno, "pipe2");
  napi_value a;
  napi_create_array_with_length(env, 2, &a);
  napi_set_element(env, a, 0, make_i32(env, p[0]));
  napi_set_element(env, a, 1, make_i32(env, p[1]));
  return a;
}

/* connectUnix(path) -> fd (blocking connect, cloexec) */
static napi_value connect_unix(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[4096];
  if (get_args(env, info, 1, argv) || get_str(env, argv[0], path, sizeof path)) return NULL;
  struct sockaddr_un { sa_family_t f; char p[108]; } sa = {AF_UNIX, {0}};
  if (strlen(path) >= sizeof sa.p) return throw_errno(env, ENAMETOOLONG, path);
  strcpy(sa.p, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, path);
  }
  return make_i32(env, fd);
}

/* ---- terminals ---- */

/* setRaw(fd) -> saved termios as a Buffer; restoreTermios(fd, buf) */
static napi_value set_raw(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  if (get_args(env, info, 1, argv)) return NULL;
  int fd = get_i32(env, argv[0]);
  struct termios t, saved;
  if (tcgetattr(fd, &saved) < 0) return throw_errno(env, errno, "tcgetattr");
  t = saved;
  cfmakeraw(&t);
  if (tcsetattr(fd, TCSANOW, &t) < 0) return throw_errno(env, errno, "tcsetattr");
  void *data;
  napi_create_buffer_copy(env, sizeof saved, &saved, &data, &out);
  return out;
}

static napi_value restore_termios(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv)) return NULL;
  void *data;
  size_t len;
  napi_get_buffer_info(env, argv[1], &data, &len);
  if (len != sizeof(struct termios)) return throw_errno(env, EINVAL, "termios");
  if (tcsetattr(get_i32(env, argv[0]), TCSANOW, data) < 0) return throw_errno(env, errno, "tcsetattr");
  return NULL;
}

/* setWinsize(fd, rows, cols); getWinsize(fd) -> {rows, cols} */
static napi_value set_winsize(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, 3, argv)) return NULL;
  struct winsize ws = {(unsigned short)get_i32(env, argv[1]), (unsigned short)get_i32(env, argv[2]), 0, 0};
  if (ioctl(get_i32(env, argv[0]), TIOCSWINSZ, &ws) < 0) return throw_errno(env, errno, "TIOCSWINSZ");
  return NULL;
}

static napi_value get_winsize(napi_env env, napi_callback_info info) {
  napi_value argv[1], o;
  if (get_args(env, info, 1, argv)) return NULL;
  struct winsize ws;
  if (ioctl(get_i32(env, argv[0]), TIOCGWINSZ, &ws) < 0) return throw_errno(env, errno, "TIOCGWINSZ");
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "rows", make_i32(env, ws.ws_row));
  napi_set_named_property(env, o, "cols", make_i32(env, ws.ws_col));
  return o;
}

static napi_value do_isatty(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  if (get_args(env, info, 1, argv)) return NULL;
  napi_get_boolean(env, isatty(get_i32(env, argv[0])) == 1, &r);
  return r;
}

/* spawnInit(path, argv, fds) -> pid. Starts the container init with
 * posix_spawn (vfork-style: no copy of Node's address space) with fds laid
 * out exactly: fds[i] becomes fd i (-1: /dev/null), every signal at its
 * default and none blocked (Node ignores SIGPIPE; the init must not inherit
 * that), and an empty environment. Whatever else is open is close-on-exec
 * in Node, and the init closes anything above the layout at once. */
static napi_value spawn_init(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  char path[4096];
  if (get_args(env, info, 3, argv) || get_str(env, argv[0], path, sizeof path)) return NULL;
  uint32_t argc = 0, nfds = 0;
  napi_get_array_length(env, argv[1], &argc);
  napi_get_array_length(env, argv[2], &nfds);
  if (argc == 0 || argc > 16 || nfds > 4096) return throw_errno(env, EINVAL, "spawnInit");
  char *args[17] = {0};
  char abuf[16][256];
  for (uint32_t i = 0; i < argc; i++) {
    napi_value v;
    napi_get_element(env, argv[1], i, &v);
    if (get_str(env, v, abuf[i], sizeof abuf[i])) return NULL;
    args[i] = abuf[i];
  }
  int *fds = calloc(nfds ? nfds : 1, sizeof *fds);
  if (!fds) return throw_errno(env, ENOMEM, "spawnInit");
  int maxfd = (int)nfds;
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    napi_get_element(env, argv[2], i, &v);
    fds[i] = get_i32(env, v);
    if (fds[i] >= maxfd) maxfd = fds[i] + 1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  /* two passes so a source never gets overwritten by an earlier target:
   * every source first to a scratch number above them all, then into place
   * (dup2 to a different number also clears close-on-exec) */
  for (uint32_t i = 0; i < nfds; i++)
    if (fds[i] >= 0) posix_spawn_file_actions_adddup2(&fa, fds[i], maxfd + (int)i);
  for (uint32_t i = 0; i < nfds; i++) {
    if (fds[i] >= 0) posix_spawn_file_actions_adddup2(&fa, maxfd + (int)i, (int)i);
    else posix_spawn_file_actions_addopen(&fa, (int)i, "/dev/null", O_RDWR, 0);
  }
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char *envp[] = {NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, path, &fa, &at, args, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  free(fds);
  if (rc != 0) return throw_errno(env, rc, "spawn init");
  return make_i32(env, pid);
}

/* ---- readable fds on libuv's loop (the init pipe): no thread-pool thread
 * is ever parked in a blocking read, however many containers are created
 * at once in one process ---- */

struct fdpoll {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  int closing;
};

static void fdpoll_closed(uv_handle_t *h) { free(h->data); }

static void fdpoll_fired(uv_poll_t *p, int status, int events) {
  (void)events;
  struct fdpoll *w = p->data;
  if (w->closing) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, global, arg;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &global);
  napi_create_int32(env, status, &arg);
  napi_call_function(env, global, cb, 1, &arg, NULL);
  napi_close_handle_scope(env, scope);
}

/* pollReadable(fd, cb(status)) -> handle; cb runs each time fd is readable */
static napi_value poll_readable(napi_env env, napi_callback_info info) {
  napi_value argv[2], ext;
  if (get_args(env, info, 2, argv)) return NULL;
  struct fdpoll *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "pollReadable");
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  w->env = env;
  w->poll.data = w;
  if (uv_poll_init(loop, &w->poll, get_i32(env, argv[0])) != 0) {
    free(w);
    return throw_errno(env, EINVAL, "uv_poll_init");
  }
  if (uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, fdpoll_fired) != 0) {
    uv_close((uv_handle_t *)&w->poll, fdpoll_closed);
    return throw_errno(env, EINVAL, "uv_poll_start");
  }
  napi_create_reference(env, argv[1], 1, &w->cb);
  napi_create_external(env, w, NULL, NULL, &ext);
  return ext;
}

/* stopPoll(handle): stop watching; call before closing the fd */
static napi_value stop_poll(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv)) return NULL;
  struct fdpoll *w;
  if (napi_get_value_external(env, argv[0], (void **)&w) != napi_ok || !w || w->closing) return NULL;
  w->closing = 1;
  napi_delete_reference(env, w->cb);
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, fdpoll_closed);
  return NULL;
}

/* setNonblock(fd, on) */
static napi_value set_nonblock(napi_env env, napi_callback_info info) {
  return set_fd_flag(env, info, F_GETFL, F_SETFL, O_NONBLOCK, "fcntl(F_SETFL)");
}

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}


NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      FN("sealedCopy", sealed_copy),   FN("spawnInit", spawn_init), FN("pollReadable", poll_readable), FN("stopPoll", stop_poll), FN("setNonblock", set_nonblock),   FN("flock", do_flock),
      FN("mkfifo", do_mkfifo),         FN("setSubreaper", set_subreaper),
      FN("setCloexec", set_cloexec),   
      FN("watchExit", watch_exit),     FN("sendFd", send_fd),
      FN("recvFd", recv_fd),           FN("socketpair", do_socketpair),
      FN("connectUnix", connect_unix), FN("setRaw", set_raw),
      FN("restoreTermios", restore_termios), FN("setWinsize", set_winsize),
      FN("getWinsize", get_winsize),   FN("isatty", do_isatty),
      FN("pipe", do_pipe),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  if (skiff_bpf_prog_load_attach) {
    napi_property_descriptor bpf[] = {FN("bpfDeviceProgAttach", skiff_bpf_prog_load_attach)};
    napi_define_properties(env, exports, 1, bpf);
  }
  return exports;
}
