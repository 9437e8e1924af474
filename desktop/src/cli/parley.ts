// The `parley` program (see run.ts). Exits once the command is done and stdout has
// drained, so a lingering timer or socket never keeps a finished command alive.
import { runCli } from './run.ts';

const code = await runCli(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
