// Mailboxes on MongoDB: appending a batch of sends with gapless per-device sequence
// numbers and (sender, cid) idempotency, reading, acknowledging.
//
// Why every append is one multi-document transaction:
// - Dedup race. The send's record in send_dedup (unique on sender, cid) is inserted in
//   the same transaction as its entries. Two concurrent appends of the same (sender, cid)
//   collide on that key: the later one hits a write conflict, the driver retries its
//   whole transaction, and the retry finds the committed record and answers duplicate.
//   Records are looked up before any counter moves, so a retry never reserves a seq.
// - Gapless seqs. The counter bump ($inc) commits or aborts with the entries it numbered.
//   If anything fails (duplicate, timeout, crash, failover) the transaction aborts and the
//   counter is rolled back with it, so no seq is ever reserved without its entry.
// - Visible in order. An open transaction holds the write on each counter it bumped, so a
//   second send to the same device cannot take seq n+1 until the send holding seq n has
//   committed. A reader therefore never sees n+1 before n; without this, a device could
//   read and acknowledge n+1 while n was still being written, and the ack (seq <= n+1)
//   would skip n for good. A device may still see a hole where an entry EXPIRED (TTL) or
//   was acknowledged; reads return what exists after the cursor, so a hole never stalls.
// A standalone mongod cannot run transactions; openMongoStore refuses it (see
// mongodb-options.ts) rather than number mailboxes unsafely.
import type { ClientSession, MongoClient, TransactionOptions } from 'mongodb';
import type { AppendRequest, AppendResult, MailboxEntry } from './types.ts';
import { type Collections, type EntryDoc, type SendDoc, isDuplicateKeyError } from './mongodb-collections.ts';
import { GroupCommit } from './mongodb-group-commit.ts';
import { type StoredSend, assignSeqs, dedupKey, planAppend } from './mongodb-seq-plan.ts';

/**
 * Merged appends stop at about this many bytes of entries, so one transaction stays well
 * inside what a replica set commits quickly (and far from the 60 s transaction lifetime).
 */
const MAX_GROUP_BYTES = 8 * 1024 * 1024;
/** Roughly what an entry document costs beyond its body (ids, seq, dates, index keys). */
const ITEM_OVERHEAD_BYTES = 96;
/** Rounds of our own retry when a duplicate key slips past the driver's transaction retry. */
const MAX_DUPLICATE_RETRIES = 5;

export class MongoMailboxes {
  /** Concurrent append calls of this relay share one transaction (mongodb-group-commit.ts). */
  private readonly appends = new GroupCommit<AppendRequest, AppendResult>((requests) => this.commitAppend(requests), {
    weigh: (r) => r.items.reduce((bytes, item) => bytes + item.body.length + ITEM_OVERHEAD_BYTES, 0),
    maxWeight: MAX_GROUP_BYTES,
  });

  constructor(
    private readonly client: MongoClient,
    private readonly c: Collections,
    private readonly transactionOptions: TransactionOptions,
  ) {}

  append(requests: AppendRequest[]): Promise<AppendResult[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return this.appends.submit(requests);
  }

  /** Resolves once every append submitted so far has committed or failed (close waits for it). */
  idle(): Promise<void> {
    return this.appends.idle();
  }

  private async commitAppend(requests: AppendRequest[]): Promise<AppendResult[]> {
    for (let round = 1; ; round++) {
      const session = this.client.startSession();
      try {
        // withTransaction re-runs the callback on transient errors (write conflicts with a
        // concurrent append, failovers) and retries the commit when its outcome is unknown.
        return await session.withTransaction((s) => this.appendInTransaction(requests, s), this.transactionOptions);
      } catch (err) {
        // A (sender, cid) committed by someone else between our lookup and our insert. The
        // transaction aborted, so nothing of ours is stored and no counter moved; a fresh
        // round sees that record and answers duplicate.
        if (isDuplicateKeyError(err) && round < MAX_DUPLICATE_RETRIES) continue;
        throw err;
      } finally {
        await session.endSession();
      }
    }
  }

  private async appendInTransaction(requests: AppendRequest[], session: ClientSession): Promise<AppendResult[]> {
    const stored = await this.committedSends(requests, session);
    const plan = planAppend(requests, (r) => stored.get(dedupKey(r.sender, r.cid)));
    const counters = await this.reserve(plan.reserve, session);
    const { results, entries, sends } = assignSeqs(requests, plan, counters);
    if (sends.length > 0) {
      const sendDocs: SendDoc[] = sends.map((s) => ({ ...s, expiresAt: new Date(s.expiresAt) }));
      await this.c.sends.insertMany(sendDocs, { session });
    }
    if (entries.length > 0) {
      const entryDocs: EntryDoc[] = entries.map((e) => ({ ...e, expiresAt: new Date(e.expiresAt) }));
      await this.c.entries.insertMany(entryDocs, { session });
    }
    return results;
  }

