// skiff as a library: list/features and a Runtime bound to one state root,
// beside the Container API (container.ts).
import { resolve } from 'node:path';
import type { Features } from '../spec/types.ts';
import { features as runtimeFeatures } from '../features.ts';
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

/** What this runtime supports (runtime-spec features.md, as `runc features`): the CLI's `skiff features`. */
export function features(): Features {
  return runtimeFeatures();
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
