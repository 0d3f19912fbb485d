#!/bin/sh
# bench copy of /work/shared/tools/crun-hybrid.sh: identical except the throwaway tmpfs over
# /sys/fs/cgroup/unified is 256m, not 1m. crun leaves a few files per container in it (its
# cgroup2 "cgroup.procs" writes land on the tmpfs as regular files, so rmdir fails), and one
# long-lived view (as the benchmark keeps) hit ENOSPC after ~250 containers with 1m.
# crun-hybrid.sh - run crun 1.8.x on this hybrid-cgroup host (cgroup v1 controllers + a cgroup2
# "unified" mount that carries hugetlb), where plain crun fails with
#   "cgroups in hybrid mode not supported, drop all controllers from cgroupv2"
# (the check runs before the cgroup manager is chosen, so --cgroup-manager=disabled does not help).
#
# Usage:  crun-hybrid.sh [crun global opts] COMMAND [args...]    # a drop-in for `crun`
#         crun-hybrid.sh --exec PROG [args...]                    # run PROG (bash, hyperfine, ...) in the same view
# Env:    CRUN=/path/to/crun (default: crun on PATH)
#
# What it does, in a private mount namespace (unshare -m, propagation private; the host is untouched):
#  1. mounts a throwaway tmpfs over /sys/fs/cgroup/unified, so crun's statfs() sees "legacy" v1 mode.
#     (Do NOT just umount it: crun then mkdirs /sys/fs/cgroup/unified/<id> on the host's shared
#     /sys/fs/cgroup tmpfs, which leaks a plain directory hidden under the real cgroup2 mount.)
#  2. bind-mounts, for every v1 hierarchy where this process is not at "/", its own cgroup directory over
#     the hierarchy's mount point. crun's cgroupfs manager always uses ABSOLUTE paths ("/<id>" or
#     "/<cgroupsPath>"), so without this it would put the container in memory:/<id>, i.e. outside the
#     host's memory cgroup /<host-cgroup>/...; with it, memory:/<id> lands in
#     /<host-cgroup>/<own>/<id>, exactly where runc's default relative path puts it.
# Every crun call for one container must come from the same (memory) cgroup, so the same view is built.
# Do NOT run runc inside this view: runc 1.1.5 creates its cgroups correctly there, but its v1 "cgroup"
# mount inside the container then stats a doubled path (.../<host-cgroup>/X/<host-cgroup>/X/<id>) and fails,
# leaving empty cgroup dirs behind. Run runc in the normal host view.
# For benchmarks keep one namespace alive and enter it: `crun-hybrid.sh --exec sleep 1d & nsenter -t PID -m crun ...`
set -eu
if [ "${1:-}" = --exec ]; then
  shift
  set -- "$@"
else
  set -- "${CRUN:-crun}" "$@"
fi
exec unshare --mount --propagation private -- sh -eu -c '
  mount -t tmpfs -o size=256m,mode=755 crun-hybrid-nounified /sys/fs/cgroup/unified
  while IFS=: read -r _ ctrl path; do
    [ -n "$ctrl" ] || continue               # the cgroup2 line "0::/..."
    [ "$path" != / ] || continue
    dir=/sys/fs/cgroup/${ctrl#name=}
    if [ -d "$dir$path" ]; then
      mount --bind "$dir$path" "$dir"
    else
      echo "crun-hybrid: warning: $dir$path not found, $ctrl left at host root" >&2
    fi
  done </proc/self/cgroup
  exec "$@"
' crun-hybrid "$@"
