// Rule-by-rule tests of src/spec/validate.ts: for every rule, a config that
// breaks it (asserting the exact JSON pointer and the message) and one that
// passes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpecError } from '../../src/errors.ts';
import { validateProcess, validateResources, validateSpec, normalizeSysctlName } from '../../src/spec/validate.ts';

type Cfg = Record<string, any>;

function base(): Cfg {
  return {
    ociVersion: '1.2.0',
    root: { path: 'rootfs' },
    process: {
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/bin', 'EMPTY='],
      cwd: '/',
    },
    hostname: 'box',
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    },
  };
}

function make(edit: (c: Cfg) => void): Cfg {
  const c = base();
  edit(c);
  return c;
}

function rejects(edit: (c: Cfg) => void, pointer: string, message: RegExp, opts: { strict?: boolean; forCreate?: boolean } = {}): void {
  const cfg = make(edit);
  let err: unknown;
  try {
    validateSpec(cfg, opts);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof SpecError, `expected a SpecError for ${pointer}, got ${err === undefined ? 'success' : String(err)}`);
  assert.equal(err.pointer, pointer, `pointer (message: ${err.message})`);
  assert.match(err.message, message);
  assert.ok(err.message.startsWith(`${pointer === '' ? 'config' : pointer}: `), err.message);
  assert.ok(!err.message.includes('\n'), 'one-line message');
}

function accepts(edit: (c: Cfg) => void, opts: { strict?: boolean; forCreate?: boolean } = {}): string[] {
  return validateSpec(make(edit), opts).warnings;
}

const ns = (...types: string[]) => types.map((type) => ({ type }));

describe('validateSpec: baseline', () => {
  test('the base config is valid and has no warnings', () => {
    assert.deepEqual(accepts(() => {}), []);
  });
  test('returns the same object typed as Spec', () => {
    const cfg = base();
    assert.equal(validateSpec(cfg).spec, cfg);
  });
  test('top level must be an object', () => {
    for (const v of [null, [], 'x', 1, true, undefined]) {
      assert.throws(() => validateSpec(v), (e: unknown) => e instanceof SpecError && e.pointer === '' && /^config: expected a JSON object/.test(e.message));
    }
  });
  test('unknown properties are ignored at every level', () => {
    assert.deepEqual(
      accepts((c) => {
        c.foo = { deep: [1, 2, { x: null }] };
        c.process.bar = 1;
        c.process.user.baz = 'x';
        c.linux.namespaces[0].qux = true;
        c.linux.unknownThing = [];
        c.windows = { whatever: 1 };
        c.vm = 5;
      }),
      [],
    );
  });
  test('null optional fields count as absent and are removed', () => {
    const cfg = make((c) => {
      c.mounts = null;
      c.process.env = null;
      c.process.capabilities = null;
      c.linux.seccomp = null;
      c.annotations = null;
    });
    validateSpec(cfg);
    assert.equal('mounts' in cfg, false);
    assert.equal('env' in cfg.process, false);
    assert.equal('seccomp' in cfg.linux, false);
  });
  test('null required fields are reported as required', () => {
    rejects((c) => (c.process.cwd = null), '/process/cwd', /is required/);
    rejects((c) => (c.process.user = null), '/process/user', /is required/);
  });
});

describe('validateSpec: ociVersion and root', () => {
  test('ociVersion required', () => rejects((c) => delete c.ociVersion, '/ociVersion', /is required/));
  test('ociVersion must be a string', () => rejects((c) => (c.ociVersion = 1), '/ociVersion', /expected a string, got 1/));
  test('ociVersion non-SemVer: warning, error with strict', () => {
    assert.match(accepts((c) => (c.ociVersion = 'latest'))[0], /^\/ociVersion: "latest" is not a SemVer/);
    rejects((c) => (c.ociVersion = 'latest'), '/ociVersion', /not a SemVer/, { strict: true });
    assert.deepEqual(accepts((c) => (c.ociVersion = '1.0.2-dev')), []);
  });
  test('root required', () => rejects((c) => delete c.root, '/root', /is required/));
  test('root.path required', () => rejects((c) => (c.root = {}), '/root/path', /is required/));
  test('root.path must be a non-empty string', () => {
    rejects((c) => (c.root.path = 5), '/root/path', /expected a string/);
    rejects((c) => (c.root.path = ''), '/root/path', /must not be empty/);
    rejects((c) => (c.root.path = 'a\0b'), '/root/path', /NUL/);
  });
  test('root.readonly must be a boolean', () => {
    rejects((c) => (c.root.readonly = 'yes'), '/root/readonly', /expected a boolean, got string "yes"/);
    accepts((c) => (c.root.readonly = true));
  });
});

