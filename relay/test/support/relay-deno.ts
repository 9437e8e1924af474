// startTestRelay's Deno variant (PARLEY_TEST_RELAY_RUNTIME=deno): the relay runs as a
// `deno run relay/src/deno.ts` process with the permissions of `deno task relay`, on the
// embedded store through node:sqlite, so the protocol integration tests exercise the
// Deno-served relay unchanged. What tests reach in-process on Node is stood in for here:
// `relay.context.store` is a second SQLite connection (better-sqlite3, this process) on
// the relay's own database file (WAL lets both share it), and `relay.sweep()` sweeps
// through that connection — the same SQL, not the Deno process's own sweeper.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Relay } from '../../src/app.ts';
import type { ConfigOverrides } from '../../src/config.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { TestRelay } from './relay.ts';
import { spawnRelay } from './relay-process.ts';

export async function startDenoTestRelay(overrides: ConfigOverrides = {}): Promise<TestRelay> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-relay-deno-test-'));
  const proc = await spawnRelay({
    runtime: 'deno',
    dataDir,
    overrides: { sqliteSynchronous: 'NORMAL', ...overrides, limits: { addressRequestsPerSecond: 0, ...overrides.limits } },
  });
  const store = await openSqliteStore({ path: join(dataDir, 'relay.db'), blobDir: join(dataDir, 'blobs'), synchronous: 'NORMAL' });
  const relay = { context: { store }, sweep: async () => void (await store.sweep(Date.now())) } as unknown as Relay;
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await proc.stop('SIGTERM');
      await store.close();
    })());
  return {
    relay,
    server: undefined as never,
    port: proc.port,
    url: proc.url,
    host: proc.host,
    wsUrl: proc.wsUrl,
    dataDir,
    close,
    async dispose() {
      await close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
