// Opens the store a relay's configuration names, for every runtime entry: MongoDB when a
// MongoDB URL is set (shared by many relays), else the embedded SQLite store under the
// data directory. The SQLite driver is the runtime's: better-sqlite3 on Node, node:sqlite
// on Deno (which cannot load better-sqlite3's native addon). Drivers load lazily, so a
// relay never loads the MongoDB driver it does not use.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RelayConfig } from '../config.ts';
import type { SqliteDriverName } from '../store/sqlite-driver.ts';
import type { MailboxStore } from '../store/types.ts';

export interface OpenStoreOptions {
  /** The MongoDB tuning variables (PARLEY_MONGODB_DB, _W, _JOURNAL) are read from here. */
  env: Record<string, string | undefined>;
  sqliteDriver?: SqliteDriverName;
}

export async function openStoreFromConfig(config: RelayConfig, options: OpenStoreOptions): Promise<MailboxStore> {
  if (config.mongodbUrl) {
    const { openMongoStore, mongoStoreOptionsFromEnv } = await import('../store/mongodb.ts');
    return openMongoStore(mongoStoreOptionsFromEnv({ ...options.env, PARLEY_MONGODB_URL: config.mongodbUrl })!);
  }
  await mkdir(config.dataDir, { recursive: true });
  const { openSqliteStore } = await import('../store/sqlite.ts');
  return openSqliteStore({
    path: join(config.dataDir, 'relay.db'),
    blobDir: join(config.dataDir, 'blobs'),
    synchronous: config.sqliteSynchronous,
    driver: options.sqliteDriver,
  });
}
