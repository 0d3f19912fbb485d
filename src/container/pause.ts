// `pause` / `resume`: freeze and thaw every process of the container
// (freezer.state on cgroup v1, cgroup.freeze on v2). Status "paused" is
// computed from the freezer each time (load.ts), never stored.
import { SkiffError } from '../errors.ts';
import { loadContainer } from './load.ts';

export function pauseContainer(root: string | undefined, id: string): void {
  const c = loadContainer(root, id);
  // runc: only a running or created container can be paused
  if (c.status !== 'running' && c.status !== 'created') throw new SkiffError('container not running');
  const cg = c.cgroup();
  if (!cg) throw new SkiffError('container has no cgroup to freeze');
  cg.freeze();
}

export function resumeContainer(root: string | undefined, id: string): void {
  const c = loadContainer(root, id);
  if (c.status !== 'paused') throw new SkiffError('container not paused');
  const cg = c.cgroup();
  if (!cg) throw new SkiffError('container has no cgroup to thaw');
  cg.thaw();
}
