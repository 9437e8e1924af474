// The MailboxStore conformance suite. Every store runs it in a few lines:
//
//   runMailboxStoreTests('sqlite', async () => { ...; return { store, cleanup } });
//
// It pins the behaviour the relay and its users depend on, and nothing about how a store
// keeps its data. makeStore is called before every test and must return an empty,
// isolated store; cleanup runs after every test, also after a test that closed the store
// itself, and should release everything makeStore created.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DAY,
  T0,
  blobId,
  body,
  bytes,
  chunked,
  cid,
  collect,
  deviceId,
  deviceList,
  deviceRecord,
  prekeys,
  send,
  streamOf,
  userId,
} from './conformance-fixtures.ts';
import { BlobTooLargeError, type MailboxStore } from './types.ts';

export type MakeStore = () => Promise<{ store: MailboxStore; cleanup: () => Promise<void> }>;

export function runMailboxStoreTests(name: string, makeStore: MakeStore): void {
  describe(`MailboxStore conformance: ${name}`, () => {
    let store: MailboxStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => {
      await cleanup();
    });
    const s = () => store;

    describe('mailboxes', () => mailboxTests(s));
    describe('idempotent sends', () => dedupTests(s));
    describe('expiry and sweep', () => expiryTests(s));
    describe('device lists and devices', () => deviceTests(s));
    describe('one-time prekeys', () => prekeyTests(s));
    describe('handles and presence settings', () => settingsTests(s));
    describe('blobs', () => blobTests(s));
    describe('upkeep', () => {
      it('answers ping and reports a kind', async () => {
        await expect(s().ping()).resolves.toBeUndefined();
        expect(typeof s().kind).toBe('string');
        expect(s().kind.length).toBeGreaterThan(0);
      });
      it('closes after pending writes have completed', async () => {
        const d = deviceId();
        const pending = s().append([send(deviceId(), [d])]);
        await pending;
        await expect(s().close()).resolves.toBeUndefined();
      });
    });
  });
}

type Get = () => MailboxStore;

