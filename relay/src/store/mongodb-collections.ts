// The MongoDB store's collections, their document shapes and every index, in one place
// so docs/self-hosting.md ("MongoDB") and the index tests have one thing to agree with.
//
// Every per-device collection leads with the device id, which is also the shard key
// (device ids are hashes, so a ranged key on them spreads evenly): a send's entries, a
// mailbox read and an ack each touch one shard per device.
import type { Collection, CreateIndexesOptions, Db, IndexSpecification } from 'mongodb';
import type { DeviceKeys, PresenceVisibility, SignedDeviceList } from '@parley/common/protocol';

/** One message in one device's mailbox. `expiresAt` is a Date so the TTL index can use it. */
export interface EntryDoc {
  device: string;
  seq: number;
  body: string;
  ts: number;
  expiresAt: Date;
}

/** The last sequence number issued for a mailbox. */
export interface CounterDoc {
  _id: string; // device id
  seq: number;
}

/** A committed send, kept for its dedup window so a retry gets the same answer. */
export interface SendDoc {
  sender: string;
  cid: string;
  seqs: { device: string; seq: number }[];
  ts: number;
  expiresAt: Date;
}

export interface DeviceDoc {
  _id: string; // device id
  userId: string;
  keys: DeviceKeys;
  createdAt: number;
}

export interface PrekeyDoc {
  device: string;
  id: number;
  key: string;
}

export interface DeviceListDoc {
  _id: string; // user id
  version: number;
  list: SignedDeviceList;
}

/** Keyed by user so that "a user holds at most one handle" is one document. */
export interface HandleDoc {
  _id: string; // user id
  handle: string;
}

export interface UserDoc {
  _id: string; // user id
  presence?: PresenceVisibility;
  lastSeen?: number;
}

/** A blob upload under way; a claim left behind by a crashed relay lets sweep free its chunks. */
export interface UploadDoc {
  _id: string; // blob id
  startedAt: Date;
}

export const COLLECTIONS = {
  entries: 'mailbox_entries',
  counters: 'mailbox_counters',
  sends: 'send_dedup',
  devices: 'devices',
  prekeys: 'one_time_prekeys',
  deviceLists: 'device_lists',
  handles: 'handles',
  users: 'users',
  uploads: 'blob_uploads',
} as const;

/** GridFS bucket for attachments: collections blobs.files and blobs.chunks. */
export const BLOB_BUCKET = 'blobs';

interface IndexPlan {
  collection: string;
  key: IndexSpecification & Record<string, 1 | -1>;
  options: CreateIndexesOptions & { name: string };
}

export const INDEXES: readonly IndexPlan[] = [
  // Gapless numbering relies on it: a second entry under the same (device, seq) is refused.
  { collection: COLLECTIONS.entries, key: { device: 1, seq: 1 }, options: { name: 'device_seq', unique: true } },
  // The TTL monitor deletes an entry once expiresAt is in the past (it runs about once a
  // minute, so reads filter on expiresAt as well).
  { collection: COLLECTIONS.entries, key: { expiresAt: 1 }, options: { name: 'expires_ttl', expireAfterSeconds: 0 } },
  // Idempotency: one committed send per (sender, client message id).
  { collection: COLLECTIONS.sends, key: { sender: 1, cid: 1 }, options: { name: 'sender_cid', unique: true } },
  { collection: COLLECTIONS.sends, key: { expiresAt: 1 }, options: { name: 'expires_ttl', expireAfterSeconds: 0 } },
  { collection: COLLECTIONS.prekeys, key: { device: 1, id: 1 }, options: { name: 'device_id', unique: true } },
  { collection: COLLECTIONS.handles, key: { handle: 1 }, options: { name: 'handle', unique: true } },
  { collection: COLLECTIONS.uploads, key: { startedAt: 1 }, options: { name: 'started' } },
  // GridFS files are NOT given a TTL index: the monitor would delete the files document
  // and orphan its chunks. sweep() deletes both; this index finds what has expired.
  { collection: `${BLOB_BUCKET}.files`, key: { 'metadata.expiresAt': 1 }, options: { name: 'expires' } },
  // The indexes the GridFS spec asks drivers to create on first upload, made up front.
  { collection: `${BLOB_BUCKET}.files`, key: { filename: 1, uploadDate: 1 }, options: { name: 'filename_1_uploadDate_1' } },
  { collection: `${BLOB_BUCKET}.chunks`, key: { files_id: 1, n: 1 }, options: { name: 'files_id_1_n_1', unique: true } },
];

export async function createIndexes(db: Db): Promise<void> {
  const byCollection = new Map<string, IndexPlan[]>();
  for (const plan of INDEXES) byCollection.set(plan.collection, [...(byCollection.get(plan.collection) ?? []), plan]);
  await Promise.all(
    [...byCollection].map(([name, plans]) =>
      db.collection(name).createIndexes(plans.map((p) => ({ key: p.key, ...p.options }))),
    ),
  );
  // Collections without secondary indexes still have to exist before the first
  // transaction touches them (servers before 4.4 cannot create one inside a transaction).
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const name of Object.values(COLLECTIONS)) {
    if (!existing.has(name)) {
      await db.createCollection(name).catch((err: unknown) => {
        if ((err as { codeName?: string }).codeName !== 'NamespaceExists') throw err; // another relay created it first
      });
    }
  }
}

export interface Collections {
  entries: Collection<EntryDoc>;
  counters: Collection<CounterDoc>;
  sends: Collection<SendDoc>;
  devices: Collection<DeviceDoc>;
  prekeys: Collection<PrekeyDoc>;
  deviceLists: Collection<DeviceListDoc>;
  handles: Collection<HandleDoc>;
  users: Collection<UserDoc>;
  uploads: Collection<UploadDoc>;
}

export function collections(db: Db): Collections {
  return {
    entries: db.collection<EntryDoc>(COLLECTIONS.entries),
    counters: db.collection<CounterDoc>(COLLECTIONS.counters),
    sends: db.collection<SendDoc>(COLLECTIONS.sends),
    devices: db.collection<DeviceDoc>(COLLECTIONS.devices),
    prekeys: db.collection<PrekeyDoc>(COLLECTIONS.prekeys),
    deviceLists: db.collection<DeviceListDoc>(COLLECTIONS.deviceLists),
    handles: db.collection<HandleDoc>(COLLECTIONS.handles),
    users: db.collection<UserDoc>(COLLECTIONS.users),
    uploads: db.collection<UploadDoc>(COLLECTIONS.uploads),
  };
}

/** MongoDB's duplicate-key error (E11000), alone or inside a bulk write error. */
export function isDuplicateKeyError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; writeErrors?: { code?: unknown }[] | { code?: unknown } };
  if (e.code === 11000) return true;
  const writeErrors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
  return writeErrors.some((w) => w.code === 11000);
}
