// The SQLite store: the conformance suite on a real database file, plus what only the
// SQLite store has (migrations, pragmas, blob files on disk, reopening).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMailboxStoreTests } from './conformance.ts';
import { T0, bytes, chunked, deviceId, deviceList, prekeys, send, streamOf, userId } from './conformance-fixtures.ts';
import { LATEST_VERSION } from './sqlite-migrations/index.ts';
import { openSqliteStore } from './sqlite.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'parley-sqlite-store-'));
}

runMailboxStoreTests('sqlite', async () => {
  const dir = await tempDir();
  const store = await openSqliteStore({ path: join(dir, 'relay.db'), blobDir: join(dir, 'blobs') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite store', () => {
  let dir: string;
  let path: string;
  let blobDir: string;
  const open = (synchronous?: 'FULL' | 'NORMAL') => openSqliteStore({ path, blobDir, synchronous });
  const inspect = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(path, { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    dir = await tempDir();
    path = join(dir, 'relay.db');
    blobDir = join(dir, 'blobs');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a fresh database at the latest schema version', async () => {
    const store = await open();
    await store.close();
    expect(LATEST_VERSION).toBeGreaterThanOrEqual(1);
    expect(inspect((db) => db.pragma('user_version', { simple: true }))).toBe(LATEST_VERSION);
    const tables = inspect((db) => db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all());
    expect(tables).toEqual(expect.arrayContaining(['mailbox_entries', 'mailbox_counters', 'send_dedup', 'blobs']));
  });

  it('refuses a database written by a newer relay, with a clear error, and leaves it untouched', async () => {
    const db = new Database(path);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    const err = await open().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'store_too_new', found: LATEST_VERSION + 1, supported: LATEST_VERSION });
    expect((err as Error).message).toContain('newer relay');
    expect(inspect((d) => d.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table'").pluck().get())).toBe(0);
    expect(inspect((d) => d.pragma('journal_mode', { simple: true }))).toBe('delete');
    expect(inspect((d) => d.pragma('user_version', { simple: true }))).toBe(LATEST_VERSION + 1);
  });

  it('applies durability settings: WAL, synchronous FULL by default, NORMAL on request', async () => {
    const full = await open();
    expect(full.settings()).toEqual({ schemaVersion: LATEST_VERSION, journalMode: 'wal', synchronous: 'FULL', busyTimeoutMs: 5000 });
    await full.close();
    // WAL is a property of the file, so any connection sees it.
    expect(inspect((db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
    const normal = await open('NORMAL');
    expect(normal.settings().synchronous).toBe('NORMAL');
    await normal.close();
  });

  it('keeps everything across close and reopen, and keeps counting where it left off', async () => {
    const d = deviceId();
    const u = userId();
    const list = deviceList(u, 3, [d]);
    let store = await open();
    const first = send(deviceId(), [d]);
    await store.append([first, send(deviceId(), [d]), send(deviceId(), [d])]);
    await store.ack(d, 1);
    await store.putDeviceList(list);
    await store.addOneTimePrekeys(d, prekeys(1, 4));
    await store.claimHandle('carol', u);
    await store.putBlob({ id: 'blob_1', owner: d, createdAt: T0, expiresAt: T0 + 10_000 }, streamOf([bytes(50)]), 100);
    await store.close();

    store = await open();
    expect((await store.read(d, 0, 10, T0)).map((e) => e.seq)).toEqual([2, 3]);
    expect(await store.lastSeq(d)).toBe(3);
    const [retry] = await store.append([first]);
    expect(retry.duplicate).toBe(true);
    const [next] = await store.append([send(deviceId(), [d])]);
    expect(next.seqs[0].seq).toBe(4);
    expect(await store.getDeviceList(u)).toEqual(list);
    expect(await store.countOneTimePrekeys(d)).toBe(4);
    expect(await store.lookupHandle('carol')).toBe(u);
    expect((await store.getBlobMeta('blob_1', T0))?.size).toBe(50);
    await store.close();
  });

  it('coalesces acks of one turn into one transaction, each reporting its own count', async () => {
    const store = await open();
    const devices = Array.from({ length: 50 }, () => deviceId());
    await store.append(devices.flatMap((d) => [send(deviceId(), [d]), send(deviceId(), [d])]));
    const counts = await Promise.all(devices.map((d, i) => store.ack(d, i % 2 === 0 ? 1 : 2)));
    expect(counts).toEqual(devices.map((_, i) => (i % 2 === 0 ? 1 : 2)));
    await store.close();
  });

  it('applies a pending ack before a read or append that follows it in the same turn', async () => {
    const store = await open();
    const d = deviceId();
    await store.append([send(deviceId(), [d]), send(deviceId(), [d]), send(deviceId(), [d])]);
    const acked = store.ack(d, 2);
    expect((await store.read(d, 0, 10, T0)).map((e) => e.seq)).toEqual([3]);
    expect(await acked).toBe(2);
    const again = store.ack(d, 3);
    const [r] = await store.append([send(deviceId(), [d])]);
    expect(await again).toBe(1);
    expect(r.seqs[0].seq).toBe(4);
    expect(await store.depth(d)).toBe(1);
    await store.close();
  });

  it('leaves no file behind for a refused or failed upload', async () => {
    const store = await open();
    await expect(
      store.putBlob({ id: 'too_big', owner: deviceId(), createdAt: T0, expiresAt: T0 + 1 }, streamOf(chunked(bytes(300), 100)), 250),
    ).rejects.toThrow(/limit/);
    await expect(
      store.putBlob({ id: 'broken', owner: deviceId(), createdAt: T0, expiresAt: T0 + 1 }, streamOf(chunked(bytes(300), 100), 2), 1000),
    ).rejects.toThrow();
    expect(await readdir(blobDir)).toEqual([]);
    await store.close();
  });

  it('removes blob files on delete and sweep', async () => {
    const store = await open();
    const put = (id: string, expiresAt: number) =>
      store.putBlob({ id, owner: deviceId(), createdAt: T0, expiresAt }, streamOf([bytes(10)]), 100);
    await put('keep', T0 + 5000);
    await put('expire', T0 + 1000);
    await put('delete', T0 + 5000);
    expect((await readdir(blobDir)).sort()).toEqual(['delete', 'expire', 'keep']);
    await store.deleteBlob('delete');
    await store.sweep(T0 + 1000);
    expect(await readdir(blobDir)).toEqual(['keep']);
    await store.close();
  });

  it('refuses blob ids that could name a path outside the blob directory', async () => {
    const store = await open();
    for (const id of ['../escape', 'a/b', '', '.']) {
      await expect(store.putBlob({ id, owner: deviceId(), createdAt: T0, expiresAt: T0 + 1 }, streamOf([bytes(1)]), 10)).rejects.toThrow(
        TypeError,
      );
    }
    await store.close();
  });

  it('removes partial uploads left by a crash when it opens', async () => {
    let store = await open();
    await store.close();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(blobDir, 'abc.123456.partial'), 'half');
    store = await open();
    expect(await readdir(blobDir)).toEqual([]);
    await store.close();
  });
});
