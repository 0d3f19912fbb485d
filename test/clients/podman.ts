// podman 4.3 (+ conmon 2.1) running skiff: the scenario of
// /work/shared/clients/README.md. podman gets private storage, runroot,
// tmpdir and network config dir, and a private containers.conf
// (CONTAINERS_CONF) whose [engine.runtimes] entry is the one in
// docs/podman.md. Containers use the cgroupfs manager with a relative
// --cgroup-parent and --cgroups=no-conmon (conmon's own cgroup would be
// created from the hierarchy roots, outside ours), so everything nests
// under our own cgroups.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUNTIME, Sandbox, buildImage, checkContainerProcess, describeResult, have, ownCgroups, sleep, type Result } from './harness.ts';

/** The containers.conf of docs/podman.md plus what this machine needs. */
export function containersConf(sb: Sandbox, runtime = RUNTIME): string {
  return `[containers]
netns = "none"

[network]
network_config_dir = "${sb.path('podman/cni')}"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${sb.path('podman/events.log')}"
runtime = "skiff"

[engine.runtimes]
skiff = ["${runtime}"]
`;
}

export class Podman {
  readonly conf: string;
  readonly created: string[] = [];

  constructor(readonly sb: Sandbox, readonly runtime = RUNTIME) {
    this.conf = sb.path('podman/containers.conf');
  }

  setup(): void {
    for (const d of ['podman/cni', 'podman/tmp']) mkdirSync(this.sb.path(d), { recursive: true });
    writeFileSync(this.conf, containersConf(this.sb, this.runtime));
    // podman keeps a blob-info cache under /var/lib/containers whatever --root says
    for (const p of ['/var/lib/containers']) if (!existsSync(p)) this.created.push(p);
    this.sb.beforeStop(() => {
      this.podman(['rm', '--all', '--force', '--time', '0'], 60_000);
    });
    this.sb.onCleanup(() => {
      for (const p of this.created) rmSync(p, { recursive: true, force: true });
    });
  }

  /**
   * No --runtime-flag root=…: podman 4.3 does not pass it to the runtime
   * calls of `podman container cleanup` (conmon's exit command), whose
   * `delete --force` then misses the container and leaks its state and
   * cgroups (with runc too). The runtime's default root is used, as podman does.
   */
  podman(args: string[], timeout = 60_000, tty = false): Result {
    const argv = ['podman', '--root', this.sb.path('podman/storage'), '--runroot', this.sb.path('podman/runroot'), '--storage-driver', 'vfs', '--tmpdir', this.sb.path('podman/tmp'), ...args];
    const env = { CONTAINERS_CONF: this.conf };
    return tty ? this.sb.runTty(argv, { timeout, env }) : this.sb.run(argv, { timeout, env });
  }

  /**
   * `podman run` options: private relative cgroup parent, conmon outside
   * cgroups, ulimits within this machine's hard limits (podman's defaults,
   * nofile/nproc 1048576, are above them and setrlimit fails without
   * CAP_SYS_RESOURCE, with runc too).
   */
  runOpts(): string[] {
    return ['--cgroups=no-conmon', '--cgroup-parent', this.sb.cgParent, '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=32768:32768'];
  }

  status(name: string): string {
    const r = this.podman(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}']);
    return r.stdout.trim();
  }

  pid(name: string): number {
    return Number(this.podman(['inspect', '--format', '{{.State.Pid}}', name]).stdout.trim());
  }
}

const ok = (r: Result, code = 0) => assert.equal(r.code, code, describeResult(r));

