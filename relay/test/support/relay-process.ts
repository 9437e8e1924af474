// A real relay as its own process, for tests that need more than one relay, a relay that
// can be killed, or a relay on Deno: `node --import tsx relay/src/node.ts` or
// `deno run <least permissions> relay/src/deno.ts`, on an ephemeral port (read back from
// its `relay.listening` log line), configured through flags built from ConfigOverrides.
// (Owned by the Redis/Deno work; the faults tests have their own ./faults-relay.ts.)
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type ConfigOverrides, SETTINGS } from '../../src/config.ts';

export type RelayRuntime = 'node' | 'deno';

const repo = join(import.meta.dirname, '..', '..', '..');
export const DENO_BIN = join(repo, 'node_modules', '.bin', 'deno');

/**
 * The permissions of `deno task relay` (deno.json) with this data directory: network, the
 * PARLEY_ variables and those the redis and mongodb drivers probe, and reading and
 * writing the data directory only.
 */
export function denoPermissions(dataDir: string): string[] {
  return ['--allow-net', '--allow-env=PARLEY_*,REDIS_*,MONGODB_*,AWS_*,FUNCTIONS_WORKER_RUNTIME,K_SERVICE,FUNCTION_*,VERCEL,VERCEL_REGION', `--allow-read=${dataDir}`, `--allow-write=${dataDir}`];
}

export interface RelayProcessOptions {
  runtime?: RelayRuntime;
  dataDir: string;
  overrides?: ConfigOverrides;
  /** Extra environment (PARLEY_REDIS_URL, ...). */
  env?: Record<string, string>;
  /** Give up waiting for the listening line after this long (ms). Default 30 s. */
  startTimeoutMs?: number;
}

export interface RelayProcess {
  runtime: RelayRuntime;
  pid: number;
  port: number;
  /** host:port, as clients dial and sign it. */
  host: string;
  wsUrl: string;
  url: string;
  dataDir: string;
  /** Warn and error lines of the relay's log. */
  log: string[];
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  /** Sends SIGTERM (graceful shutdown) or SIGKILL, and waits for the exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number | string>;
}

/** ConfigOverrides as command-line flags, through the settings table. */
export function overridesToFlags(overrides: ConfigOverrides): string[] {
  const flags: string[] = [];
  for (const s of SETTINGS) {
    const [head, tail] = s.key.split('.', 2) as [string, string | undefined];
    const value = tail === undefined ? (overrides as Record<string, unknown>)[head] : (overrides as Record<string, Record<string, unknown> | undefined>)[head]?.[tail];
    if (value !== undefined) flags.push(`${s.flag}=${String(value)}`);
  }
  return flags;
}

export async function spawnRelay(options: RelayProcessOptions): Promise<RelayProcess> {
  const runtime = options.runtime ?? 'node';
  const flags = overridesToFlags({ port: 0, host: '127.0.0.1', dataDir: options.dataDir, logLevel: 'info', ...options.overrides });
  const [command, args] =
    runtime === 'deno'
      ? [DENO_BIN, ['run', '--quiet', '--no-prompt', ...denoPermissions(options.dataDir), join(repo, 'relay', 'src', 'deno.ts'), ...flags]]
      : [process.execPath, ['--import', 'tsx', join(repo, 'relay', 'src', 'node.ts'), ...flags]];
  const child = spawn(command, args, {
    cwd: repo,
    env: { ...process.env, ...options.env, NO_COLOR: '1' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const log: string[] = [];
  const port = await listeningPort(child, exited, log, options.startTimeoutMs ?? 30_000);
  const host = `127.0.0.1:${port}`;
  return {
    runtime,
    pid: child.pid!,
    port,
    host,
    wsUrl: `ws://${host}/v1/ws`,
    url: `http://${host}`,
    dataDir: options.dataDir,
    log,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
}

/**
 * Reads the relay's JSON log lines (for as long as it runs, so its stderr never fills up)
 * until `relay.listening`; echoes them when PARLEY_TEST_LOG is set.
 */
function listeningPort(child: ChildProcess, exited: Promise<number | string>, log: string[], timeoutMs: number): Promise<number> {
  const echo = Boolean(process.env.PARLEY_TEST_LOG);
  const lines = createInterface({ input: child.stderr! });
  const startup: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the relay did not start within ${timeoutMs} ms:\n${startup.join('\n')}`));
    }, timeoutMs);
    let found = false;
    lines.on('line', (line) => {
      if (echo) console.error(`[relay ${child.pid}] ${line}`);
      if (!/"level":"(debug|info)"/.test(line)) log.push(line);
      if (found) return;
      startup.push(line);
      if (startup.length > 30) startup.shift();
      try {
        const entry = JSON.parse(line) as { event?: string; url?: string };
        if (entry.event === 'relay.listening' && entry.url) {
          found = true;
          clearTimeout(timer);
          resolve(Number(new URL(entry.url).port));
        }
      } catch {
        // not a log line (a runtime warning): kept for the error message only
      }
    });
    void exited.then((code) => {
      if (found) return;
      clearTimeout(timer);
      reject(new Error(`the relay exited (${code}) before listening:\n${startup.join('\n')}`));
    });
  });
}
