// The relay's embedded MailboxStore: one SQLite file (better-sqlite3, WAL) plus a
// directory of blob files. The default store: zero set-up, a file under the data directory.
//
// Durability: a send is acknowledged only after its transaction commits. In WAL mode,
// synchronous=FULL fsyncs the WAL on every commit, so an acknowledged message survives
// power loss as well as a crash; NORMAL fsyncs only at checkpoints, which survives a
// process crash (kill -9) but may lose the last commits on power loss. FULL is the
// default because an acknowledged message must never be lost; its cost is one fsync per
// transaction, which append() amortises by committing a whole batch of sends at once.
//
// better-sqlite3 is synchronous, so every method runs to completion without interleaving:
// concurrent calls are serialised by the event loop, which is what makes sequence numbers
// gapless and prekey claims exclusive without further locking.
import type { OneTimePrekey, PresenceVisibility, SignedDeviceList, SignedPrekey } from '@parley/common/protocol';
import { BlobFiles } from './blob-files.ts';
import { type SqliteConnection, type SqliteDriverName, openSqliteConnection } from './sqlite-driver.ts';
import { migrate } from './sqlite-migrations/index.ts';
import type {
  AppendRequest,
  AppendResult,
  BlobMeta,
  DeviceRecord,
  LoginState,
  MailboxEntry,
  MailboxStore,
  SweepResult,
} from './types.ts';

export interface SqliteStoreOptions {
  /** The database file; created (with its directory's WAL files) when absent. */
  path: string;
  /** Where blob files live; created when absent. */
  blobDir: string;
  /** FULL (default): durable against power loss on commit. NORMAL: against process crashes only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for a lock held by another connection, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** Default: better-sqlite3 on Node, node:sqlite on Deno (see sqlite-driver.ts). */
  driver?: SqliteDriverName;
}

/** What the store's connection is actually running with (for tests, logs and /healthz). */
export interface SqliteSettings {
  schemaVersion: number;
  journalMode: string;
  synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  busyTimeoutMs: number;
}

/** The SQLite store is a MailboxStore plus a view of its connection's settings. */
export interface SqliteMailboxStore extends MailboxStore {
  settings(): SqliteSettings;
}

/** Rows deleted per transaction when sweeping, so a large sweep never stalls the relay. */
const SWEEP_CHUNK = 5000;