describe('validateSpec: process', () => {
  test('process required when creating (the default)', () => {
    rejects((c) => delete c.process, '/process', /is required/);
    assert.deepEqual(accepts((c) => delete c.process, { forCreate: false }), []);
  });
  test('process must be an object', () => rejects((c) => (c.process = []), '/process', /expected an object, got an array/));
  test('cwd required and absolute', () => {
    rejects((c) => delete c.process.cwd, '/process/cwd', /is required/);
    rejects((c) => (c.process.cwd = ''), '/process/cwd', /is required/);
    rejects((c) => (c.process.cwd = 'home'), '/process/cwd', /must be an absolute path/);
    rejects((c) => (c.process.cwd = 7), '/process/cwd', /expected a string/);
    accepts((c) => (c.process.cwd = '/home/user'));
  });
  test('user required', () => rejects((c) => delete c.process.user, '/process/user', /is required/));
  test('uid/gid: non-negative 32-bit integers', () => {
    rejects((c) => (c.process.user.uid = -1), '/process/user/uid', /^\/process\/user\/uid: expected a non-negative integer/);
    rejects((c) => (c.process.user.uid = 1.5), '/process/user/uid', /expected a non-negative integer, got 1\.5/);
    rejects((c) => (c.process.user.uid = '0'), '/process/user/uid', /expected a non-negative integer, got string "0"/);
    rejects((c) => (c.process.user.uid = 2 ** 32), '/process/user/uid', /between 0 and 4294967295 \(uint32\)/);
    rejects((c) => (c.process.user.uid = NaN), '/process/user/uid', /non-negative integer, got NaN/);
    rejects((c) => (c.process.user.uid = Infinity), '/process/user/uid', /non-negative integer/);
    rejects((c) => (c.process.user.gid = 2 ** 53 + 2), '/process/user/gid', /uint32/);
    rejects((c) => delete c.process.user.gid, '/process/user/gid', /is required/);
    accepts((c) => (c.process.user = { uid: 4294967295, gid: 65534 }));
  });
  test('additionalGids', () => {
    rejects((c) => (c.process.user.additionalGids = [1, -2]), '/process/user/additionalGids/1', /non-negative integer/);
    rejects((c) => (c.process.user.additionalGids = 5), '/process/user/additionalGids', /expected an array/);
    accepts((c) => (c.process.user.additionalGids = [0, 10]));
  });
  test('umask 0..0777', () => {
    rejects((c) => (c.process.user.umask = 0o1000), '/process/user/umask', /between 0 and 511/);
    rejects((c) => (c.process.user.umask = -1), '/process/user/umask', /non-negative integer/);
    accepts((c) => (c.process.user.umask = 0o22));
  });
  test('args non-empty unless commandLine', () => {
    rejects((c) => (c.process.args = []), '/process/args', /must not be empty/);
    rejects((c) => delete c.process.args, '/process/args', /must not be empty/);
    rejects((c) => (c.process.args = ['sh', 1]), '/process/args/1', /expected a string, got 1/);
    rejects((c) => (c.process.args = 'sh'), '/process/args', /expected an array/);
    rejects((c) => (c.process.args = ['a\0b']), '/process/args/0', /NUL/);
    accepts((c) => {
      delete c.process.args;
      c.process.commandLine = 'sh -c true';
    });
  });
  test('env entries are NAME=value', () => {
    rejects((c) => (c.process.env = ['A=1', 'FOO']), '/process/env/1', /invalid environment variable "FOO": missing "="/);
    rejects((c) => (c.process.env = ['=x']), '/process/env/0', /empty name/);
    rejects((c) => (c.process.env = ['A=\0']), '/process/env/0', /NUL/);
    accepts((c) => (c.process.env = ['A=', 'B==c']));
  });
  test('terminal and consoleSize', () => {
    rejects((c) => (c.process.terminal = 1), '/process/terminal', /expected a boolean/);
    rejects((c) => (c.process.consoleSize = { height: 10 }), '/process/consoleSize/width', /is required/);
    accepts((c) => (c.process.consoleSize = { height: 25, width: 80 }));
  });
  test('capabilities: unknown names warn (runc), error with strict', () => {
    const w = accepts((c) => (c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_FOO'], effective: ['CAP_KILL'] }));
    assert.deepEqual(w, ['/process/capabilities/bounding/1: unknown capability "CAP_FOO" (ignored)']);
    rejects((c) => (c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_FOO'] }), '/process/capabilities/bounding/1', /unknown capability "CAP_FOO"/, {
      strict: true,
    });
    rejects((c) => (c.process.capabilities = { ambient: 'CAP_KILL' }), '/process/capabilities/ambient', /expected an array/);
    rejects((c) => (c.process.capabilities = { permitted: [3] }), '/process/capabilities/permitted/0', /expected a string/);
    assert.deepEqual(accepts((c) => (c.process.capabilities = { inheritable: ['CAP_CHECKPOINT_RESTORE', 'CAP_CHOWN'] }), { strict: true }), []);
  });
  test('rlimits: known, unique, soft <= hard, uint64', () => {
    const rl = (x: unknown[]) => (c: Cfg) => (c.process.rlimits = x);
    rejects(rl([{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }]), '/process/rlimits/0/type', /unknown rlimit type "RLIMIT_FOO"/);
    rejects(
      rl([
        { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 },
        { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 },
      ]),
      '/process/rlimits/1/type',
      /duplicate rlimit type "RLIMIT_NOFILE"/,
    );
    rejects(rl([{ type: 'RLIMIT_NOFILE', soft: 10, hard: 2 }]), '/process/rlimits/0/soft', /soft limit 10 exceeds hard limit 2/);
    rejects(rl([{ type: 'RLIMIT_NOFILE', soft: -1, hard: 2 }]), '/process/rlimits/0/soft', /non-negative integer/);
    rejects(rl([{ type: 'RLIMIT_NOFILE', hard: 2 }]), '/process/rlimits/0/soft', /is required/);
    rejects(rl([{ soft: 1, hard: 2 }]), '/process/rlimits/0/type', /is required/);
    rejects(rl(['RLIMIT_NOFILE']), '/process/rlimits/0', /expected an object/);
    rejects(rl([{ type: 'RLIMIT_CORE', soft: 1, hard: 2 ** 65 }]), '/process/rlimits/0/hard', /uint64/);
    // RLIM_INFINITY as written by Go clients (parses to 2^64 as a double)
    accepts((c) => (c.process.rlimits = JSON.parse('[{"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615}]')));
    accepts(rl([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }, { type: 'RLIMIT_NPROC', soft: 1, hard: 1 }]));
  });
  test('oomScoreAdj -1000..1000', () => {
    rejects((c) => (c.process.oomScoreAdj = 1001), '/process/oomScoreAdj', /between -1000 and 1000, got 1001/);
    rejects((c) => (c.process.oomScoreAdj = '5'), '/process/oomScoreAdj', /between -1000 and 1000/);
    accepts((c) => (c.process.oomScoreAdj = -1000));
  });
  test('noNewPrivileges, apparmorProfile, selinuxLabel types', () => {
    rejects((c) => (c.process.noNewPrivileges = 'true'), '/process/noNewPrivileges', /expected a boolean/);
    rejects((c) => (c.process.apparmorProfile = false), '/process/apparmorProfile', /expected a string/);
    rejects((c) => (c.process.selinuxLabel = {}), '/process/selinuxLabel', /expected a string, got an object/);
  });
  test('scheduler', () => {
    rejects((c) => (c.process.scheduler = { policy: 'SCHED_FAST' }), '/process/scheduler/policy', /unknown scheduler policy "SCHED_FAST"/);
    rejects((c) => (c.process.scheduler = {}), '/process/scheduler/policy', /is required/);
    rejects((c) => (c.process.scheduler = { policy: 'SCHED_RR', flags: ['X'] }), '/process/scheduler/flags/0', /unknown scheduler flag/);
    accepts((c) => (c.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 1, deadline: 2, period: 3, flags: ['SCHED_FLAG_RECLAIM'] }));
  });
  test('ioPriority', () => {
    rejects((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_X' }), '/process/ioPriority/class', /unknown I\/O priority class/);
    rejects((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 }), '/process/ioPriority/priority', /between 0 and 7/);
    accepts((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 4 }));
  });
  test('execCPUAffinity', () => {
    rejects((c) => (c.process.execCPUAffinity = { initial: '0-x' }), '/process/execCPUAffinity/initial', /invalid CPU list/);
    accepts((c) => (c.process.execCPUAffinity = { initial: '0-3,7', final: '1' }));
  });
});

