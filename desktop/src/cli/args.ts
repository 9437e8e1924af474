// A small argument parser: positionals and `--name value` / `--name=value` / boolean flags,
// checked against what each command declares, so a typo is a usage error (exit 2), not an
// option silently ignored.
import { usageError } from './errors.ts';

export interface OptionSpec {
  /** Takes a value (`--limit 20`) or is a flag (`--json`). */
  value: boolean;
  help: string;
  /** Shown as the value's placeholder in help. */
  placeholder?: string;
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

export function parseArgs(argv: string[], specs: Record<string, OptionSpec>): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      options.set('help', true);
      continue;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw usageError(`Unknown option ${arg}.`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw usageError(`Unknown option --${name}.`);
    if (!spec.value) {
      if (eq >= 0) throw usageError(`--${name} takes no value.`);
      options.set(name, true);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw usageError(`--${name} needs a value (${spec.placeholder ?? 'value'}).`);
    options.set(name, value);
  }
  return { positionals, options };
}

export function intOption(args: ParsedArgs, name: string, range: { min: number; max: number }): number | undefined {
  const raw = args.options.get(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < range.min || n > range.max) throw usageError(`--${name} must be a whole number from ${range.min} to ${range.max}.`);
  return n;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const raw = args.options.get(name);
  return typeof raw === 'string' ? raw : undefined;
}
