/*
 * cgroup v2 device control for skiff: load a BPF_PROG_TYPE_CGROUP_DEVICE
 * program (generated in TypeScript by src/cgroups/devices-bpf.ts) and attach
 * it to a cgroup, replacing the programs attached there before.
 *
 * JS: bpfDeviceProgAttach(cgroup: string | number, prog: Buffer, license: string): undefined
 *   cgroup   the cgroup v2 directory (path) or an open fd of it
 *   prog     struct bpf_insn[] in host byte order
 *   license  "Apache" (the programs call no GPL-only helpers)
 * Throws an Error with .code = errno name and .errno on failure; a verifier
 * rejection carries the verifier log in the message.
 *
 * Order (as runc): query the programs already attached, attach the new one
 * with BPF_F_ALLOW_MULTI, then detach the old ones, so the cgroup is never
 * without a filter. If the old program was attached without ALLOW_MULTI (by
 * some other tool), attach the new one the same way, which replaces it.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <node_api.h>
#include "addon.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef BPF_F_ALLOW_MULTI
#define BPF_F_ALLOW_MULTI (1U << 1)
#endif

#define MAX_OLD_PROGS 64
#define LOG_SIZE (256 * 1024)

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int load_prog(const void *insns, size_t len, const char *license, char *log, size_t log_size) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)(len / sizeof(struct bpf_insn));
  attr.license = (uint64_t)(uintptr_t)license;
  if (log) {
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = (uint32_t)log_size;
    attr.log_level = 1;
  }
  return (int)sys_bpf(BPF_PROG_LOAD, &attr);
}

napi_value skiff_bpf_prog_load_attach(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, NULL, "bpfDeviceProgAttach(cgroup, program, license)");
    return NULL;
  }

  /* the cgroup: a path or an fd */
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  int cgfd = -1, own_fd = 0;
  if (t == napi_string) {
    char path[4096];
    size_t n;
    if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &n) != napi_ok || n >= sizeof path - 1) {
      napi_throw_type_error(env, NULL, "cgroup path too long");
      return NULL;
    }
    cgfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) return skiff_throw_errno(env, errno, "open cgroup directory", path);
    own_fd = 1;
  } else if (t == napi_number) {
    napi_get_value_int32(env, argv[0], &cgfd);
  } else {
    napi_throw_type_error(env, NULL, "cgroup must be a path or an fd");
    return NULL;
  }

  /* the program */
  bool is_buf = false;
  napi_is_buffer(env, argv[1], &is_buf);
  void *insns = NULL;
  size_t len = 0;
  if (!is_buf || napi_get_buffer_info(env, argv[1], &insns, &len) != napi_ok || len == 0 || len % sizeof(struct bpf_insn) != 0) {
    if (own_fd) close(cgfd);
    napi_throw_type_error(env, NULL, "program must be a non-empty Buffer of struct bpf_insn");
    return NULL;
  }

  char license[64];
  size_t ln;
  if (napi_get_value_string_utf8(env, argv[2], license, sizeof license, &ln) != napi_ok) {
    if (own_fd) close(cgfd);
    napi_throw_type_error(env, NULL, "license must be a string");
    return NULL;
  }

  /* what is attached now */
  uint32_t old_ids[MAX_OLD_PROGS];
  uint32_t old_cnt = 0, old_flags = 0;
  {
    union bpf_attr q;
    memset(&q, 0, sizeof q);
    q.query.target_fd = (uint32_t)cgfd;
    q.query.attach_type = BPF_CGROUP_DEVICE;
    q.query.prog_ids = (uint64_t)(uintptr_t)old_ids;
    q.query.prog_cnt = MAX_OLD_PROGS;
    if (sys_bpf(BPF_PROG_QUERY, &q) == 0) {
      old_cnt = q.query.prog_cnt;
      old_flags = q.query.attach_flags;
    } else if (errno != EINVAL && errno != ENOSYS) {
      int e = errno;
      if (own_fd) close(cgfd);
      return skiff_throw_errno(env, e, "BPF_PROG_QUERY", NULL);
    }
    if (old_cnt > MAX_OLD_PROGS) old_cnt = MAX_OLD_PROGS;
  }

  /* load (with the verifier log only when the first try fails) */
  int prog = load_prog(insns, len, license, NULL, 0);
  if (prog < 0) {
    int e = errno;
    char *log = calloc(1, LOG_SIZE);
    if (log && (e == EINVAL || e == EACCES)) {
      int p2 = load_prog(insns, len, license, log, LOG_SIZE);
      if (p2 >= 0) prog = p2; /* unlikely: succeeded the second time */
    }
    if (prog < 0) {
      napi_value r = skiff_throw_errno(env, e, "BPF_PROG_LOAD (cgroup device)", log);
      free(log);
      if (own_fd) close(cgfd);
      return r;
    }
    free(log);
  }

  /* attach: multi unless an exclusive program sits there (then replace it) */
  int multi = old_cnt == 0 || (old_flags & BPF_F_ALLOW_MULTI);
  {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t)cgfd;
    a.attach_bpf_fd = (uint32_t)prog;
    a.attach_type = BPF_CGROUP_DEVICE;
    a.attach_flags = multi ? BPF_F_ALLOW_MULTI : 0;
    if (sys_bpf(BPF_PROG_ATTACH, &a) < 0) {
      int e = errno;
      close(prog);
      if (own_fd) close(cgfd);
      return skiff_throw_errno(env, e, "BPF_PROG_ATTACH (cgroup device)", NULL);
    }
  }

  /* detach the programs that were there before */
  if (multi) {
    for (uint32_t i = 0; i < old_cnt; i++) {
      union bpf_attr g;
      memset(&g, 0, sizeof g);
      g.prog_id = old_ids[i];
      int ofd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
      if (ofd < 0) continue; /* already gone */
      union bpf_attr d;
      memset(&d, 0, sizeof d);
      d.target_fd = (uint32_t)cgfd;
      d.attach_bpf_fd = (uint32_t)ofd;
      d.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf(BPF_PROG_DETACH, &d) < 0 && errno != ENOENT) {
        int e = errno;
        close(ofd);
        close(prog);
        if (own_fd) close(cgfd);
        return skiff_throw_errno(env, e, "BPF_PROG_DETACH (old cgroup device program)", NULL);
      }
      close(ofd);
    }
  }

  close(prog); /* the attachment keeps the program alive */
  if (own_fd) close(cgfd);
  return NULL;
}
