// Run a command in a container with a time limit and capture its output.
//
//   npx tsx examples/run-with-timeout.ts [timeout-ms] [command...]
//
// (In your own project: import { run, defaultSpec } from 'skiff'.)
import { run, defaultSpec, SkiffError } from '../src/index.ts';
import { exampleRootfs, root } from './_rootfs.ts';

async function main(): Promise<number> {
  const [ms = '1000', ...cmd] = process.argv.slice(2);
  const config = defaultSpec(); // runc's default config.json, as an object
  config.process!.terminal = false;
  config.process!.args = cmd.length ? cmd : ['sh', '-c', 'echo hello from $(hostname); echo to stderr >&2; sleep 5; echo never'];
  config.root = { path: exampleRootfs(), readonly: true };

  try {
    const r = await run({ root, config, timeout: Number(ms), input: '' });
    console.log(`stdout: ${JSON.stringify(r.stdout)}`);
    console.log(`stderr: ${JSON.stringify(r.stderr)}`);
    console.log(r.timedOut ? `timed out after ${ms} ms (killed by ${r.signal})` : `exit code ${r.code}`);
    return r.timedOut ? 124 : r.code;
  } catch (e) {
    // every API error is a SkiffError naming the operation and the config field
    if (e instanceof SkiffError) console.error(`skiff: ${e.op}: ${e.message}${e.pointer ? ` (config field ${e.pointer})` : ''}`);
    else console.error(e);
    return 125;
  }
}

main().then((code) => (process.exitCode = code));
