// The container-level cgroup commands on real containers: limits from
// config.json in the cgroup files and enforced, pause/resume, update, ps,
// events (stats and OOM), kill --all, device rules, cgroupsPath placement,
// and delete removing exactly the cgroups it created.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Env, SKIFF, sleep } from './helpers.ts';
import type { Spec } from '../../src/spec/types.ts';

const env = new Env('cgcmd');
after(() => assert.deepEqual(env.cleanup(), []));

const MB = 1024 * 1024;

/** controller -> cgroup dir of a process, from /proc/<pid>/cgroup */
function cgroupDirs(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const mount = m[1] === '' ? '/sys/fs/cgroup/unified' : `/sys/fs/cgroup/${m[1].replace(/^name=/, '')}`;
    for (const c of m[1] === '' ? [''] : m[1].split(',')) out[c.replace(/^name=/, '')] = join(mount, m[2]);
  }
  return out;
}
const rd = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8').trim();

/** create + start a detached container; returns id and init pid */
function startContainer(fn: (s: Spec) => void, args = ['sleep', '600']): { id: string; pid: number } {
  const id = env.id();
  const b = env.bundle((s) => {
    s.process!.args = args;
    fn(s);
  });
  const c = env.skiff(['create', '--bundle', b, id]);
  assert.equal(c.status, 0, c.stderr);
  const s = env.skiff(['start', id]);
  assert.equal(s.status, 0, s.stderr);
  return { id, pid: env.state(id).pid };
}

