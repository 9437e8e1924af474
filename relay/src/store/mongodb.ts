// The MongoDB MailboxStore, for relays that share one database (official `mongodb`
// driver). Selected by setting PARLEY_MONGODB_URL; see docs/self-hosting.md ("MongoDB") for
// the collections, indexes, shard key and write concern.
//
// The modules beside this one do the work: mongodb-options.ts (configuration),
// mongodb-collections.ts (documents and indexes), mongodb-mailbox.ts (sends, reads, acks
// and why each append is a transaction), mongodb-blobs.ts (GridFS), and the pure
// mongodb-seq-plan.ts and mongodb-group-commit.ts.
import { type Db, MongoClient, type TransactionOptions } from 'mongodb';
import type { OneTimePrekey, PresenceVisibility, SignedDeviceList, SignedPrekey } from '@parley/common/protocol';
import { type Collections, collections, createIndexes, isDuplicateKeyError } from './mongodb-collections.ts';
import { MongoBlobs } from './mongodb-blobs.ts';
import { MongoMailboxes } from './mongodb-mailbox.ts';
import {
  type HelloReply,
  type MongoStoreOptions,
  type ResolvedMongoStoreOptions,
  MongoStoreConfigError,
  STANDALONE_REFUSED,
  resolveMongoStoreOptions,
  supportsTransactions,
} from './mongodb-options.ts';
import type { AppendRequest, AppendResult, BlobMeta, DeviceRecord, MailboxEntry, MailboxStore, SweepResult } from './types.ts';

export type { MongoStoreOptions } from './mongodb-options.ts';
export { MongoStoreConfigError, mongoStoreOptionsFromEnv } from './mongodb-options.ts';

/** The MongoDB store is a MailboxStore plus the database it runs on (for tests and tools). */
export interface MongoMailboxStore extends MailboxStore {
  readonly kind: 'mongodb';
  readonly db: Db;
  readonly options: ResolvedMongoStoreOptions;
}

/**
 * Connects, refuses a deployment without transactions, creates every index (idempotent,
 * so each relay does it on start) and returns the store.
 */
