// What this runtime supports, as runtime-spec features.md describes it (what
// `runc features` prints). Truthful for skiff: every list is taken from the
// table the runtime itself uses (mount options, capabilities, seccomp
// actions/operators/arches/flags), and host-dependent parts (cgroup
// versions, LSMs, kernel seccomp flags) are probed.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { knownMountOptions } from './config/mount-options.ts';
import { SCMP_ARCHES, SECCOMP_FLAGS } from './seccomp/constants.ts';
import { CAPABILITIES } from './spec/capabilities.ts';
import { OCI_VERSION, type Features, type NamespaceType } from './spec/types.ts';
import { COMMIT, VERSION } from './version.ts';

const NAMESPACES: NamespaceType[] = ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'];

/** The hooks skiff runs (all of the spec's; prestart is deprecated but run, as runc does). */
const HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

/** Every action src/seccomp/compile.ts accepts (SCMP_ACT_KILL = KILL_THREAD). */
const SECCOMP_ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'];
const SECCOMP_OPERATORS = ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'];

/** Kernel version each seccomp filter flag needs. */
const FLAG_KERNEL: Record<string, [number, number]> = {
  SECCOMP_FILTER_FLAG_TSYNC: [3, 17],
  SECCOMP_FILTER_FLAG_LOG: [4, 14],
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: [4, 17],
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: [5, 19],
};

function kernelAtLeast([maj, min]: [number, number], rel = release()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  if (!m) return false;
  return Number(m[1]) > maj || (Number(m[1]) === maj && Number(m[2]) >= min);
}

function readable(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

export function features(): Features {
  const cgroupMounts = readable('/proc/self/mountinfo').split('\n').map((l) => l.split(' - ')[1]?.split(' ')[0]);
  const v1 = cgroupMounts.includes('cgroup');
  const v2 = cgroupMounts.includes('cgroup2');
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: HOOKS,
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: NAMESPACES,
      capabilities: [...CAPABILITIES],
      // the systemd cgroup driver is not implemented (--systemd-cgroup is refused)
      cgroup: { v1, v2, systemd: false, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        actions: SECCOMP_ACTIONS,
        operators: SECCOMP_OPERATORS,
        // the ABIs that can run on this (x86_64) kernel; the other arch names
        // are accepted in a profile and their rules can never match
        archs: Object.entries(SCMP_ARCHES).filter(([, a]) => a !== null).map(([n]) => n).sort(),
        knownFlags: Object.keys(SECCOMP_FLAGS),
        supportedFlags: Object.keys(SECCOMP_FLAGS).filter((f) => kernelAtLeast(FLAG_KERNEL[f] ?? [99, 0])),
      },
      apparmor: { enabled: readable('/sys/module/apparmor/parameters/enabled').startsWith('Y') },
      selinux: { enabled: existsSync('/sys/fs/selinux/enforce') },
      // resctrl (linux.intelRdt) is validated but not applied
      intelRdt: { enabled: false },
      // mounts[].uidMappings/gidMappings are refused
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: {
      'org.skiff.version': VERSION,
      'org.skiff.commit': COMMIT,
      'org.skiff.seccomp': 'built-in BPF compiler (no libseccomp)',
    },
  };
}
