// The relay's Deno entry point: `deno task relay -- --port 8787` (deno.json at the repo
// root lists the permissions and why). The same createRelay() as on Node, served with
// Deno.serve and hono/deno's WebSocket upgrade. The embedded store runs on Deno's built-in
// node:sqlite (better-sqlite3's native addon does not load in Deno); MongoDB and Redis
// through their npm drivers, as on Node. Settings come from flags and PARLEY_* variables.
import { getConnInfo, upgradeWebSocket } from 'hono/deno';
import { createRelay } from './app.ts';
import { openRedisBusFromConfig } from './bus-redis.ts';
import { ConfigError, SETTINGS, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { openStoreFromConfig } from './runtime/open-store.ts';

/** The little of the Deno namespace this entry uses (the relay typechecks against Node's types). */
declare const Deno: {
  args: string[];
  env: { get(name: string): string | undefined };
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number; hostname: string }) => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): { shutdown(): Promise<void>; finished: Promise<void> };
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  exit(code: number): never;
};

/** The store's tuning variables, read besides the settings table (see store/mongodb-options.ts). */
const EXTRA_ENV = ['PARLEY_MONGODB_DB', 'PARLEY_MONGODB_W', 'PARLEY_MONGODB_JOURNAL'];

/**
 * Only the PARLEY_ variables, each by name: the relay runs with --allow-env=PARLEY_*,
 * under which reading the whole environment is refused.
 */
function parleyEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of [...SETTINGS.map((s) => s.env), ...EXTRA_ENV]) env[name] = Deno.env.get(name);
  return env;
}

async function main(): Promise<void> {
  const env = parleyEnv();
  let config;
  try {
    config = loadConfig(Deno.args, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      Deno.exit(err.message.startsWith('Usage') ? 0 : 2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const store = await openStoreFromConfig(config, { env, sqliteDriver: 'node:sqlite' });
  const bus = await openRedisBusFromConfig(config, log).catch(async (err) => {
    await store.close();
    throw err;
  });
  const relay = await createRelay(config, {
    store,
    bus,
    log,
    upgradeWebSocket,
    clientAddress: (c) => {
      const { address } = getConnInfo(c).remote;
      return address;
    },
  });

  let server!: ReturnType<typeof Deno.serve>;
  const port = await new Promise<number>((resolve) => {
    // hono/deno's getConnInfo reads the peer from the handler's second argument (c.env).
    server = Deno.serve({ port: config.port, hostname: config.host, onListen: (addr) => resolve(addr.port) }, (request, info) => relay.app.fetch(request, info));
  });
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  log.info('relay.listening', { url: `http://${host}:${port}`, dataDir: config.dataDir, store: store.kind, bus: bus ? 'redis' : 'in-process', runtime: 'deno' });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('relay.stopping', { signal });
    const force = setTimeout(() => {
      log.error('relay.shutdown_timeout');
      Deno.exit(1);
    }, 10_000);
    // The relay first (it closes every socket with 1001), then the server, which waits
    // for requests still in flight.
    relay
      .close()
      .then(() => server.shutdown())
      .then(
        () => {
          clearTimeout(force);
          Deno.exit(0);
        },
        (err) => {
          log.error('relay.shutdown_failed', { error: String(err) });
          Deno.exit(1);
        },
      );
  };
  Deno.addSignalListener('SIGINT', () => stop('SIGINT'));
  Deno.addSignalListener('SIGTERM', () => stop('SIGTERM'));
}

void main();