export async function openMongoStore(options: MongoStoreOptions): Promise<MongoMailboxStore> {
  const resolved = resolveMongoStoreOptions(options);
  // Parley's write concern wins over any w/journal in the URL: one setting, documented.
  const client = new MongoClient(resolved.url, { appName: 'parley-relay', writeConcern: resolved.writeConcern });
  try {
    await client.connect();
    const db = client.db(resolved.dbName, { writeConcern: resolved.writeConcern });
    const hello = (await db.admin().command({ hello: 1 })) as HelloReply;
    if (!supportsTransactions(hello)) throw new MongoStoreConfigError(STANDALONE_REFUSED);
    await createIndexes(db);
    return new MongoStore(client, db, resolved);
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
}

class MongoStore implements MongoMailboxStore {
  readonly kind = 'mongodb' as const;
  private readonly c: Collections;
  private readonly mailboxes: MongoMailboxes;
  private readonly blobs: MongoBlobs;

  constructor(
    private readonly client: MongoClient,
    readonly db: Db,
    readonly options: ResolvedMongoStoreOptions,
  ) {
    this.c = collections(db);
    const transaction: TransactionOptions = {
      writeConcern: options.writeConcern,
      readPreference: 'primary',
      // With w:majority, read majority-committed data too: a retry is then only answered
      // "duplicate" from a send record that no failover can roll back. (Counters need no
      // such care: a changed counter is a write conflict, and the transaction starts over.)
      readConcern: { level: options.writeConcern.w === 'majority' ? 'majority' : 'local' },
    };
    this.mailboxes = new MongoMailboxes(client, this.c, transaction);
    this.blobs = new MongoBlobs(db, this.c.uploads);
  }

  // ------------------------------------------------------------ accounts and devices

  async putDeviceList(list: SignedDeviceList): Promise<boolean> {
    // Conditional upsert: matches only a stored list with a lower version. When a list at
    // this version or newer exists, the filter misses and the upsert's insert collides on
    // _id (the user id). A collision can also mean a concurrent first put won the insert,
    // so re-check before answering.
    for (let round = 1; ; round++) {
      try {
        await this.c.deviceLists.updateOne(
          { _id: list.userId, version: { $lt: list.version } },
          { $set: { version: list.version, list } },
          { upsert: true },
        );
        return true;
      } catch (err) {
        if (!isDuplicateKeyError(err) || round >= 10) throw err;
        const current = await this.c.deviceLists.findOne({ _id: list.userId }, { projection: { version: 1 } });
        if (current && current.version >= list.version) return false;
      }
    }
  }

  async getDeviceList(userId: string): Promise<SignedDeviceList | null> {
    return (await this.c.deviceLists.findOne({ _id: userId }))?.list ?? null;
  }

  async getDeviceLists(userIds: string[]): Promise<Map<string, SignedDeviceList>> {
    const lists = new Map<string, SignedDeviceList>();
    if (userIds.length === 0) return lists;
    for (const doc of await this.c.deviceLists.find({ _id: { $in: userIds } }).toArray()) lists.set(doc._id, doc.list);
    return lists;
  }

  async putDevice(record: DeviceRecord): Promise<void> {
    await this.c.devices.replaceOne(
      { _id: record.keys.id },
      { userId: record.userId, keys: record.keys, createdAt: record.createdAt },
      { upsert: true },
    );
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | null> {
    const doc = await this.c.devices.findOne({ _id: deviceId });
    return doc ? { userId: doc.userId, keys: doc.keys, createdAt: doc.createdAt } : null;
  }

  async removeDevice(deviceId: string): Promise<void> {
    await this.c.devices.deleteOne({ _id: deviceId });
    await this.c.prekeys.deleteMany({ device: deviceId });
    await this.mailboxes.remove(deviceId);
  }

  async setSignedPrekey(deviceId: string, prekey: SignedPrekey): Promise<void> {
    await this.c.devices.updateOne({ _id: deviceId }, { $set: { 'keys.signedPrekey': prekey } });
  }

  async addOneTimePrekeys(deviceId: string, prekeys: OneTimePrekey[]): Promise<number> {
    if (prekeys.length > 0) {
      // $setOnInsert: an id already held keeps its original key.
      await this.c.prekeys.bulkWrite(
        prekeys.map((p) => ({
          updateOne: {
            filter: { device: deviceId, id: p.id },
            update: { $setOnInsert: { device: deviceId, id: p.id, key: p.key } },
            upsert: true,
          },
        })),
        { ordered: false },
      );
    }
    return this.countOneTimePrekeys(deviceId);
  }

  async claimOneTimePrekey(deviceId: string): Promise<OneTimePrekey | null> {
    // One atomic find-and-remove: two claims can never return the same document.
    const doc = await this.c.prekeys.findOneAndDelete({ device: deviceId }, { sort: { id: 1 } });
    return doc ? { id: doc.id, key: doc.key } : null;
  }

  countOneTimePrekeys(deviceId: string): Promise<number> {
    return this.c.prekeys.countDocuments({ device: deviceId });
  }

  // ------------------------------------------------------------ handles and settings

  async claimHandle(handle: string, userId: string): Promise<boolean> {
    // One document per user: taking a new handle replaces the old one atomically, and the
    // unique index on `handle` refuses one that another user holds, leaving ours as it was.
    try {
      await this.c.handles.updateOne({ _id: userId }, { $set: { handle } }, { upsert: true });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return (await this.lookupHandle(handle)) === userId;
      throw err;
    }
  }

  async releaseHandle(userId: string): Promise<void> {
    await this.c.handles.deleteOne({ _id: userId });
  }

  async lookupHandle(handle: string): Promise<string | null> {
    return (await this.c.handles.findOne({ handle }))?._id ?? null;
  }

  async handleOf(userId: string): Promise<string | null> {
    return (await this.c.handles.findOne({ _id: userId }))?.handle ?? null;
  }

  async setPresenceVisibility(userId: string, visibility: PresenceVisibility): Promise<void> {
    await this.c.users.updateOne({ _id: userId }, { $set: { presence: visibility } }, { upsert: true });
  }

  async getPresenceVisibility(userId: string): Promise<PresenceVisibility> {
    return (await this.c.users.findOne({ _id: userId }))?.presence ?? 'everyone';
  }

  async setLastSeen(userId: string, at: number): Promise<void> {
    await this.c.users.updateOne({ _id: userId }, { $set: { lastSeen: at } }, { upsert: true });
  }

  async getLastSeen(userId: string): Promise<number | null> {
    return (await this.c.users.findOne({ _id: userId }))?.lastSeen ?? null;
  }

  // ------------------------------------------------------------ mailboxes

  append(requests: AppendRequest[]): Promise<AppendResult[]> {
    return this.mailboxes.append(requests);
  }

  read(deviceId: string, afterSeq: number, limit: number, now: number): Promise<MailboxEntry[]> {
    return this.mailboxes.read(deviceId, afterSeq, limit, now);
  }

  ack(deviceId: string, upToSeq: number): Promise<number> {
    return this.mailboxes.ack(deviceId, upToSeq);
  }

  depth(deviceId: string): Promise<number> {
    return this.mailboxes.depth(deviceId);
  }

  totalDepth(): Promise<number> {
    return this.mailboxes.totalDepth();
  }

  lastSeq(deviceId: string): Promise<number> {
    return this.mailboxes.lastSeq(deviceId);
  }

  // ------------------------------------------------------------ blobs

  putBlob(meta: Omit<BlobMeta, 'size'>, data: ReadableStream<Uint8Array>, maxBytes: number): Promise<BlobMeta> {
    return this.blobs.put(meta, data, maxBytes);
  }

  getBlobMeta(id: string, now: number): Promise<BlobMeta | null> {
    return this.blobs.meta(id, now);
  }

  readBlob(id: string, start: number, end: number, now: number): Promise<ReadableStream<Uint8Array> | null> {
    return this.blobs.read(id, start, end, now);
  }

  deleteBlob(id: string): Promise<boolean> {
    return this.blobs.delete(id);
  }

  // ------------------------------------------------------------ upkeep

  async sweep(now: number): Promise<SweepResult> {
    const { entries, dedup } = await this.mailboxes.sweep(now);
    const blobs = await this.blobs.sweep(now);
    return { entries, blobs, dedup };
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.mailboxes.idle();
    await this.client.close();
  }
}
