/*
 * skiff-init: the container's init. A dumb interpreter of a plan built in
 * TypeScript (src/plan/). It reads bootstrap data from the init pipe, joins
 * or creates namespaces, forks the container's pid 1, runs the plan's ops in
 * order and execs the user process. Every failure is reported to the parent
 * as (op index, errno, message). It decides nothing the plan could decide.
 *
 * usage: skiff-init PIPE_FD KEEP_FDS
 *   fds >= KEEP_FDS are closed at once (nothing leaks from the caller).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/personality.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

#include "protocol.h"
#include "sendfd.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define MAX_ARGS 64
#define MAX_LIST 4096

static int pipe_fd = -1;   /* -1 once closed: errors then go to stderr */
static int statedir_fd = -1;
static int root_fd = -1;   /* base for "in root" paths */
static int cur_op = -1;    /* index of the op being run, for errors */
static const char *exec_path;

/* ---- messages ---- */

struct buf {
  uint8_t *p;
  size_t len, cap;
};

static void buf_put(struct buf *b, const void *d, size_t n) {
  if (b->len + n + 4 > b->cap) {
    size_t cap = (b->cap ? b->cap * 2 : 256) + n;
    uint8_t *p = realloc(b->p, cap);
    if (!p) _exit(120);
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, d, n);
  b->len += n;
}

static void put_attr(struct buf *b, uint16_t type, const void *d, size_t n) {
  uint16_t hdr[2] = {(uint16_t)(n + ATTR_HEADER_LEN), type};
  static const uint8_t zero[4];
  buf_put(b, hdr, sizeof hdr);
  buf_put(b, d, n);
  buf_put(b, zero, (4 - (n & 3)) & 3);
}

static int send_msg(uint16_t type, struct buf *attrs) {
  uint8_t hdr[HEADER_LEN] = {0};
  uint32_t len = HEADER_LEN + (attrs ? attrs->len : 0);
  memcpy(hdr, &len, 4);
  memcpy(hdr + 4, &type, 2);
  struct buf b = {0};
  buf_put(&b, hdr, HEADER_LEN);
  if (attrs) buf_put(&b, attrs->p, attrs->len);
  size_t off = 0;
  while (off < b.len) {
    ssize_t w = write(pipe_fd, b.p + off, b.len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      free(b.p);
      return -1;
    }
    off += (size_t)w;
  }
  free(b.p);
  return 0;
}

static void send_u32(uint16_t type, uint16_t attr, uint32_t v) {
  struct buf b = {0};
  put_attr(&b, attr, &v, 4);
  send_msg(type, &b);
  free(b.p);
}

/* Report a failure to the parent (or stderr once the pipe is closed) and exit. */
__attribute__((noreturn, format(printf, 2, 3))) static void fail(int err, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (pipe_fd >= 0) {
    struct buf b = {0};
    int32_t idx = cur_op, e = err;
    put_attr(&b, A_OP_INDEX, &idx, 4);
    put_attr(&b, A_ERRNO, &e, 4);
    put_attr(&b, A_MESSAGE, msg, strlen(msg) + 1);
    send_msg(MSG_ERROR, &b);
  } else {
    dprintf(2, "skiff-init: op %d: %s: %s\n", cur_op, msg, strerror(err));
  }
  _exit(err == ENOENT || err == EACCES ? 127 : 1);
}

/* Read one whole message; returns its type, fills body and blen (the attributes). */
static int read_full(int fd, void *p, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = read(fd, (uint8_t *)p + off, n - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    off += (size_t)r;
  }
  return 0;
}

static int recv_msg(uint8_t **body, size_t *blen) {
  uint8_t hdr[HEADER_LEN];
  if (read_full(pipe_fd, hdr, HEADER_LEN) < 0) _exit(121); /* parent gone */
  uint32_t len;
  uint16_t type;
  memcpy(&len, hdr, 4);
  memcpy(&type, hdr + 4, 2);
  if (len < HEADER_LEN || len > (64u << 20)) fail(EPROTO, "bad message length %u", len);
  *blen = len - HEADER_LEN;
  *body = malloc(*blen + 1);
  if (!*body) fail(ENOMEM, "malloc");
  if (read_full(pipe_fd, *body, *blen) < 0) _exit(121);
  if (type == MSG_ABORT) _exit(122);
  return type;
}

/* ---- attribute iteration ---- */

struct attr {
  uint16_t type;
  uint16_t len; /* payload length */
  const uint8_t *data;
};

