// Opens a profile's database: one SQLite file in the profile directory, WAL so readers
// never block the writer, foreign keys on, and migrated to the newest schema.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, type Migration } from './migrate.ts';
import { MIGRATIONS } from './migrations/index.ts';

export type Db = Database.Database;

export const DATABASE_FILE = 'parley.db';

export interface OpenDatabaseOptions {
  /** For tests of the migration machinery; the app always uses every migration. */
  migrations?: readonly Migration[];
}

export function openDatabase(profileDir: string, options: OpenDatabaseOptions = {}): Db {
  mkdirSync(profileDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(profileDir, DATABASE_FILE));
  try {
    db.pragma('journal_mode = WAL');
    // FULL, not WAL's usual NORMAL: we acknowledge mailbox entries to the relay (which
    // then deletes them) right after a commit, so a commit must survive power loss too.
    // Catch-up batches many entries per transaction, so the fsync cost stays small.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
