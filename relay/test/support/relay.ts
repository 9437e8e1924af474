// A real relay for tests: the Node wiring on an ephemeral loopback port, its SQLite file
// in a fresh temporary directory, quiet logs unless PARLEY_TEST_LOG is set.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfigOverrides, resolveConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { type NodeRelay, serveNode } from '../../src/node-server.ts';
import { startDenoTestRelay } from './relay-deno.ts';

export interface TestRelay extends NodeRelay {
  /** host:port, as clients dial it (and sign it). */
  host: string;
  wsUrl: string;
  dataDir: string;
  /** Closes the relay (if not yet) and deletes its data directory. */
  dispose(): Promise<void>;
}

/** A relay on Node in this process; with PARLEY_TEST_RELAY_RUNTIME=deno, a Deno relay process (./relay-deno.ts). */
export async function startTestRelay(overrides: ConfigOverrides = {}): Promise<TestRelay> {
  if (process.env.PARLEY_TEST_RELAY_RUNTIME === 'deno') return startDenoTestRelay(overrides);
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-relay-test-'));
  const config = resolveConfig({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    sqliteSynchronous: 'NORMAL',
    logLevel: 'silent',
    ...overrides,
    limits: { addressRequestsPerSecond: 0, ...overrides.limits },
  });
  const log = createLogger((process.env.PARLEY_TEST_LOG as 'debug') ?? 'silent');
  const running = await serveNode(config, { log });
  const host = `127.0.0.1:${running.port}`;
  return {
    ...running,
    host,
    wsUrl: `ws://${host}/v1/ws`,
    dataDir,
    async dispose() {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
