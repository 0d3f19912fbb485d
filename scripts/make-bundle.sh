#!/bin/sh
# Makes a small OCI bundle with a busybox rootfs (from Debian's
# busybox-static) at $1 (default: build/bundle). The config is runc's
# default spec with terminal off and the given command (default: sh -c
# 'echo hello from inside a skiff container').
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build/bundle}
if [ $# -gt 0 ]; then shift; fi
bb=$(command -v busybox || true)
[ -n "$bb" ] || bb=/bin/busybox
if [ ! -x "$bb" ]; then
  echo "make-bundle: busybox not found; install Debian's busybox-static" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out/rootfs/bin" "$out/rootfs/etc" "$out/rootfs/proc" "$out/rootfs/sys" "$out/rootfs/dev" "$out/rootfs/tmp" "$out/rootfs/root"
cp "$bb" "$out/rootfs/bin/busybox"
for a in $("$bb" --list); do
  [ "$a" = busybox ] || ln -sf busybox "$out/rootfs/bin/$a"
done
mkdir -p "$out/rootfs/usr/bin" "$out/rootfs/sbin" "$out/rootfs/usr/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$out/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$out/rootfs/etc/group"
( cd "$out" && "$here/bin/skiff" spec )
if [ $# -gt 0 ]; then args=$(node -e 'console.log(JSON.stringify(process.argv.slice(1)))' "$@")
else args='["sh","-c","echo hello from inside a skiff container: $(hostname), pid $$, uid $(id -u)"]'; fi
node -e '
const fs = require("fs"); const f = process.argv[1];
const c = JSON.parse(fs.readFileSync(f, "utf8"));
c.process.terminal = false;
c.process.args = JSON.parse(process.argv[2]);
c.root.readonly = false;
fs.writeFileSync(f, JSON.stringify(c, null, "\t"));
' "$out/config.json" "$args"
echo "$out"
