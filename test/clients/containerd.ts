// containerd 1.6 (ctr + the io.containerd.runc.v2 shim) running skiff: the
// scenario of /work/shared/clients/README.md. containerd gets a private
// root, state and socket; ctr points the runc shim at skiff with
// --runc-binary/--runc-root (the shim's BinaryName/Root options, as the
// config.toml runtime entry in docs/containerd.md sets them for CRI) and a
// relative --cgroup, so containers nest under our own cgroups.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUNTIME, Sandbox, buildImage, checkContainerProcess, containerdShimSocket, describeResult, have, sleep, type Result } from './harness.ts';

export function containerdConfig(sb: Sandbox): string {
  return `version = 2
root = "${sb.path('containerd/root')}"
state = "${sb.path('containerd/state')}"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "${sb.path('containerd/containerd.sock')}"

[ttrpc]
  address = "${sb.path('containerd/containerd.sock.ttrpc')}"

[debug]
  address = "${sb.path('containerd/debug.sock')}"
`;
}

export class Containerd {
  readonly sock: string;
  readonly ns = `skiff${process.pid}`;
  readonly ids = new Set<string>();
  image = '';

  constructor(readonly sb: Sandbox, readonly runtime = RUNTIME) {
    this.sock = sb.path('containerd/containerd.sock');
  }

  async start(): Promise<void> {
    mkdirSync(this.sb.path('containerd'), { recursive: true });
    mkdirSync(this.sb.path('fifo'), { recursive: true });
    writeFileSync(this.sb.path('containerd/config.toml'), containerdConfig(this.sb));
    this.sb.startDaemon('containerd', ['containerd', '--config', this.sb.path('containerd/config.toml')]);
    await this.sb.waitFor('containerd socket', () => existsSync(this.sock) && this.ctr(['version'], 5000).code === 0);
    const hadRun = existsSync('/run/containerd');
    this.sb.onCleanup(() => {
      // the shims' socket dir (1.6 keeps it under /run/containerd/s whatever the config says)
      if (!hadRun) for (const d of ['/run/containerd/s', '/run/containerd']) try { rmdirSync(d); } catch { /* not empty or gone */ }
    });
    this.sb.onCleanup(() => {
      // what a killed shim leaves behind
      for (const id of this.ids) rmSync(containerdShimSocket(this.sock, this.ns, id), { force: true });
    });
  }

  ctr(args: string[], timeout = 60_000): Result {
    return this.sb.run(['ctr', '-a', this.sock, '-n', this.ns, ...args], { timeout });
  }

  /** `ctr run` options that select the runtime and keep its state and cgroups private. */
  runOpts(id: string, runtime = this.runtime): string[] {
    this.ids.add(id);
    const root = runtime === this.runtime ? 'runtime-root' : `runtime-root-${basename(runtime)}`;
    return ['--runc-binary', runtime, '--runc-root', this.sb.path(root), '--cgroup', `${this.sb.cgParent}/${id}`, '--fifo-dir', this.sb.path('fifo')];
  }

  taskStatus(id: string): { pid: number; status: string } | undefined {
    const r = this.ctr(['task', 'ls']);
    for (const l of r.stdout.split('\n')) {
      const f = l.trim().split(/\s+/);
      if (f[0] === id) return { pid: Number(f[1]), status: f[2] };
    }
    return undefined;
  }
}

const ok = (r: Result, code = 0) => assert.equal(r.code, code, describeResult(r));

