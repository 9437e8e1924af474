// Schema migrations of the relay's SQLite store, one file each, applied in order.
// The schema version is PRAGMA user_version. All pending migrations run in one
// transaction, so a failed upgrade leaves the database exactly as it was. A database
// written by a newer relay is refused rather than guessed at.
import type { SqliteConnection } from '../sqlite-driver.ts';
import { initial } from './001-initial.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** In order; each version is its index + 1. Append new migrations, never edit shipped ones. */
export const MIGRATIONS: readonly Migration[] = [initial];
export const LATEST_VERSION = MIGRATIONS.length;

export class StoreVersionError extends Error {
  readonly code = 'store_too_new';
  constructor(
    readonly found: number,
    readonly supported: number,
    path: string,
  ) {
    super(
      `the relay database ${path} has schema version ${found}, but this relay only knows up to ${supported}; ` +
        'it was written by a newer relay: run that version, or restore a backup made for this one',
    );
    this.name = 'StoreVersionError';
  }
}

/** Brings the database to LATEST_VERSION. Returns the version it found. */
export function migrate(db: SqliteConnection, path: string): number {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > LATEST_VERSION) throw new StoreVersionError(found, LATEST_VERSION, path);
  if (found === LATEST_VERSION) return found;
  db.transaction(() => {
    // Another relay process sharing the file may have migrated while this one waited for the lock.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > LATEST_VERSION) throw new StoreVersionError(current, LATEST_VERSION, path);
    for (const m of MIGRATIONS.slice(current)) {
      if (m.version !== MIGRATIONS.indexOf(m) + 1) throw new Error(`migration ${m.name} is out of order`);
      db.exec(m.sql);
    }
    // user_version lives in the database header and is written inside this transaction.
    db.pragma(`user_version = ${LATEST_VERSION}`);
  }).immediate();
  return found;
}
