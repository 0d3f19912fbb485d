// An interactive shell in a container, on the caller's own terminal: the
// container gets a pty (process.terminal), and we relay it to our stdin/
// stdout in raw mode, with the window size kept in sync. Exit the shell
// (or ^D) to end; the exit code is the shell's.
//
//   npx tsx examples/pty-session.ts [command...]     (default: sh)
//
// With a stdin that is not a terminal (a pipe, a test), input is relayed
// as typed and ^D is sent at its end.
import { create, defaultSpec } from '../src/index.ts';
import { exampleRootfs, root } from './_rootfs.ts';

async function main(): Promise<number> {
  const config = defaultSpec();
  config.root = { path: exampleRootfs(), readonly: true };
  config.process!.args = process.argv.length > 2 ? process.argv.slice(2) : ['sh'];
  config.process!.env = ['PATH=/bin:/usr/bin', 'TERM=' + (process.env.TERM ?? 'xterm'), 'PS1=sandbox# '];
  if (process.stdout.isTTY) config.process!.consoleSize = { height: process.stdout.rows, width: process.stdout.columns };

  await using c = await create({ root, config, terminal: true });
  const pty = c.pty!;
  const stdin = process.stdin;
  const resize = () => c.resize(process.stdout.rows, process.stdout.columns);
  if (stdin.isTTY) stdin.setRawMode(true);
  if (process.stdout.isTTY) process.on('SIGWINCH', resize);
  stdin.on('data', (d) => pty.write(d));
  if (!stdin.isTTY) stdin.on('end', () => pty.write('\x04'));
  pty.on('data', (d) => process.stdout.write(d));
  try {
    await c.start();
    const { code } = await c.wait();
    return code;
  } finally {
    process.off('SIGWINCH', resize);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.destroy();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e);
    process.exitCode = 125;
  },
);
