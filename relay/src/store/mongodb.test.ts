// The MongoDB store against a real server: the shared conformance suite plus what only
// MongoDB has (TTL and unique indexes, write concern, GridFS leftovers, two relays on one
// database). No server can be installed on the build machines and MongoDB is never faked,
// so without PARLEY_TEST_MONGODB_URL this file reports itself SKIPPED.
//
//   PARLEY_TEST_MONGODB_URL='mongodb://localhost:27017/?replicaSet=rs0' npx vitest run relay/src/store/mongodb
//
// The server must be a replica set (a single-node one is enough) or a mongos. Every store
// gets a fresh database named parley_test_<random>, dropped after the test.
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { T0, blobId, bytes, chunked, deviceId, send, streamOf } from './conformance-fixtures.ts';
import { runMailboxStoreTests } from './conformance.ts';
import { type MongoMailboxStore, MongoStoreConfigError, openMongoStore } from './mongodb.ts';
import { COLLECTIONS } from './mongodb-collections.ts';
import { STALE_UPLOAD_MS } from './mongodb-blobs.ts';
import { redactUrl } from './mongodb-options.ts';
import { type AppendRequest, type BlobMeta, BlobTooLargeError, type MailboxStore } from './types.ts';

const url = process.env.PARLEY_TEST_MONGODB_URL?.trim() || undefined;
const SKIPPED =
  'MongoDB store conformance SKIPPED: set PARLEY_TEST_MONGODB_URL to run it against a real server ' +
  '(a replica set; a single-node one is enough)';
if (!url) console.warn(`\n*** ${SKIPPED} ***\n`);

const freshDbName = () => `parley_test_${randomBytes(6).toString('hex')}`;

// Cleanup drops databases through its own client: a test may have closed the store's.
let admin: MongoClient | undefined;
const adminClient = async () => (admin ??= await new MongoClient(url!).connect());
afterAll(async () => {
  await admin?.close();
});

async function openFresh(writeConcern?: { w?: number | 'majority'; journal?: boolean }, dbName = freshDbName()) {
  const store = await openMongoStore({ url: url!, dbName, writeConcern });
  const cleanup = async () => {
    await store.close().catch(() => {});
    await (await adminClient()).db(dbName).dropDatabase();
  };
  return { store, cleanup, dbName };
}

describe('MongoDB store without a server', () => {
  it('refuses a URL that is not a MongoDB connection string before connecting', async () => {
    await expect(openMongoStore({ url: 'http://localhost:27017/parley' })).rejects.toBeInstanceOf(MongoStoreConfigError);
  });
  it('refuses w:0 before connecting', async () => {
    await expect(openMongoStore({ url: 'mongodb://127.0.0.1:1/', writeConcern: { w: 0 } })).rejects.toThrow(/write concern w/);
  });
});

/**
 * The conformance suite runs on a fixed clock (T0, in mid-2025) and its entries expire a
 * day after it at most. A real server's TTL monitor compares expiresAt with the wall clock,
 * so it would delete the suite's entries within a minute, in the middle of tests. This
 * view moves every time the store is given forward by a fixed offset (and moves results
 * back), so T0 lands an hour in the future: the store and server still do all the work,
 * the TTL monitor just has nothing to delete during a test.
 */
function shiftedClock(store: MailboxStore, offset: number): MailboxStore {
  const meta = (m: BlobMeta | null) => m && { ...m, createdAt: m.createdAt - offset, expiresAt: m.expiresAt - offset };
  const fwd = (r: AppendRequest): AppendRequest => ({ ...r, now: r.now + offset, expiresAt: r.expiresAt + offset });
  const shifted: Partial<MailboxStore> = {
    append: async (requests) => (await store.append(requests.map(fwd))).map((r) => ({ ...r, ts: r.ts - offset })),
    read: async (device, after, limit, now) =>
      (await store.read(device, after, limit, now + offset)).map((e) => ({ ...e, ts: e.ts - offset, expiresAt: e.expiresAt - offset })),
    putBlob: async (m, data, max) =>
      meta(await store.putBlob({ ...m, createdAt: m.createdAt + offset, expiresAt: m.expiresAt + offset }, data, max))!,
    getBlobMeta: async (id, now) => meta(await store.getBlobMeta(id, now + offset)),
    readBlob: (id, start, end, now) => store.readBlob(id, start, end, now + offset),
    sweep: (now) => store.sweep(now + offset),
  };
  return new Proxy(store, {
    get: (target, prop, receiver) =>
      prop in shifted ? shifted[prop as keyof MailboxStore] : (Reflect.get(target, prop, receiver) as unknown),
  });
}