/* Returns the next attribute at *off within [p, p+n), or 0 at the end. */
static int next_attr(const uint8_t *p, size_t n, size_t *off, struct attr *a) {
  if (*off + ATTR_HEADER_LEN > n) return 0;
  uint16_t hdr[2];
  memcpy(hdr, p + *off, 4);
  if (hdr[0] < ATTR_HEADER_LEN || *off + hdr[0] > n) fail(EPROTO, "bad attribute");
  a->type = hdr[1];
  a->len = hdr[0] - ATTR_HEADER_LEN;
  a->data = p + *off + ATTR_HEADER_LEN;
  *off += ((size_t)hdr[0] + 3) & ~(size_t)3;
  return 1;
}

static uint64_t attr_u64(const struct attr *a) {
  uint64_t v = 0;
  memcpy(&v, a->data, a->len < 8 ? a->len : 8);
  return v;
}

static const char *attr_str(const struct attr *a) {
  if (a->len == 0 || a->data[a->len - 1] != 0) fail(EPROTO, "string attribute not terminated");
  return (const char *)a->data;
}

/* An op's positional arguments. */
struct args {
  int n;
  struct attr a[MAX_ARGS];
};

static const char *arg_str(struct args *g, int i) {
  if (i >= g->n || g->a[i].type != A_STR) fail(EPROTO, "arg %d: want string", i);
  return attr_str(&g->a[i]);
}

static uint64_t arg_u64(struct args *g, int i) {
  if (i >= g->n || g->a[i].type != A_U64) fail(EPROTO, "arg %d: want u64", i);
  return attr_u64(&g->a[i]);
}

/* A STRV argument as a NULL-terminated vector (pointers into the message). */
static char **arg_strv(struct args *g, int i) {
  if (i >= g->n || g->a[i].type != A_STRV) fail(EPROTO, "arg %d: want strv", i);
  size_t off = 0, k = 0;
  struct attr s;
  char **v = calloc(MAX_LIST + 1, sizeof *v);
  if (!v) fail(ENOMEM, "calloc");
  while (next_attr(g->a[i].data, g->a[i].len, &off, &s)) {
    if (k >= MAX_LIST) fail(E2BIG, "list too long");
    v[k++] = (char *)attr_str(&s);
  }
  return v;
}

/* ---- paths inside the rootfs (no symlink escape: CVE-2021-30465) ---- */

