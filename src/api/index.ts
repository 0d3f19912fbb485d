// skiff as a library: list/features and a Runtime bound to one state root,
// beside the Container API (container.ts).
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Features, NamespaceType } from '../spec/types.ts';
import { OCI_VERSION } from '../spec/types.ts';
import { CAPABILITIES } from '../spec/capabilities.ts';
import { SCMP_ARCHES, SECCOMP_FLAGS } from '../seccomp/constants.ts';
import { knownMountOptions } from '../config/mount-options.ts';
import { listContainers, type ContainerState } from '../container/query.ts';
import { DEFAULT_ROOT } from '../container/state.ts';
import { tagged } from './errors.ts';
import { create, open, run, type CommonOptions, type Container, type CreateOptions, type RunOptions, type RunResult } from './container.ts';

export * from './container.ts';
export type { StdioOption, StdioSlot, StdioStreams } from './stdio.ts';
export type { Operation } from './errors.ts';

/** Every container under a root, with its live status (as `skiff list`). */
export async function list(opts: CommonOptions = {}): Promise<ContainerState[]> {
  return tagged('list', undefined, () => listContainers(resolve(opts.root ?? DEFAULT_ROOT)));
}

const NAMESPACES: NamespaceType[] = ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'];

/** What this runtime supports (runtime-spec features.md, as `runc features`). */
export function features(): Features {
  const cg1 = existsSync('/sys/fs/cgroup/memory') || existsSync('/sys/fs/cgroup/cpu');
  const cg2 = existsSync('/sys/fs/cgroup/cgroup.controllers') || existsSync('/sys/fs/cgroup/unified/cgroup.controllers');
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: NAMESPACES,
      capabilities: [...CAPABILITIES],
      cgroup: { v1: cg1, v2: cg2, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
        operators: ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'],
        archs: Object.entries(SCMP_ARCHES).filter(([, a]) => a !== null).map(([n]) => n).sort(),
        knownFlags: Object.keys(SECCOMP_FLAGS),
        supportedFlags: Object.keys(SECCOMP_FLAGS),
      },
      apparmor: { enabled: existsSync('/sys/kernel/security/apparmor') },
      selinux: { enabled: existsSync('/sys/fs/selinux/enforce') },
      intelRdt: { enabled: false },
    },
  };
}

/** The API bound to one state root and warning sink (e.g. one per service). */
export class Runtime {
  readonly root: string;
  private readonly onWarning?: (m: string) => void;
  constructor(opts: CommonOptions = {}) {
    this.root = resolve(opts.root ?? DEFAULT_ROOT);
    this.onWarning = opts.onWarning;
  }
  create(opts: CreateOptions): Promise<Container> {
    return create({ onWarning: this.onWarning, ...opts, root: this.root });
  }
  run(opts: RunOptions): Promise<RunResult> {
    return run({ onWarning: this.onWarning, ...opts, root: this.root });
  }
  open(id: string): Container {
    return open(id, { root: this.root, onWarning: this.onWarning });
  }
  list(): Promise<ContainerState[]> {
    return list({ root: this.root });
  }
}
