// Linux security modules on this host: what a config may ask for. A config
// that asks for an LSM the host lacks is an error (runc: "selinux label is
// specified in config, but selinux is disabled or not supported"); a silent
// skip would run the container less confined than its owner expects.
import { existsSync, readFileSync } from 'node:fs';
import type { Spec, Process } from '../spec/types.ts';
import { SpecError } from '../errors.ts';
import type { LsmPlan } from '../plan/build.ts';

export interface LsmHost {
  apparmor: boolean;
  selinux: boolean;
  /** /proc/self/attr/apparmor/exec (Linux 5.8+) exists; else the legacy attr/exec */
  apparmorAttr: 'apparmor/exec' | 'exec';
}

export function detectLsm(): LsmHost {
  let apparmor = false;
  try {
    apparmor = existsSync('/sys/kernel/security/apparmor') && readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y');
  } catch {
    apparmor = false;
  }
  const selinux = existsSync('/sys/fs/selinux/enforce');
  return { apparmor, selinux, apparmorAttr: existsSync('/proc/self/attr/apparmor/exec') ? 'apparmor/exec' : 'exec' };
}

/** Throw (naming the field) when the config asks for an LSM the host lacks; the plan inputs otherwise. */
export function checkLsm(spec: Spec, host: LsmHost = detectLsm()): LsmPlan {
  checkProcessLsm(spec.process, '/process', host);
  if (spec.linux?.mountLabel && !host.selinux) {
    throw new SpecError('/linux/mountLabel', `SELinux mount label ${JSON.stringify(spec.linux.mountLabel)} is specified, but SELinux is disabled or not supported on this host`);
  }
  return { apparmorAttr: host.apparmorAttr };
}

export function checkProcessLsm(p: Process | undefined, base: string, host: LsmHost = detectLsm()): void {
  if (p?.apparmorProfile && !host.apparmor) {
    throw new SpecError(`${base}/apparmorProfile`, `AppArmor profile ${JSON.stringify(p.apparmorProfile)} is specified, but AppArmor is not enabled on this host`);
  }
  if (p?.selinuxLabel && !host.selinux) {
    throw new SpecError(`${base}/selinuxLabel`, `SELinux label ${JSON.stringify(p.selinuxLabel)} is specified, but SELinux is disabled or not supported on this host`);
  }
}