static int openat2_(int dirfd, const char *path, uint64_t flags, uint64_t resolve) {
  struct open_how how = {.flags = flags, .mode = 0, .resolve = resolve};
  return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static int open_in_root(const char *path, int flags) {
  if (root_fd < 0) fail(EINVAL, "no root set for %s", path);
  while (*path == '/') path++;
  if (!*path) path = ".";
  return openat2_(root_fd, path, (uint64_t)flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* mkdir -p inside the root; each component is resolved inside the root. A
 * dangling symlink on the way is followed (its target made, inside the root,
 * as runc's securejoin does): images do ship such links. */
static void mkdir_all_in_root_hops(const char *path, mode_t mode, int hops) {
  char buf[PATH_MAX];
  size_t n = strlen(path);
  if (path[0] != '/') fail(EINVAL, "%s: not an absolute path", path);
  if (n >= sizeof buf) fail(ENAMETOOLONG, "%s", path);
  memcpy(buf, path, n + 1);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == 0) {
      char c = *p;
      *p = 0;
      int fd = open_in_root(buf, O_PATH | O_DIRECTORY);
      if (fd < 0) {
        if (errno != ENOENT) fail(errno, "open %s", buf);
        /* create the last component inside its (safely opened) parent */
        char *slash = strrchr(buf, '/');
        *slash = 0;
        int pfd = open_in_root(*buf ? buf : "/", O_PATH | O_DIRECTORY);
        if (pfd < 0) fail(errno, "open %s", *buf ? buf : "/");
        if (mkdirat(pfd, slash + 1, mode) < 0) {
          if (errno != EEXIST) fail(errno, "mkdir %s/%s", buf, slash + 1);
          struct stat st;
          char target[PATH_MAX], next[PATH_MAX];
          if (fstatat(pfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            if (hops >= 40) fail(ELOOP, "%s", path);
            ssize_t tl = readlinkat(pfd, slash + 1, target, sizeof target - 1);
            if (tl < 0) fail(errno, "readlink %s/%s", buf, slash + 1);
            target[tl] = 0;
            /* the link's target, then the rest of the path */
            int w = target[0] == '/' ? snprintf(next, sizeof next, "%s%s%s", target, c ? "/" : "", c ? p + 1 : "")
                                     : snprintf(next, sizeof next, "%s/%s%s%s", buf, target, c ? "/" : "", c ? p + 1 : "");
            if (w < 0 || (size_t)w >= sizeof next) fail(ENAMETOOLONG, "%s", path);
            close(pfd);
            mkdir_all_in_root_hops(next, mode, hops + 1);
            return;
          }
        }
        close(pfd);
        *slash = '/';
      } else {
        close(fd);
      }
      *p = c;
      if (!c) break;
    }
  }
}

static void mkdir_all_in_root(const char *path, mode_t mode) { mkdir_all_in_root_hops(path, mode, 0); }

static void split_parent(const char *path, char *parent, const char **base) {
  size_t n = strlen(path);
  if (n >= PATH_MAX) fail(ENAMETOOLONG, "%s", path);
  memcpy(parent, path, n + 1);
  char *slash = strrchr(parent, '/');
  if (!slash) fail(EINVAL, "%s: not absolute", path);
  *base = path + (slash - parent) + 1;
  if (slash == parent) slash[1] = 0;
  else *slash = 0;
}

/* The parent directory of path, created if need be, opened inside the root;
 * *base points at the last component. */
static int open_parent_in_root(const char *path, char *parent, const char **base, int create) {
  split_parent(path, parent, base);
  if (create) mkdir_all_in_root(parent, 0755);
  int pfd = open_in_root(parent, O_PATH | O_DIRECTORY);
  if (pfd < 0) fail(errno, "open %s", parent);
  return pfd;
}

static void mkfile_in_root(const char *path, mode_t mode) {
  char parent[PATH_MAX];
  const char *base;
  int pfd = open_parent_in_root(path, parent, &base, 1);
  int fd = openat(pfd, base, O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno != ELOOP && errno != EISDIR) fail(errno, "create %s", path);
  if (fd >= 0) close(fd);
  close(pfd);
}

/* ---- ops ---- */

static void fdpath(char *out, int fd) { snprintf(out, 64, "/proc/self/fd/%d", fd); }

static void op_mount(struct args *g) {
  const char *src = arg_str(g, 0), *dst = arg_str(g, 1), *fstype = arg_str(g, 2);
  unsigned long flags = (unsigned long)arg_u64(g, 3);
  const char *data = arg_str(g, 4);
  int in_root = (int)arg_u64(g, 5);
  char target[64];
  int fd = -1;
  if (in_root) {
    fd = open_in_root(dst, O_PATH);
    if (fd < 0) fail(errno, "open mount target %s", dst);
    fdpath(target, fd);
  }
  if (mount(*src ? src : NULL, in_root ? target : dst, *fstype ? fstype : NULL, flags, *data ? data : NULL) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    fail(e, "mount %s to %s", src, dst);
  }
  if (fd >= 0) close(fd);
}

static void op_mknod(struct args *g) {
  const char *path = arg_str(g, 0);
  mode_t mode = (mode_t)arg_u64(g, 1);
  dev_t dev = (dev_t)arg_u64(g, 2);
  uid_t uid = (uid_t)arg_u64(g, 3);
  gid_t gid = (gid_t)arg_u64(g, 4);
  char parent[PATH_MAX];
  const char *base;
  int pfd = open_parent_in_root(path, parent, &base, 1);
  if (mknodat(pfd, base, mode, dev) < 0) {
    if (errno != EEXIST) fail(errno, "mknod %s", path);
    /* an existing node must be the same device: never trust what's there */
    struct stat st;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) fail(errno, "stat %s", path);
    if ((st.st_mode & S_IFMT) != (mode & S_IFMT) || st.st_rdev != dev)
      fail(EEXIST, "%s exists and is not the expected device", path);
  }
  if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) fail(errno, "chown %s", path);
  if (fchmodat(pfd, base, mode & 07777, 0) < 0) fail(errno, "chmod %s", path);
  close(pfd);
}

static void op_symlink(struct args *g) {
  const char *target = arg_str(g, 0), *path = arg_str(g, 1);
  char parent[PATH_MAX];
  const char *base;
  int pfd = open_parent_in_root(path, parent, &base, 0);
  if (symlinkat(target, pfd, base) < 0 && errno != EEXIST) fail(errno, "symlink %s -> %s", path, target);
  close(pfd);
}

static void op_pivot_root(struct args *g) {
  const char *rootfs = arg_str(g, 0);
  int mode = (int)arg_u64(g, 1); /* 0 pivot_root, 1 MS_MOVE + chroot, 2 chroot only */
  if (chdir(rootfs) < 0) fail(errno, "chdir %s", rootfs);
  if (mode == 2) {
    if (chroot(".") < 0) fail(errno, "chroot %s", rootfs);
  } else if (mode == 1) {
    if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0) fail(errno, "move %s to /", rootfs);
    if (chroot(".") < 0) fail(errno, "chroot");
  } else {
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0) fail(errno, "open /");
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(errno, "pivot_root %s", rootfs);
    /* the old root is now stacked on "."; detach it without propagating */
    if (fchdir(oldroot) < 0) fail(errno, "fchdir");
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail(errno, "make old root rslave");
    if (umount2(".", MNT_DETACH) < 0) fail(errno, "unmount old root");
    close(oldroot);
  }
  if (chdir("/") < 0) fail(errno, "chdir /");
  if (root_fd >= 0) close(root_fd);
  root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) fail(errno, "open new root");
}

