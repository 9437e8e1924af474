// The part of a SQLite driver the relay's SQLite store uses, and two drivers behind it:
// better-sqlite3 (Node; a native addon Deno cannot load) and the built-in node:sqlite
// (Deno 2, Node >= 22.5). The interface is better-sqlite3's own shape, so that driver
// needs no wrapper; node:sqlite gets a thin adapter (pluck, pragma, transactions).
import Database from 'better-sqlite3';

export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows become their first column's value. */
  pluck(on?: boolean): this;
}

/** A function run inside BEGIN … COMMIT (ROLLBACK when it throws). */
export type SqliteTransaction<F extends (...args: any[]) => any> = F & {
  /** BEGIN IMMEDIATE: takes the write lock first, so a writer in another process makes it wait (busy_timeout) instead of failing. */
  immediate: F;
};

export interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  /** `pragma('x = 1')`; with `simple`, the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<F extends (...args: any[]) => any>(fn: F): SqliteTransaction<F>;
  close(): unknown;
}

/** The runtime's default: node:sqlite on Deno, better-sqlite3 elsewhere. */
export function defaultSqliteDriver(): SqliteDriverName {
  return 'Deno' in globalThis ? 'node:sqlite' : 'better-sqlite3';
}

export async function openSqliteConnection(path: string, driver: SqliteDriverName = defaultSqliteDriver()): Promise<SqliteConnection> {
  if (driver === 'better-sqlite3') return new Database(path) as unknown as SqliteConnection;
  // A variable specifier: Node 20 has no node:sqlite, and must not fail to load this file.
  const specifier = 'node:sqlite';
  const { DatabaseSync } = (await import(specifier)) as { DatabaseSync: new (path: string) => NodeSqliteDatabase };
  return new NodeSqliteConnection(new DatabaseSync(path));
}

interface NodeSqliteDatabase {
  prepare(sql: string): NodeSqliteStatement;
  exec(sql: string): void;
  close(): void;
}

interface NodeSqliteStatement {
  run(...params: unknown[]): { changes: number | bigint };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}

const firstColumn = (row: Record<string, unknown>): unknown => {
  for (const k in row) return row[k];
  return undefined;
};

class NodeSqliteStatementAdapter implements SqliteStatement {
  private plucked = false;
  constructor(private readonly statement: NodeSqliteStatement) {}

  run(...params: unknown[]): { changes: number } {
    return { changes: Number(this.statement.run(...params).changes) };
  }

  get(...params: unknown[]): unknown {
    const row = this.statement.get(...params);
    return row === undefined || !this.plucked ? row : firstColumn(row);
  }

  all(...params: unknown[]): unknown[] {
    const rows = this.statement.all(...params);
    return this.plucked ? rows.map(firstColumn) : rows;
  }

  pluck(on = true): this {
    this.plucked = on;
    return this;
  }
}

class NodeSqliteConnection implements SqliteConnection {
  private inTransaction = false;
  constructor(private readonly db: NodeSqliteDatabase) {}

  prepare(sql: string): SqliteStatement {
    return new NodeSqliteStatementAdapter(this.db.prepare(sql));
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(source: string, options?: { simple?: boolean }): unknown {
    const rows = this.db.prepare(`PRAGMA ${source}`).all();
    if (!options?.simple) return rows;
    return rows[0] === undefined ? undefined : firstColumn(rows[0]);
  }

  transaction<F extends (...args: any[]) => any>(fn: F): SqliteTransaction<F> {
    const run =
      (begin: string) =>
      (...args: Parameters<F>): ReturnType<F> => {
        // Like better-sqlite3, a nested call joins the transaction already open.
        if (this.inTransaction) return fn(...args);
        this.db.exec(begin);
        this.inTransaction = true;
        try {
          const result = fn(...args);
          this.db.exec('COMMIT');
          return result;
        } catch (err) {
          try {
            this.db.exec('ROLLBACK');
          } catch {
            // SQLite already rolled back (e.g. after SQLITE_FULL)
          }
          throw err;
        } finally {
          this.inTransaction = false;
        }
      };
    return Object.assign(run('BEGIN') as F, { immediate: run('BEGIN IMMEDIATE') as F });
  }

  close(): void {
    this.db.close();
  }
}
