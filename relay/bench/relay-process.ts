// The relay under test, as its own process: `src/node.ts` (or `src/deno.ts` with the
// permissions of `deno task relay`) on a free loopback port with a fresh data directory. Bench devices are written into that directory's store before the
// relay starts (publishing 10,000 devices over HTTP would spend most of the bench's time
// budget on fsyncs that no workload measures).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { benchDevice, benchPublication } from './bench-identities.ts';

export const RELAY_DIR = fileURLToPath(new URL('..', import.meta.url));

export type RelayRuntime = 'node' | 'deno';

/** The deno binary itself (node_modules/.bin/deno is a symlink to it; named by path as in deno.json). */
export const DENO_BIN = join(RELAY_DIR, '..', 'node_modules', 'deno', 'deno');

/** The permissions of `deno task relay` (deno.json), on this data directory. */
function denoPermissions(dataDir: string): string[] {
  return ['--allow-net', '--allow-env=PARLEY_*,REDIS_*,MONGODB_*,AWS_*,FUNCTIONS_WORKER_RUNTIME,K_SERVICE,FUNCTION_*,VERCEL,VERCEL_REGION', `--allow-read=${dataDir}`, `--allow-write=${dataDir}`];
}

/** One-time prekeys per seeded device: above the low-water mark, so logins are plain. */
const SEEDED_PREKEYS = 25;

/** Publishes devices [0, count) of `run` straight into the store of `dataDir`. */
export async function seedDevices(dataDir: string, run: string, count: number): Promise<void> {
  const store = await openSqliteStore({ path: join(dataDir, 'relay.db'), blobDir: join(dataDir, 'blobs'), synchronous: 'NORMAL' });
  try {
    for (let i = 0; i < count; i++) {
      const device = benchDevice(run, i);
      const { list, keys } = benchPublication(run, device);
      await store.putDeviceList(list);
      await store.putDevice({ userId: list.userId, keys, createdAt: Date.now() });
      await store.addOneTimePrekeys(
        device.id,
        Array.from({ length: SEEDED_PREKEYS }, (_, k) => ({ id: k + 1, key: keys.signedPrekey.key })),
      );
    }
  } finally {
    await store.close();
  }
}

export interface RelayProcess {
  runtime: RelayRuntime;
  pid: number;
  /** ws://127.0.0.1:<port>/v1/ws */
  wsUrl: string;
  httpUrl: string;
  /** warn/error log lines the relay printed (counted, not shown, unless asked). */
  problems: string[];
  /** The DevTools endpoint when started with --inspect. */
  inspectorUrl?: string;
  stop(): Promise<void>;
}

/**
 * Starts the relay; `flags` are relay options (the same for node.ts and deno.ts),
 * `nodeFlags` go to node itself (e.g. --inspect; ignored on Deno).
 */
export async function startRelay(dataDir: string, flags: string[], nodeFlags: string[] = [], runtime: RelayRuntime = 'node'): Promise<RelayProcess> {
  const relayFlags = ['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'info', ...flags];
  const child: ChildProcess =
    runtime === 'deno'
      ? spawn(DENO_BIN, ['run', '--quiet', '--no-prompt', ...denoPermissions(dataDir), 'src/deno.ts', ...relayFlags], {
          cwd: RELAY_DIR,
          env: { ...process.env, NO_COLOR: '1' },
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'src/node.ts', ...relayFlags], { cwd: RELAY_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
  const problems: string[] = [];
  let inspectorUrl: string | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the relay did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`the relay exited early (${code}): ${problems.join('\n')}`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.includes('"relay.listening"')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      } else if (line.startsWith('Debugger listening on ')) inspectorUrl = line.slice('Debugger listening on '.length).trim();
      else if (/"level":"(warn|error)"|Error/.test(line)) problems.push(line);
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  };
  return { runtime, pid: child.pid!, wsUrl: url.replace(/^http/, 'ws') + '/v1/ws', httpUrl: url, problems, inspectorUrl, stop };
}