export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteMailboxStore> {
  const blobs = await BlobFiles.open(options.blobDir);
  const db = await openSqliteConnection(options.path, options.driver);
  try {
    // Connection settings first; then the schema (which refuses a newer database before
    // anything in the file changes); then WAL, which is persistent in the file.
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -32768'); // 32 MiB
    migrate(db, options.path);
    db.pragma('journal_mode = WAL');
    return new SqliteStore(db, blobs);
  } catch (err) {
    db.close();
    throw err;
  }
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: SqliteConnection) {
  const s = (sql: string) => db.prepare(sql);
  return {
    putDeviceList: s(
      `INSERT INTO device_lists (user_id, version, list) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, list = excluded.list
       WHERE excluded.version > device_lists.version`,
    ),
    getDeviceList: s('SELECT list FROM device_lists WHERE user_id = ?').pluck(),
    getDeviceLists: s('SELECT list FROM device_lists WHERE user_id IN (SELECT value FROM json_each(?))').pluck(),

    putDevice: s('INSERT OR REPLACE INTO devices (id, user_id, keys, created_at) VALUES (?, ?, ?, ?)'),
    getDevice: s('SELECT user_id AS userId, keys, created_at AS createdAt FROM devices WHERE id = ?'),
    setDeviceKeys: s('UPDATE devices SET keys = ? WHERE id = ?'),
    deleteDevice: s('DELETE FROM devices WHERE id = ?'),
    deletePrekeys: s('DELETE FROM one_time_prekeys WHERE device = ?'),
    deleteMailbox: s('DELETE FROM mailbox_entries WHERE device = ?'),
    deleteCounter: s('DELETE FROM mailbox_counters WHERE device = ?'),

    addPrekey: s('INSERT OR IGNORE INTO one_time_prekeys (device, id, key) VALUES (?, ?, ?)'),
    countPrekeys: s('SELECT COUNT(*) FROM one_time_prekeys WHERE device = ?').pluck(),
    claimPrekey: s(
      `DELETE FROM one_time_prekeys
       WHERE device = ? AND id = (SELECT id FROM one_time_prekeys WHERE device = ? ORDER BY id LIMIT 1)
       RETURNING id, key`,
    ),

    handleOwner: s('SELECT user_id FROM handles WHERE handle = ?').pluck(),
    handleOf: s('SELECT handle FROM handles WHERE user_id = ?').pluck(),
    insertHandle: s('INSERT INTO handles (handle, user_id) VALUES (?, ?)'),
    releaseHandle: s('DELETE FROM handles WHERE user_id = ?'),

    setPresence: s(
      `INSERT INTO user_settings (user_id, presence) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET presence = excluded.presence`,
    ),
    getPresence: s('SELECT presence FROM user_settings WHERE user_id = ?').pluck(),
    setLastSeen: s(
      `INSERT INTO user_settings (user_id, last_seen) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET last_seen = excluded.last_seen`,
    ),
    getLastSeen: s('SELECT last_seen FROM user_settings WHERE user_id = ?').pluck(),

    findSend: s('SELECT result FROM send_dedup WHERE sender = ? AND cid = ? AND expires_at > ?').pluck(),
    recordSend: s('INSERT OR REPLACE INTO send_dedup (sender, cid, result, expires_at) VALUES (?, ?, ?, ?)'),
    nextSeq: s(
      `INSERT INTO mailbox_counters (device, last_seq) VALUES (?, 1)
       ON CONFLICT (device) DO UPDATE SET last_seq = last_seq + 1
       RETURNING last_seq`,
    ).pluck(),
    insertEntry: s('INSERT INTO mailbox_entries (device, seq, body, ts, expires_at) VALUES (?, ?, ?, ?, ?)'),
    read: s(
      `SELECT seq, body, ts, expires_at AS expiresAt FROM mailbox_entries
       WHERE device = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?`,
    ),
    ack: s('DELETE FROM mailbox_entries WHERE device = ? AND seq <= ?'),
    depth: s('SELECT COUNT(*) FROM mailbox_entries WHERE device = ?').pluck(),
    // Scans the smallest index (expiry): ~20 ms per million entries, so the gauge samples it.
    totalDepth: s('SELECT COUNT(*) FROM mailbox_entries').pluck(),
    lastSeq: s('SELECT last_seq FROM mailbox_counters WHERE device = ?').pluck(),
    // A login's one read: the signing key without parsing the whole keys JSON, the
    // mailbox's last seq, the prekey count and the owner's presence settings.
    loginState: s(
      `SELECT d.user_id AS userId, json_extract(d.keys, '$.signingKey') AS signingKey,
              COALESCE((SELECT last_seq FROM mailbox_counters WHERE device = d.id), 0) AS lastSeq,
              (SELECT COUNT(*) FROM one_time_prekeys WHERE device = d.id) AS prekeys,
              u.last_seen AS lastSeen, u.presence AS visibility
       FROM devices d LEFT JOIN user_settings u ON u.user_id = d.user_id
       WHERE d.id = ?`,
    ),

    insertBlob: s('INSERT INTO blobs (id, owner, size, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
    blobExists: s('SELECT 1 FROM blobs WHERE id = ?').pluck(),
    getBlob: s(
      'SELECT id, owner, size, created_at AS createdAt, expires_at AS expiresAt FROM blobs WHERE id = ? AND expires_at > ?',
    ),
    deleteBlob: s('DELETE FROM blobs WHERE id = ?'),

    sweepEntries: s(
      `DELETE FROM mailbox_entries WHERE (device, seq) IN
       (SELECT device, seq FROM mailbox_entries WHERE expires_at <= ? LIMIT ${SWEEP_CHUNK})`,
    ),
    sweepDedup: s(
      `DELETE FROM send_dedup WHERE (sender, cid) IN
       (SELECT sender, cid FROM send_dedup WHERE expires_at <= ? LIMIT ${SWEEP_CHUNK})`,
    ),
    sweepBlobs: s(`DELETE FROM blobs WHERE id IN (SELECT id FROM blobs WHERE expires_at <= ? LIMIT ${SWEEP_CHUNK}) RETURNING id`).pluck(),
    ping: s('SELECT 1').pluck(),
  };
}

class SqliteStore implements SqliteMailboxStore {
  readonly kind = 'sqlite';
  private readonly q: Statements;
  private readonly appendBatch: (requests: AppendRequest[], acks: PendingAck[]) => AppendResult[];
  private readonly removeDeviceTx: (deviceId: string) => void;
  private readonly addPrekeysTx: (deviceId: string, prekeys: OneTimePrekey[]) => number;
  private readonly claimHandleTx: (handle: string, userId: string) => boolean;
  private readonly setSignedPrekeyTx: (deviceId: string, prekey: SignedPrekey) => void;
  private closed = false;
  /** Acks waiting for the next turn of the event loop (see ack). */
  private pendingAcks: PendingAck[] = [];
  private ackFlushScheduled = false;
  private readonly applyAcks: (acks: PendingAck[]) => void;

  constructor(
    private readonly db: SqliteConnection,
    private readonly blobs: BlobFiles,
  ) {
    const q = (this.q = prepare(db));

    // Every write transaction is BEGIN IMMEDIATE: relays on one machine may share this
    // file (docs/self-hosting.md, "Sharing one SQLite file"), and a deferred transaction that read first
    // cannot take the write lock after another process committed (SQLITE_BUSY at once,
    // busy_timeout notwithstanding); IMMEDIATE waits for the lock up front instead.
    // The hot path: every send of a batch in one transaction, one fsync for all of them.
    this.appendBatch = db.transaction((requests: AppendRequest[], acks: PendingAck[]) => {
      // Acks queued in this turn ride along in this transaction: one commit for both.
      for (const a of acks) a.deleted = q.ack.run(a.device, a.upTo).changes;
      const results: AppendResult[] = new Array(requests.length);
      for (let r = 0; r < requests.length; r++) {
        const req = requests[r];
        const previous = q.findSend.get(req.sender, req.cid, req.now) as string | undefined;
        if (previous !== undefined) {
          const first = JSON.parse(previous) as Omit<AppendResult, 'duplicate'>;
          results[r] = { seqs: first.seqs, ts: first.ts, duplicate: true };
          continue;
        }
        const seqs: AppendResult['seqs'] = new Array(req.items.length);
        for (let i = 0; i < req.items.length; i++) {
          const { device, body } = req.items[i];
          const seq = q.nextSeq.get(device) as number;
          q.insertEntry.run(device, seq, body, req.now, req.expiresAt);
          seqs[i] = { device, seq };
        }
        q.recordSend.run(req.sender, req.cid, JSON.stringify({ seqs, ts: req.now }), req.expiresAt);
        results[r] = { seqs, ts: req.now, duplicate: false };
      }
      return results;
    }).immediate;

    this.applyAcks = db.transaction((acks: PendingAck[]) => {
      for (const a of acks) a.deleted = q.ack.run(a.device, a.upTo).changes;
    }).immediate;

    this.removeDeviceTx = db.transaction((deviceId: string) => {
      q.deleteDevice.run(deviceId);
      q.deletePrekeys.run(deviceId);
      q.deleteMailbox.run(deviceId);
      q.deleteCounter.run(deviceId);
    }).immediate;

    this.addPrekeysTx = db.transaction((deviceId: string, prekeys: OneTimePrekey[]) => {
      for (const p of prekeys) q.addPrekey.run(deviceId, p.id, p.key);
      return q.countPrekeys.get(deviceId) as number;
    }).immediate;

    this.claimHandleTx = db.transaction((handle: string, userId: string) => {
      const owner = q.handleOwner.get(handle) as string | undefined;
      if (owner !== undefined) return owner === userId;
      q.releaseHandle.run(userId);
      q.insertHandle.run(handle, userId);
      return true;
    }).immediate;

    this.setSignedPrekeyTx = db.transaction((deviceId: string, prekey: SignedPrekey) => {
      const row = q.getDevice.get(deviceId) as { keys: string } | undefined;
      if (!row) return;
      const keys = JSON.parse(row.keys) as DeviceRecord['keys'];
      keys.signedPrekey = { id: prekey.id, key: prekey.key, sig: prekey.sig };
      q.setDeviceKeys.run(JSON.stringify(keys), deviceId);
    }).immediate;
  }

  // ------------------------------------------------------------ accounts and devices

  async putDeviceList(list: SignedDeviceList): Promise<boolean> {
    return this.q.putDeviceList.run(list.userId, list.version, JSON.stringify(list)).changes === 1;
  }

  async getDeviceList(userId: string): Promise<SignedDeviceList | null> {
    const json = this.q.getDeviceList.get(userId) as string | undefined;
    return json === undefined ? null : (JSON.parse(json) as SignedDeviceList);
  }

  async getDeviceLists(userIds: string[]): Promise<Map<string, SignedDeviceList>> {
    const lists = new Map<string, SignedDeviceList>();
    if (userIds.length === 0) return lists;
    for (const json of this.q.getDeviceLists.all(JSON.stringify(userIds)) as string[]) {
      const list = JSON.parse(json) as SignedDeviceList;
      lists.set(list.userId, list);
    }
    return lists;
  }

  async putDevice(record: DeviceRecord): Promise<void> {
    this.q.putDevice.run(record.keys.id, record.userId, JSON.stringify(record.keys), record.createdAt);
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | null> {
    const row = this.q.getDevice.get(deviceId) as { userId: string; keys: string; createdAt: number } | undefined;
    return row ? { userId: row.userId, keys: JSON.parse(row.keys), createdAt: row.createdAt } : null;
  }

  async removeDevice(deviceId: string): Promise<void> {
    this.flushAcks();
    this.removeDeviceTx(deviceId);
  }

  async setSignedPrekey(deviceId: string, prekey: SignedPrekey): Promise<void> {
    this.setSignedPrekeyTx(deviceId, prekey);
  }

  async addOneTimePrekeys(deviceId: string, prekeys: OneTimePrekey[]): Promise<number> {
    return this.addPrekeysTx(deviceId, prekeys);
  }

  async claimOneTimePrekey(deviceId: string): Promise<OneTimePrekey | null> {
    const row = this.q.claimPrekey.get(deviceId, deviceId) as OneTimePrekey | undefined;
    return row ? { id: row.id, key: row.key } : null;
  }

  async countOneTimePrekeys(deviceId: string): Promise<number> {
    return this.q.countPrekeys.get(deviceId) as number;
  }

  // ------------------------------------------------------------ handles and settings

  async claimHandle(handle: string, userId: string): Promise<boolean> {
    return this.claimHandleTx(handle, userId);
  }

  async releaseHandle(userId: string): Promise<void> {
    this.q.releaseHandle.run(userId);
  }

  async lookupHandle(handle: string): Promise<string | null> {
    return (this.q.handleOwner.get(handle) as string | undefined) ?? null;
  }

  async handleOf(userId: string): Promise<string | null> {
    return (this.q.handleOf.get(userId) as string | undefined) ?? null;
  }

  async setPresenceVisibility(userId: string, visibility: PresenceVisibility): Promise<void> {
    this.q.setPresence.run(userId, visibility);
  }

  async getPresenceVisibility(userId: string): Promise<PresenceVisibility> {
    return ((this.q.getPresence.get(userId) as PresenceVisibility | null | undefined) ?? 'everyone');
  }

  async setLastSeen(userId: string, at: number): Promise<void> {
    this.q.setLastSeen.run(userId, at);
  }

  async getLastSeen(userId: string): Promise<number | null> {
    return (this.q.getLastSeen.get(userId) as number | null | undefined) ?? null;
  }

  // ------------------------------------------------------------ mailboxes

  async append(requests: AppendRequest[]): Promise<AppendResult[]> {
    if (requests.length === 0) return [];
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    let results: AppendResult[];
    try {
      results = this.appendBatch(requests, acks);
    } catch (err) {
      // The acks did not commit with the failed append; apply them on their own.
      this.pendingAcks = acks.concat(this.pendingAcks);
      this.flushAcks();
      throw err;
    }
    for (const a of acks) a.resolve(a.deleted);
    return results;
  }

  async read(deviceId: string, afterSeq: number, limit: number, now: number): Promise<MailboxEntry[]> {
    // Only a pending ack of this mailbox reaching past afterSeq can change what this read
    // returns; any other waits for its turn's transaction. (Flushing on every read cost a
    // commit, and with FULL an fsync, per delivery: W1 of the relay bench ran at half speed.)
    if (this.pendingAcks.some((a) => a.device === deviceId && a.upTo > afterSeq)) this.flushAcks();
    if (limit <= 0) return [];
    return this.q.read.all(deviceId, afterSeq, now, limit) as MailboxEntry[];
  }

  /**
   * Acks arriving in the same turn of the event loop (one per device socket) are applied
   * in one transaction at the end of the turn, or inside an append transaction that comes
   * first, instead of one commit and fsync each. Every other method applies pending acks
   * before it runs, so a caller never observes an ack out of order.
   */
  ack(deviceId: string, upToSeq: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return new Promise((resolve, reject) => {
      this.pendingAcks.push({ device: deviceId, upTo: upToSeq, deleted: 0, resolve, reject });
      if (!this.ackFlushScheduled) {
        this.ackFlushScheduled = true;
        setImmediate(() => this.flushAcks());
      }
    });
  }

  /** Applies pending acks in their own transaction, if any are waiting. */
  private flushAcks(): void {
    this.ackFlushScheduled = false;
    if (this.pendingAcks.length === 0) return;
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    try {
      this.applyAcks(acks);
    } catch (err) {
      for (const a of acks) a.reject(err);
      return;
    }
    for (const a of acks) a.resolve(a.deleted);
  }

  async depth(deviceId: string): Promise<number> {
    this.flushAcks();
    return this.q.depth.get(deviceId) as number;
  }

  async totalDepth(): Promise<number> {
    this.flushAcks();
    return this.q.totalDepth.get() as number;
  }

  async lastSeq(deviceId: string): Promise<number> {
    return (this.q.lastSeq.get(deviceId) as number | undefined) ?? 0;
  }

  async loginState(deviceId: string): Promise<LoginState | null> {
    const row = this.q.loginState.get(deviceId) as { userId: string; signingKey: string; lastSeq: number; prekeys: number; lastSeen: number | null; visibility: PresenceVisibility | null } | undefined;
    if (!row) return null;
    return {
      userId: row.userId,
      signingKey: row.signingKey,
      lastSeq: Number(row.lastSeq),
      prekeys: Number(row.prekeys),
      lastSeen: row.lastSeen === null ? null : Number(row.lastSeen),
      visibility: row.visibility ?? 'everyone',
    };
  }

  // ------------------------------------------------------------ blobs

  async putBlob(meta: Omit<BlobMeta, 'size'>, data: ReadableStream<Uint8Array>, maxBytes: number): Promise<BlobMeta> {
    if (this.q.blobExists.get(meta.id) !== undefined) {
      await data.cancel().catch(() => {});
      throw new Error(`a blob with id ${meta.id} already exists`);
    }
    const size = await this.blobs.write(meta.id, data, maxBytes);
    try {
      this.q.insertBlob.run(meta.id, meta.owner, size, meta.createdAt, meta.expiresAt);
    } catch (err) {
      await this.blobs.remove(meta.id);
      throw err;
    }
    return { id: meta.id, owner: meta.owner, size, createdAt: meta.createdAt, expiresAt: meta.expiresAt };
  }

  async getBlobMeta(id: string, now: number): Promise<BlobMeta | null> {
    return (this.q.getBlob.get(id, now) as BlobMeta | undefined) ?? null;
  }

  async readBlob(id: string, start: number, end: number, now: number): Promise<ReadableStream<Uint8Array> | null> {
    const meta = this.q.getBlob.get(id, now) as BlobMeta | undefined;
    if (!meta) return null;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end >= meta.size || end < start - 1) {
      throw new RangeError(`bytes ${start}-${end} are outside blob ${id} of ${meta.size} bytes`);
    }
    return this.blobs.readRange(id, start, end);
  }

  async deleteBlob(id: string): Promise<boolean> {
    const existed = this.q.deleteBlob.run(id).changes === 1;
    if (existed) await this.blobs.remove(id);
    return existed;
  }

  // ------------------------------------------------------------ upkeep

  async sweep(now: number): Promise<SweepResult> {
    this.flushAcks();
    const result: SweepResult = { entries: 0, blobs: 0, dedup: 0 };
    // Chunked, yielding between chunks, so sends keep committing during a large sweep.
    for (;;) {
      const deleted = this.q.sweepEntries.run(now).changes;
      result.entries += deleted;
      if (deleted < SWEEP_CHUNK) break;
      await yieldToEventLoop();
    }
    for (;;) {
      const deleted = this.q.sweepDedup.run(now).changes;
      result.dedup += deleted;
      if (deleted < SWEEP_CHUNK) break;
      await yieldToEventLoop();
    }
    for (;;) {
      const ids = this.q.sweepBlobs.all(now) as string[];
      for (const id of ids) await this.blobs.remove(id);
      result.blobs += ids.length;
      if (ids.length < SWEEP_CHUNK) break;
    }
    return result;
  }

  settings(): SqliteSettings {
    const levels = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;
    return {
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      journalMode: this.db.pragma('journal_mode', { simple: true }) as string,
      synchronous: levels[this.db.pragma('synchronous', { simple: true }) as number],
      busyTimeoutMs: this.db.pragma('busy_timeout', { simple: true }) as number,
    };
  }

  async ping(): Promise<void> {
    this.q.ping.get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushAcks();
    this.closed = true;
    // Fold the WAL back into the main file so the database is one self-contained file at rest.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}

interface PendingAck {
  device: string;
  upTo: number;
  deleted: number;
  resolve: (deleted: number) => void;
  reject: (err: unknown) => void;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
