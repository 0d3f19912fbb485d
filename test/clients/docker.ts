// docker 20.10 (dockerd → its own containerd → the runc v2 shim) running
// skiff: the scenario of /work/shared/clients/README.md. dockerd gets a
// private data root, exec root, socket and daemon.json (whose "runtimes"
// entry is the one in docs/docker.md), no networking (bridge none, no
// iptables; containers use --network none), the vfs storage driver (no
// overlay mounts to leak), and a relative --cgroup-parent so containers
// nest under our own cgroups.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUNTIME, Sandbox, buildImage, checkContainerProcess, describeResult, have, ownCgroups, sleep, type Result } from './harness.ts';

/** The daemon.json of docs/docker.md. */
export function daemonJson(runtime = RUNTIME): Record<string, unknown> {
  return { runtimes: { skiff: { path: runtime } } };
}

export class Docker {
  readonly sock: string;

  constructor(readonly sb: Sandbox, readonly runtime = RUNTIME) {
    this.sock = sb.path('docker/docker.sock');
  }

  async start(): Promise<void> {
    const d = (p: string) => this.sb.path('docker', p);
    mkdirSync(d('cli'), { recursive: true });
    writeFileSync(d('daemon.json'), JSON.stringify(daemonJson(this.runtime), null, 2));
    // what dockerd 20.10 and its containerd create outside the private dirs
    // whatever the flags say: removed again if they were not there before
    const hadRun = existsSync('/run/containerd');
    const hadRunDocker = existsSync('/run/docker');
    const hadKey = existsSync('/etc/docker/key.json');
    this.sb.onCleanup(() => {
      if (!hadRun) for (const p of ['/run/containerd/s', '/run/containerd']) try { rmdirSync(p); } catch { /* not empty or gone */ }
      if (!hadRunDocker) rmSync('/run/docker', { recursive: true, force: true });
      if (!hadKey) rmSync('/etc/docker/key.json', { force: true });
    });
    this.sb.beforeStop(() => {
      const ids = this.docker(['ps', '-aq'], 30_000).stdout.split('\n').filter(Boolean);
      if (ids.length) this.docker(['rm', '-f', ...ids], 60_000);
    });
    this.sb.startDaemon('dockerd', [
      'dockerd',
      '--config-file', d('daemon.json'),
      '--data-root', d('data'),
      '--exec-root', d('exec'),
      '--pidfile', d('docker.pid'),
      '--host', `unix://${this.sock}`,
      '--bridge', 'none',
      '--iptables=false',
      '--ip-masq=false',
      '--ip-forward=false',
      '--userland-proxy=false',
      '--storage-driver', 'vfs',
      '--cgroup-parent', this.sb.cgParent,
      '--exec-opt', 'native.cgroupdriver=cgroupfs',
      '--log-level', 'warn',
    ]);
    await this.sb.waitFor('dockerd socket', () => existsSync(this.sock) && this.docker(['version'], 5000).code === 0, 60_000);
  }

  docker(args: string[], timeout = 60_000, tty = false): Result {
    // /usr/bin/docker: the client of the docker.io package (another, newer client may come first in PATH)
    const argv = ['/usr/bin/docker', '--host', `unix://${this.sock}`, ...args];
    const env = { DOCKER_CONFIG: this.sb.path('docker/cli') };
    return tty ? this.sb.runTty(argv, { timeout, env }) : this.sb.run(argv, { timeout, env });
  }

  runOpts(): string[] {
    return ['--runtime', 'skiff', '--network', 'none'];
  }

  state(name: string): string {
    return this.docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name]).stdout.trim();
  }

  pid(name: string): number {
    return Number(this.docker(['inspect', '--format', '{{.State.Pid}}', name]).stdout.trim());
  }
}

const ok = (r: Result, code = 0) => assert.equal(r.code, code, describeResult(r));

