// The cgroupfs manager behind createCgroupManager / loadCgroupManager.
import { posix } from 'node:path';
import type { LinuxResources } from '../spec/types.ts';
import { SkiffError, SpecError } from '../errors.ts';
import type { CgroupConfig, CgroupManager, CgroupState, OomEvents } from './index.ts';
import { type CgroupFs, errCode, realFs, tryRead } from './fs.ts';
import { detectLayout, type Layout } from './layout.ts';
import { resolvePaths } from './paths.ts';
import { mountNamesFor } from './mounts.ts';
import { hugePageSizeName } from './convert.ts';
import { DeviceEmulator, normalizeDeviceRules, ruleString, type DeviceRule } from './devices.ts';
import { LICENSE, deviceFilterProgram } from './devices-bpf.ts';
import * as res from './resources.ts';
import * as st from './stats.ts';

/** What the addon offers for cgroup v2 device control (native/addon/bpf.c). */
export interface BpfAddon {
  bpfDeviceProgAttach?: (cgroup: string | number, prog: Buffer, license: string) => unknown;
}

export interface ManagerDeps {
  fs?: CgroupFs;
  /** inject /proc/self/mountinfo and /proc/self/cgroup contents (tests) */
  mountinfo?: string;
  selfCgroup?: string;
  layout?: Layout;
  /** huge page sizes ("2MB"); default: read /sys/kernel/mm/hugepages */
  hugePageSizes?: string[];
  /** the N-API addon (loaded lazily, only to attach a v2 device program) */
  addon?: () => BpfAddon;
  /** process.kill replacement (tests) */
  kill?: (pid: number, signal: number) => void;
}

/** v1 hierarchy name -> the v2 controller doing the same job */
const V2_NAME: Record<string, string> = { blkio: 'io' };

function loadAddon(): BpfAddon {
  // Lazy: only cgroup v2 hosts with device rules ever dlopen the addon for this.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { native } = require('../native/addon.ts') as { native: () => BpfAddon };
  return native();
}

export class CgroupManagerImpl implements CgroupManager {
  readonly state: CgroupState;
  private readonly fs: CgroupFs;
  private readonly deps: ManagerDeps;
  private wantedV2: string[];
  private hugeSizes: string[] | undefined;

  private constructor(state: CgroupState, deps: ManagerDeps, wantedV2: string[]) {
    this.state = state;
    this.fs = deps.fs ?? realFs;
    this.deps = deps;
    this.wantedV2 = wantedV2;
    this.hugeSizes = deps.hugePageSizes;
  }

  static fromConfig(cfg: CgroupConfig, deps: ManagerDeps): CgroupManagerImpl {
    const layout = deps.layout ?? detectLayout(deps.mountinfo, deps.selfCgroup);
    const paths = resolvePaths(layout, cfg.id, cfg.cgroupsPath);
    const state: CgroupState = {
      layout: layout.mode,
      paths,
      created: [],
      ...(layout.unified ? { unifiedMount: layout.unified.mountpoint } : {}),
      mountNames: mountNamesFor(layout.hierarchies),
    };
    const m = new CgroupManagerImpl(state, deps, []);
    m.wantedV2 = m.v2ControllersFor(cfg.resources);
    return m;
  }

  static fromState(state: CgroupState, deps: ManagerDeps): CgroupManagerImpl {
    if (!state || typeof state !== 'object' || !state.paths || !['v1', 'v2', 'hybrid'].includes(state.layout)) {
      throw new SkiffError('invalid cgroup state in state.json');
    }
    state.created ??= [];
    return new CgroupManagerImpl(state, deps, []);
  }

  // ------------------------------------------------------------ helpers

  private p(dir: string, file: string): string {
    return posix.join(dir, file);
  }