static void op_write_file(struct args *g) {
  const char *base = arg_str(g, 0), *rel = arg_str(g, 1), *data = arg_str(g, 2);
  int dfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail(errno, "open %s", base);
  int fd = openat2_(dfd, rel, O_WRONLY | O_TRUNC | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) fail(errno, "open %s/%s", base, rel);
  size_t n = strlen(data);
  if (write(fd, data, n) != (ssize_t)n) fail(errno, "write %s/%s", base, rel);
  close(fd);
  close(dfd);
}

static void set_caps(uint64_t eff, uint64_t perm, uint64_t inh) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {
      {(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
      {(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
  };
  if (syscall(SYS_capset, &h, d) < 0) fail(errno, "capset");
}

/* Run a hook (createContainer/startContainer) with the state on stdin. */
static void op_run_hook(struct args *g) {
  const char *path = arg_str(g, 0);
  char **argv = arg_strv(g, 1), **envp = arg_strv(g, 2);
  int timeout = (int)arg_u64(g, 3);
  const char *input = arg_str(g, 4);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) fail(errno, "pipe");
  pid_t pid = fork();
  if (pid < 0) fail(errno, "fork");
  if (pid == 0) {
    if (dup2(p[0], 0) < 0) _exit(126);
    signal(SIGPIPE, SIG_DFL);
    execve(path, argv[0] ? argv : (char *[]){(char *)path, NULL}, envp);
    dprintf(2, "skiff-init: exec hook %s: %s\n", path, strerror(errno));
    _exit(127);
  }
  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  size_t n = strlen(input), off = 0;
  while (off < n) {
    ssize_t w = write(p[1], input + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break; /* the hook need not read its stdin */
    off += (size_t)w;
  }
  close(p[1]);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0 && timeout > 0) {
    struct pollfd pf = {pidfd, POLLIN, 0};
    int r;
    do r = poll(&pf, 1, timeout * 1000);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      fail(ETIMEDOUT, "hook %s timed out after %ds", path, timeout);
    }
  }
  if (pidfd >= 0) close(pidfd);
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) fail(errno, "wait hook %s", path);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return;
  if (WIFEXITED(st)) fail(0, "hook %s exited with status %d", path, WEXITSTATUS(st));
  fail(0, "hook %s killed by signal %d", path, WTERMSIG(st));
}

static void op_lookup(struct args *g) {
  char **cands = arg_strv(g, 0);
  const char *name = arg_str(g, 1);
  int last = ENOENT;
  for (char **c = cands; *c; c++) {
    struct stat st;
    if (stat(*c, &st) < 0) {
      if (errno != ENOENT && errno != ENOTDIR) last = errno;
      continue;
    }
    if (S_ISDIR(st.st_mode)) { last = EACCES; continue; }
    if (access(*c, X_OK) < 0 || !S_ISREG(st.st_mode)) { last = EACCES; continue; }
    exec_path = *c;
    return;
  }
  fail(last, "%s", name);
}

static void op_mask_path(struct args *g) {
  const char *path = arg_str(g, 0);
  struct stat st, nst;
  int fd = open_in_root(path, O_PATH | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return;
    if (errno == ELOOP) return; /* a symlink: nothing to mask, never follow */
    fail(errno, "open %s", path);
  }
  if (fstat(fd, &st) < 0) fail(errno, "stat %s", path);
  if (S_ISLNK(st.st_mode)) { /* O_PATH|O_NOFOLLOW opened the link itself: never follow, nothing to mask */
    close(fd);
    return;
  }
  char target[64];
  fdpath(target, fd);
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0k,mode=0555") < 0) fail(errno, "mask %s", path);
  } else {
    /* bind the real /dev/null, verified: not something the image put there */
    int nfd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (nfd < 0) fail(errno, "open /dev/null");
    if (fstat(nfd, &nst) < 0) fail(errno, "stat /dev/null");
    if (!S_ISCHR(nst.st_mode) || major(nst.st_rdev) != 1 || minor(nst.st_rdev) != 3)
      fail(EPERM, "/dev/null is not the null device; refusing to mask %s", path);
    char src[64];
    fdpath(src, nfd);
    if (mount(src, target, NULL, MS_BIND, NULL) < 0) fail(errno, "mask %s", path);
    close(nfd);
  }
  close(fd);
}

/* Make a path read-only. The target is what we opened (O_PATH|O_NOFOLLOW,
 * resolved inside the root; a symlink is skipped, never followed) and every
 * mount goes through that fd. Preferred: a detached recursive clone of the
 * tree (open_tree), made read-only with mount_setattr (which changes only
 * that bit, so nosuid/nodev/noexec/atime flags stay exactly as they were),
 * moved onto the fd. Fallback (no new mount API): bind the fd onto itself,
 * then remount read-only keeping the mount's own flags (statfs f_flags,
 * masked by arg 1) — a user namespace refuses a remount that drops them. */
