import { UsageError } from '../../errors.ts';
import type { Command } from '../command.ts';
import { explainBundle } from '../../explain/bundle.ts';
import { SECTIONS, type Section } from '../../explain/explain.ts';
import { writeOut } from '../output.ts';

export const command: Command = {
  name: 'explain',
  summary: 'show what a bundle\'s config turns into (namespaces, capabilities, seccomp, init plan) without running anything',
  usage: 'skiff explain [command options]\n\n   skiff explain --syscall mkdir            which seccomp rule decides mkdir, and the BPF path\n   skiff explain --section capabilities     only the capability sets\n   sections: namespaces process capabilities rlimits hooks seccomp syscall bpf plan',
  nargs: [0, 0],
  flags: [
    { name: 'bundle', alias: 'b', type: 'string', usage: 'path to the root of the bundle directory, defaults to the current directory', default: '' },
    { name: 'strict', type: 'bool', usage: 'validate as `create --strict` does (warnings are errors)' },
    { name: 'syscall', type: 'strings', usage: 'explain the seccomp verdict for this syscall name (or x86_64 number); repeatable' },
    { name: 'args', type: 'string', usage: 'syscall arguments for --syscall, comma separated (default all zero)' },
    { name: 'section', type: 'strings', usage: 'print only this section; repeatable' },
  ],
  run(_g, { flags }) {
    const sections = ((flags.section as string[] | undefined) ?? []).flatMap((s) => s.split(','));
    for (const s of sections) if (!(SECTIONS as readonly string[]).includes(s)) throw new UsageError(`unknown section "${s}" (one of: ${SECTIONS.join(', ')})`);
    let args: bigint[] | undefined;
    if (flags.args) {
      try {
        args = String(flags.args).split(',').map((a) => BigInt(a.trim()));
      } catch {
        throw new UsageError(`--args: expected comma-separated integers, got "${flags.args}"`);
      }
    }
    const syscalls = ((flags.syscall as string[] | undefined) ?? []).flatMap((s) => s.split(','));
    const r = explainBundle({
      bundle: String(flags.bundle || '.'),
      strict: !!flags.strict,
      syscalls,
      syscallArgs: args,
      // --syscall alone: just the answers
      sections: (sections.length ? sections : syscalls.length ? ['syscall'] : []) as Section[],
    });
    writeOut(r.text);
    return r.problems.length ? 1 : 0;
  },
};