describe('validateSpec: namespaces', () => {
  test('unknown type', () => {
    rejects((c) => (c.linux.namespaces[2].type = 'foo'), '/linux/namespaces/2/type', /^\/linux\/namespaces\/2\/type: unknown namespace type "foo"$/);
  });
  test('type required', () => rejects((c) => (c.linux.namespaces[1] = {}), '/linux/namespaces/1/type', /is required/));
  test('duplicates', () => {
    rejects((c) => c.linux.namespaces.push({ type: 'pid', path: '/proc/1/ns/pid' }), '/linux/namespaces/5/type', /duplicate namespace type "pid"/);
  });
  test('path must be absolute', () => {
    rejects((c) => (c.linux.namespaces[1].path = 'var/run/netns/x'), '/linux/namespaces/1/path', /must be an absolute path/);
    accepts((c) => (c.linux.namespaces[1].path = '/var/run/netns/x'));
  });
  test('cgroup and time are known', () => {
    accepts((c) => c.linux.namespaces.push(...ns('cgroup', 'time')));
  });
  test('namespaces must be an array of objects', () => {
    rejects((c) => (c.linux.namespaces = { pid: {} }), '/linux/namespaces', /expected an array/);
    rejects((c) => (c.linux.namespaces = ['pid']), '/linux/namespaces/0', /expected an object/);
  });
});

