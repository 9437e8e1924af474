// The relay's Node entry point: `npm run relay -- --port 8787 --data-dir ./data`.
// Every setting also reads from its PARLEY_* environment variable (see ./config.ts and
// docs/protocol.md, "Configuration"). SIGINT/SIGTERM shut down gracefully.
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { serveNode } from './node-server.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(err.message.startsWith('Usage') ? 0 : 2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const running = await serveNode(config, { log });
  log.info('relay.listening', { url: running.url, dataDir: config.dataDir, store: running.relay.context.store.kind, bus: config.redisUrl ? 'redis' : 'in-process' });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('relay.stopping', { signal });
    const force = setTimeout(() => {
      log.error('relay.shutdown_timeout');
      process.exit(1);
    }, 10_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      (err) => {
        log.error('relay.shutdown_failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