export function dockerScenario(): void {
  const installed = have('dockerd', 'containerd', 'containerd-shim-runc-v2', 'script') && existsSync('/usr/bin/docker');
  const skip = !installed && !process.env.CI ? 'docker.io not installed (scripts/clients/install.sh)' : false;
  describe(`docker (dockerd + containerd + shim), runtime ${RUNTIME}`, { skip, timeout: 600_000 }, () => {
    let sb: Sandbox;
    let dk: Docker;
    const img = 'skiff-busybox:latest';
    let s1Pid = 0;

    before(() => {
      sb = new Sandbox('docker');
      dk = new Docker(sb);
    });
    after(async () => {
      const leaks = await sb.cleanup();
      if (leaks.length) console.log(`# docker cleanup: ${leaks.join('; ')}`);
    });

    it('dockerd starts (private data root, exec root and socket)', async () => {
      await dk.start();
    });

    it('docker info lists the runtime from daemon.json', () => {
      const r = dk.docker(['info', '--format', '{{json .Runtimes}}']);
      ok(r);
      assert.equal(JSON.parse(r.stdout).skiff?.path, RUNTIME);
    });

    it('docker import busybox rootfs tar', () => {
      const im = buildImage(sb);
      ok(dk.docker(['import', im.rootfsTar, img]));
    });

    it('docker run --rm: echo', () => {
      const r = dk.docker(['run', '--rm', ...dk.runOpts(), img, 'echo', 'hello from skiff']);
      ok(r);
      assert.equal(r.stdout, 'hello from skiff\n');
      sb.time('docker run --rm echo', r.ms);
    });

    it('docker run --rm: exit code 3 propagates', () => {
      ok(dk.docker(['run', '--rm', ...dk.runOpts(), img, 'sh', '-c', 'exit 3']), 3);
    });

    it("docker run of a missing binary: exit 127 + the runtime's log.json message", () => {
      const r = dk.docker(['run', '--rm', ...dk.runOpts(), img, '/nonexistent']);
      ok(r, 127);
      assert.match(r.stderr, /exec: \\?"\/nonexistent\\?": stat \/nonexistent: no such file or directory/, describeResult(r));
    });

    it('docker run of a non-executable file: exit 126 (permission denied)', () => {
      const r = dk.docker(['run', '--rm', ...dk.runOpts(), img, '/etc/passwd']);
      ok(r, 126);
      assert.match(r.stderr, /permission denied/, describeResult(r));
    });

    it('docker run -d: sleep 1000', () => {
      ok(dk.docker(['run', '-d', '--name', 's1', ...dk.runOpts(), img, 'sleep', '1000']));
    });

    it('docker ps shows s1 Up', () => {
      const r = dk.docker(['ps', '--filter', 'name=^s1$', '--format', '{{.Status}}']);
      assert.match(r.stdout, /^Up/, describeResult(r));
      s1Pid = dk.pid('s1');
      assert.ok(s1Pid > 0);
    });

    it('container init: only fds 0-2, a child of the shim, cgroups under ours', () => {
      assert.deepEqual(checkContainerProcess(sb, s1Pid, /^containerd-shim/), []);
    });

    it('docker exec: echo', () => {
      const r = dk.docker(['exec', 's1', 'echo', 'hello-from-exec']);
      ok(r);
      assert.equal(r.stdout, 'hello-from-exec\n');
    });

    it('docker exec: exit code 5 propagates', () => {
      ok(dk.docker(['exec', 's1', 'sh', '-c', 'exit 5']), 5);
    });

    it('docker top (runtime ps --format json)', () => {
      const r = dk.docker(['top', 's1']);
      ok(r);
      assert.match(r.stdout, /sleep 1000/);
    });

    it('docker exec -t (tty exec via console socket, under script(1))', () => {
      const r = dk.docker(['exec', '-t', 's1', 'tty'], 30_000, true);
      ok(r);
      assert.equal(r.stdout.replace(/\r/g, '').trim(), '/dev/pts/0', describeResult(r));
    });

    it('docker update --pids-limit 100 (runtime update --resources -)', () => {
      ok(dk.docker(['update', '--pids-limit', '100', 's1']));
      const pids = ownCgroups().find((c) => c.controller === 'pids');
      if (pids) {
        const id = dk.docker(['inspect', '--format', '{{.Id}}', 's1']).stdout.trim();
        assert.equal(readFileSync(join(pids.mount, pids.path, sb.cgParent, id, 'pids.max'), 'utf8').trim(), '100');
      }
    });

    it('docker pause: paused', () => {
      ok(dk.docker(['pause', 's1']));
      assert.match(dk.state('s1'), /^paused/);
    });

    it('docker unpause: running', () => {
      ok(dk.docker(['unpause', 's1']));
      assert.match(dk.state('s1'), /^running/);
    });

    it('docker stop -t 2 (TERM ignored by pid-1 sleep, then KILL): exited 137', () => {
      ok(dk.docker(['stop', '-t', '2', 's1']));
      assert.equal(dk.state('s1'), 'exited 137');
    });

    it('docker start (the same container again): running', () => {
      ok(dk.docker(['start', 's1']));
      assert.match(dk.state('s1'), /^running/);
    });

    it('docker kill: exited 137', async () => {
      ok(dk.docker(['kill', 's1']));
      await sb.waitFor('exited', () => dk.state('s1').startsWith('exited'), 10_000);
      assert.equal(dk.state('s1'), 'exited 137');
    });

    it('docker rm', () => {
      ok(dk.docker(['rm', 's1']));
    });

    it('docker run -t (tty via console socket, under script(1))', () => {
      const r = dk.docker(['run', '--rm', '-t', ...dk.runOpts(), img, 'tty'], 30_000, true);
      ok(r);
      assert.equal(r.stdout.replace(/\r/g, '').trim(), '/dev/pts/0', describeResult(r));
    });

    it('no containers, runtime state or cgroups left', async () => {
      const r = dk.docker(['ps', '-aq']);
      ok(r);
      assert.equal(r.stdout.trim(), '');
      const rr = sb.path('docker/exec/runtime-skiff/moby');
      await sb.waitFor('runtime root empty', () => !existsSync(rr) || readdirSync(rr).length === 0, 10_000).catch(() => {});
      assert.deepEqual(existsSync(rr) ? readdirSync(rr) : [], []);
      await sleep(0);
      for (const d of sb.cgroupDirs()) if (existsSync(d)) assert.deepEqual(readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name), [], d);
    });
  });
}
