// A pool of warm sandboxes for untrusted code. A container that is created
// but not started is "warm": namespaces, mounts, cgroups, seccomp and the
// stdin pipe all exist; its process (`sh -s`, reading the script from stdin)
// waits for start(). A request takes a warm sandbox, starts it, writes the
// code, collects the output under a time limit, deletes the sandbox, and a
// replacement is created in the background.
//
// Limits: memory, pids, no network (an empty network namespace: only lo),
// read-only root with a small /tmp, unprivileged user, no capabilities,
// no_new_privs, and a seccomp filter.
//
//   npx tsx examples/sandbox-pool.ts
import { performance } from 'node:perf_hooks';
import { create, run, defaultSpec, type Container, type Spec, type LinuxSeccomp } from '../src/index.ts';
import { exampleRootfs, root } from './_rootfs.ts';

export interface SandboxLimits {
  /** bytes of memory (+swap) */
  memory: number;
  /** processes and threads */
  pids: number;
  /** wall-clock limit per request */
  timeoutMs: number;
}

export interface SandboxResult {
  stdout: string;
  stderr: string;
  code: number;
  timedOut: boolean;
  /** from the request to the process running, ms */
  startMs: number;
}

/** Syscalls untrusted code never needs: they fail with EPERM. */
const SECCOMP: LinuxSeccomp = {
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [
    {
      names: [
        'mount', 'umount2', 'pivot_root', 'chroot', 'unshare', 'setns', 'ptrace', 'process_vm_readv', 'process_vm_writev',
        'bpf', 'perf_event_open', 'userfaultfd', 'keyctl', 'add_key', 'request_key', 'kexec_load', 'kexec_file_load',
        'init_module', 'finit_module', 'delete_module', 'reboot', 'swapon', 'swapoff', 'acct', 'open_by_handle_at',
        'name_to_handle_at', 'iopl', 'ioperm', 'syslog', 'settimeofday', 'clock_settime', 'adjtimex', 'personality',
      ],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 1,
    },
  ],
};

export function sandboxSpec(rootfs: string, limits: SandboxLimits): Spec {
  const s = defaultSpec();
  s.root = { path: rootfs, readonly: true };
  s.hostname = 'sandbox';
  s.process = {
    ...s.process!,
    terminal: false,
    args: ['sh', '-s'], // the script comes on stdin
    user: { uid: 65534, gid: 65534 },
    cwd: '/tmp',
    env: ['PATH=/bin:/usr/bin', 'HOME=/tmp'],
    noNewPrivileges: true,
    capabilities: { bounding: [], effective: [], permitted: [] },
    rlimits: [{ type: 'RLIMIT_NOFILE', soft: 256, hard: 256 }],
  };
  s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=16m', 'mode=1777'] });
  s.linux!.resources = {
    ...s.linux!.resources,
    memory: { limit: limits.memory, swap: limits.memory },
    pids: { limit: limits.pids },
  };
  s.linux!.seccomp = SECCOMP;
  // runc's default spec already has new pid, ipc, uts, mount and network namespaces
  return s;
}

export class SandboxPool implements AsyncDisposable {
  private readonly warm: Promise<Container>[] = [];
  private readonly spec: Spec;
  private closed = false;

  constructor(readonly opts: { rootfs: string; size: number; root?: string; limits: SandboxLimits }) {
    this.spec = sandboxSpec(opts.rootfs, opts.limits);
    for (let i = 0; i < opts.size; i++) this.refill();
  }

  private refill(): void {
    if (this.closed) return;
    const p = create({ root: this.opts.root, config: this.spec, stdio: 'pipe' });
    p.catch(() => undefined); // surfaced to the request that takes it
    this.warm.push(p);
  }

  /** Wait until every sandbox of the pool is warm. */
  async ready(): Promise<void> {
    await Promise.all(this.warm);
  }

  /** Run untrusted shell code in a fresh sandbox. */
  async exec(code: string): Promise<SandboxResult> {
    const t0 = performance.now();
    const next = this.warm.shift() ?? create({ root: this.opts.root, config: this.spec, stdio: 'pipe' });
    await using c = await next;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    c.stdout!.on('data', (d: Buffer) => out.push(d));
    c.stderr!.on('data', (d: Buffer) => err.push(d));
    await c.start();
    const startMs = performance.now() - t0;
    c.stdin!.end(code);
    this.refill(); // after start: warming the next one must not delay this one
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void c.kill('SIGKILL').catch(() => undefined);
    }, this.opts.limits.timeoutMs);
    const st = await c.wait();
    clearTimeout(timer);
    await c.delete({ force: true }); // drains the pipes
    return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code: st.code, timedOut, startMs };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.closed = true;
    const all = this.warm.splice(0);
    await Promise.all(all.map(async (p) => {
      try {
        await (await p)[Symbol.asyncDispose]();
      } catch {
        /* failed to create: nothing to delete */
      }
    }));
  }
}

async function main(): Promise<void> {
  const rootfs = exampleRootfs();
  const limits: SandboxLimits = { memory: 64 << 20, pids: 16, timeoutMs: 1000 };
  await using pool = new SandboxPool({ rootfs, size: 2, root, limits });
  await pool.ready();
  const snippets: Record<string, string> = {
    hello: 'echo "$((6 * 7)) from $(hostname) as uid $(id -u)"',
    network: "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
    readonly: 'touch /etc/owned 2>&1 || echo blocked',
    seccomp: 'grep Seccomp: /proc/self/status | tr -d "\\t"; unshare -r true 2>&1 || echo unshare blocked',
    forkbomb: 'for i in $(seq 40); do sleep 5 & done; echo unreachable',
    spin: 'while :; do :; done',
  };
  for (const [name, code] of Object.entries(snippets)) {
    const r = await pool.exec(code);
    console.log(JSON.stringify({ name, stdout: r.stdout.trim(), stderr: r.stderr.trim(), code: r.code, timedOut: r.timedOut, startMs: Math.round(r.startMs * 10) / 10 }));
  }
  // the point of warming: compare with a cold create+start
  const t0 = performance.now();
  const cold = await run({ root, config: { ...sandboxSpec(rootfs, limits), process: { ...sandboxSpec(rootfs, limits).process!, args: ['true'] } } });
  console.log(JSON.stringify({ name: 'cold', code: cold.code, ms: Math.round((performance.now() - t0) * 10) / 10 }));
}

if (require.main === module) main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
