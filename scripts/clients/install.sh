#!/bin/sh
# Installs the real clients the client scenarios run skiff under, from
# Debian 12: containerd (+ ctr, the runc v2 shim), podman + conmon,
# docker.io. Usage: scripts/clients/install.sh [containerd|podman|docker]...
# (default: all three). Idempotent; measured on this machine kind: ~80 MB
# to download, 7 s for containerd, 10 s more for podman and docker.io.
#
# Nothing is started: Debian's maintainer scripts would start dockerd and
# containerd system-wide (/etc/init.d on a machine without systemd), so
# services are held back with a policy-rc.d for the time of the install
# (an existing one is left alone). The tests start each daemon privately.
set -eu
want=${*:-containerd podman docker}
pkgs=""
for w in $want; do
  case $w in
    containerd) pkgs="$pkgs containerd" ;;
    podman) pkgs="$pkgs podman conmon" ;;
    docker) pkgs="$pkgs docker.io containerd" ;;
    *) echo "install.sh: unknown client '$w' (containerd, podman, docker)" >&2; exit 2 ;;
  esac
done
need=""
for p in $pkgs script; do
  [ "$p" = script ] && { command -v script >/dev/null 2>&1 && continue; p=bsdutils; }
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "clients: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e $policy ]; then
  printf '#!/bin/sh\n# scripts/clients/install.sh: no service starts during the install\nexit 101\n' > $policy
  chmod 755 $policy
  ours=1
fi
cleanup() { if [ -n "$ours" ]; then rm -f $policy; fi; }
trap cleanup EXIT
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