  /** Sends already committed under the requests' (sender, cid) and still inside their window. */
  private async committedSends(requests: AppendRequest[], session: ClientSession): Promise<Map<string, StoredSend>> {
    const keys = new Map<string, AppendRequest>();
    for (const r of requests) if (!keys.has(dedupKey(r.sender, r.cid))) keys.set(dedupKey(r.sender, r.cid), r);
    const docs = await this.c.sends
      .find({ $or: [...keys.values()].map((r) => ({ sender: r.sender, cid: r.cid })) }, { session })
      .toArray();
    const live = new Map<string, StoredSend>();
    const expired: typeof docs = [];
    for (const doc of docs) {
      const key = dedupKey(doc.sender, doc.cid);
      if (doc.expiresAt.getTime() > keys.get(key)!.now) live.set(key, { seqs: doc.seqs, ts: doc.ts });
      else expired.push(doc);
    }
    // A record past its window that the TTL monitor has not removed yet: the send is new
    // again, and the old record must go so the new one can take its unique key.
    if (expired.length > 0) {
      await this.c.sends.deleteMany({ _id: { $in: expired.map((d) => d._id) } }, { session });
    }
    return live;
  }

  /**
   * Bumps each device's counter once by its count and returns the values after the bump.
   * One device: findOneAndUpdate. Several: one bulkWrite of $inc upserts and one find; the
   * read-back is exact because the transaction holds those counters until it commits.
   */
  private async reserve(counts: Map<string, number>, session: ClientSession): Promise<Map<string, number>> {
    const after = new Map<string, number>();
    if (counts.size === 0) return after;
    if (counts.size === 1) {
      const [[device, n]] = counts;
      const doc = await this.c.counters.findOneAndUpdate(
        { _id: device },
        { $inc: { seq: n } },
        { upsert: true, returnDocument: 'after', session },
      );
      if (doc) after.set(device, doc.seq);
      return after;
    }
    await this.c.counters.bulkWrite(
      [...counts].map(([device, n]) => ({ updateOne: { filter: { _id: device }, update: { $inc: { seq: n } }, upsert: true } })),
      { session, ordered: false },
    );
    const docs = await this.c.counters.find({ _id: { $in: [...counts.keys()] } }, { session }).toArray();
    for (const doc of docs) after.set(doc._id, doc.seq);
    return after;
  }

  async read(device: string, afterSeq: number, limit: number, now: number): Promise<MailboxEntry[]> {
    if (limit <= 0) return []; // MongoDB reads limit 0 as "no limit"
    // The TTL monitor runs about once a minute, so expired entries may still be on disk.
    const docs = await this.c.entries
      .find({ device, seq: { $gt: afterSeq }, expiresAt: { $gt: new Date(now) } })
      .sort({ seq: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => ({ seq: d.seq, body: d.body, ts: d.ts, expiresAt: d.expiresAt.getTime() }));
  }

  async ack(device: string, upToSeq: number): Promise<number> {
    const { deletedCount } = await this.c.entries.deleteMany({ device, seq: { $lte: upToSeq } });
    return deletedCount;
  }

  depth(device: string): Promise<number> {
    return this.c.entries.countDocuments({ device });
  }

  /** From collection metadata (the `count` command without a filter): no scan, may lag after an unclean shutdown. */
  totalDepth(): Promise<number> {
    return this.c.entries.estimatedDocumentCount();
  }

  async lastSeq(device: string): Promise<number> {
    return (await this.c.counters.findOne({ _id: device }))?.seq ?? 0;
  }

  /** Removes the mailbox and its counter (removeDevice). */
  async remove(device: string): Promise<void> {
    await this.c.entries.deleteMany({ device });
    await this.c.counters.deleteOne({ _id: device });
  }

  /** Deletes expired entries and dedup records the TTL monitor has not reached yet. */
  async sweep(now: number): Promise<{ entries: number; dedup: number }> {
    const cutoff = new Date(now);
    const [entries, sends] = await Promise.all([
      this.c.entries.deleteMany({ expiresAt: { $lte: cutoff } }),
      this.c.sends.deleteMany({ expiresAt: { $lte: cutoff } }),
    ]);
    return { entries: entries.deletedCount, dedup: sends.deletedCount };
  }
}