export function containerdScenario(): void {
  const installed = have('containerd', 'ctr', 'containerd-shim-runc-v2', 'script');
  const skip = !installed && !process.env.CI ? 'containerd/ctr not installed (scripts/clients/install.sh)' : false;
  describe(`containerd + ctr, runtime ${RUNTIME}`, { skip, timeout: 600_000 }, () => {
    let sb: Sandbox;
    let cd: Containerd;
    let sleepPid = 0;
    const s1 = 'sleep1';

    before(() => {
      sb = new Sandbox('containerd');
      cd = new Containerd(sb);
    });
    after(async () => {
      const leaks = await sb.cleanup();
      if (leaks.length) console.log(`# containerd cleanup: ${leaks.join('; ')}`);
    });

    it('containerd starts (private root, state and socket)', async () => {
      await cd.start();
    });

    it('ctr image import (hand-built OCI layout)', () => {
      const img = buildImage(sb);
      cd.image = img.name;
      ok(cd.ctr(['images', 'import', '--all-platforms', img.ociTar]));
      const r = cd.ctr(['images', 'ls', '-q']);
      ok(r);
      assert.match(r.stdout, /skiff-busybox:latest/);
    });

    it('ctr run --rm: echo', () => {
      const r = cd.ctr(['run', '--rm', ...cd.runOpts('echo1'), cd.image, 'echo1', 'echo', 'hello from skiff']);
      ok(r);
      assert.equal(r.stdout, 'hello from skiff\n');
      sb.time('ctr run --rm echo', r.ms);
    });

    it('ctr run --rm: exit code 3 propagates', () => {
      const r = cd.ctr(['run', '--rm', ...cd.runOpts('exit3'), cd.image, 'exit3', 'sh', '-c', 'exit 3']);
      ok(r, 3);
    });

    it("ctr run of a missing binary fails with the runtime's log.json message", () => {
      const r = cd.ctr(['run', '--rm', ...cd.runOpts('bad1'), cd.image, 'bad1', '/nonexistent']);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /exec: \\?"\/nonexistent\\?": stat \/nonexistent: no such file or directory/, describeResult(r));
      // ctr run --rm does not clean up after a failed start: the container record stays
      cd.ctr(['container', 'rm', 'bad1']);
    });

    it('ctr run -d: sleep 1000', () => {
      ok(cd.ctr(['run', '-d', ...cd.runOpts(s1), cd.image, s1, 'sleep', '1000']));
    });

    it('ctr task ls shows RUNNING', () => {
      const t = cd.taskStatus(s1);
      assert.equal(t?.status, 'RUNNING', JSON.stringify(t));
      sleepPid = t!.pid;
    });

    it("container init: only fds 0-2, a child of the shim, cgroups under ours", () => {
      assert.deepEqual(checkContainerProcess(sb, sleepPid, /^containerd-shim/), []);
    });

    it('ctr task exec: echo', () => {
      const r = cd.ctr(['task', 'exec', '--fifo-dir', sb.path('fifo'), '--exec-id', 'e1', s1, 'echo', 'hello-from-exec'], 30_000);
      ok(r);
      assert.equal(r.stdout, 'hello-from-exec\n');
    });

    it('ctr task exec: exit code 5 propagates', () => {
      ok(cd.ctr(['task', 'exec', '--fifo-dir', sb.path('fifo'), '--exec-id', 'e2', s1, 'sh', '-c', 'exit 5'], 30_000), 5);
    });

    it('ctr task ps (runtime ps --format json)', () => {
      const r = cd.ctr(['task', 'ps', s1]);
      ok(r);
      assert.match(r.stdout, new RegExp(`^${sleepPid}\\s`, 'm'), describeResult(r));
    });

    it('ctr task exec -t (tty exec via console socket, under script(1))', () => {
      const r = sb.runTty(['ctr', '-a', cd.sock, '-n', cd.ns, 'task', 'exec', '-t', '--fifo-dir', sb.path('fifo'), '--exec-id', 't1', s1, 'tty'], { timeout: 30_000 });
      ok(r);
      assert.match(r.stdout, /\/dev\/pts\/\d+/, describeResult(r));
    });

    it('ctr task pause: PAUSED', () => {
      ok(cd.ctr(['task', 'pause', s1]));
      assert.equal(cd.taskStatus(s1)?.status, 'PAUSED');
    });

    it('ctr task resume: RUNNING', () => {
      ok(cd.ctr(['task', 'resume', s1]));
      assert.equal(cd.taskStatus(s1)?.status, 'RUNNING');
    });

    it('ctr task metrics (the shim reads the cgroups)', () => {
      const r = cd.ctr(['task', 'metrics', s1]);
      ok(r);
      assert.match(r.stdout, /memory\.usage_in_bytes|memory\.usage/, describeResult(r));
    });

    it('ctr task kill SIGTERM: ignored by pid 1 sleep', async () => {
      ok(cd.ctr(['task', 'kill', '-s', 'SIGTERM', s1]));
      await sleep(500);
      assert.equal(cd.taskStatus(s1)?.status, 'RUNNING');
    });

    it('ctr task kill SIGKILL: STOPPED', async () => {
      ok(cd.ctr(['task', 'kill', '-s', 'SIGKILL', s1]));
      await sb.waitFor('STOPPED', () => cd.taskStatus(s1)?.status === 'STOPPED', 10_000);
    });

    it('ctr task delete + container delete', () => {
      ok(cd.ctr(['task', 'delete', s1]));
      ok(cd.ctr(['container', 'delete', s1]));
    });

    it('ctr run -t (tty via console socket, under script(1))', () => {
      const r = sb.runTty(['ctr', '-a', cd.sock, '-n', cd.ns, 'run', '--rm', '-t', ...cd.runOpts('tty1'), cd.image, 'tty1', 'tty'], { timeout: 30_000 });
      ok(r);
      assert.match(r.stdout, /\/dev\/pts\/\d+/, describeResult(r));
    });

    it('no containers, tasks, runtime state or cgroups left', async () => {
      const c = cd.ctr(['containers', 'ls', '-q']);
      ok(c);
      assert.equal(c.stdout.trim(), '');
      const t = cd.ctr(['task', 'ls', '-q']);
      assert.equal(t.stdout.trim(), '');
      const rr = sb.path('runtime-root', cd.ns);
      // the shim exits a moment after the last delete
      await sb.waitFor('runtime root empty', () => !existsSync(rr) || readdirSync(rr).length === 0, 10_000).catch(() => {});
      assert.deepEqual(existsSync(rr) ? readdirSync(rr) : [], []);
      for (const d of sb.cgroupDirs()) if (existsSync(d)) assert.deepEqual(readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name), [], d);
    });
  });
}