function mailboxTests(store: Get) {
  it('gives a new mailbox sequence numbers 1, 2, 3, ... and reports the last one', async () => {
    const d = deviceId();
    expect(await store().lastSeq(d)).toBe(0);
    for (let i = 1; i <= 5; i++) {
      const [r] = await store().append([send(deviceId(), [d])]);
      expect(r).toEqual({ seqs: [{ device: d, seq: i }], ts: T0, duplicate: false });
    }
    expect(await store().lastSeq(d)).toBe(5);
    expect(await store().depth(d)).toBe(5);
  });

  it('keeps sequence numbers gapless across many concurrent append calls', async () => {
    const d = deviceId();
    const results = await Promise.all(Array.from({ length: 100 }, () => store().append([send(deviceId(), [d])])));
    const seqs = results.map(([r]) => r.seqs[0].seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const entries = await store().read(d, 0, 1000, T0);
    expect(entries.map((e) => e.seq)).toEqual(seqs);
  });

  it('numbers each mailbox independently', async () => {
    const [a, b] = [deviceId(), deviceId()];
    await store().append([send(deviceId(), [a]), send(deviceId(), [a]), send(deviceId(), [b])]);
    const [r] = await store().append([send(deviceId(), [b, a])]);
    expect(r.seqs).toEqual([
      { device: b, seq: 2 },
      { device: a, seq: 3 },
    ]);
    expect(await store().lastSeq(a)).toBe(3);
    expect(await store().lastSeq(b)).toBe(2);
  });

  it('appends a multi-recipient send to every mailbox, results in item order', async () => {
    const devices = [deviceId(), deviceId(), deviceId()];
    const bodies = devices.map(() => body());
    const [r] = await store().append([send(deviceId(), devices, { bodies, now: T0 + 7 })]);
    expect(r.seqs).toEqual(devices.map((device) => ({ device, seq: 1 })));
    expect(r.ts).toBe(T0 + 7);
    for (const [i, d] of devices.entries()) {
      expect(await store().read(d, 0, 10, T0 + 7)).toEqual([{ seq: 1, body: bodies[i], ts: T0 + 7, expiresAt: T0 + 7 + DAY }]);
    }
  });

  it('returns one result per request, in request order, for a batch', async () => {
    const [a, b] = [deviceId(), deviceId()];
    const requests = [send(deviceId(), [a]), send(deviceId(), [b]), send(deviceId(), [a, b]), send(deviceId(), [a])];
    const results = await store().append(requests);
    expect(results.map((r) => r.seqs)).toEqual([
      [{ device: a, seq: 1 }],
      [{ device: b, seq: 1 }],
      [
        { device: a, seq: 2 },
        { device: b, seq: 2 },
      ],
      [{ device: a, seq: 3 }],
    ]);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(await store().append([])).toEqual([]);
  });

  it('stores bodies exactly as given, including large ones', async () => {
    const d = deviceId();
    const big = body(256 * 1024);
    await store().append([send(deviceId(), [d], { bodies: [big] })]);
    const [e] = await store().read(d, 0, 1, T0);
    expect(e.body).toBe(big);
  });

  it('reads ascending after a sequence number, at most limit entries', async () => {
    const d = deviceId();
    const sent = [];
    for (let i = 0; i < 10; i++) sent.push(send(deviceId(), [d], { now: T0 + i }));
    await store().append(sent);
    const all = await store().read(d, 0, 100, T0);
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(all.map((e) => e.body)).toEqual(sent.map((r) => r.items[0].body));
    expect(all.map((e) => e.ts)).toEqual(sent.map((r) => r.now));
    expect((await store().read(d, 4, 3, T0)).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect((await store().read(d, 10, 5, T0)).length).toBe(0);
    expect((await store().read(deviceId(), 0, 5, T0)).length).toBe(0);
  });

  it('acknowledges: deletes only entries up to the number, only of that device', async () => {
    const [a, b] = [deviceId(), deviceId()];
    for (let i = 0; i < 5; i++) await store().append([send(deviceId(), [a, b])]);
    expect(await store().ack(a, 3)).toBe(3);
    expect((await store().read(a, 0, 10, T0)).map((e) => e.seq)).toEqual([4, 5]);
    expect(await store().depth(a)).toBe(2);
    expect((await store().read(b, 0, 10, T0)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await store().ack(a, 3)).toBe(0);
    expect(await store().ack(a, 100)).toBe(2);
    expect(await store().depth(a)).toBe(0);
    expect(await store().depth(b)).toBe(5);
  });

  it('counts the entries of all mailboxes together (totalDepth)', async () => {
    const [a, b] = [deviceId(), deviceId()];
    expect(await store().totalDepth()).toBe(0);
    for (let i = 0; i < 3; i++) await store().append([send(deviceId(), [a, b])]);
    expect(await store().totalDepth()).toBe(6);
    await store().ack(a, 2);
    expect(await store().totalDepth()).toBe(4);
  });

  it('keeps counting after acknowledged entries are deleted', async () => {
    const d = deviceId();
    for (let i = 0; i < 3; i++) await store().append([send(deviceId(), [d])]);
    await store().ack(d, 3);
    expect(await store().lastSeq(d)).toBe(3);
    const [r] = await store().append([send(deviceId(), [d])]);
    expect(r.seqs[0].seq).toBe(4);
  });

  it('removeDevice deletes its mailbox and counter, leaving other mailboxes alone', async () => {
    const [a, b] = [deviceId(), deviceId()];
    await store().append([send(deviceId(), [a, b]), send(deviceId(), [a, b])]);
    await store().removeDevice(a);
    expect(await store().depth(a)).toBe(0);
    expect(await store().lastSeq(a)).toBe(0);
    expect(await store().read(a, 0, 10, T0)).toEqual([]);
    expect(await store().depth(b)).toBe(2);
    expect(await store().lastSeq(b)).toBe(2);
  });
}

function dedupTests(store: Get) {
  it('a retry with the same client id returns the first result and stores nothing', async () => {
    const [sender, a, b] = [deviceId(), deviceId(), deviceId()];
    const first = send(sender, [a, b]);
    const [r1] = await store().append([first]);
    const retry = { ...send(sender, [a, b], { now: T0 + 5000 }), cid: first.cid };
    const [r2] = await store().append([retry]);
    expect(r2).toEqual({ ...r1, duplicate: true });
    expect(await store().depth(a)).toBe(1);
    expect(await store().lastSeq(b)).toBe(1);
    expect((await store().read(a, 0, 10, T0))[0].body).toBe(first.items[0].body);
  });

  it('recognises a retry in the same batch as the first attempt', async () => {
    const [sender, d] = [deviceId(), deviceId()];
    const first = send(sender, [d]);
    const [r1, r2] = await store().append([first, { ...first }]);
    expect(r1.duplicate).toBe(false);
    expect(r2).toEqual({ ...r1, duplicate: true });
    expect(await store().depth(d)).toBe(1);
  });

  it('still recognises a retry after the entries were acknowledged', async () => {
    const [sender, d] = [deviceId(), deviceId()];
    const first = send(sender, [d]);
    const [r1] = await store().append([first]);
    await store().ack(d, 1);
    const [r2] = await store().append([first]);
    expect(r2).toEqual({ ...r1, duplicate: true });
    expect(await store().lastSeq(d)).toBe(1);
  });

  it('stores concurrent retries of one send once', async () => {
    const [sender, d] = [deviceId(), deviceId()];
    const first = send(sender, [d]);
    const results = (await Promise.all(Array.from({ length: 20 }, () => store().append([{ ...first }])))).map(([r]) => r);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.seqs[0].seq))).toEqual(new Set([1]));
    expect(await store().depth(d)).toBe(1);
  });

  it('keys idempotency on sender and client id together', async () => {
    const d = deviceId();
    const id = cid();
    const [r1] = await store().append([send(deviceId(), [d], { cid: id })]);
    const [r2] = await store().append([send(deviceId(), [d], { cid: id })]);
    expect(r1.duplicate || r2.duplicate).toBe(false);
    expect(await store().depth(d)).toBe(2);
  });

  it('treats a reuse of a client id after the first send expired as a new send', async () => {
    const [sender, d] = [deviceId(), deviceId()];
    const first = send(sender, [d], { ttl: 1000 });
    await store().append([first]);
    const [r] = await store().append([send(sender, [d], { cid: first.cid, now: T0 + 1000 })]);
    expect(r).toEqual({ seqs: [{ device: d, seq: 2 }], ts: T0 + 1000, duplicate: false });
  });
}