static void op_readonly_path(struct args *g) {
  const char *path = arg_str(g, 0);
  unsigned long keep = (unsigned long)arg_u64(g, 1);
  int fd = open_in_root(path, O_PATH | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return;
    fail(errno, "open %s", path);
  }
  struct stat st;
  if (fstat(fd, &st) < 0) fail(errno, "stat %s", path);
  if (S_ISLNK(st.st_mode)) {
    close(fd);
    return;
  }
  int tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree >= 0) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) fail(errno, "make %s read-only", path);
    if (syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) fail(errno, "mount read-only %s", path);
    close(tree);
    close(fd);
    return;
  }
  if (errno != ENOSYS) fail(errno, "clone the mount of %s", path);
  char target[64];
  fdpath(target, fd);
  if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0) fail(errno, "bind %s", path);
  close(fd);
  /* reopen: the fd must name the new bind mount, not the one under it */
  fd = open_in_root(path, O_PATH | O_NOFOLLOW);
  if (fd < 0) fail(errno, "reopen %s", path);
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0) fail(errno, "statfs %s", path);
  fdpath(target, fd);
  if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | ((unsigned long)sfs.f_flags & keep), NULL) < 0) fail(errno, "remount %s ro", path);
  close(fd);
}

static void op_wait_fifo(void) {
  send_msg(MSG_DONE, NULL);
  close(pipe_fd);
  pipe_fd = -1;
  int fd = openat(statedir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(errno, "open exec fifo");
  if (write(fd, "0", 1) != 1) fail(errno, "write exec fifo");
  close(fd);
  close(statedir_fd);
  statedir_fd = -1;
}

static void op_sync(struct args *g) {
  send_u32(MSG_SYNC, A_SYNC_KIND, (uint32_t)arg_u64(g, 0));
  uint8_t *body;
  size_t blen;
  int t = recv_msg(&body, &blen);
  free(body);
  if (t != MSG_SYNC_ACK) _exit(122);
}

/* ---- terminals (process.terminal) ---- */

/* Bind the pty slave over /dev/console. The target is created or verified
 * here, never followed: a symlink or a directory planted by the image is
 * refused (CVE-2025-52565). */
static void mount_console(int peer) {
  int dfd = open_in_root("/dev", O_PATH | O_DIRECTORY);
  if (dfd < 0) fail(errno, "open /dev");
  int fd = openat(dfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    int c = openat(dfd, "console", O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0666);
    if (c < 0 && errno != EEXIST) fail(errno, "create /dev/console");
    if (c >= 0) close(c);
    fd = openat(dfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) fail(errno, "open /dev/console");
  struct stat st;
  if (fstat(fd, &st) < 0) fail(errno, "stat /dev/console");
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
    fail(EINVAL, "/dev/console is not a regular file or a character device (mode 0%o); refusing to mount the console over it", st.st_mode & S_IFMT);
  char src[64], dst[64];
  fdpath(src, peer);
  fdpath(dst, fd);
  if (mount(src, dst, NULL, MS_BIND, NULL) < 0) fail(errno, "bind the console pty on /dev/console");
  close(fd);
  close(dfd);
}

/* A new pty from the container's devpts (verified: a real ptmx on a real
 * devpts), its master sent over the console socket (SCM_RIGHTS, the name as
 * payload, as runc does), its slave made our controlling terminal and stdio. */
static void op_pty(struct args *g) {
  const char *ptmx = arg_str(g, 0);
  int sock = (int)arg_u64(g, 1);
  unsigned rows = (unsigned)arg_u64(g, 2), cols = (unsigned)arg_u64(g, 3);
  int mount_it = (int)arg_u64(g, 4);
  int h = open(ptmx, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (h < 0) fail(errno, "open %s", ptmx);
  struct stat st;
  struct statfs sfs;
  if (fstat(h, &st) < 0 || fstatfs(h, &sfs) < 0) fail(errno, "stat %s", ptmx);
  if (sfs.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2))
    fail(EINVAL, "%s is not a ptmx device on a devpts mount", ptmx);
  char p[64];
  fdpath(p, h);
  int master = open(p, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail(errno, "open %s", ptmx);
  close(h);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail(errno, "unlock pty");
  int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (peer < 0) fail(errno, "open the pty peer");
  if (rows && cols) {
    struct winsize ws = {(unsigned short)rows, (unsigned short)cols, 0, 0};
    if (ioctl(master, TIOCSWINSZ, &ws) < 0) fail(errno, "set the console size");
  }
  if (mount_it) mount_console(peer);
  /* send the master */
  if (skiff_send_fd(sock, master, ptmx) < 0) fail(errno, "send the console master over the console socket");
  close(master);
  close(sock);
  /* a new session whose controlling terminal is the slave */
  if (setsid() < 0 && errno != EPERM) fail(errno, "setsid");
  for (int fd = 0; fd < 3; fd++)
    if (dup3(peer, fd, 0) < 0) fail(errno, "dup the console to fd %d", fd);
  if (peer > 2) close(peer);
  if (ioctl(0, TIOCSCTTY, 0) < 0) fail(errno, "make the console the controlling terminal");
}

/* runc's fixStdioPermissions: stdio owned by the process's user (so it can
 * reopen them, e.g. /dev/stdout), except /dev/null; EPERM/EROFS are ignored. */
static void op_fix_stdio(struct args *g) {
  uid_t uid = (uid_t)arg_u64(g, 0);
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0) {
      if (errno == EBADF) continue;
      fail(errno, "fstat fd %d", fd);
    }
    if (st.st_uid == uid || (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))) continue;
    if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EPERM && errno != EROFS && errno != EINVAL) fail(errno, "chown fd %d", fd);
  }
}

