// The relay under fuzzing runs as its own process (src/node.ts, real SQLite file in a
// temp dir, loopback port), so "it stays up" means exactly that: the process is alive
// at the end and no client input made it log an error (every error-level log line is an
// unexpected failure: an internal error, a crashed frame handler, a failed read).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const RELAY_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface FuzzRelay {
  pid: number;
  /** host:port as clients dial (and sign) it. */
  host: string;
  wsUrl: string;
  /** Error-level log lines so far (event names only, never payloads: the relay logs none). */
  errorLines: string[];
  alive(): boolean;
  /** A full GC in the relay (needs nodeArgs `--expose-gc --import ./gc-on-signal.ts`); resolves once done. */
  gc(): Promise<void>;
  stop(): Promise<void>;
}

/** `nodeArgs` go to node before the entry, after tsx (e.g. `--expose-gc` and `--import` of a preload). */
export async function startFuzzRelay(flags: string[], nodeArgs: string[] = []): Promise<FuzzRelay> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-relay-fuzz-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', ...nodeArgs, 'src/node.ts', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'info', ...flags],
    { cwd: RELAY_DIR, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const errorLines: string[] = [];
  const gcDone: (() => void)[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the relay did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`the relay exited early (${code}): ${errorLines.join('\n')}`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.includes('"relay.listening"')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      } else if (line.includes('"test.gc_done"')) {
        for (const done of gcDone.splice(0)) done();
      } else if (line.includes('"level":"error"') || !line.startsWith('{')) errorLines.push(line.slice(0, 500));
    });
  });
  const host = url.replace(/^http:\/\//, '');
  return {
    pid: child.pid!,
    host,
    wsUrl: `ws://${host}/v1/ws`,
    errorLines,
    alive: () => child.exitCode === null && child.signalCode === null,
    gc: () =>
      new Promise<void>((resolve) => {
        gcDone.push(resolve);
        child.kill('SIGUSR2');
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