  /** distinct directories, v1 first then unified */
  private dirs(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    const entries = Object.entries(this.state.paths).sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : 0));
    for (const [, d] of entries) {
      if (!seen.has(d)) {
        seen.add(d);
        out.push(d);
      }
    }
    return out;
  }

  private v1Dir(ctl: string): string | undefined {
    return this.state.layout === 'v2' ? undefined : this.state.paths[ctl];
  }

  private get unifiedDir(): string | undefined {
    return this.state.paths[''];
  }

  private hugePageSizes(): string[] {
    if (!this.hugeSizes) {
      try {
        this.hugeSizes = this.fs.readdir('/sys/kernel/mm/hugepages').map(hugePageSizeName).filter((s): s is string => !!s);
      } catch {
        this.hugeSizes = [];
      }
    }
    return this.hugeSizes;
  }

  /** v2 controllers needed for these resources that no v1 hierarchy provides */
  private v2ControllersFor(r: LinuxResources | undefined): string[] {
    if (!r || !this.unifiedDir) return [];
    const need = new Set<string>();
    const want = (v1: string, isSet: boolean): void => {
      if (isSet && !this.v1Dir(v1)) need.add(V2_NAME[v1] ?? v1);
    };
    want('memory', res.memorySet(r.memory));
    want('cpu', res.cpuSet(r.cpu));
    want('cpuset', res.cpusetSet(r.cpu));
    want('pids', res.pidsSet(r.pids));
    want('blkio', res.blkioSet(r.blockIO));
    want('hugetlb', res.hugetlbSet(r.hugepageLimits));
    want('rdma', res.rdmaSet(r.rdma));
    for (const k of Object.keys(r.unified ?? {})) {
      const c = k.split('.')[0];
      if (c !== 'cgroup') need.add(c);
    }
    return [...need];
  }

  /** Controllers listed in a v2 directory's cgroup.controllers. */
  private controllersOf(dir: string): Set<string> {
    return new Set((tryRead(this.fs, this.p(dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean));
  }

  /**
   * Enable `ctls` in cgroup.subtree_control of every ancestor of the unified
   * dir, from the hierarchy's mount point down to the parent (never in the
   * container's own dir: it must stay able to hold processes). Only writes
   * what is missing. Returns the controllers the container's dir then has.
   */
  private enableV2(ctls: string[] | 'all', strict: boolean): Set<string> {
    const leaf = this.unifiedDir;
    if (!leaf) return new Set();
    const mount = this.state.unifiedMount ?? '/sys/fs/cgroup';
    const rel = posix.relative(mount, leaf);
    if (rel.startsWith('..') || rel === '') return this.controllersOf(leaf);
    const parts = rel.split('/');
    let cur = mount;
    for (let i = 0; i < parts.length; i++) {
      const available = this.controllersOf(cur);
      const enabled = new Set((tryRead(this.fs, this.p(cur, 'cgroup.subtree_control')) ?? '').split(/\s+/).filter(Boolean));
      const wanted = ctls === 'all' ? [...available] : ctls;
      for (const c of wanted) {
        if (!available.has(c) || enabled.has(c)) continue;
        try {
          this.fs.writeFile(this.p(cur, 'cgroup.subtree_control'), `+${c}`);
        } catch (e) {
          if (strict) {
            throw new SkiffError(`cannot enable the ${c} controller in ${cur}/cgroup.subtree_control: ${errCode(e) ?? (e as Error).message}` +
              (errCode(e) === 'EBUSY' ? ' (that cgroup holds processes; cgroup v2 forbids controllers there — use a cgroupsPath outside it)' : ''), { cause: e });
          }
        }
      }
      cur = posix.join(cur, parts[i]);
    }
    return this.controllersOf(leaf);
  }

  private readProcs(dir: string): number[] {
    const t = tryRead(this.fs, this.p(dir, 'cgroup.procs'));
    if (t === undefined) return [];
    return t.split('\n').filter(Boolean).map(Number);
  }

  private allPids(dir: string): number[] {
    if (!this.fs.isDirectory(dir)) return [];
    const out = this.readProcs(dir);
    let subs: string[] = [];
    try {
      subs = this.fs.subdirs(dir);
    } catch (e) {
      if (errCode(e) !== 'ENOENT') throw e;
    }
    for (const s of subs) out.push(...this.allPids(this.p(dir, s)));
    return out;
  }

  /** the one hierarchy we list processes from */
  private pidsDir(): string | undefined {
    const order = ['devices', 'freezer', 'pids', 'memory', 'cpu', 'cpuacct', 'cpuset', 'blkio', 'name=systemd', ''];
    const keys = this.state.layout === 'v2' ? [''] : order;
    for (const k of keys) if (this.state.paths[k]) return this.state.paths[k];
    return Object.values(this.state.paths)[0];
  }

  // ------------------------------------------------------------ lifecycle

  exists(): boolean {
    return this.dirs().some((d) => this.fs.isDirectory(d));
  }

  create(): void {
    // Refuse to share a cgroup with someone else's processes, or a frozen one (runc does the same).
    const pd = this.pidsDir();
    if (pd && this.fs.isDirectory(pd)) {
      const pids = this.allPids(pd);
      if (pids.length) throw new SkiffError(`container's cgroup is not empty: ${pids.length} process(es) found in ${pd}`, { code: 'ECGROUP' });
    }
    if (this.isFrozen()) throw new SkiffError(`container's cgroup unexpectedly frozen`, { code: 'ECGROUP' });

    const created: string[] = [];
    try {
      for (const dir of this.dirs()) {
        // mkdir -p, remembering what we made (parents first)
        const missing: string[] = [];
        for (let d = dir; !this.fs.isDirectory(d); d = posix.dirname(d)) {
          if (d === '/' || d === '.') break;
          missing.unshift(d);
        }
        for (const d of missing) {
          try {
            this.fs.mkdir(d);
            created.push(d);
          } catch (e) {
            if (errCode(e) !== 'EEXIST') {
              throw new SkiffError(`cannot create cgroup ${d}: ${errCode(e) ?? (e as Error).message}`, { cause: e, code: 'ECGROUP' });
            }
          }
        }
      }
      // v1 cpuset: a new cgroup has empty cpus/mems and refuses processes until they are set.
      const cs = this.v1Dir('cpuset');
      if (cs) {
        // every level we made on the way down, then the container's own dir
        const chain = created.filter((x) => this.isAncestorOrSelf(x, cs));
        if (!chain.includes(cs)) chain.push(cs);
        for (const d of chain) this.copyCpusetFromParent(d);
      }
      if (this.unifiedDir) {
        if (this.state.layout === 'v2') this.enableV2('all', false);
        else if (this.wantedV2.length) this.enableV2(this.wantedV2, false);
      }
    } catch (e) {
      for (const d of created.reverse()) {
        try {
          this.fs.rmdir(d);
        } catch {
          /* best effort */
        }
      }
      throw e;
    }
    for (const d of created) if (!this.state.created.includes(d)) this.state.created.push(d);
  }

  private isAncestorOrSelf(anc: string, d: string): boolean {
    const rel = posix.relative(anc, d);
    return !rel.startsWith('..') && !posix.isAbsolute(rel);
  }

  private copyCpusetFromParent(dir: string): void {
    const parent = posix.dirname(dir);
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      const cur = (tryRead(this.fs, this.p(dir, f)) ?? '').trim();
      if (cur !== '') continue;
      const v = (tryRead(this.fs, this.p(parent, f)) ?? '').trim();
      if (v === '') continue;
      try {
        this.fs.writeFile(this.p(dir, f), v);
      } catch (e) {
        throw new SkiffError(`cannot initialise ${this.p(dir, f)} from its parent: ${errCode(e) ?? (e as Error).message}`, { cause: e, code: 'ECGROUP' });
      }
    }
  }

  apply(pid: number): void {
    if (!Number.isInteger(pid) || pid <= 0) throw new SkiffError(`invalid pid ${pid}`);
    for (const dir of this.dirs()) {
      const file = this.p(dir, 'cgroup.procs');
      let lastErr: unknown;
      // EINVAL/ESRCH can be transient while a process is being set up; retry a little (as runc)
      for (let i = 0; i < 5; i++) {
        try {
          this.fs.writeFile(file, String(pid));
          lastErr = undefined;
          break;
        } catch (e) {
          lastErr = e;
          if (errCode(e) !== 'EINVAL') break;
          this.fs.sleep(30);
        }
      }
      if (lastErr) {
        throw new SkiffError(`cannot move process ${pid} into cgroup ${dir}: ${errCode(lastErr) ?? (lastErr as Error).message}`, { cause: lastErr, code: 'ECGROUP' });
      }
    }
  }

  async applyAsync(pid: number): Promise<void> {
    if (!Number.isInteger(pid) || pid <= 0) throw new SkiffError(`invalid pid ${pid}`);
    const write = this.fs.writeFileAsync?.bind(this.fs) ?? (async (f: string, d: string) => this.fs.writeFile(f, d));
    for (const dir of this.dirs()) {
      const file = this.p(dir, 'cgroup.procs');
      let lastErr: unknown;
      for (let i = 0; i < 5; i++) {
        try {
          await write(file, String(pid));
          lastErr = undefined;
          break;
        } catch (e) {
          lastErr = e;
          if (errCode(e) !== 'EINVAL') break;
          await new Promise((r) => setTimeout(r, 30));
        }
      }
      if (lastErr) {
        throw new SkiffError(`cannot move process ${pid} into cgroup ${dir}: ${errCode(lastErr) ?? (lastErr as Error).message}`, { cause: lastErr, code: 'ECGROUP' });
      }
    }
  }

  set(resources: LinuxResources, opts: { update?: boolean } = {}): void {
    const r = resources ?? {};
    const c: res.SetContext = { fs: this.fs, update: !!opts.update };
    if (r.hugepageLimits?.length) c.hugePageSizes = this.hugePageSizes();
    res.validateResources(r, c.hugePageSizes);

    const mode = this.state.layout;
    const uni = this.unifiedDir;
    let v2ctl: Set<string> | undefined;
    const v2Has = (ctl: string): boolean => {
      if (!uni) return false;
      if (!v2ctl) {
        const need = this.v2ControllersFor(r);
        // pure v2: enable strictly what this config needs; hybrid: same
        v2ctl = this.enableV2(need, false);
      }
      return v2ctl.has(ctl);
    };
    const missing = (what: string, pointer: string): never => {
      throw new SkiffError(`${pointer}: the ${what} cgroup controller is not available on this host` +
        (mode === 'v2' ? ` (not enabled in ${uni}/cgroup.controllers)` : ''), { pointer, code: 'ECGROUP' });
    };
    const R = '/linux/resources';

    // pick v1 hierarchy, else the unified dir, else complain (only when asked for something)
    const route = (v1: string, isSet: boolean, pointer: string, f1: (d: string) => void, f2: ((d: string) => void) | undefined): void => {
      if (!isSet) return;
      const d1 = this.v1Dir(v1);
      if (d1) return f1(d1);
      const v2 = V2_NAME[v1] ?? v1;
      if (f2 && uni && v2Has(v2)) return f2(uni);
      if (!f2 && mode === 'v2') return; // no v2 equivalent: ignored, as runc
      missing(v1, pointer);
    };

    // devices first: a failure there should leave limits untouched
    if (r.devices !== undefined) this.setDevices(normalizeDeviceRules(r.devices));

    route('cpuset', res.cpusetSet(r.cpu), `${R}/cpu/cpus`, (d) => res.setCpusetV1(c, d, r.cpu!), (d) => res.setCpusetV2(c, d, r.cpu!));
    route('memory', res.memorySet(r.memory), `${R}/memory`, (d) => res.setMemoryV1(c, d, r.memory!), (d) => res.setMemoryV2(c, d, r.memory!));
    route('cpu', res.cpuSet(r.cpu), `${R}/cpu`, (d) => res.setCpuV1(c, d, r.cpu!), (d) => res.setCpuV2(c, d, r.cpu!));
    route('pids', res.pidsSet(r.pids), `${R}/pids`, (d) => res.setPids(c, d, r.pids!), (d) => res.setPids(c, d, r.pids!));
    route('blkio', res.blkioSet(r.blockIO), `${R}/blockIO`, (d) => res.setBlkioV1(c, d, r.blockIO!), (d) => res.setIoV2(c, d, r.blockIO!));
    route('hugetlb', res.hugetlbSet(r.hugepageLimits), `${R}/hugepageLimits`, (d) => res.setHugetlbV1(c, d, r.hugepageLimits!), (d) => res.setHugetlbV2(c, d, r.hugepageLimits!));
    route('net_cls', res.netClsSet(r.network), `${R}/network/classID`, (d) => res.setNetCls(c, d, r.network!), undefined);
    route('net_prio', res.netPrioSet(r.network), `${R}/network/priorities`, (d) => res.setNetPrio(c, d, r.network!), undefined);
    route('rdma', res.rdmaSet(r.rdma), `${R}/rdma`, (d) => res.setRdma(c, d, r.rdma!), (d) => res.setRdma(c, d, r.rdma!));

    if (r.unified && Object.keys(r.unified).length) {
      if (!uni) throw new SpecError(`${R}/unified`, 'cgroup v2 is not available on this host (cgroup v1 only), so unified resources cannot be set');
      v2Has(''); // make sure controllers were enabled
      res.setUnified(c, uni, r.unified, v2ctl ?? this.controllersOf(uni));
    }
  }

  private setDevices(rules: DeviceRule[]): void {
    const d1 = this.v1Dir('devices');
    if (d1) {
      const listFile = this.p(d1, 'devices.list');
      const target = DeviceEmulator.fromRules(rules);
      const current = DeviceEmulator.fromList(this.fs.readFile(listFile));
      for (const rule of current.transition(target)) {
        const file = rule.allow ? 'devices.allow' : 'devices.deny';
        res.cgWrite({ fs: this.fs, update: false }, d1, file, ruleString(rule), '/linux/resources/devices');
      }
      if (!target.defaultAllow) {
        // safety check: the kernel must now hold exactly what we asked for
        const after = DeviceEmulator.fromList(this.fs.readFile(listFile));
        if (!after.equals(target)) {
          throw new SkiffError(`/linux/resources/devices: device rules were not applied as requested (devices.list differs from the configured rules)`, { pointer: '/linux/resources/devices', code: 'ECGROUP' });
        }
      }
      return;
    }
    const uni = this.unifiedDir;
    if (uni && this.state.layout === 'v2') {
      const prog = deviceFilterProgram(rules);
      const addon = (this.deps.addon ?? loadAddon)();
      if (typeof addon.bpfDeviceProgAttach !== 'function') {
        throw new SkiffError('cgroup v2 device rules need the eBPF support of the native addon (native/addon/bpf.c), which this build lacks', { code: 'ECGROUP' });
      }
      try {
        addon.bpfDeviceProgAttach(uni, prog, LICENSE);
      } catch (e) {
        throw new SkiffError(`cannot attach the device eBPF program to ${uni}: ${(e as Error).message}`, { cause: e, code: 'ECGROUP', pointer: '/linux/resources/devices' });
      }
      return;
    }
    if (rules.length) throw new SkiffError('/linux/resources/devices: the devices cgroup controller is not available on this host', { pointer: '/linux/resources/devices', code: 'ECGROUP' });
  }

  // ------------------------------------------------------------ freezer

  freeze(): void {
    const fz = this.v1Dir('freezer');
    if (fz) return this.freezeV1(fz);
    const uni = this.unifiedDir;
    if (uni && this.fs.exists(this.p(uni, 'cgroup.freeze'))) return this.freezeV2(uni, true);
    throw new SkiffError('cannot pause: no freezer cgroup for this container', { code: 'ECGROUP' });
  }

  thaw(): void {
    const fz = this.v1Dir('freezer');
    if (fz) {
      res.cgWrite({ fs: this.fs, update: false }, fz, 'freezer.state', 'THAWED', 'freezer.state');
      for (let i = 0; i < 1000; i++) {
        const s = this.fs.readFile(this.p(fz, 'freezer.state')).trim();
        if (s === 'THAWED') return;
        this.fs.sleep(1);
      }
      throw new SkiffError('unable to thaw the container cgroup', { code: 'ECGROUP' });
    }
    const uni = this.unifiedDir;
    if (uni && this.fs.exists(this.p(uni, 'cgroup.freeze'))) return this.freezeV2(uni, false);
    throw new SkiffError('cannot resume: no freezer cgroup for this container', { code: 'ECGROUP' });
  }

  private freezeV1(dir: string): void {
    // As runc: keep writing FROZEN while the kernel says FREEZING (new tasks
    // can appear); now and then thaw briefly to let stragglers settle.
    const file = this.p(dir, 'freezer.state');
    for (let i = 0; i < 1000; i++) {
      if (i % 50 === 49) {
        try {
          this.fs.writeFile(file, 'THAWED');
        } catch {
          /* ignore */
        }
        this.fs.sleep(10);
      }
      res.cgWrite({ fs: this.fs, update: false }, dir, 'freezer.state', 'FROZEN', 'freezer.state');
      if (i % 25 === 24) this.fs.sleep(1);
      const s = this.fs.readFile(file).trim();
      if (s === 'FROZEN') return;
      if (s !== 'FREEZING') throw new SkiffError(`unexpected freezer state ${s} after writing FROZEN`, { code: 'ECGROUP' });
    }
    try {
      this.fs.writeFile(file, 'THAWED');
    } catch {
      /* ignore */
    }
    throw new SkiffError('unable to freeze the container cgroup', { code: 'ECGROUP' });
  }

  private freezeV2(dir: string, frozen: boolean): void {
    res.cgWrite({ fs: this.fs, update: false }, dir, 'cgroup.freeze', frozen ? '1' : '0', 'cgroup.freeze');
    const want = frozen ? '1' : '0';
    // cgroup.events "frozen" flips once every task has stopped; poll (up to ~10 s)
    for (let i = 0; i < 2000; i++) {
      const ev = st.parseKeyValues(tryRead(this.fs, this.p(dir, 'cgroup.events')));
      if (ev.frozen === undefined || String(ev.frozen) === want) return;
      // a thaw of a cgroup whose parent is frozen never reports frozen 0
      if (!frozen && this.fs.readFile(this.p(dir, 'cgroup.freeze')).trim() === '0' && i > 100) return;
      this.fs.sleep(i < 20 ? 1 : 5);
    }
    throw new SkiffError(`timed out waiting for ${dir} to become ${frozen ? 'frozen' : 'thawed'}`, { code: 'ECGROUP' });
  }

  isFrozen(): boolean {
    const fz = this.v1Dir('freezer');
    if (fz) {
      const s = tryRead(this.fs, this.p(fz, 'freezer.state'))?.trim();
      if (s !== 'FROZEN' && s !== 'FREEZING') return false;
      // frozen by itself, not just because an ancestor is
      const self = tryRead(this.fs, this.p(fz, 'freezer.self_freezing'))?.trim();
      return self === undefined ? s === 'FROZEN' : self === '1';
    }
    const uni = this.unifiedDir;
    if (uni) return tryRead(this.fs, this.p(uni, 'cgroup.freeze'))?.trim() === '1';
    return false;
  }

  // ------------------------------------------------------------ processes

  pids(): number[] {
    const d = this.pidsDir();
    return d ? [...new Set(this.allPids(d))] : [];
  }

  killAll(signal: number): void {
    const kill = this.deps.kill ?? ((pid: number, sig: number): void => void process.kill(pid, sig));
    const uni = this.unifiedDir;
    if (signal === 9 && this.state.layout === 'v2' && uni && this.fs.exists(this.p(uni, 'cgroup.kill'))) {
      res.cgWrite({ fs: this.fs, update: false }, uni, 'cgroup.kill', '1', 'cgroup.kill');
      return;
    }
    const wasFrozen = this.isFrozen();
    let froze = false;
    if (!wasFrozen) {
      try {
        this.freeze();
        froze = true;
      } catch {
        /* no freezer: signal anyway */
      }
    }
    try {
      for (const pid of this.pids()) {
        try {
          kill(pid, signal);
        } catch (e) {
          if (errCode(e) !== 'ESRCH') throw e;
        }
      }
    } finally {
      if (froze) this.thaw();
    }
  }

  destroy(): void {
    const leaves = new Set(this.dirs());
    const remaining = [...this.state.created].reverse(); // children before parents
    const failed: string[] = [];
    for (const d of remaining) {
      const ok = leaves.has(d) ? this.removeTree(d) : this.removeOne(d);
      if (ok) this.state.created = this.state.created.filter((x) => x !== d);
      else if (leaves.has(d)) failed.push(d);
    }
    if (failed.length) throw new SkiffError(`cannot remove cgroup(s) ${failed.join(', ')}: still in use`, { code: 'ECGROUP' });
  }

  /** rmdir one intermediate dir we created; leave it if someone else now uses it */
  private removeOne(d: string): boolean {
    try {
      this.fs.rmdir(d);
      return true;
    } catch (e) {
      const c = errCode(e);
      if (c === 'ENOENT') return true;
      return false;
    }
  }

  /** rmdir a container cgroup and any sub-cgroups made inside it, retrying while processes exit */
  private removeTree(d: string): boolean {
    let delay = 10;
    for (let attempt = 0; attempt < 7; attempt++) {
      if (attempt) {
        this.fs.sleep(delay);
        delay *= 2;
      }
      try {
        this.rmdirRecursive(d);
        return true;
      } catch (e) {
        const c = errCode(e);
        if (c === 'ENOENT') return true;
        if (c !== 'EBUSY' && c !== 'ENOTEMPTY') return false;
      }
    }
    return false;
  }

  private rmdirRecursive(d: string): void {
    let subs: string[] = [];
    try {
      subs = this.fs.subdirs(d);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return;
      throw e;
    }
    for (const s of subs) this.rmdirRecursive(this.p(d, s));
    this.fs.rmdir(d);
  }

  // ------------------------------------------------------------ stats & events

  stats(): st.CgroupStats {
    const s = st.emptyStats();
    const uni = this.unifiedDir;
    const mode = this.state.layout;
    const v2ok = (file: string): boolean => !!uni && (mode === 'v2' || this.fs.exists(this.p(uni, file)));
    const d = (k: string): string | undefined => {
      const x = this.v1Dir(k);
      return x && this.fs.isDirectory(x) ? x : undefined;
    };
    let dir: string | undefined;
    if ((dir = d('cpuacct'))) st.cpuacctStatsV1(this.fs, dir, s);
    if ((dir = d('cpu'))) st.cpuStatsV1(this.fs, dir, s);
    if (!d('cpuacct') && !d('cpu') && mode === 'v2' && uni) st.cpuStatsV2(this.fs, uni, s);
    if ((dir = d('cpuset'))) st.cpusetStatsV1(this.fs, dir, s);
    else if (mode === 'v2' && uni) st.cpusetStatsV2(this.fs, uni, s);
    if ((dir = d('memory'))) st.memoryStatsV1(this.fs, dir, s);
    else if (v2ok('memory.current')) st.memoryStatsV2(this.fs, uni!, s);
    if ((dir = d('pids'))) st.pidsStats(this.fs, dir, s);
    else if (v2ok('pids.current')) st.pidsStats(this.fs, uni!, s);
    if ((dir = d('blkio'))) st.blkioStatsV1(this.fs, dir, s);
    else if (v2ok('io.stat')) st.ioStatsV2(this.fs, uni!, s);
    const sizes = this.hugePageSizes();
    if ((dir = d('hugetlb'))) st.hugetlbStatsV1(this.fs, dir, sizes, s);
    else if (uni && sizes.length && this.fs.exists(this.p(uni, `hugetlb.${sizes[0]}.current`))) st.hugetlbStatsV2(this.fs, uni, sizes, s);
    return s;
  }

  oomEvents(): OomEvents {
    const m = this.v1Dir('memory');
    if (m) {
      const kv = st.parseKeyValues(tryRead(this.fs, this.p(m, 'memory.oom_control')));
      return { oom: kv.oom_kill ?? 0, oomKill: kv.oom_kill ?? 0, underOom: kv.under_oom === 1 };
    }
    const uni = this.unifiedDir;
    const kv = uni ? st.parseKeyValues(tryRead(this.fs, this.p(uni, 'memory.events'))) : {};
    return { oom: kv.oom ?? 0, oomKill: kv.oom_kill ?? 0, underOom: false };
  }
}