/* Load the filter. With a listener socket (args 2, 3), the filter was
 * installed with NEW_LISTENER: send its fd with the container process state
 * (runtime-spec containerProcessState JSON) over the socket, SCM_RIGHTS.
 * Only sendmsg runs here after the filter (both fds are close-on-exec). */
static void op_seccomp(struct args *g) {
  if (g->n < 2 || g->a[0].type != A_BYTES) fail(EPROTO, "seccomp: want bytes");
  struct sock_fprog prog = {(unsigned short)(g->a[0].len / 8), (struct sock_filter *)g->a[0].data};
  unsigned flags = (unsigned)arg_u64(g, 1);
  int sock = g->n >= 4 ? (int)arg_u64(g, 2) : -1;
  const char *state = g->n >= 4 ? arg_str(g, 3) : NULL;
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0) fail(errno, "load seccomp filter");
  if (sock < 0) return;
  int lfd = (int)r;
  if (!(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) || lfd <= 0) fail(EINVAL, "seccomp filter loaded without a listener fd");
  ssize_t w = skiff_send_fd(sock, lfd, state);
  if (w < 0) fail(errno, "send the seccomp notify fd to the listener");
  if ((size_t)w < strlen(state)) fail(EIO, "short write of the container process state to the seccomp listener");
}

/* A CPU mask in bytes (bit i of byte i/8 = cpu i), as built by the plan. */
static void set_affinity(const uint8_t *mask, size_t len) {
  cpu_set_t *set = CPU_ALLOC(len * 8);
  if (!set) fail(ENOMEM, "CPU_ALLOC");
  size_t size = CPU_ALLOC_SIZE(len * 8);
  CPU_ZERO_S(size, set);
  for (size_t i = 0; i < len * 8; i++)
    if (mask[i / 8] & (1u << (i % 8))) CPU_SET_S(i, size, set);
  if (sched_setaffinity(0, size, set) < 0) fail(errno, "sched_setaffinity");
  CPU_FREE(set);
}

