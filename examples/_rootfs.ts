// Shared by the examples: where containers keep their state, and a root
// filesystem to run. Set ROOTFS to your own (e.g. an exported image); without
// it a throwaway busybox rootfs is built from the host's busybox binary.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The state root (SKIFF_ROOT, default /run/skiff as the CLI). */
export const root = process.env.SKIFF_ROOT ?? '/run/skiff';

export function exampleRootfs(): string {
  if (process.env.ROOTFS) return process.env.ROOTFS;
  const bb = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!bb) throw new Error('set ROOTFS=/path/to/rootfs (or install busybox-static)');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-example-rootfs-'));
  chmodSync(dir, 0o755);
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(dir, d), { recursive: true });
  cpSync(bb, join(dir, 'bin/busybox'));
  for (const a of spawnSync(bb, ['--list'], { encoding: 'utf8' }).stdout.split('\n')) if (a && a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
