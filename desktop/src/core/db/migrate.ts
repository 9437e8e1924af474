// Applies numbered migrations. PRAGMA user_version records the schema version; all
// pending migrations run in ONE transaction, so a failure leaves the database exactly as
// it was. A database written by a newer Parley is refused rather than guessed at: the
// older code would misread tables it does not know.
import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up(db: BetterSqlite3.Database): void;
}

export class DatabaseVersionError extends Error {
  readonly code = 'database_too_new';
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `This profile's database is version ${found}, but this Parley understands up to version ${supported}. ` +
        'Update Parley, or open a different profile.',
    );
    this.name = 'DatabaseVersionError';
  }
}

export class MigrationError extends Error {
  readonly code = 'migration_failed';
  constructor(
    readonly version: number,
    readonly migrationName: string,
    override readonly cause: unknown,
  ) {
    super(`Database migration ${version} (${migrationName}) failed and nothing was changed: ${String((cause as Error)?.message ?? cause)}`);
    this.name = 'MigrationError';
  }
}

export function schemaVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the database to the newest version; returns the versions applied. */
export function migrate(db: BetterSqlite3.Database, migrations: readonly Migration[]): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list out of order at ${m.name}: expected version ${i + 1}`);
  });
  const latest = migrations.length;
  const current = schemaVersion(db);
  if (current > latest) throw new DatabaseVersionError(current, latest);
  const pending = migrations.slice(current);
  if (pending.length === 0) return [];

  const applyAll = db.transaction(() => {
    for (const m of pending) {
      try {
        m.up(db);
      } catch (err) {
        throw new MigrationError(m.version, m.name, err);
      }
    }
    // user_version is transactional in SQLite: it rolls back with everything else.
    db.pragma(`user_version = ${latest}`);
  });
  applyAll.immediate();
  return pending.map((m) => m.version);
}
