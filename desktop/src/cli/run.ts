// `parley` argument dispatch, help and error reporting: the messenger from a terminal, on
// the same engine as the app. For people (text) and for scripts, bots and tests (`--json`;
// errors carry a stable code and exit status: 0 ok, 1 failed, 2 bad usage).
import { parseArgs, stringOption, type OptionSpec } from './args.ts';
import { COMMANDS, type Command, type CommandContext } from './commands.ts';
import { describeError, EXIT_OK, EXIT_USAGE, usageError } from './errors.ts';
import { profileDirOf } from './session.ts';

const GLOBAL: Record<string, OptionSpec> = {
  profile: { value: true, placeholder: 'DIR', help: 'profile directory (default $PARLEY_PROFILE, else ~/.parley/cli)' },
  help: { value: false, help: 'show help' },
};

function optionLines(specs: Record<string, OptionSpec>): string[] {
  return Object.entries(specs).map(([name, s]) => `  --${`${name}${s.value ? ` ${s.placeholder ?? 'VALUE'}` : ''}`.padEnd(22)} ${s.help}`);
}

function mainHelp(): string {
  return [
    'parley: end-to-end encrypted messaging from the terminal',
    '',
    'Usage: parley [--profile DIR] <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(15)} ${c.summary}`),
    '',
    'Options for every command:',
    ...optionLines({ ...GLOBAL, json: { value: false, help: 'machine-readable output; errors as {"error":{code,message}} on stderr' } }),
    '',
    'Run `parley <command> --help` for a command. Exit status: 0 ok, 1 failed, 2 bad usage.',
  ].join('\n');
}

function commandHelp(name: string, c: Command): string {
  return [`Usage: parley ${c.usage}`, '', `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`, ...(c.details ? ['', c.details] : []), '', 'Options:', ...optionLines({ ...c.options, ...GLOBAL })].join('\n');
}

export async function runCli(argv: string[], io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const json = argv.includes('--json');
  const ctx: CommandContext = {
    profileDir: '',
    json,
    tty: Boolean((io.stdout as { isTTY?: boolean }).isTTY),
    print: (line) => io.stdout.write(`${line}\n`),
    note: (line) => {
      if (!json) io.stderr.write(`${line}\n`);
    },
  };
  try {
    const name = argv.find((a, i) => !a.startsWith('-') && argv[i - 1] !== '--profile');
    if (!name) {
      const a = parseArgs(argv, { ...GLOBAL, json: { value: false, help: '' } });
      if (a.options.has('help')) {
        ctx.print(mainHelp());
        return EXIT_OK;
      }
      throw usageError('Name a command; see `parley --help`.');
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw usageError(`Unknown command "${name}"; see \`parley --help\`.`);
    const rest = [...argv];
    rest.splice(argv.indexOf(name), 1);
    const args = parseArgs(rest, { ...command.options, ...GLOBAL });
    if (args.options.has('help')) {
      ctx.print(commandHelp(name, command));
      return EXIT_OK;
    }
    const n = args.positionals.length;
    if (n < command.args.min || n > command.args.max) throw usageError(`Wrong number of arguments. Usage: parley ${command.usage}`);
    ctx.profileDir = profileDirOf(stringOption(args, 'profile'));
    const result = await command.run(ctx, args);
    if (result) {
      if (json) ctx.print(JSON.stringify(result.json));
      else for (const line of result.text) ctx.print(line);
    }
    return EXIT_OK;
  } catch (err) {
    const e = describeError(err);
    if (json) io.stderr.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
    else io.stderr.write(`parley: ${e.message} [${e.code}]${e.exitCode === EXIT_USAGE ? '\nRun `parley --help` for usage.' : ''}\n`);
    return e.exitCode;
  }
}
