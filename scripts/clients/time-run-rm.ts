// Wall time of `ctr run --rm`, `podman run --rm` and `docker run --rm` of an
// echo container with skiff and with runc, interleaved in one run (each
// round runs every client × runtime once, in a rotating order), all three
// daemons private as in the client scenarios (test/clients/).
//
//   node --import tsx scripts/clients/time-run-rm.ts [ROUNDS=10]
//   (npm run bench:clients)
//
// Prints a table (median, mean, min, max in ms) and writes the raw samples
// as JSON to stdout's last line when SKIFF_TIME_JSON=1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, Sandbox, buildImage, describeResult, have, type Result } from '../../test/clients/harness.ts';
import { Containerd } from '../../test/clients/containerd.ts';
import { Podman } from '../../test/clients/podman.ts';
import { Docker } from '../../test/clients/docker.ts';

const SKIFF = join(REPO, 'bin/skiff');
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const ROUNDS = Math.max(1, Number(process.argv[2] ?? 10));

type Runner = { client: string; runtime: string; run: (i: number) => Result };

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: med, mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: s[0], max: s[s.length - 1] };
}

async function main(): Promise<void> {
  if (!RUNC) throw new Error('runc not found (apt-get install runc)');
  const sbs: Sandbox[] = [];
  const runners: Runner[] = [];
  try {
    if (have('containerd', 'ctr')) {
      const sb = new Sandbox('t-ctr');
      sbs.push(sb);
      const cd = new Containerd(sb, SKIFF);
      await cd.start();
      const img = buildImage(sb);
      const r = cd.ctr(['images', 'import', img.ociTar]);
      if (r.code !== 0) throw new Error(describeResult(r));
      for (const [name, bin] of [['skiff', SKIFF], ['runc', RUNC]]) {
        runners.push({ client: 'ctr', runtime: name, run: (i) => cd.ctr(['run', '--rm', ...cd.runOpts(`t-${name}-r${i + 1}`, bin), img.name, `t-${name}-r${i + 1}`, 'echo', 'hello']) });
      }
    }
    if (have('podman', 'conmon')) {
      const sb = new Sandbox('t-podman');
      sbs.push(sb);
      const pm = new Podman(sb, SKIFF);
      pm.setup();
      const img = buildImage(sb);
      const r = pm.podman(['import', img.rootfsTar, 'localhost/skiff-busybox:latest']);
      if (r.code !== 0) throw new Error(describeResult(r));
      for (const [name, bin] of [['skiff', SKIFF], ['runc', RUNC]]) {
        runners.push({ client: 'podman', runtime: name, run: () => pm.podman(['--runtime', bin, 'run', '--rm', ...pm.runOpts(), 'localhost/skiff-busybox:latest', 'echo', 'hello']) });
      }
    }
    if (have('dockerd') && existsSync('/usr/bin/docker')) {
      const sb = new Sandbox('t-docker');
      sbs.push(sb);
      const dk = new Docker(sb, SKIFF);
      await dk.start();
      const img = buildImage(sb);
      const r = dk.docker(['import', img.rootfsTar, 'skiff-busybox:latest']);
      if (r.code !== 0) throw new Error(describeResult(r));
      for (const name of ['skiff', 'runc']) {
        runners.push({ client: 'docker', runtime: name, run: () => dk.docker(['run', '--rm', '--runtime', name, '--network', 'none', 'skiff-busybox:latest', 'echo', 'hello']) });
      }
    }
    // one warm-up each (page cache, image unpack), not counted
    for (const r of runners) {
      const res = r.run(-1);
      if (res.code !== 0 || res.stdout !== 'hello\n') throw new Error(`${r.client}/${r.runtime}: ${describeResult(res)}`);
    }
    const samples = new Map<string, number[]>();
    for (let i = 0; i < ROUNDS; i++) {
      // rotate the order so neither runtime always runs first
      const order = i % 2 ? [...runners].reverse() : runners;
      for (const r of order) {
        const res = r.run(i);
        if (res.code !== 0 || res.stdout !== 'hello\n') throw new Error(`${r.client}/${r.runtime}: ${describeResult(res)}`);
        const k = `${r.client} ${r.runtime}`;
        (samples.get(k) ?? samples.set(k, []).get(k)!).push(res.ms);
      }
    }
    console.log(`run --rm of an echo container, ${ROUNDS} interleaved rounds (ms)`);
    console.log('client   runtime   median     mean      min      max');
    for (const [k, xs] of samples) {
      const s = stats(xs);
      const [c, rt] = k.split(' ');
      console.log(`${c.padEnd(8)} ${rt.padEnd(7)} ${[s.median, s.mean, s.min, s.max].map((v) => v.toFixed(0).padStart(8)).join(' ')}`);
    }
    if (process.env.SKIFF_TIME_JSON) console.log(JSON.stringify(Object.fromEntries(samples)));
  } finally {
    for (const sb of sbs.reverse()) {
      const leaks = await sb.cleanup();
      if (leaks.length) console.error(`cleanup ${sb.client}: ${leaks.join('; ')}`);
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