describe('validateSpec: hostname, domainname (UTS)', () => {
  test('hostname needs a UTS namespace (runc)', () => {
    rejects((c) => (c.linux.namespaces = ns('pid', 'mount')), '/hostname', /unable to set hostname without a private UTS namespace/);
    rejects((c) => delete c.linux, '/hostname', /without a private UTS namespace/);
  });
  test('a joined UTS namespace is accepted (as runc)', () => {
    accepts((c) => (c.linux.namespaces[3].path = '/proc/1/ns/uts'));
  });
  test('empty hostname needs nothing', () => {
    accepts((c) => {
      c.hostname = '';
      c.linux.namespaces = ns('mount');
    });
  });
  test('domainname needs a UTS namespace', () => {
    rejects((c) => {
      delete c.hostname;
      c.domainname = 'example.org';
      c.linux.namespaces = ns('mount');
    }, '/domainname', /unable to set domainname/);
    accepts((c) => (c.domainname = 'example.org'));
  });
  test('hostname length and type', () => {
    rejects((c) => (c.hostname = 'x'.repeat(65)), '/hostname', /at most 64 bytes/);
    rejects((c) => (c.hostname = 5), '/hostname', /expected a string/);
    accepts((c) => (c.hostname = 'x'.repeat(64)));
  });
});

describe('validateSpec: user namespace and id mappings', () => {
  const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
  test('mappings without a user namespace', () => {
    rejects((c) => (c.linux.uidMappings = map), '/linux/uidMappings', /no user namespace/);
    rejects((c) => (c.linux.gidMappings = map), '/linux/gidMappings', /no user namespace/);
    accepts((c) => (c.linux.uidMappings = []));
  });
  test('a new user namespace needs mappings', () => {
    rejects((c) => c.linux.namespaces.push({ type: 'user' }), '/linux/uidMappings', /requires uid mappings/);
    rejects((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = map;
    }, '/linux/gidMappings', /requires gid mappings/);
  });
  test('a joined user namespace needs no mappings', () => {
    accepts((c) => c.linux.namespaces.push({ type: 'user', path: '/proc/42/ns/user' }));
  });
  test('container root must be mapped (runc)', () => {
    rejects((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 1, hostID: 1000, size: 10 }];
      c.linux.gidMappings = map;
    }, '/linux/uidMappings', /no mapping for the container root user/);
  });
  test('mapping fields', () => {
    const withUser = (m: unknown) => (c: Cfg) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = m;
      c.linux.gidMappings = map;
    };
    rejects(withUser([{ containerID: 0, hostID: 1000 }]), '/linux/uidMappings/0/size', /is required/);
    rejects(withUser([{ containerID: 0, hostID: 1000, size: 0 }]), '/linux/uidMappings/0/size', /at least 1/);
    rejects(withUser([{ containerID: 0, hostID: 4294967295, size: 2 }]), '/linux/uidMappings/0/size', /exceeds the 32-bit id space/);
    rejects(withUser([{ containerID: 0, hostID: -5, size: 2 }]), '/linux/uidMappings/0/hostID', /non-negative integer/);
    rejects(withUser(Array.from({ length: 341 }, (_, i) => ({ containerID: i, hostID: i, size: 1 }))), '/linux/uidMappings', /at most 340/);
    accepts(withUser(map));
  });
});