describe.skipIf(!url)(url ? `MongoDB store on ${redactUrl(url)}` : SKIPPED, () => {
  runMailboxStoreTests('mongodb', async () => {
    const { store, cleanup } = await openFresh();
    const offset = Date.now() - T0 + 60 * 60 * 1000;
    return { store: shiftedClock(store, offset), cleanup };
  });

  describe('MongoDB specifics', () => {
    const withStore = async (fn: (store: MongoMailboxStore) => Promise<void>, writeConcern?: { w?: number | 'majority'; journal?: boolean }) => {
      const { store, cleanup } = await openFresh(writeConcern);
      try {
        await fn(store);
      } finally {
        await cleanup();
      }
    };
    const indexes = async (store: MongoMailboxStore, collection: string) =>
      Object.fromEntries((await store.db.collection(collection).indexes()).map((i) => [i.name, i]));

    it('expires mailbox entries and send records through TTL indexes with expireAfterSeconds 0', () =>
      withStore(async (store) => {
        for (const name of [COLLECTIONS.entries, COLLECTIONS.sends]) {
          const ttl = (await indexes(store, name)).expires_ttl;
          expect(ttl?.key).toEqual({ expiresAt: 1 });
          expect(ttl?.expireAfterSeconds).toBe(0);
        }
        // TTL only acts on BSON dates: the stored field must be one. (Real time here, so
        // the TTL monitor cannot remove the entry before it is looked at.)
        const d = deviceId();
        await store.append([send(deviceId(), [d], { now: Date.now() })]);
        const raw = await store.db.collection(COLLECTIONS.entries).findOne({ device: d });
        expect(raw?.expiresAt).toBeInstanceOf(Date);
      }));

    it('has the unique indexes that numbering, idempotency, prekeys, handles and GridFS rely on', () =>
      withStore(async (store) => {
        const unique = async (collection: string, name: string, key: object) => {
          const index = (await indexes(store, collection))[name];
          expect(index?.key, `${collection}.${name}`).toEqual(key);
          expect(index?.unique, `${collection}.${name}`).toBe(true);
        };
        await unique(COLLECTIONS.entries, 'device_seq', { device: 1, seq: 1 });
        await unique(COLLECTIONS.sends, 'sender_cid', { sender: 1, cid: 1 });
        await unique(COLLECTIONS.prekeys, 'device_id', { device: 1, id: 1 });
        await unique(COLLECTIONS.handles, 'handle', { handle: 1 });
        await unique('blobs.chunks', 'files_id_1_n_1', { files_id: 1, n: 1 });
        // No TTL on GridFS files: it would orphan chunks.
        expect((await indexes(store, 'blobs.files')).expires?.expireAfterSeconds).toBeUndefined();
        // A second entry under a taken (device, seq) is refused by the server itself.
        const [d, now] = [deviceId(), Date.now()];
        await store.append([send(deviceId(), [d], { now })]);
        await expect(
          store.db.collection(COLLECTIONS.entries).insertOne({ device: d, seq: 1, body: 'x', ts: now, expiresAt: new Date(now + 60_000) }),
        ).rejects.toMatchObject({ code: 11000 });
      }));

    it('applies the configured write concern, majority and journaled by default', async () => {
      await withStore(async (store) => {
        expect(store.options.writeConcern).toEqual({ w: 'majority', journal: true });
        expect(store.db.writeConcern).toMatchObject({ w: 'majority', journal: true });
        expect(store.db.collection(COLLECTIONS.entries).writeConcern).toMatchObject({ w: 'majority', journal: true });
      });
      await withStore(
        async (store) => {
          expect(store.db.writeConcern).toMatchObject({ w: 1, journal: false });
          expect(store.db.collection(COLLECTIONS.counters).writeConcern).toMatchObject({ w: 1, journal: false });
          const [r] = await store.append([send(deviceId(), [deviceId()])]);
          expect(r.seqs[0].seq).toBe(1);
        },
        { w: 1, journal: false },
      );
    });

    it('lets two relays share one database: opening twice is fine and numbering stays gapless', async () => {
      const first = await openFresh();
      const second = await openFresh(undefined, first.dbName); // creates the same indexes again
      try {
        const [d, now] = [deviceId(), Date.now()];
        const stores = [first.store, second.store];
        const results = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            stores[i % 2].append([send(deviceId(), [d], { now }), send(deviceId(), [d, deviceId()], { now })]),
          ),
        );
        const seqs = results.flatMap((rs) => rs.flatMap((r) => r.seqs.filter((s) => s.device === d).map((s) => s.seq)));
        expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
        expect(await first.store.lastSeq(d)).toBe(120);
        expect((await second.store.read(d, 0, 1000, now)).map((e) => e.seq)).toEqual(seqs);
        // The same send retried through both relays at once is stored once.
        const retry = send(deviceId(), [d], { now });
        const answers = (await Promise.all([first.store.append([retry]), second.store.append([{ ...retry }])])).map(([r]) => r);
        expect(answers.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(answers[0].seqs).toEqual(answers[1].seqs);
        expect(await first.store.lastSeq(d)).toBe(121);
      } finally {
        await second.store.close();
        await first.cleanup();
      }
    });

    it('keeps blobs in GridFS and leaves no chunks behind a refused upload', () =>
      withStore(async (store) => {
        const id = blobId();
        await store.putBlob({ id, owner: deviceId(), createdAt: T0, expiresAt: T0 + 1000 }, streamOf(chunked(bytes(600_000), 65_536)), 1e6);
        const file = await store.db.collection('blobs.files').findOne({ _id: id as never });
        expect(file?.length).toBe(600_000);
        expect(file?.metadata.expiresAt).toBeInstanceOf(Date);
        expect(await store.db.collection('blobs.chunks').countDocuments({ files_id: id })).toBeGreaterThan(2);

        const refused = blobId();
        const err = await store
          .putBlob({ id: refused, owner: deviceId(), createdAt: T0, expiresAt: T0 + 1000 }, streamOf(chunked(bytes(600_000), 65_536)), 500_000)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BlobTooLargeError);
        expect(await store.db.collection('blobs.chunks').countDocuments({ files_id: refused })).toBe(0);
        expect(await store.db.collection(COLLECTIONS.uploads).countDocuments({})).toBe(0);

        expect((await store.sweep(T0 + 1000)).blobs).toBe(1);
        expect(await store.db.collection('blobs.chunks').countDocuments({ files_id: id })).toBe(0);
      }));

    it('sweep frees the chunks of an upload abandoned by a crashed relay', () =>
      withStore(async (store) => {
        const id = blobId();
        const startedAt = new Date(T0);
        await store.db.collection(COLLECTIONS.uploads).insertOne({ _id: id as never, startedAt });
        await store.db.collection('blobs.chunks').insertOne({ files_id: id, n: 0, data: Buffer.from('partial') });
        await store.sweep(T0 + STALE_UPLOAD_MS - 1);
        expect(await store.db.collection('blobs.chunks').countDocuments({ files_id: id })).toBe(1);
        await store.sweep(T0 + STALE_UPLOAD_MS);
        expect(await store.db.collection('blobs.chunks').countDocuments({ files_id: id })).toBe(0);
        expect(await store.db.collection(COLLECTIONS.uploads).countDocuments({})).toBe(0);
      }));
  });
});