static void run_op(const struct attr *op) {
  if (op->len < 4) fail(EPROTO, "short op");
  uint16_t code;
  memcpy(&code, op->data, 2);
  static struct args g;
  g.n = 0;
  size_t off = 4;
  struct attr a;
  while (next_attr(op->data, op->len, &off, &a)) {
    if (g.n >= MAX_ARGS) fail(E2BIG, "too many args");
    g.a[g.n++] = a;
  }
  switch (code) {
  case OP_MOUNT: op_mount(&g); break;
  case OP_MKDIR_ALL: mkdir_all_in_root(arg_str(&g, 0), (mode_t)arg_u64(&g, 1)); break;
  case OP_MKFILE: mkfile_in_root(arg_str(&g, 0), (mode_t)arg_u64(&g, 1)); break;
  case OP_MKNOD: op_mknod(&g); break;
  case OP_SYMLINK: op_symlink(&g); break;
  case OP_SET_ROOT: {
    const char *p = arg_str(&g, 0);
    if (root_fd >= 0) close(root_fd);
    root_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) fail(errno, "open rootfs %s", p);
    break;
  }
  case OP_PIVOT_ROOT: op_pivot_root(&g); break;
  case OP_SETHOSTNAME: {
    const char *h = arg_str(&g, 0);
    if (sethostname(h, strlen(h)) < 0) fail(errno, "sethostname %s", h);
    break;
  }
  case OP_SETDOMAINNAME: {
    const char *h = arg_str(&g, 0);
    if (setdomainname(h, strlen(h)) < 0) fail(errno, "setdomainname %s", h);
    break;
  }
  case OP_WRITE_FILE: op_write_file(&g); break;
  case OP_SETRLIMIT: {
    struct rlimit rl = {(rlim_t)arg_u64(&g, 1), (rlim_t)arg_u64(&g, 2)};
    if (setrlimit((int)arg_u64(&g, 0), &rl) < 0) fail(errno, "setrlimit %d", (int)arg_u64(&g, 0));
    break;
  }
  case OP_PRCTL:
    if (prctl((int)arg_u64(&g, 0), (unsigned long)arg_u64(&g, 1), 0, 0, 0) < 0) fail(errno, "prctl %d", (int)arg_u64(&g, 0));
    break;
  case OP_CAPBSET_DROP: {
    uint64_t m = arg_u64(&g, 0);
    for (int c = 0; c < 64; c++)
      if ((m >> c) & 1)
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) fail(errno, "drop bounding cap %d", c);
    break;
  }
  case OP_CAPSET: set_caps(arg_u64(&g, 0), arg_u64(&g, 1), arg_u64(&g, 2)); break;
  case OP_AMBIENT_RAISE: {
    uint64_t m = arg_u64(&g, 0);
    for (int c = 0; c < 64; c++)
      if ((m >> c) & 1)
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) fail(errno, "raise ambient cap %d", c);
    break;
  }
  case OP_SETGROUPS: {
    if (g.n < 1 || g.a[0].type != A_BYTES) fail(EPROTO, "setgroups: want bytes");
    size_t n = g.a[0].len / 4;
    gid_t gids[MAX_LIST];
    if (n > MAX_LIST) fail(E2BIG, "too many groups");
    memcpy(gids, g.a[0].data, n * 4);
    if (setgroups(n, gids) < 0) fail(errno, "setgroups");
    break;
  }
  case OP_SETRESGID: {
    gid_t gid = (gid_t)arg_u64(&g, 0);
    if (setresgid(gid, gid, gid) < 0) fail(errno, "setgid %u", gid);
    break;
  }
  case OP_SETRESUID: {
    uid_t uid = (uid_t)arg_u64(&g, 0);
    if (setresuid(uid, uid, uid) < 0) fail(errno, "setuid %u", uid);
    break;
  }
  case OP_UMASK: umask((mode_t)arg_u64(&g, 0)); break;
  case OP_CHDIR:
    if (chdir(arg_str(&g, 0)) < 0) fail(errno, "chdir %s", arg_str(&g, 0));
    break;
  case OP_SYNC: op_sync(&g); break;
  case OP_RUN_HOOK: op_run_hook(&g); break;
  case OP_WAIT_FIFO: op_wait_fifo(); break;
  case OP_SECCOMP: op_seccomp(&g); break;
  case OP_LOOKUP: op_lookup(&g); break;
  case OP_EXEC: {
    char **argv = arg_strv(&g, 0), **envp = arg_strv(&g, 1);
    if (!exec_path) fail(EINVAL, "exec without lookup");
    execve(exec_path, argv, envp);
    fail(errno, "exec %s", exec_path);
  }
  case OP_MASK_PATH: op_mask_path(&g); break;
  case OP_READONLY_PATH: op_readonly_path(&g); break;
  case OP_DONE:
    send_msg(MSG_DONE, NULL);
    close(pipe_fd);
    pipe_fd = -1;
    break;
  case OP_KEYRING: {
    const char *name = arg_str(&g, 0);
    if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name) < 0 && errno != ENOSYS)
      fail(errno, "join session keyring %s", name);
    break;
  }
  case OP_SET_CLOEXEC_FROM:
    if (syscall(SYS_close_range, (unsigned)arg_u64(&g, 0), ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(errno, "close_range");
    break;
  case OP_UNSHARE:
    if (unshare((int)arg_u64(&g, 0)) < 0) fail(errno, "unshare 0x%x", (unsigned)arg_u64(&g, 0));
    break;
  case OP_SETSID:
    if (setsid() < 0) fail(errno, "setsid");
    break;
  case OP_PTY: op_pty(&g); break;
  case OP_FIX_STDIO: op_fix_stdio(&g); break;
  case OP_PERSONALITY:
    if (personality((unsigned long)arg_u64(&g, 0)) < 0) fail(errno, "personality 0x%lx", (unsigned long)arg_u64(&g, 0));
    break;
  case OP_SCHED_SETATTR:
    if (g.n < 1 || g.a[0].type != A_BYTES) fail(EPROTO, "sched_setattr: want bytes");
    if (syscall(SYS_sched_setattr, 0, g.a[0].data, 0) < 0) fail(errno, "sched_setattr");
    break;
  case OP_IOPRIO_SET:
    if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (int)arg_u64(&g, 0)) < 0) fail(errno, "ioprio_set 0x%x", (unsigned)arg_u64(&g, 0));
    break;
  case OP_CPU_AFFINITY:
    if (g.n < 1 || g.a[0].type != A_BYTES) fail(EPROTO, "cpu affinity: want bytes");
    set_affinity(g.a[0].data, g.a[0].len);
    break;
  default: fail(EPROTO, "unknown op %u", code);
  }
}

