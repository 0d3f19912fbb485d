// The device cgroup rules a container gets, as runc builds them: the
// config's rules, an allow rule per linux.devices entry, then runc's default
// allow list (the default nodes, ptys, /dev/console, /dev/net/tun, mknod).
import type { LinuxDeviceCgroup, LinuxResources, Spec } from '../spec/types.ts';

const rwm = (type: string, major: number | undefined, minor: number | undefined, access = 'rwm'): LinuxDeviceCgroup =>
  ({ allow: true, type, ...(major === undefined ? {} : { major }), ...(minor === undefined ? {} : { minor }), access });

export const DEFAULT_DEVICE_RULES: LinuxDeviceCgroup[] = [
  rwm('c', undefined, undefined, 'm'),
  rwm('b', undefined, undefined, 'm'),
  rwm('c', 1, 3), // null
  rwm('c', 1, 8), // random
  rwm('c', 1, 7), // full
  rwm('c', 5, 0), // tty
  rwm('c', 1, 5), // zero
  rwm('c', 1, 9), // urandom
  rwm('c', 5, 1), // console
  rwm('c', 136, undefined), // pts/*
  rwm('c', 5, 2), // ptmx
  rwm('c', 10, 200), // net/tun
];

export function effectiveResources(spec: Spec): LinuxResources {
  const r = spec.linux?.resources ?? {};
  const devs: LinuxDeviceCgroup[] = [...(r.devices ?? [])];
  for (const d of spec.linux?.devices ?? []) {
    if (d.type === 'p') continue;
    devs.push(rwm(d.type === 'u' ? 'c' : d.type, d.major, d.minor));
  }
  devs.push(...DEFAULT_DEVICE_RULES);
  return { ...r, devices: devs };
}