describe('validateSpec: sysctl (runc rules)', () => {
  const sysctl = (k: string, nss?: string[]) => (c: Cfg) => {
    c.linux.sysctl = { [k]: '1' };
    if (nss) {
      c.linux.namespaces = ns(...nss);
      delete c.hostname;
    }
  };
  test('net.* needs a network namespace', () => {
    rejects(sysctl('net.ipv4.ip_forward', ['mount', 'ipc']), '/linux/sysctl/net.ipv4.ip_forward', /not allowed in the host's network namespace/);
    accepts(sysctl('net.ipv4.ip_forward'));
  });
  test('slash-separated names are converted, pointer escapes "/"', () => {
    rejects(sysctl('net/ipv4/ip_forward', ['mount']), '/linux/sysctl/net~1ipv4~1ip_forward', /"net.ipv4.ip_forward"/);
    accepts(sysctl('net/ipv4/conf/eth0.100/rp_filter'));
    assert.equal(normalizeSysctlName('net/ipv4/conf/eno2.100/rp_filter'), 'net.ipv4.conf.eno2/100.rp_filter');
    assert.equal(normalizeSysctlName('net.ipv4.conf.eno2/100.rp_filter'), 'net.ipv4.conf.eno2/100.rp_filter');
  });
  test('IPC sysctls need an ipc namespace', () => {
    rejects(sysctl('kernel.shmmax', ['mount', 'network']), '/linux/sysctl/kernel.shmmax', /host's ipc namespace/);
    rejects(sysctl('fs.mqueue.msg_max', ['mount']), '/linux/sysctl/fs.mqueue.msg_max', /ipc namespace/);
    accepts(sysctl('kernel.shmmax'));
    accepts(sysctl('fs.mqueue.msg_max'));
  });
  test('kernel.domainname needs uts; kernel.hostname conflicts with "hostname"', () => {
    accepts(sysctl('kernel.domainname'));
    rejects(sysctl('kernel.domainname', ['mount']), '/linux/sysctl/kernel.domainname', /not in a separate kernel namespace/);
    rejects(sysctl('kernel.hostname'), '/linux/sysctl/kernel.hostname', /conflicts with the OCI "hostname" field/);
  });
  test('other sysctls are rejected', () => {
    rejects(sysctl('kernel.foo'), '/linux/sysctl/kernel.foo', /^\/linux\/sysctl\/kernel.foo: sysctl "kernel.foo" is not in a separate kernel namespace$/);
    rejects(sysctl('vm.swappiness'), '/linux/sysctl/vm.swappiness', /not in a separate kernel namespace/);
  });
  test('values must be strings', () => {
    rejects((c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': 1 }), '/linux/sysctl/net.ipv4.ip_forward', /expected a string/);
  });
});

describe('validateSpec: mounts', () => {
  const m = (x: Cfg) => (c: Cfg) => (c.mounts = [{ destination: '/proc', type: 'proc', source: 'proc' }, x]);
  test('destination required', () => rejects(m({ type: 'tmpfs' }), '/mounts/1/destination', /is required/));
  test('relative destination: warning (runc 1.1), error with strict', () => {
    assert.deepEqual(accepts(m({ destination: 'data', type: 'tmpfs', source: 'tmpfs' })), ['/mounts/1/destination: mount destination "data" is not absolute']);
    rejects(m({ destination: 'data' }), '/mounts/1/destination', /is not absolute/, { strict: true });
  });
  test('field types and NUL bytes (runc: "mount field contains null byte")', () => {
    rejects(m({ destination: '/x', options: 'ro' }), '/mounts/1/options', /expected an array/);
    rejects(m({ destination: '/x', options: ['ro', 1] }), '/mounts/1/options/1', /expected a string/);
    rejects(m({ destination: '/x', source: 'a\0' }), '/mounts/1/source', /NUL/);
    rejects(m({ destination: '/x', type: 3 }), '/mounts/1/type', /expected a string/);
    rejects((c) => (c.mounts = {}), '/mounts', /expected an array/);
    rejects((c) => (c.mounts = ['/proc']), '/mounts/0', /expected an object/);
  });
  test('idmapped mounts need both mappings', () => {
    const mp = [{ containerID: 0, hostID: 1000, size: 1 }];
    rejects(m({ destination: '/x', uidMappings: mp }), '/mounts/1/gidMappings', /specified together/);
    accepts(m({ destination: '/x', type: 'bind', source: '/y', options: ['rbind', 'idmap'], uidMappings: mp, gidMappings: mp }));
  });
});

describe('validateSpec: hooks', () => {
  const h = (x: unknown, name = 'prestart') => (c: Cfg) => (c.hooks = { [name]: [x] });
  test('path absolute', () => {
    rejects(h({ path: 'bin/hook' }), '/hooks/prestart/0/path', /must be an absolute path/);
    rejects(h({ args: [] }, 'poststop'), '/hooks/poststop/0/path', /is required/);
  });
  test('timeout > 0', () => {
    rejects(h({ path: '/bin/true', timeout: 0 }, 'createRuntime'), '/hooks/createRuntime/0/timeout', /positive integer/);
    rejects(h({ path: '/bin/true', timeout: 1.5 }, 'startContainer'), '/hooks/startContainer/0/timeout', /positive integer/);
  });
  test('args/env types', () => {
    rejects(h({ path: '/bin/true', args: [1] }), '/hooks/prestart/0/args/0', /expected a string/);
    rejects(h({ path: '/bin/true', env: 'A=1' }), '/hooks/prestart/0/env', /expected an array/);
    rejects((c) => (c.hooks = { poststart: {} }), '/hooks/poststart', /expected an array/);
  });
  test('valid hooks of every kind', () => {
    accepts((c) => {
      c.hooks = {};
      for (const n of ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']) {
        c.hooks[n] = [{ path: '/usr/bin/hook', args: ['hook', n], env: ['A=1'], timeout: 5 }];
      }
    });
  });
});

describe('validateSpec: linux', () => {
  test('rootfsPropagation values', () => {
    rejects((c) => (c.linux.rootfsPropagation = 'bogus'), '/linux/rootfsPropagation', /rootfsPropagation "bogus" is not supported/);
    for (const v of ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable', '']) {
      accepts((c) => (c.linux.rootfsPropagation = v));
    }
  });
  test('devices: type, path under /dev, major/minor', () => {
    const d = (x: Cfg) => (c: Cfg) => (c.linux.devices = [x]);
    rejects(d({ path: '/dev/x', type: 'z', major: 1, minor: 1 }), '/linux/devices/0/type', /invalid device type "z"/);
    // outside /dev: runc 1.1 accepts (docker --device /dev/x:/x); a warning, an error with strict
    assert.deepEqual(accepts(d({ path: '/tmp/x', type: 'c', major: 1, minor: 1 })), ['/linux/devices/0/path: device path "/tmp/x" is not under /dev']);
    rejects(d({ path: '/tmp/x', type: 'c', major: 1, minor: 1 }), '/linux/devices/0/path', /is not under \/dev/, { strict: true });
    rejects(d({ path: '/dev/../etc/x', type: 'c', major: 1, minor: 1 }), '/linux/devices/0/path', /is not under \/dev/, { strict: true });
    rejects(d({ path: '/dev', type: 'c', major: 1, minor: 1 }), '/linux/devices/0/path', /is not under \/dev/, { strict: true });
    rejects(d({ path: 'dev/x', type: 'c', major: 1, minor: 1 }), '/linux/devices/0/path', /absolute/);
    rejects(d({ path: '/dev/x', type: 'b', minor: 1 }), '/linux/devices/0/major', /is required/);
    rejects(d({ path: '/dev/x', type: 'c', major: 1, minor: 1, fileMode: -1 }), '/linux/devices/0/fileMode', /non-negative/);
    rejects(d({ path: '/dev/x', type: 'c', major: 1, minor: 1, uid: 'root' }), '/linux/devices/0/uid', /non-negative/);
    assert.deepEqual(accepts(d({ path: '/dev/fifo', type: 'p' }), { strict: true }), []);
    for (const t of ['c', 'u', 'b']) {
      assert.deepEqual(accepts(d({ path: '/dev/net/tun', type: t, major: 10, minor: 200, fileMode: 0o666, uid: 0, gid: 0 }), { strict: true }), []);
    }
    // podman/docker send fileMode with the S_IFCHR bits (runc strips S_IFMT)
    accepts(d({ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o20666 }));
  });
  test('maskedPaths/readonlyPaths: absolute, need a mount namespace (runc)', () => {
    rejects((c) => (c.linux.maskedPaths = ['proc/kcore']), '/linux/maskedPaths/0', /absolute/);
    rejects((c) => {
      c.linux.readonlyPaths = ['/proc/sys'];
      c.linux.namespaces = ns('uts');
    }, '/linux/readonlyPaths', /private mount namespace/);
    accepts((c) => (c.linux.maskedPaths = ['/proc/kcore']));
  });
  test('personality domain', () => {
    rejects((c) => (c.linux.personality = { domain: 'FOO' }), '/linux/personality/domain', /unknown personality domain "FOO"/);
    rejects((c) => (c.linux.personality = {}), '/linux/personality/domain', /is required/);
    accepts((c) => (c.linux.personality = { domain: 'LINUX32', flags: [] }));
  });
  test('timeOffsets need a new time namespace', () => {
    const to = { monotonic: { secs: 3600, nanosecs: 0 }, boottime: { secs: -10 } };
    rejects((c) => (c.linux.timeOffsets = to), '/linux/timeOffsets', /require a time namespace/);
    rejects((c) => {
      c.linux.timeOffsets = to;
      c.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' });
    }, '/linux/timeOffsets', /joined time namespace/);
    rejects((c) => {
      c.linux.timeOffsets = { realtime: { secs: 1 } };
      c.linux.namespaces.push({ type: 'time' });
    }, '/linux/timeOffsets/realtime', /unknown clock "realtime"/);
    rejects((c) => {
      c.linux.timeOffsets = { monotonic: { nanosecs: 1e9 } };
      c.linux.namespaces.push({ type: 'time' });
    }, '/linux/timeOffsets/monotonic/nanosecs', /999999999/);
    accepts((c) => {
      c.linux.timeOffsets = to;
      c.linux.namespaces.push({ type: 'time' });
    });
  });
  test('intelRdt', () => {
    rejects((c) => (c.linux.intelRdt = { closID: '../x' }), '/linux/intelRdt/closID', /invalid closID/);
    rejects((c) => (c.linux.intelRdt = { memBwSchema: 'L3:0=1' }), '/linux/intelRdt/memBwSchema', /MB:/);
    accepts((c) => (c.linux.intelRdt = { closID: 'guaranteed', l3CacheSchema: 'L3:0=ffff', memBwSchema: 'MB:0=70' }));
  });
  test('cgroupsPath and mountLabel are strings', () => {
    rejects((c) => (c.linux.cgroupsPath = ['a']), '/linux/cgroupsPath', /expected a string/);
    rejects((c) => (c.linux.mountLabel = 1), '/linux/mountLabel', /expected a string/);
  });
  test('linux must be an object', () => rejects((c) => (c.linux = 'linux'), '/linux', /expected an object/));
});

describe('validateSpec: seccomp shapes', () => {
  const sc = (x: Cfg) => (c: Cfg) => (c.linux.seccomp = x);
  test('defaultAction', () => {
    rejects(sc({ defaultAction: 'SCMP_ACT_NOPE' }), '/linux/seccomp/defaultAction', /unknown seccomp action/);
    rejects(sc({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }), '/linux/seccomp/defaultAction', /is required/);
  });
  test('syscalls', () => {
    rejects(sc({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }), '/linux/seccomp/syscalls/0/names', /at least one/);
    rejects(sc({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'] }] }), '/linux/seccomp/syscalls/0/action', /is required/);
    rejects(
      sc({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'EQ' }] }] }),
      '/linux/seccomp/syscalls/0/args/0/op',
      /unknown seccomp operator "EQ"/,
    );
    rejects(
      sc({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }),
      '/linux/seccomp/syscalls/0/args/0/index',
      /between 0 and 5/,
    );
    rejects(sc({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }] }), '/linux/seccomp/syscalls/0/errnoRet', /non-negative/);
  });
  test('architectures and listener', () => {
    rejects(sc({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] }), '/linux/seccomp/architectures/0', /unknown seccomp architecture/);
    rejects(sc({ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }), '/linux/seccomp/listenerMetadata', /without listenerPath/);
    rejects(sc({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: 'run/x.sock' }), '/linux/seccomp/listenerPath', /absolute/);
    accepts(sc({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'], listenerPath: '/run/x.sock', listenerMetadata: 'm' }));
  });
  test('empty seccomp object: disabled with a warning (runc)', () => {
    const cfg = make(sc({}));
    const { warnings } = validateSpec(cfg);
    assert.match(warnings[0], /^\/linux\/seccomp: neither defaultAction nor syscalls/);
    assert.equal(cfg.linux.seccomp, undefined);
  });
});

describe('validateSpec: resources', () => {
  const r = (x: Cfg) => (c: Cfg) => (c.linux.resources = x);
  test('device rules (runc: access must not be empty)', () => {
    rejects(r({ devices: [{ allow: false }] }), '/linux/resources/devices/0/access', /must not be empty/);
    rejects(r({ devices: [{ allow: true, access: 'rwx' }] }), '/linux/resources/devices/0/access', /invalid device access/);
    rejects(r({ devices: [{ access: 'rwm' }] }), '/linux/resources/devices/0/allow', /is required/);
    rejects(r({ devices: [{ allow: true, type: 'p', access: 'r' }] }), '/linux/resources/devices/0/type', /invalid cgroup device type "p"/);
    accepts(r({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 136, access: 'rwm' }, { allow: true, type: 'a', major: -1, minor: -1, access: 'm' }] }));
  });
  test('numbers', () => {
    rejects(r({ memory: { limit: 1.5 } }), '/linux/resources/memory/limit', /expected an integer, got 1\.5/);
    rejects(r({ pids: { limit: 'max' } }), '/linux/resources/pids/limit', /expected an integer/);
    rejects(r({ pids: {} }), '/linux/resources/pids/limit', /is required/);
    rejects(r({ blockIO: { weight: 70000 } }), '/linux/resources/blockIO/weight', /uint16/);
    rejects(r({ cpu: { shares: -2 } }), '/linux/resources/cpu/shares', /non-negative/);
    rejects(r({ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0 }] } }), '/linux/resources/blockIO/throttleReadBpsDevice/0/rate', /is required/);
    accepts(r({ memory: { limit: -1, swap: -1, reservation: 0, swappiness: 60 }, cpu: { quota: -1, period: 100000, cpus: '0-3', mems: '0' }, pids: { limit: -1 } }));
  });
  test('hugepages, network, rdma, unified', () => {
    rejects(r({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }), '/linux/resources/hugepageLimits/0/pageSize', /invalid hugepage size/);
    rejects(r({ network: { priorities: [{ name: 'eth0' }] } }), '/linux/resources/network/priorities/0/priority', /is required/);
    rejects(r({ rdma: { mlx5_0: { hcaHandles: -1 } } }), '/linux/resources/rdma/mlx5_0/hcaHandles', /non-negative/);
    rejects(r({ unified: { 'memory.high': 5 } }), '/linux/resources/unified/memory.high', /expected a string/);
    accepts(r({ hugepageLimits: [{ pageSize: '2MB', limit: 0 }], network: { classID: 1, priorities: [{ name: 'eth0', priority: 1 }] }, rdma: { mlx5_0: { hcaHandles: 3 } }, unified: { 'memory.high': 'max' } }));
  });
  test('kernel memory: warning (runc)', () => {
    assert.deepEqual(accepts(r({ memory: { kernel: 0 } })), ['/linux/resources/memory/kernel: kernel memory settings are ignored']);
  });
  test('validateResources (update --resources payloads)', () => {
    assert.deepEqual(validateResources({ cpu: { shares: 512 } }, '').warnings, []);
    assert.throws(() => validateResources({ cpu: { shares: 'x' } }, ''), (e: unknown) => e instanceof SpecError && e.pointer === '/cpu/shares');
  });
});