export function podmanScenario(): void {
  const installed = have('podman', 'conmon', 'script');
  const skip = !installed && !process.env.CI ? 'podman/conmon not installed (scripts/clients/install.sh)' : false;
  describe(`podman + conmon, runtime ${RUNTIME}`, { skip, timeout: 600_000 }, () => {
    let sb: Sandbox;
    let pm: Podman;
    let img = '';
    let s1Pid = 0;

    before(() => {
      sb = new Sandbox('podman');
      pm = new Podman(sb);
      pm.setup();
    });
    after(async () => {
      const leaks = await sb.cleanup();
      if (leaks.length) console.log(`# podman cleanup: ${leaks.join('; ')}`);
    });

    it('podman info uses the runtime from containers.conf', () => {
      const r = pm.podman(['info', '--format', '{{.Host.OCIRuntime.Path}} {{.Host.CgroupManager}}']);
      ok(r);
      assert.equal(r.stdout.trim(), `${RUNTIME} cgroupfs`);
    });

    it('podman import busybox rootfs tar', () => {
      const im = buildImage(sb);
      img = 'localhost/skiff-busybox:latest';
      ok(pm.podman(['import', im.rootfsTar, img]));
    });

    it('podman run --rm: echo', () => {
      const r = pm.podman(['run', '--rm', ...pm.runOpts(), img, 'echo', 'hello from skiff']);
      ok(r);
      assert.equal(r.stdout, 'hello from skiff\n');
      sb.time('podman run --rm echo', r.ms);
    });

    it('podman run --rm: exit code 3 propagates', () => {
      ok(pm.podman(['run', '--rm', ...pm.runOpts(), img, 'sh', '-c', 'exit 3']), 3);
    });

    it("podman run of a missing binary: exit 127 + the runtime's oci-log message", () => {
      const r = pm.podman(['run', '--rm', ...pm.runOpts(), img, '/nonexistent']);
      ok(r, 127);
      assert.match(r.stderr, /exec: \\?"\/nonexistent\\?": stat \/nonexistent: no such file or directory/, describeResult(r));
    });

    it('podman run of a non-executable file: exit 126 (permission denied)', () => {
      const r = pm.podman(['run', '--rm', ...pm.runOpts(), img, '/etc/passwd']);
      ok(r, 126);
      assert.match(r.stderr, /permission denied/, describeResult(r));
    });

    it('podman run -d: sleep 1000', () => {
      ok(pm.podman(['run', '-d', '--name', 's1', ...pm.runOpts(), img, 'sleep', '1000']));
    });

    it('podman ps shows s1 Up', () => {
      assert.match(pm.status('s1'), /^Up/);
      s1Pid = pm.pid('s1');
      assert.ok(s1Pid > 0);
    });

    it('container init: only fds 0-2, a child of conmon, cgroups under ours', () => {
      assert.deepEqual(checkContainerProcess(sb, s1Pid, /^conmon$/), []);
    });

    it('podman exec: echo', () => {
      const r = pm.podman(['exec', 's1', 'echo', 'hello-from-exec']);
      ok(r);
      assert.equal(r.stdout, 'hello-from-exec\n');
    });

    it('podman exec: exit code 5 propagates', () => {
      ok(pm.podman(['exec', 's1', 'sh', '-c', 'exit 5']), 5);
    });

    it('podman exec -t (tty exec via console socket, under script(1))', () => {
      const r = pm.podman(['exec', '-t', 's1', 'tty'], 30_000, true);
      ok(r);
      assert.equal(r.stdout.replace(/\r/g, '').trim(), '/dev/pts/0', describeResult(r));
    });

    it('podman top (ps of the container)', () => {
      const r = pm.podman(['top', 's1']);
      ok(r);
      assert.match(r.stdout, /sleep 1000/);
    });

    it('podman update --cpu-shares 512 (runtime update --resources FILE)', () => {
      ok(pm.podman(['update', '--cpu-shares', '512', 's1']));
      const cpu = ownCgroups().find((c) => /(^|,)cpu(,|$)/.test(c.controller));
      if (cpu) {
        const id = pm.podman(['inspect', '--format', '{{.Id}}', 's1']).stdout.trim();
        const f = join(cpu.mount, cpu.path, sb.cgParent, `libpod-${id}`, 'cpu.shares');
        assert.equal(readFileSync(f, 'utf8').trim(), '512');
      }
    });

    it('podman pause: Paused', () => {
      ok(pm.podman(['pause', 's1']));
      assert.match(pm.status('s1'), /^Paused/);
    });

    it('podman unpause: Up', () => {
      ok(pm.podman(['unpause', 's1']));
      assert.match(pm.status('s1'), /^Up/);
    });

    it('podman stop -t 2 (TERM ignored by pid-1 sleep, then KILL): Exited (137)', () => {
      const r = pm.podman(['stop', '-t', '2', 's1']);
      ok(r);
      assert.match(pm.status('s1'), /^Exited \(137\)/);
    });

    it('podman rm', () => {
      ok(pm.podman(['rm', 's1']));
    });

    it('podman run -d: a second sleeper; podman kill; podman wait; podman rm -f', () => {
      ok(pm.podman(['run', '-d', '--name', 's2', ...pm.runOpts(), img, 'sleep', '1000']));
      ok(pm.podman(['kill', 's2']));
      const w = pm.podman(['wait', 's2']);
      ok(w);
      assert.equal(w.stdout.trim(), '137');
      ok(pm.podman(['rm', '-f', 's2']));
    });

    it('podman run -t (tty via console socket, under script(1))', () => {
      const r = pm.podman(['run', '--rm', '-t', ...pm.runOpts(), img, 'tty'], 30_000, true);
      ok(r);
      assert.equal(r.stdout.replace(/\r/g, '').trim(), '/dev/pts/0', describeResult(r));
    });

    it('no containers or cgroups left', async () => {
      const r = pm.podman(['ps', '-a', '-q']);
      ok(r);
      assert.equal(r.stdout.trim(), '');
      await sleep(0);
      for (const d of sb.cgroupDirs()) if (existsSync(d)) assert.deepEqual(readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name), [], d);
    });
  });
}