static void run_plan(void) {
  uint8_t *body;
  size_t blen;
  if (recv_msg(&body, &blen) != MSG_PLAN) fail(EPROTO, "expected plan");
  size_t off = 0;
  struct attr a;
  int idx = 0;
  while (next_attr(body, blen, &off, &a)) {
    if (a.type != A_OP) fail(EPROTO, "expected op");
    cur_op = idx++;
    run_op(&a);
  }
  cur_op = -1;
  fail(EPROTO, "plan ended without exec");
}

/* ---- bootstrap: namespaces and the container's pid 1 ---- */

int main(int argc, char **argv) {
  if (argc < 3) {
    dprintf(2, "skiff-init: this program is run by skiff, not by hand\n");
    return 2;
  }
  pipe_fd = atoi(argv[1]);
  int keep = atoi(argv[2]);
  /* nothing from our caller leaks past the fds skiff laid out */
  if (syscall(SYS_close_range, (unsigned)keep, ~0U, 0) < 0) fail(errno, "close_range");
  if (fcntl(pipe_fd, F_SETFD, FD_CLOEXEC) < 0) fail(errno, "cloexec pipe");
  /* the parent dying must not leave a half-made container behind */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  uint8_t *body;
  size_t blen;
  if (recv_msg(&body, &blen) != MSG_BOOTSTRAP) fail(EPROTO, "expected bootstrap");
  uint32_t mode = 0, clone_flags = 0, first_private = (uint32_t)keep;
  const char *timens = NULL;
  size_t off = 0;
  struct attr a;
  /* first pass: scalars */
  while (next_attr(body, blen, &off, &a)) {
    switch (a.type) {
    case A_MODE: mode = (uint32_t)attr_u64(&a); break;
    case A_CLONE_FLAGS: clone_flags = (uint32_t)attr_u64(&a); break;
    case A_STATEDIR_FD: statedir_fd = (int)attr_u64(&a); break;
    case A_FIRST_PRIVATE_FD: first_private = (uint32_t)attr_u64(&a); break;
    case A_TIMENS_OFFSETS: timens = attr_str(&a); break;
    case A_CPU_AFFINITY: set_affinity(a.data, a.len); break; /* execCPUAffinity.initial: before the cgroup join */
    }
  }
  /* fds that are ours, not the container's: close them at exec */
  if (syscall(SYS_close_range, first_private, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(errno, "close_range cloexec");

  /* join namespaces by path, in the order given (the user ns first) */
  off = 0;
  while (next_attr(body, blen, &off, &a)) {
    if (a.type != A_JOIN_NS) continue;
    size_t o2 = 0;
    struct attr t, p;
    if (!next_attr(a.data, a.len, &o2, &t) || !next_attr(a.data, a.len, &o2, &p)) fail(EPROTO, "bad join");
    const char *path = attr_str(&p);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(errno, "open namespace %s", path);
    if (setns(fd, (int)attr_u64(&t)) < 0) fail(errno, "setns %s", path);
    close(fd);
  }
  if (clone_flags & CLONE_NEWUSER) {
    if (unshare(CLONE_NEWUSER) < 0) fail(errno, "unshare user namespace");
    /* the parent writes our uid/gid maps, then tells us */
    send_u32(MSG_NEED_MAPS, A_PID, (uint32_t)getpid());
    uint8_t *b2;
    size_t l2;
    if (recv_msg(&b2, &l2) != MSG_MAPS_DONE) fail(EPROTO, "expected maps");
    free(b2);
    if (setresgid(0, 0, 0) < 0) fail(errno, "setgid 0 in user namespace");
    if (setresuid(0, 0, 0) < 0) fail(errno, "setuid 0 in user namespace");
  }
  if (clone_flags & ~CLONE_NEWUSER)
    if (unshare((int)(clone_flags & ~CLONE_NEWUSER)) < 0) fail(errno, "unshare namespaces 0x%x", clone_flags);
  if (timens) {
    int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, timens, strlen(timens)) < 0) fail(errno, "write timens_offsets");
    close(fd);
  }
  (void)mode;
  /* the container's pid 1 (or the exec'd process): a child of our parent,
   * so it ends up under the caller's subreaper, and in any new pid ns */
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0) fail(errno, "clone");
  if (pid > 0) {
    send_u32(MSG_PID, A_PID, (uint32_t)pid);
    _exit(0);
  }
  /* P1 outlives `skiff create`: no parent-death signal; a dead parent is
   * seen as EOF on the pipe instead */
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  free(body);
  run_plan();
  return 1;
}