function expiryTests(store: Get) {
  it('never reads an expired entry, even before a sweep', async () => {
    const d = deviceId();
    await store().append([
      send(deviceId(), [d], { ttl: 1000 }), // seq 1, expires T0+1000
      send(deviceId(), [d], { ttl: 5000 }), // seq 2
      send(deviceId(), [d], { ttl: 1000 }), // seq 3
      send(deviceId(), [d], { ttl: 5000 }), // seq 4
      send(deviceId(), [d], { ttl: 5000 }), // seq 5
    ]);
    expect((await store().read(d, 0, 10, T0 + 999)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    // Expired at exactly expiresAt.
    expect((await store().read(d, 0, 10, T0 + 1000)).map((e) => e.seq)).toEqual([2, 4, 5]);
    // The limit counts only live entries.
    expect((await store().read(d, 0, 2, T0 + 1000)).map((e) => e.seq)).toEqual([2, 4]);
    expect(await store().read(d, 0, 10, T0 + 5000)).toEqual([]);
  });

  it('sweep deletes expired entries, blobs and dedup records and reports the counts', async () => {
    const [a, b, sender] = [deviceId(), deviceId(), deviceId()];
    const shortSend = send(sender, [a, b], { ttl: 1000 });
    await store().append([shortSend, send(sender, [a], { ttl: 1000 }), send(sender, [a], { ttl: 10_000 })]);
    const oldBlob = blobId();
    const liveBlob = blobId();
    await store().putBlob({ id: oldBlob, owner: sender, createdAt: T0, expiresAt: T0 + 1000 }, streamOf([bytes(10)]), 100);
    await store().putBlob({ id: liveBlob, owner: sender, createdAt: T0, expiresAt: T0 + 10_000 }, streamOf([bytes(10)]), 100);

    expect(await store().sweep(T0 + 999)).toEqual({ entries: 0, blobs: 0, dedup: 0 });
    expect(await store().sweep(T0 + 1000)).toEqual({ entries: 3, blobs: 1, dedup: 2 });
    expect(await store().depth(a)).toBe(1);
    expect(await store().depth(b)).toBe(0);
    expect(await store().lastSeq(a)).toBe(3);
    expect(await store().getBlobMeta(oldBlob, T0)).toBeNull();
    expect(await store().getBlobMeta(liveBlob, T0)).not.toBeNull();
    // The swept dedup record no longer answers the retry.
    const [again] = await store().append([{ ...shortSend, now: T0 + 2000, expiresAt: T0 + 3000 }]);
    expect(again.duplicate).toBe(false);
    expect(await store().sweep(T0 + 1000)).toEqual({ entries: 0, blobs: 0, dedup: 0 });
  });

  it('sweeps many expired entries across mailboxes', async () => {
    const devices = Array.from({ length: 20 }, () => deviceId());
    const requests = [];
    for (let i = 0; i < 300; i++) requests.push(send(deviceId(), [devices[i % 20]], { ttl: i % 3 === 0 ? 500 : 5000 }));
    await store().append(requests);
    const swept = await store().sweep(T0 + 500);
    expect(swept).toEqual({ entries: 100, blobs: 0, dedup: 100 });
    let depth = 0;
    for (const d of devices) depth += await store().depth(d);
    expect(depth).toBe(200);
  });
}

function deviceTests(store: Get) {
  it('stores the first device list and only strictly newer ones', async () => {
    const u = userId();
    expect(await store().getDeviceList(u)).toBeNull();
    const v2 = deviceList(u, 2);
    expect(await store().putDeviceList(v2)).toBe(true);
    expect(await store().getDeviceList(u)).toEqual(v2);
    expect(await store().putDeviceList(deviceList(u, 2))).toBe(false); // replay of the version
    expect(await store().putDeviceList(deviceList(u, 1))).toBe(false); // rollback
    expect(await store().getDeviceList(u)).toEqual(v2);
    const v5 = deviceList(u, 5, [deviceId(), deviceId()]);
    expect(await store().putDeviceList(v5)).toBe(true);
    expect(await store().getDeviceList(u)).toEqual(v5);
  });

  it('lets exactly one of concurrent puts of the same version win', async () => {
    const u = userId();
    await store().putDeviceList(deviceList(u, 1));
    const candidates = Array.from({ length: 20 }, () => deviceList(u, 2));
    const won = await Promise.all(candidates.map((l) => store().putDeviceList(l)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await store().getDeviceList(u)).toEqual(candidates[won.indexOf(true)]);
  });

  it('fetches the device lists of many users, omitting unknown ones', async () => {
    const users = [userId(), userId(), userId()];
    const lists = users.slice(0, 2).map((u) => deviceList(u, 1));
    for (const l of lists) await store().putDeviceList(l);
    const got = await store().getDeviceLists(users);
    expect(got.size).toBe(2);
    expect(got.get(users[0])).toEqual(lists[0]);
    expect(got.get(users[1])).toEqual(lists[1]);
    expect(got.has(users[2])).toBe(false);
    expect((await store().getDeviceLists([])).size).toBe(0);
  });

  it('stores, replaces and removes a device', async () => {
    const rec = deviceRecord();
    expect(await store().getDevice(rec.keys.id)).toBeNull();
    await store().putDevice(rec);
    expect(await store().getDevice(rec.keys.id)).toEqual(rec);
    const replaced = { ...deviceRecord(rec.userId, rec.keys.id), createdAt: T0 + 1 };
    await store().putDevice(replaced);
    expect(await store().getDevice(rec.keys.id)).toEqual(replaced);
    await store().removeDevice(rec.keys.id);
    expect(await store().getDevice(rec.keys.id)).toBeNull();
  });

  it('replaces the signed prekey, keeping the other keys', async () => {
    const rec = deviceRecord();
    await store().putDevice(rec);
    const next = { id: 2, key: rec.keys.signingKey.replace(/^./, 'Z'), sig: rec.keys.identityKeySig };
    await store().setSignedPrekey(rec.keys.id, next);
    expect(await store().getDevice(rec.keys.id)).toEqual({ ...rec, keys: { ...rec.keys, signedPrekey: next } });
  });

  it('removeDevice deletes its prekeys and leaves other devices alone', async () => {
    const [a, b] = [deviceRecord(), deviceRecord()];
    for (const r of [a, b]) {
      await store().putDevice(r);
      await store().addOneTimePrekeys(r.keys.id, prekeys(1, 5));
    }
    await store().removeDevice(a.keys.id);
    expect(await store().countOneTimePrekeys(a.keys.id)).toBe(0);
    expect(await store().claimOneTimePrekey(a.keys.id)).toBeNull();
    expect(await store().getDevice(b.keys.id)).toEqual(b);
    expect(await store().countOneTimePrekeys(b.keys.id)).toBe(5);
    // The optional one-read login state: nothing for a removed device.
    if (store().loginState) expect(await store().loginState!(a.keys.id)).toBeNull();
  });

  it('loginState (when offered) agrees with the separate reads a login would make', async () => {
    const read = store().loginState?.bind(store());
    if (!read) return;
    const rec = deviceRecord();
    await store().putDevice(rec);
    expect(await read(rec.keys.id)).toEqual({ userId: rec.userId, signingKey: rec.keys.signingKey, lastSeq: 0, prekeys: 0, lastSeen: null, visibility: 'everyone' });
    await store().addOneTimePrekeys(rec.keys.id, prekeys(1, 7));
    await store().append([send(deviceId(), [rec.keys.id])]);
    await store().append([send(deviceId(), [rec.keys.id])]);
    await store().setLastSeen(rec.userId, T0 + 123);
    await store().setPresenceVisibility(rec.userId, 'nobody');
    const state = await read(rec.keys.id);
    expect(state).toEqual({
      userId: rec.userId,
      signingKey: rec.keys.signingKey,
      lastSeq: await store().lastSeq(rec.keys.id),
      prekeys: await store().countOneTimePrekeys(rec.keys.id),
      lastSeen: await store().getLastSeen(rec.userId),
      visibility: await store().getPresenceVisibility(rec.userId),
    });
    expect(state).toMatchObject({ lastSeq: 2, prekeys: 7, lastSeen: T0 + 123, visibility: 'nobody' });
    expect(await read(deviceId())).toBeNull();
  });
}

function prekeyTests(store: Get) {
  it('adds, counts and claims prekeys until none is left', async () => {
    const d = deviceId();
    expect(await store().countOneTimePrekeys(d)).toBe(0);
    expect(await store().claimOneTimePrekey(d)).toBeNull();
    const keys = prekeys(10, 3);
    expect(await store().addOneTimePrekeys(d, keys)).toBe(3);
    const claimed = [];
    for (let i = 0; i < 3; i++) claimed.push(await store().claimOneTimePrekey(d));
    expect(claimed.map((k) => k?.id).sort()).toEqual([10, 11, 12]);
    for (const k of claimed) expect(k).toEqual(keys.find((p) => p.id === k?.id));
    expect(await store().claimOneTimePrekey(d)).toBeNull();
    expect(await store().countOneTimePrekeys(d)).toBe(0);
  });

  it('ignores prekey ids already held and returns the count now held', async () => {
    const d = deviceId();
    const first = prekeys(1, 5);
    await store().addOneTimePrekeys(d, first);
    const again = [{ id: 3, key: prekeys(3, 1)[0].key }, ...prekeys(6, 2)];
    expect(await store().addOneTimePrekeys(d, again)).toBe(7);
    const held = [];
    for (let k = await store().claimOneTimePrekey(d); k; k = await store().claimOneTimePrekey(d)) held.push(k);
    expect(held.find((k) => k.id === 3)).toEqual(first[2]); // the original key, not the duplicate
    expect(await store().addOneTimePrekeys(d, [])).toBe(0);
  });

  it('never hands out the same prekey twice under concurrent claims', async () => {
    const d = deviceId();
    await store().addOneTimePrekeys(d, prekeys(1, 60));
    const claims = await Promise.all(Array.from({ length: 100 }, () => store().claimOneTimePrekey(d)));
    const got = claims.filter((k) => k !== null);
    expect(got).toHaveLength(60);
    expect(new Set(got.map((k) => k!.id)).size).toBe(60);
    expect(claims.filter((k) => k === null)).toHaveLength(40);
    expect(await store().countOneTimePrekeys(d)).toBe(0);
  });

  it('keeps each device’s prekeys separate', async () => {
    const [a, b] = [deviceId(), deviceId()];
    await store().addOneTimePrekeys(a, prekeys(1, 2));
    await store().addOneTimePrekeys(b, prekeys(1, 1));
    await store().claimOneTimePrekey(b);
    expect(await store().claimOneTimePrekey(b)).toBeNull();
    expect(await store().countOneTimePrekeys(a)).toBe(2);
  });
}

function settingsTests(store: Get) {
  it('claims, looks up and releases handles', async () => {
    const [u, v] = [userId(), userId()];
    expect(await store().lookupHandle('alice')).toBeNull();
    expect(await store().handleOf(u)).toBeNull();
    expect(await store().claimHandle('alice', u)).toBe(true);
    expect(await store().lookupHandle('alice')).toBe(u);
    expect(await store().handleOf(u)).toBe('alice');
    expect(await store().claimHandle('alice', v)).toBe(false);
    expect(await store().claimHandle('alice', u)).toBe(true); // re-claim by its owner
    expect(await store().lookupHandle('alice')).toBe(u);
    await store().releaseHandle(u);
    expect(await store().lookupHandle('alice')).toBeNull();
    expect(await store().handleOf(u)).toBeNull();
    expect(await store().claimHandle('alice', v)).toBe(true);
    await store().releaseHandle(userId()); // releasing nothing is fine
  });

  it('holds one handle per user: claiming a new one releases the old', async () => {
    const [u, v] = [userId(), userId()];
    await store().claimHandle('first_name', u);
    expect(await store().claimHandle('second_name', u)).toBe(true);
    expect(await store().handleOf(u)).toBe('second_name');
    expect(await store().lookupHandle('first_name')).toBeNull();
    expect(await store().claimHandle('first_name', v)).toBe(true);
  });

  it('a refused claim keeps the claimant’s current handle', async () => {
    const [u, v] = [userId(), userId()];
    await store().claimHandle('taken', u);
    await store().claimHandle('mine', v);
    expect(await store().claimHandle('taken', v)).toBe(false);
    expect(await store().handleOf(v)).toBe('mine');
  });

  it('gives a contested handle to exactly one of concurrent claimants', async () => {
    const users = Array.from({ length: 20 }, () => userId());
    const won = await Promise.all(users.map((u) => store().claimHandle('popular', u)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await store().lookupHandle('popular')).toBe(users[won.indexOf(true)]);
  });

  it('presence visibility defaults to everyone and is kept per user', async () => {
    const [u, v] = [userId(), userId()];
    expect(await store().getPresenceVisibility(u)).toBe('everyone');
    await store().setPresenceVisibility(u, 'nobody');
    expect(await store().getPresenceVisibility(u)).toBe('nobody');
    expect(await store().getPresenceVisibility(v)).toBe('everyone');
    await store().setPresenceVisibility(u, 'everyone');
    expect(await store().getPresenceVisibility(u)).toBe('everyone');
  });

  it('records last seen per user, independent of visibility', async () => {
    const [u, v] = [userId(), userId()];
    expect(await store().getLastSeen(u)).toBeNull();
    await store().setLastSeen(u, T0);
    await store().setLastSeen(u, T0 + 60_000);
    expect(await store().getLastSeen(u)).toBe(T0 + 60_000);
    await store().setPresenceVisibility(u, 'nobody');
    expect(await store().getLastSeen(u)).toBe(T0 + 60_000);
    expect(await store().getLastSeen(v)).toBeNull();
    await store().setLastSeen(v, T0 + 1);
    expect(await store().getPresenceVisibility(v)).toBe('everyone');
  });
}

function blobTests(store: Get) {
  const meta = (over: Partial<{ id: string; expiresAt: number }> = {}) => ({
    id: over.id ?? blobId(),
    owner: deviceId(),
    createdAt: T0,
    expiresAt: over.expiresAt ?? T0 + DAY,
  });

  it('stores a streamed blob and reads it back whole', async () => {
    const data = bytes(300_000, 7);
    const m = meta();
    const stored = await store().putBlob(m, streamOf(chunked(data, 16_384)), 1_000_000);
    expect(stored).toEqual({ ...m, size: data.length });
    expect(await store().getBlobMeta(m.id, T0)).toEqual(stored);
    const stream = await store().readBlob(m.id, 0, data.length - 1, T0);
    expect(stream).not.toBeNull();
    expect(await collect(stream!)).toEqual(data);
  });

  it('serves byte ranges: first byte, last byte, the middle', async () => {
    const data = bytes(100_000, 3);
    const m = meta();
    await store().putBlob(m, streamOf(chunked(data, 7_000)), 100_000);
    const range = async (start: number, end: number) => collect((await store().readBlob(m.id, start, end, T0))!);
    expect(await range(0, 0)).toEqual(data.slice(0, 1));
    expect(await range(99_999, 99_999)).toEqual(data.slice(99_999));
    expect(await range(12_345, 87_654)).toEqual(data.slice(12_345, 87_655));
    expect(await range(50_000, 99_999)).toEqual(data.slice(50_000));
  });

  it('accepts a blob of exactly the limit and an empty blob', async () => {
    const m = meta();
    expect((await store().putBlob(m, streamOf(chunked(bytes(1000), 100)), 1000)).size).toBe(1000);
    const empty = meta();
    expect((await store().putBlob(empty, streamOf([]), 1000)).size).toBe(0);
    expect(await store().getBlobMeta(empty.id, T0)).toEqual({ ...empty, size: 0 });
  });

  it('refuses a blob over the limit with BlobTooLargeError and stores nothing', async () => {
    const m = meta();
    const err = await store()
      .putBlob(m, streamOf(chunked(bytes(5000), 1000)), 4999)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobTooLargeError);
    expect((err as BlobTooLargeError).code).toBe('too_large');
    expect((err as BlobTooLargeError).limit).toBe(4999);
    expect(await store().getBlobMeta(m.id, T0)).toBeNull();
    expect(await store().readBlob(m.id, 0, 0, T0)).toBeNull();
    expect(await store().sweep(T0 + 10 * DAY)).toEqual({ entries: 0, blobs: 0, dedup: 0 });
  });

  it('stores nothing when the upload fails midway', async () => {
    const m = meta();
    await expect(store().putBlob(m, streamOf(chunked(bytes(5000), 1000), 3), 10_000)).rejects.toThrow();
    expect(await store().getBlobMeta(m.id, T0)).toBeNull();
    expect(await store().readBlob(m.id, 0, 0, T0)).toBeNull();
  });

  it('does not serve an expired blob, even before a sweep', async () => {
    const m = meta({ expiresAt: T0 + 1000 });
    await store().putBlob(m, streamOf([bytes(10)]), 100);
    expect(await store().getBlobMeta(m.id, T0 + 999)).not.toBeNull();
    expect(await store().getBlobMeta(m.id, T0 + 1000)).toBeNull();
    expect(await store().readBlob(m.id, 0, 9, T0 + 1000)).toBeNull();
  });

  it('deletes a blob once', async () => {
    const m = meta();
    await store().putBlob(m, streamOf([bytes(10)]), 100);
    expect(await store().deleteBlob(m.id)).toBe(true);
    expect(await store().getBlobMeta(m.id, T0)).toBeNull();
    expect(await store().readBlob(m.id, 0, 9, T0)).toBeNull();
    expect(await store().deleteBlob(m.id)).toBe(false);
    expect(await store().deleteBlob(blobId())).toBe(false);
  });

  it('answers null for an unknown blob', async () => {
    expect(await store().getBlobMeta(blobId(), T0)).toBeNull();
    expect(await store().readBlob(blobId(), 0, 0, T0)).toBeNull();
  });
}
