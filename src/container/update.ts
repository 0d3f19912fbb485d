// `update`: change the resource limits of a live container, as runc does:
// the requested values are merged into the stored linux.resources, the whole
// merged set (minus device rules, which update never touches) is written to
// the cgroups, and on success saved in state.json so later readers (exec,
// state, another update) see the new values. On a failed write the old
// values are written back (best effort), as runc does.
import { existsSync } from 'node:fs';
import type { LinuxResources } from '../spec/types.ts';
import { SkiffError } from '../errors.ts';
import { loadContainer } from './load.ts';
import { DirLock, writeState } from './state.ts';

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
const given = (v: unknown): v is number => typeof v === 'number' && v !== 0;
const present = (v: unknown): v is number => typeof v === 'number';

/**
 * Merge an update request into the stored resources. A zero / empty value
 * means "unchanged" (docker sends every field, zeros for what it leaves
 * alone). Only what runc's update merges is taken: memory limit/reservation/
 * swap/checkBeforeUpdate, cpu shares/quota/period/realtimePeriod/realtimeRuntime/burst/idle/cpus/
 * mems, pids limit, blockIO weight, unified.
 *  - `apply`: what to write to the cgroups (everything stored, no devices;
 *    unified only as requested now, like runc)
 *  - `save`: the new linux.resources for state.json
 */
export function mergeUpdate(old: LinuxResources | undefined, u: LinuxResources): { apply: LinuxResources; save: LinuxResources } {
  const save: LinuxResources = clone(old) ?? {};
  const m = u.memory;
  if (m) {
    const sm = (save.memory ??= {});
    if (given(m.limit)) {
      sm.limit = m.limit;
      // cgroup v1 compatibility: "memory unlimited" without a swap value means both unlimited
      if (m.limit === -1 && !present(m.swap)) sm.swap = -1;
    }
    if (given(m.reservation)) sm.reservation = m.reservation;
    if (given(m.swap)) sm.swap = m.swap;
    if (typeof m.checkBeforeUpdate === 'boolean') sm.checkBeforeUpdate = m.checkBeforeUpdate;
    if (!Object.keys(sm).length) delete save.memory;
  }
  const c = u.cpu;
  if (c) {
    const sc = (save.cpu ??= {});
    for (const f of ['shares', 'quota', 'period', 'realtimePeriod', 'realtimeRuntime'] as const) if (given(c[f])) sc[f] = c[f];
    // 0 is meaningful for these two (no burst, normal scheduling)
    for (const f of ['burst', 'idle'] as const) if (present(c[f])) sc[f] = c[f];
    if (c.cpus) sc.cpus = c.cpus;
    if (c.mems) sc.mems = c.mems;
    if (!Object.keys(sc).length) delete save.cpu;
  }
  if (u.pids && given(u.pids.limit)) save.pids = { limit: u.pids.limit };
  if (u.blockIO && given(u.blockIO.weight)) (save.blockIO ??= {}).weight = u.blockIO.weight;
  if (u.unified && Object.keys(u.unified).length) save.unified = { ...(save.unified ?? {}), ...u.unified };

  const apply: LinuxResources = clone(save);
  delete apply.devices;
  if (u.unified && Object.keys(u.unified).length) apply.unified = { ...u.unified };
  else delete apply.unified;
  return { apply, save };
}

export function updateContainer(root: string | undefined, id: string, request: LinuxResources): void {
  let c = loadContainer(root, id);
  const lock = DirLock.acquire(c.dir, true, true);
  try {
    if (lock) c = loadContainer(root, id); // fresh state under the lock
    if (c.status === 'stopped' || c.status === 'creating') throw new SkiffError('container not running');
    const cg = c.cgroup();
    if (!cg) throw new SkiffError('container has no cgroups to update');
    const spec = c.state.config;
    const old = spec.linux?.resources;
    const { apply, save } = mergeUpdate(old, request);
    try {
      cg.set(apply, { update: true });
    } catch (e) {
      // put back what was there (runc does the same), then report the failure
      try {
        cg.set(mergeUpdate(old, {}).apply, { update: true });
      } catch {
        /* the original error is the one to report */
      }
      throw e;
    }
    (spec.linux ??= {}).resources = save;
    writeState(c.dir, c.state);
  } finally {
    lock?.release();
  }
}

/** runc's check for `--l3-cache-schema` / `--mem-bw-schema`. skiff has no Intel RDT support. */
export function checkIntelRdt(l3: string | undefined, mb: string | undefined, resctrl = '/sys/fs/resctrl'): void {
  if (l3 && !existsSync(`${resctrl}/info/L3`)) throw new SkiffError('Intel RDT/CAT: l3 cache schema is not enabled');
  if (mb && !existsSync(`${resctrl}/info/MB`)) throw new SkiffError('Intel RDT/MBA: memory bandwidth schema is not enabled');
  if (l3 || mb) throw new SkiffError('Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported by skiff');
}