async function waitFor(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function stopAndDelete(id: string): Promise<void> {
  const r = env.skiff(['delete', '--force', id]);
  assert.equal(r.status, 0, r.stderr);
}

const res = (s: Spec) => (s.linux!.resources ??= {});

describe('limits from config.json', () => {
  test('visible in the cgroup files of the running container', async () => {
    const { id, pid } = startContainer((s) => {
      res(s).memory = { limit: 96 * MB, reservation: 32 * MB };
      res(s).pids = { limit: 42 };
      res(s).cpu = { shares: 256, quota: 30000, period: 100000 };
    });
    const d = cgroupDirs(pid);
    assert.equal(rd(d.memory, 'memory.limit_in_bytes'), String(96 * MB));
    assert.equal(rd(d.memory, 'memory.soft_limit_in_bytes'), String(32 * MB));
    assert.equal(rd(d.pids, 'pids.max'), '42');
    assert.equal(rd(d.cpu, 'cpu.shares'), '256');
    assert.equal(rd(d.cpu, 'cpu.cfs_quota_us'), '30000');
    assert.equal(rd(d.cpu, 'cpu.cfs_period_us'), '100000');
    // the container's cgroup is its own, named after the id, under ours
    for (const c of ['memory', 'pids', 'cpu', 'freezer', 'devices']) assert.ok(d[c].endsWith(`/${id}`), `${c}: ${d[c]}`);
    await stopAndDelete(id);
  });

  test('a pids limit stops fork inside the container', () => {
    const r = env.run((s) => {
      res(s).pids = { limit: 4 };
      s.process!.args = ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; echo started; kill $(jobs -p) 2>/dev/null; true'];
    });
    assert.match(r.stderr + r.stdout, /can't fork|Resource temporarily unavailable|Try again/, r.stderr);
  });

  test('a memory limit OOM-kills a memory hog; events reports the oom, then ends with the container', async () => {
    const id = env.id();
    const b = env.bundle((s) => {
      res(s).memory = { limit: 32 * MB, swap: 32 * MB };
      s.process!.args = ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=128M count=1; echo dd=$?; sleep 600'];
    });
    assert.equal(env.skiff(['create', '--bundle', b, id]).status, 0);
    // events on the created container (the baseline is taken before the hog runs)
    const ev = spawn(SKIFF, ['--root', env.root, 'events', '--interval', '100ms', id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    ev.stdout.on('data', (d) => (out += d));
    ev.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => ev.on('close', (code) => r(code)));
    try {
      await waitFor('the first stats event', () => out.includes('"type":"stats"'), 10_000);
      const st = env.skiff(['start', id]);
      assert.equal(st.status, 0, st.stderr);
      await waitFor('an oom event', () => out.includes('{"type":"oom","id":"' + id + '"}'), 10_000);
      const pid = env.state(id).pid;
      assert.ok(Number(/oom_kill (\d+)/.exec(readFileSync(join(cgroupDirs(pid).memory, 'memory.oom_control'), 'utf8'))![1]) >= 1);
      // stats events carry runc's field names
      const stats = out.split('\n').filter((l) => l.includes('"stats"')).map((l) => JSON.parse(l));
      const s = stats[stats.length - 1];
      assert.equal(s.id, id);
      for (const k of ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']) assert.ok(k in s.data, k);
      assert.equal(s.data.memory.usage.limit, 32 * MB);
      assert.ok('total' in s.data.cpu.usage && 'throttling' in s.data.cpu);
      assert.ok(s.data.pids.current >= 1);
      // the container stops: events ends by itself, with exit code 0
      assert.equal(env.skiff(['kill', id, 'KILL']).status, 0);
      assert.equal(await Promise.race([exited, sleep(5000).then(() => 'timeout')]), 0, err);
    } finally {
      ev.kill('SIGKILL');
      await stopAndDelete(id);
    }
  });
});

describe('events', () => {
  test('--stats prints one stats event and exits; bad interval and stopped container are errors', async () => {
    const { id } = startContainer((s) => (res(s).pids = { limit: 20 }));
    const r = env.skiff(['events', '--stats', id]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const e = JSON.parse(lines[0]);
    assert.equal(e.type, 'stats');
    assert.equal(e.data.pids.limit, 20);
    assert.equal(e.data.network_interfaces, null);
    // unlimited values print as Go prints them, not rounded JS numbers
    assert.doesNotMatch(r.stdout, /9223372036854772000|18446744073709552000/);
    const bad = env.skiff(['events', '--interval', '0s', id]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /duration interval must be greater than 0/);
    assert.match(env.skiff(['events', '--interval', 'soon', id]).stderr, /invalid value "soon" for flag -interval/);
    assert.equal(env.skiff(['kill', id, 'KILL']).status, 0);
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    const st = env.skiff(['events', '--stats', id]);
    assert.equal(st.status, 1);
    assert.match(st.stderr, new RegExp(`container with id ${id} is not running`));
    await stopAndDelete(id);
  });
});

describe('pause / resume', () => {
  test('freezes and thaws; state and list show paused; runc errors', async () => {
    const { id, pid } = startContainer(() => {});
    const fz = cgroupDirs(pid).freezer;
    assert.equal(env.skiff(['pause', id]).status, 0);
    assert.equal(env.state(id).status, 'paused');
    assert.equal(rd(fz, 'freezer.state'), 'FROZEN');
    assert.equal(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0], 'D', 'frozen task sleeps uninterruptibly');
    const list = JSON.parse(env.skiff(['list', '--format', 'json']).stdout) as { id: string; status: string }[];
    assert.equal(list.find((c) => c.id === id)?.status, 'paused');
    const again = env.skiff(['pause', id]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /container not running/);
    // a paused container can be updated
    const up = env.skiff(['update', '--pids-limit', '9', id]);
    assert.equal(up.status, 0, up.stderr);
    assert.equal(rd(cgroupDirs(pid).pids, 'pids.max'), '9');
    assert.equal(env.skiff(['resume', id]).status, 0);
    assert.equal(env.state(id).status, 'running');
    assert.equal(rd(fz, 'freezer.state'), 'THAWED');
    assert.equal(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0], 'S');
    const r2 = env.skiff(['resume', id]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /container not paused/);
    // SIGKILL to a paused container thaws it so the kill takes effect (runc)
    assert.equal(env.skiff(['pause', id]).status, 0);
    assert.equal(env.skiff(['kill', id, 'KILL']).status, 0);
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    assert.match(env.skiff(['pause', id]).stderr, /container not running/);
    assert.match(env.skiff(['resume', id]).stderr, /container not paused/);
    await stopAndDelete(id);
  });

  test('a created container can be paused (state paused, start refused) and resumed to created', async () => {
    const id = env.id();
    assert.equal(env.skiff(['create', '--bundle', env.bundle((s) => (s.process!.args = ['sleep', '600'])), id]).status, 0);
    assert.equal(env.skiff(['pause', id]).status, 0);
    assert.equal(env.state(id).status, 'paused');
    const st = env.skiff(['start', id]);
    assert.equal(st.status, 1);
    assert.match(st.stderr, /cannot start a container in the paused state/);
    assert.equal(env.skiff(['resume', id]).status, 0);
    assert.equal(env.state(id).status, 'created');
    assert.equal(env.skiff(['start', id]).status, 0);
    assert.equal(env.state(id).status, 'running');
    await stopAndDelete(id);
  });

  test('delete --force of a paused container', async () => {
    const { id, pid } = startContainer(() => {});
    const d = cgroupDirs(pid);
    assert.equal(env.skiff(['pause', id]).status, 0);
    assert.equal(env.skiff(['delete', id]).status, 1);
    await stopAndDelete(id);
    assert.equal(existsSync(d.freezer), false);
  });
});

describe('update', () => {
  test('flags change a running container: memory (suffixes), pids, cpu; saved in state.json', async () => {
    const { id, pid } = startContainer((s) => {
      res(s).memory = { limit: 64 * MB };
      res(s).pids = { limit: 50 };
      res(s).cpu = { shares: 1024 };
    });
    const d = cgroupDirs(pid);
    const r = env.skiff(['update', '--memory', '128m', '--memory-reservation', '1.5m', '--pids-limit', '77', '--cpu-quota', '25000', '--cpu-period', '50000', '--cpu-share', '512', id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(rd(d.memory, 'memory.limit_in_bytes'), String(128 * MB));
    assert.equal(rd(d.memory, 'memory.soft_limit_in_bytes'), String(1.5 * MB));
    assert.equal(rd(d.pids, 'pids.max'), '77');
    assert.equal(rd(d.cpu, 'cpu.cfs_quota_us'), '25000');
    assert.equal(rd(d.cpu, 'cpu.cfs_period_us'), '50000');
    assert.equal(rd(d.cpu, 'cpu.shares'), '512');
    const saved = JSON.parse(readFileSync(join(env.root, id, 'state.json'), 'utf8')).config.linux.resources;
    assert.equal(saved.memory.limit, 128 * MB);
    assert.equal(saved.pids.limit, 77);
    assert.deepEqual(saved.cpu, { shares: 512, quota: 25000, period: 50000 });
    assert.deepEqual(saved.devices, [{ allow: false, access: 'rwm' }], 'device rules kept');
    // 1g, and -1 = unlimited (swap follows memory to unlimited, as runc)
    assert.equal(env.skiff(['update', '--memory', '1g', id]).status, 0);
    assert.equal(rd(d.memory, 'memory.limit_in_bytes'), String(1024 * MB));
    assert.equal(env.skiff(['update', '--memory', '-1', '--cpu-quota', '-1', '--pids-limit', '-1', id]).status, 0);
    assert.equal(rd(d.memory, 'memory.limit_in_bytes'), '9223372036854771712');
    assert.equal(rd(d.cpu, 'cpu.cfs_quota_us'), '-1');
    assert.equal(rd(d.pids, 'pids.max'), 'max');
    // errors worded as runc's
    assert.match(env.skiff(['update', '--memory', '12x', id]).stderr, /invalid value for memory: invalid size: '12x'/);
    assert.match(env.skiff(['update', '--cpu-share', '-5', id]).stderr, /invalid value for cpu-share/);
    assert.match(env.skiff(['update', '--l3-cache-schema', 'L3:0=f', id]).stderr, /Intel RDT\/CAT: l3 cache schema is not enabled|Intel RDT/);
    assert.match(env.skiff(['update', '--mem-bw-schema', 'MB:0=70', id]).stderr, /Intel RDT/);
    const km = env.skiff(['update', '--kernel-memory', '10m', id]);
    assert.equal(km.status, 0);
    assert.match(km.stderr, /Setting --kernel-memory is ignored/);
    await stopAndDelete(id);
  });

  test('docker-style --resources - with zeros leaves the other values alone; podman-style file', async () => {
    const { id, pid } = startContainer((s) => {
      res(s).memory = { limit: 80 * MB };
      res(s).cpu = { shares: 300, quota: 40000, period: 100000 };
      res(s).pids = { limit: 30 };
    });
    const d = cgroupDirs(pid);
    const docker = readFileSync('/work/shared/clients/resources-docker.json', 'utf8');
    const r = env.skiff(['update', '--resources', '-', id], { input: docker });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(rd(d.pids, 'pids.max'), '100');
    assert.equal(rd(d.memory, 'memory.limit_in_bytes'), String(80 * MB));
    assert.equal(rd(d.cpu, 'cpu.shares'), '300');
    assert.equal(rd(d.cpu, 'cpu.cfs_quota_us'), '40000');
    const saved = JSON.parse(readFileSync(join(env.root, id, 'state.json'), 'utf8')).config.linux.resources;
    assert.equal(saved.memory.limit, 80 * MB, 'a zero did not erase the stored value');
    assert.equal(saved.pids.limit, 100);
    // podman: a file, and the "-r" alias
    const file = join(env.base, 'podman-resources.json');
    writeFileSync(file, readFileSync('/work/shared/clients/resources-podman.json'));
    const p = env.skiff(['update', `--resources=${file}`, id]);
    assert.equal(p.status, 0, p.stderr);
    assert.equal(rd(d.cpu, 'cpu.shares'), '512');
    assert.equal(rd(d.cpu, 'cpu.cfs_quota_us'), '40000');
    writeFileSync(file, JSON.stringify({ cpu: { quota: 20000 }, memory: { limit: 100 * MB, swap: 200 * MB } }));
    assert.equal(env.skiff(['update', '-r', file, id]).status, 0);
    assert.equal(rd(d.cpu, 'cpu.cfs_quota_us'), '20000');
    assert.equal(rd(d.memory, 'memory.limit_in_bytes'), String(100 * MB));
    // bad input: a clear error naming the field, nothing changed
    const bad = env.skiff(['update', '--resources', '-', id], { input: '{"memory":{"limit":"lots"}}' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /memory\/limit/);
    assert.match(env.skiff(['update', '--resources', '-', id], { input: '{nope' }).stderr, /invalid JSON/);
    assert.match(env.skiff(['update', '--resources', join(env.base, 'missing.json'), id]).stderr, /no such file/);
    // a write the kernel refuses: reported, old values back
    const refused = env.skiff(['update', '--cpuset-cpus', '4096', id]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /cpuset\.cpus/);
    assert.equal(rd(d.memory, 'memory.limit_in_bytes'), String(100 * MB));
    await stopAndDelete(id);
  });

  test('a stopped container cannot be updated', async () => {
    const { id } = startContainer(() => {});
    assert.equal(env.skiff(['kill', id, 'KILL']).status, 0);
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    const r = env.skiff(['update', '--pids-limit', '5', id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container not running/);
    await stopAndDelete(id);
  });
});

describe('ps', () => {
  test('json lists the pids of the cgroup; table filters the host ps output as runc', async () => {
    const { id, pid } = startContainer(() => {}, ['sh', '-c', 'sleep 600 & sleep 601 & wait']);
    let pids: number[] = [];
    await waitFor('three processes', () => {
      const r = env.skiff(['ps', '--format', 'json', id]);
      pids = JSON.parse(r.stdout) ?? [];
      return pids.length === 3;
    });
    assert.ok(pids.includes(pid));
    const table = env.skiff(['ps', id]);
    assert.equal(table.status, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^UID\s+PID\s+PPID/);
    assert.equal(lines.length, 4, table.stdout);
    const shown = lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort();
    assert.deepEqual(shown, [...pids].sort());
    assert.ok(lines.some((l) => / sleep 601$/.test(l)));
    // ps arguments after the id go to ps (runc: SkipArgReorder)
    const custom = env.skiff(['ps', id, '-o', 'pid,comm']);
    assert.equal(custom.status, 0, custom.stderr);
    assert.match(custom.stdout.split('\n')[0], /^\s*PID\s+COMMAND/);
    assert.equal(custom.stdout.trimEnd().split('\n').length, 4);
    const noPid = env.skiff(['ps', id, '-o', 'comm']);
    assert.equal(noPid.status, 1);
    assert.match(noPid.stderr, /couldn't find PID field in ps output/);
    assert.match(env.skiff(['ps', '--format', 'xml', id]).stderr, /invalid format option/);
    assert.equal(env.skiff(['kill', id, 'KILL']).status, 0);
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    assert.equal(env.skiff(['ps', '--format', 'json', id]).stdout, 'null\n');
    await stopAndDelete(id);
  });
});

describe('kill --all', () => {
  test('signals every process in the cgroup, also after the init died (no pid namespace)', async () => {
    const { id, pid } = startContainer((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
    }, ['sh', '-c', 'sleep 600 & sleep 601 & wait']);
    let pids: number[] = [];
    await waitFor('three processes', () => (pids = JSON.parse(env.skiff(['ps', '--format', 'json', id]).stdout) ?? []).length === 3);
    // kill the init only: its children live on in the cgroup
    process.kill(pid, 'SIGKILL');
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    const left = JSON.parse(env.skiff(['ps', '--format', 'json', id]).stdout) as number[];
    assert.equal(left.length, 2);
    // plain kill refuses a stopped container; kill --all reaches the leftovers
    assert.match(env.skiff(['kill', id, 'KILL']).stderr, /container not running/);
    const r = env.skiff(['kill', '--all', id, 'KILL']);
    assert.equal(r.status, 0, r.stderr);
    await waitFor('leftovers gone', () => env.skiff(['ps', '--format', 'json', id]).stdout === 'null\n');
    for (const p of left) assert.ok(!existsSync(`/proc/${p}`) || /\) Z/.test(readFileSync(`/proc/${p}/stat`, 'utf8')));
    await stopAndDelete(id);
  });

  test('kill -a TERM reaches every process, plain kill only the init; paused container with KILL', async () => {
    const { id } = startContainer(() => {}, ['sh', '-c', 'sleep 600 & sleep 601 & wait']);
    await waitFor('three processes', () => (JSON.parse(env.skiff(['ps', '--format', 'json', id]).stdout) ?? []).length === 3);
    // sh is pid 1 of its namespace with no TERM handler: a plain kill does nothing
    assert.equal(env.skiff(['kill', id, 'TERM']).status, 0);
    await sleep(200);
    assert.equal((JSON.parse(env.skiff(['ps', '--format', 'json', id]).stdout) as number[]).length, 3);
    // --all: the sleeps die, so sh's wait returns and the container ends
    assert.equal(env.skiff(['kill', '-a', id, 'TERM']).status, 0);
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    await stopAndDelete(id);
    const p = startContainer(() => {}, ['sh', '-c', 'sleep 600 & sleep 601 & wait']);
    assert.equal(env.skiff(['pause', p.id]).status, 0);
    assert.equal(env.skiff(['kill', '--all', p.id, 'KILL']).status, 0);
    await waitFor('stopped', () => env.state(p.id).status === 'stopped');
    await stopAndDelete(p.id);
  });
});

describe('devices', () => {
  const withMknod = (s: Spec): void => {
    for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_MKNOD');
  };
  // device nodes made inside the container (mknod is allowed by runc's default "c *:* m" / "b *:* m")
  const probe = (dev: string, name: string) => `(: < ${dev}) 2>&1 && echo ${name}-ok || echo ${name}-denied`;

  test('a deny rule blocks open of that device inside the container; allowed ones work', () => {
    const r = env.run((s) => {
      withMknod(s);
      res(s).devices = [
        { allow: true, access: 'rwm' },
        { allow: false, type: 'c', major: 10, minor: 229, access: 'rw' }, // fuse: mknod allowed, open refused
      ];
      s.process!.args = ['sh', '-c', [
        'mknod /dev/fuse c 10 229; mknod /dev/loop0 b 7 0',
        'echo x > /dev/null && echo null-ok',
        'head -c 4 /dev/zero | wc -c',
        probe('/dev/fuse', 'fuse'),
        probe('/dev/loop0', 'loop'),
      ].join('; ')];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /null-ok/);
    assert.match(r.stdout, /^\s*4$/m);
    assert.match(r.stdout, /fuse-denied/);
    assert.match(r.stdout, /Operation not permitted/);
    assert.match(r.stdout, /loop-ok/);
  });

  test('default deny (runc spec): only the allowed device nodes open', () => {
    const r = env.run((s) => {
      withMknod(s);
      res(s).devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 7, access: 'r' }];
      s.process!.args = ['sh', '-c', ['mknod /dev/fuse c 10 229; mknod /dev/loop0 b 7 0', probe('/dev/fuse', 'fuse'), probe('/dev/loop0', 'loop'), 'echo x > /dev/null && echo null-ok'].join('; ')];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /loop-ok/);
    assert.match(r.stdout, /fuse-denied/);
    assert.match(r.stdout, /null-ok/, 'the default device list stays allowed');
  });
});

describe('cgroupsPath and cgroup ownership', () => {
  const ownMemory = (): string => /:memory:(.*)/.exec(readFileSync('/proc/self/cgroup', 'utf8'))![1];
  const ownPids = (): string => /:pids:(.*)/.exec(readFileSync('/proc/self/cgroup', 'utf8'))![1];

  test('relative, absolute and unset paths land in the same place every time; delete removes only what it made', async () => {
    const tag = `skiff-cgp-${process.pid}`;
    const cases: { path: string | undefined; expect: (id: string, ctl: string) => string }[] = [
      { path: undefined, expect: (id, ctl) => join(ctl === 'memory' ? ownMemory() : ownPids(), id) },
      { path: `${tag}/rel/x`, expect: (_id, ctl) => join(ctl === 'memory' ? ownMemory() : ownPids(), tag, 'rel/x') },
      // absolute: from each hierarchy's root; stay inside our own memory cgroup
      { path: `${ownMemory()}/${tag}-abs/x`, expect: () => `${ownMemory()}/${tag}-abs/x` },
    ];
    for (const c of cases) {
      const seen: string[] = [];
      for (let round = 0; round < 2; round++) {
        const { id, pid } = startContainer((s) => {
          if (c.path === undefined) delete s.linux!.cgroupsPath;
          else s.linux!.cgroupsPath = c.path;
        });
        const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
        const mem = /:memory:(.*)/.exec(cg)![1];
        const pids = /:pids:(.*)/.exec(cg)![1];
        assert.equal(mem, c.expect(id, 'memory'));
        assert.equal(pids, c.expect(id, 'pids'));
        seen.push(c.path === undefined ? mem.replace(id, '<id>') : mem);
        await stopAndDelete(id);
        // everything it created is gone, what existed before stays
        assert.equal(existsSync(`/sys/fs/cgroup/memory${mem}`), false);
        assert.equal(existsSync(`/sys/fs/cgroup/pids${pids}`), false);
        if (c.path !== undefined) {
          assert.equal(existsSync(`/sys/fs/cgroup/pids${pids.split(`/${tag}`)[0]}/${tag}${c.path.includes('-abs') ? '-abs' : ''}`), false);
        }
        assert.ok(existsSync(`/sys/fs/cgroup/memory${ownMemory()}`));
      }
      assert.equal(seen[0], seen[1]);
    }
  });

  test('a second container on a cgroup in use is refused cleanly and leaves nothing behind', async () => {
    const path = `skiff-shared-${process.pid}`;
    const { id, pid } = startContainer((s) => (s.linux!.cgroupsPath = path));
    const dirs = cgroupDirs(pid);
    const id2 = env.id();
    const r = env.skiff(['create', '--bundle', env.bundle((s) => (s.linux!.cgroupsPath = path)), id2]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cgroup is not empty/);
    assert.equal(existsSync(join(env.root, id2)), false, 'no state dir');
    // the first container is untouched
    assert.equal(env.state(id).status, 'running');
    assert.match(readFileSync(join(dirs.memory, 'cgroup.procs'), 'utf8'), new RegExp(`^${pid}$`, 'm'));
    // a frozen cgroup is refused too
    assert.equal(env.skiff(['pause', id]).status, 0);
    const r2 = env.skiff(['create', '--bundle', env.bundle((s) => (s.linux!.cgroupsPath = path)), env.id()]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /cgroup is not empty|frozen/);
    await stopAndDelete(id);
    for (const d of Object.values(dirs)) if (d.includes(path)) assert.equal(existsSync(d), false, d);
  });

  test('delete after a crash of the container (init killed from outside) removes its cgroups', async () => {
    const { id, pid } = startContainer((s) => (res(s).pids = { limit: 10 }));
    const dirs = cgroupDirs(pid);
    process.kill(pid, 'SIGKILL');
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    const r = env.skiff(['delete', id]);
    assert.equal(r.status, 0, r.stderr);
    for (const [k, d] of Object.entries(dirs)) if (d.endsWith(`/${id}`)) assert.equal(existsSync(d), false, `${k}: ${d}`);
  });
});
