import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempProfile } from '../testing/temp-profile.ts';
import { DATABASE_FILE, openDatabase } from './database.ts';
import { DatabaseVersionError, MigrationError, schemaVersion, type Migration } from './migrate.ts';
import { MIGRATIONS } from './migrations/index.ts';

let profile: ReturnType<typeof tempProfile>;
beforeEach(() => {
  profile = tempProfile();
});
afterEach(() => profile.cleanup());

const v1Only = MIGRATIONS.slice(0, 1);

function populateV1(dir: string) {
  const db = openDatabase(dir, { migrations: v1Only });
  expect(schemaVersion(db)).toBe(1);
  db.prepare(`INSERT INTO conversations (id, kind, peer_user_id, title, created_at, updated_at) VALUES ('d:peer', 'direct', 'peer', 'Ada', 1, 1)`).run();
  const insert = db.prepare(
    `INSERT INTO messages (conversation_id, sender_user_id, sender_device_id, client_msg_id, sender_clock, received_at, outgoing, body, status)
     VALUES ('d:peer', ?, 'dev1', ?, ?, ?, 0, ?, 'delivered')`,
  );
  insert.run('peer', 'cmid-0001', 1000, 1001, JSON.stringify({ kind: 'text', text: 'a wonderful afternoon' }));
  insert.run('peer', 'cmid-0002', 2000, 2001, JSON.stringify({ kind: 'text', text: 'see you tomorrow' }));
  db.prepare(`INSERT INTO settings (key, value) VALUES ('theme', '"dark"')`).run();
  db.prepare(`INSERT INTO relay_cursor (relay_url, committed_seq, updated_at) VALUES ('ws://r', 42, 5)`).run();
  db.close();
}

describe('database migrations', () => {
  it('creates a fresh profile at the newest version in WAL mode', () => {
    const db = openDatabase(profile.dir);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('migrates a populated version-1 database with its data intact and indexed for search', () => {
    populateV1(profile.dir);
    const db = openDatabase(profile.dir);
    expect(schemaVersion(db)).toBe(2);
    const rows = db.prepare(`SELECT client_msg_id, body, search_text FROM messages ORDER BY sender_clock`).all() as { client_msg_id: string; body: string; search_text: string }[];
    expect(rows.map((r) => r.client_msg_id)).toEqual(['cmid-0001', 'cmid-0002']);
    expect(JSON.parse(rows[0].body)).toEqual({ kind: 'text', text: 'a wonderful afternoon' });
    expect(rows[0].search_text).toBe('a wonderful afternoon');
    expect(db.prepare(`SELECT value FROM settings WHERE key = 'theme'`).pluck().get()).toBe('"dark"');
    expect(db.prepare(`SELECT committed_seq FROM relay_cursor`).pluck().get()).toBe(42);
    // the backfilled index finds old messages by a fragment inside a word
    const hits = db.prepare(`SELECT rowid FROM message_search WHERE message_search MATCH '"nder"'`).pluck().all();
    expect(hits).toHaveLength(1);
    db.close();
  });

  it('reopening an up-to-date database applies nothing', () => {
    openDatabase(profile.dir).close();
    const db = openDatabase(profile.dir);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    db.close();
  });

  it('refuses a database from a newer version with a typed error and leaves it untouched', () => {
    openDatabase(profile.dir).close();
    const raw = new Database(join(profile.dir, DATABASE_FILE));
    raw.pragma('user_version = 99');
    raw.close();

    let error: unknown;
    try {
      openDatabase(profile.dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DatabaseVersionError);
    expect((error as DatabaseVersionError).code).toBe('database_too_new');
    expect((error as DatabaseVersionError).found).toBe(99);
    expect((error as Error).message).toMatch(/Update Parley/);

    const check = new Database(join(profile.dir, DATABASE_FILE));
    expect(check.pragma('user_version', { simple: true })).toBe(99);
    check.close();
  });

  it('applies all pending migrations in one transaction: a failing one rolls back the others', () => {
    populateV1(profile.dir);
    const broken: Migration = {
      version: 3,
      name: 'broken',
      up(db) {
        db.exec(`CREATE TABLE half_done (x INTEGER)`);
        throw new Error('disk on fire');
      },
    };
    expect(() => openDatabase(profile.dir, { migrations: [...MIGRATIONS, broken] })).toThrow(MigrationError);

    const db = new Database(join(profile.dir, DATABASE_FILE));
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
    expect(tables).not.toContain('message_search');
    expect(tables).not.toContain('half_done');
    expect(db.prepare(`SELECT count(*) FROM messages`).pluck().get()).toBe(2);
    db.close();
  });
});
