#!/bin/sh
# Installs what skiff needs on a fresh Debian 12 machine (as root) and builds
# it: Debian packages, then `npm ci`, which runs scripts/build.mjs (the C
# init, the N-API addon, the bundles). Idempotent.
set -eu
cd "$(dirname "$0")/.."
need=""
for p in busybox-static gcc libc6-dev musl-tools linux-libc-dev libseccomp-dev seccomp iproute2 procps; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
  echo "setup: installing$need" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
if [ ! -f /usr/include/node/node_api.h ] && [ ! -f "$(dirname "$(command -v node)")/../include/node/node_api.h" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends libnode-dev >/dev/null
fi
# the real clients of the client scenarios (test/integration/clients-*.test.ts)
./scripts/clients/install.sh
npm ci --no-audit --no-fund
