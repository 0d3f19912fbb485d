// Command-line parsing with Go's flag semantics (urfave/cli, which runc
// uses): -f and --f are the same, values as "--f v" or "--f=v", parsing stops
// at the first non-flag argument or "--", unknown flags are errors worded as
// runc's. Hand-written rather than a library: clients depend on runc's exact
// behaviour (e.g. `exec ID sh -c ...` passes "-c" through), and it keeps
// start-up free of a dependency.
import { UsageError } from '../errors.ts';

export type FlagType = 'bool' | 'string' | 'int' | 'strings';

export interface FlagDef {
  name: string;
  alias?: string;
  type: FlagType;
  usage: string;
  /** shown in help, e.g. "value" */
  placeholder?: string;
  default?: string | number | boolean;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export interface Parsed {
  flags: FlagValues;
  args: string[];
}

export function parseFlags(argv: string[], defs: FlagDef[]): Parsed {
  const byName = new Map<string, FlagDef>();
  for (const d of defs) {
    byName.set(d.name, d);
    if (d.alias) byName.set(d.alias, d);
  }
  const flags: FlagValues = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a.length < 2 || a[0] !== '-') break;
    let name = a.slice(a[1] === '-' ? 2 : 1);
    if (name === '' || name[0] === '-' || name[0] === '=') throw new UsageError(`bad flag syntax: ${a}`);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const def = byName.get(name);
    if (!def) {
      if (name === 'help' || name === 'h') {
        flags.help = true;
        continue;
      }
      throw new UsageError(`flag provided but not defined: -${name}`);
    }
    if (def.type === 'bool') {
      if (value === undefined) flags[def.name] = true;
      else if (/^(1|t|true|T|TRUE|True)$/.test(value)) flags[def.name] = true;
      else if (/^(0|f|false|F|FALSE|False)$/.test(value)) flags[def.name] = false;
      else throw new UsageError(`invalid boolean value "${value}" for -${name}`);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: -${name}`);
      value = argv[++i];
    }
    if (def.type === 'int') {
      if (!/^[+-]?\d+$/.test(value)) throw new UsageError(`invalid value "${value}" for flag -${name}: parse error`);
      flags[def.name] = Number(value);
    } else if (def.type === 'strings') {
      ((flags[def.name] ??= []) as string[]).push(value);
    } else flags[def.name] = value;
  }
  for (const d of defs) if (flags[d.name] === undefined && d.default !== undefined) flags[d.name] = d.default;
  return { flags, args: argv.slice(i) };
}

export function formatFlags(defs: FlagDef[]): string {
  const rows = defs.map((d) => {
    const names = [d.name, d.alias].filter(Boolean).map((n) => (n!.length === 1 ? `-${n}` : `--${n}`)).join(', ');
    const ph = d.type === 'bool' ? '' : ` ${d.placeholder ?? 'value'}`;
    return [`${names}${ph}`, d.usage + (d.default !== undefined && d.type !== 'bool' ? ` (default: ${JSON.stringify(d.default)})` : '')];
  });
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `   ${a.padEnd(w)}  ${b}`).join('\n');
}

/**
 * urfave/cli v1.22's reorderArgs, which runc applies to every command but
 * `exec` and `ps`: known flags (and the value after a flag without "=", even
 * "-" or "--") move before the positional arguments, so `delete ID --force`
 * and `update ID --pids-limit 5` work as with runc, and `update --resources -
 * ID` keeps "-" as the flag's value. Nothing after a "--" delimiter moves.
 */
export function reorderArgs(argv: string[], defs: FlagDef[]): string[] {
  const names = new Set<string>(['help', 'h']);
  for (const d of defs) {
    names.add(d.name);
    if (d.alias) names.add(d.alias);
  }
  const isFlag = (a: string) => {
    if (a === '-' || a === '--' || !a.startsWith('-')) return false;
    const n = (a.startsWith('--') ? a.slice(2) : a.slice(1)).split('=')[0];
    return names.has(n);
  };
  const reordered: string[] = [];
  const rest: string[] = [];
  let mayBeValue = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (mayBeValue && !isFlag(a)) {
      mayBeValue = false;
      reordered.push(a);
    } else if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    } else if (isFlag(a)) {
      reordered.push(a);
      mayBeValue = !a.includes('=');
    } else {
      rest.push(a);
    }
  }
  return [...reordered, ...rest];
}