describe('validateSpec: annotations', () => {
  test('values must be strings; keys escaped in pointers', () => {
    rejects((c) => (c.annotations = { foo: 1 }), '/annotations/foo', /expected a string/);
    rejects((c) => (c.annotations = { 'io.k8s/a~b': true }), '/annotations/io.k8s~1a~0b', /expected a string/);
    rejects((c) => (c.annotations = { '': 'x' }), '/annotations/', /must not be empty/);
    accepts((c) => (c.annotations = { 'org.opencontainers.image.os': 'linux', __proto__x: 'y' }));
  });
  test('a "__proto__" key is just a key', () => {
    const cfg = make(() => {});
    cfg.annotations = JSON.parse('{"__proto__": 5}');
    assert.throws(() => validateSpec(cfg), (e: unknown) => e instanceof SpecError && e.pointer === '/annotations/__proto__');
  });
});

describe('validateProcess (exec --process)', () => {
  const p = () => ({ user: { uid: 0, gid: 0 }, args: ['ls'], cwd: '/' });
  test('valid process', () => assert.deepEqual(validateProcess(p(), '').warnings, []));
  test('pointers are relative to pointerBase', () => {
    assert.throws(() => validateProcess({ ...p(), cwd: 'x' }, ''), (e: unknown) => e instanceof SpecError && e.pointer === '/cwd');
    assert.throws(() => validateProcess({ ...p(), args: [] }, '/process'), (e: unknown) => e instanceof SpecError && e.pointer === '/process/args');
    assert.throws(() => validateProcess('x', ''), (e: unknown) => e instanceof SpecError && e.pointer === '' && /^config: /.test(e.message));
  });
  test('same capability rule: warning, strict error', () => {
    assert.equal(validateProcess({ ...p(), capabilities: { bounding: ['CAP_NOPE'] } }, '').warnings.length, 1);
    assert.throws(() => validateProcess({ ...p(), capabilities: { bounding: ['CAP_NOPE'] } }, '', { strict: true }), SpecError);
  });
});
