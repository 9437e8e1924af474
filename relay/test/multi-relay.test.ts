// Many relays: separate relay processes share one store (one SQLite file in WAL mode, as
// relays on one machine can; in production MongoDB) and push to each other through a real
// redis-server. Devices on different relays talk in real time; stopping a relay loses
// nothing; a lost pub/sub message only delays delivery until the next mailbox re-read.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestAccount, type TestDevice, TestSocket, newCid, payload, registerUser, sodiumReady } from './support/client.ts';
import { TestRedis } from './support/redis-server.ts';
import { type RelayProcess, spawnRelay } from './support/relay-process.ts';

/** Each relay re-reads its connected mailboxes this often; real-time must beat it by far. */
const RESYNC_MS = 3_000;
/** What "real time" means here: a push through Redis, not the periodic re-read. */
const REAL_TIME_MS = 500;

let redis: TestRedis;
let dataDir: string;
let a: RelayProcess;
let b: RelayProcess;
const extra: RelayProcess[] = [];

const start = () =>
  spawnRelay({
    dataDir,
    overrides: { sqliteSynchronous: 'NORMAL', redisResyncMs: RESYNC_MS, limits: { addressRequestsPerSecond: 0 } },
    env: { PARLEY_REDIS_URL: redis.url },
  });

const startDeno = () =>
  spawnRelay({
    runtime: 'deno',
    dataDir,
    overrides: { sqliteSynchronous: 'NORMAL', redisResyncMs: RESYNC_MS, limits: { addressRequestsPerSecond: 0 } },
    env: { PARLEY_REDIS_URL: redis.url },
  });

const login = (relay: RelayProcess, d: TestDevice, after?: number) => TestSocket.login(relay.wsUrl, relay.host, d, after);

async function sendOne(from: TestSocket, to: TestDevice, body = payload()): Promise<{ seq: number; body: string; at: number }> {
  const cid = newCid();
  from.send({ t: 'send', cid, to: [{ d: to.id, b: body }] });
  const sent = await from.next((f) => f.t === 'sent' && f.cid === cid);
  return { seq: sent.seqs[0].s, body, at: Date.now() };
}

beforeAll(async () => {
  await sodiumReady();
  redis = await TestRedis.start();
  dataDir = await mkdtemp(join(tmpdir(), 'parley-multi-relay-'));
  a = await start(); // creates and migrates the shared database first
  b = await start();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([a, b, ...extra].filter(Boolean).map((r) => r.stop('SIGKILL')));
  await redis?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('relays sharing one store over Redis', () => {
  let alice: TestAccount;
  let bob: TestAccount;
  beforeAll(async () => {
    alice = await registerUser(a.host, 1);
    bob = await registerUser(b.host, 2);
  });

  it('delivers messages and receipts between devices on different relays in real time', async () => {
    const sa = await login(a, alice.devices[0]);
    const sb = await login(b, bob.devices[0]);
    for (let i = 0; i < 5; i++) {
      const m = await sendOne(sa, bob.devices[0]);
      const [got] = await sb.receive(1);
      expect(Date.now() - m.at).toBeLessThan(REAL_TIME_MS);
      expect(got).toMatchObject({ s: m.seq, b: m.body });
      sb.send({ t: 'ack', upTo: got.s });
      // The receipt travels back the other way, as an ordinary message.
      const r = await sendOne(sb, alice.devices[0]);
      const [receipt] = await sa.receive(1);
      expect(Date.now() - r.at).toBeLessThan(REAL_TIME_MS);
      expect(receipt.b).toBe(r.body);
      sa.send({ t: 'ack', upTo: receipt.s });
    }
    sa.close();
    sb.close();
    await Promise.all([sa.closed, sb.closed]);
  });

  it('sends ready before any backlog to a device reconnecting on the other relay (regression: the post-subscribe re-read delivered before ready)', async () => {
    const sa = await login(a, alice.devices[0]);
    for (let i = 0; i < 20; i++) await sendOne(sa, bob.devices[1]);
    const sb = await login(b, bob.devices[1]);
    const got = await sb.receive(20);
    expect(got.length).toBeGreaterThanOrEqual(20);
    const firstDeliver = sb.arrivals.indexOf('deliver');
    expect(sb.arrivals.indexOf('ready')).toBeGreaterThanOrEqual(0);
    expect(sb.arrivals.indexOf('ready')).toBeLessThan(firstDeliver);
    sb.send({ t: 'ack', upTo: got[got.length - 1].s });
    sa.close();
    sb.close();
    await Promise.all([sa.closed, sb.closed]);
  });

  it('forwards ephemeral frames (typing) across relays, and subscribes only to its own devices', async () => {
    const sa = await login(a, alice.devices[0]);
    const sb = await login(b, bob.devices[0]);
    const t0 = Date.now();
    sa.send({ t: 'eph', to: [{ d: bob.devices[0].id, b: 'dHlwaW5n' }] });
    expect(await sb.next('eph')).toMatchObject({ b: 'dHlwaW5n' });
    expect(Date.now() - t0).toBeLessThan(REAL_TIME_MS);

    const probe = createClient({ url: redis.url });
    await probe.connect();
    try {
      const channels = (await probe.pubSubChannels('parley:d:*')).sort();
      expect(channels).toEqual([`parley:d:${alice.devices[0].id}`, `parley:d:${bob.devices[0].id}`].sort());
      // One subscriber each: the relay that has the device, not every relay.
      const counts = await probe.pubSubNumSub(channels);
      expect(Object.values(counts)).toEqual([1, 1]);
    } finally {
      await probe.close();
    }
    sa.close();
    sb.close();
    await Promise.all([sa.closed, sb.closed]);
  });

  it('keeps mailbox seqs gapless when two relays append to one mailbox at once', async () => {
    const carol = await registerUser(a.host, 1);
    const sendersA = await login(a, alice.devices[0]);
    const sendersB = await login(b, bob.devices[1]);
    const cids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const [sock] = i % 2 === 0 ? [sendersA] : [sendersB];
      const cid = newCid();
      cids.push(cid);
      sock.send({ t: 'send', cid, to: [{ d: carol.devices[0].id, b: payload(16) }] });
    }
    const sent = await Promise.all(cids.map((cid, i) => (i % 2 === 0 ? sendersA : sendersB).next((f) => f.t === 'sent' && f.cid === cid)));
    const seqs = sent.map((f) => f.seqs[0].s as number).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    sendersA.close();
    sendersB.close();
  });

  it('shows presence across relays: online while any relay has a device, offline after the last', async () => {
    const watcher = await registerUser(b.host, 2);
    const target = await registerUser(a.host, 2);
    const w = await login(b, watcher.devices[0]);
    w.send({ t: 'presence.sub', users: [target.userId] });
    expect(await w.next('presence')).toMatchObject({ u: target.userId, online: false });

    const t1 = await login(a, target.devices[0]);
    expect(await w.next('presence')).toMatchObject({ u: target.userId, online: true });
    // A relay started now never saw that event: it learns the state from Redis.
    const fresh = await start();
    extra.push(fresh);
    const late = await login(fresh, watcher.devices[1]);
    late.send({ t: 'presence.sub', users: [target.userId] });
    expect(await late.next('presence')).toMatchObject({ u: target.userId, online: true });

    const t2 = await login(fresh, target.devices[1]);
    t1.close();
    await t1.closed;
    // Still online through the fresh relay: neither watcher hears "offline".
    expect(await late.quiet('presence', 400)).toBe(true);
    expect(await w.quiet('presence', 50)).toBe(true);
    const before = Date.now();
    t2.close();
    for (const sock of [w, late]) {
      const off = await sock.next('presence');
      expect(off).toMatchObject({ u: target.userId, online: false });
      expect(off.lastSeen).toBeGreaterThanOrEqual(before - 50);
    }
    w.close();
    late.close();
    await fresh.stop('SIGTERM');
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`loses nothing when a relay stops (${signal}) and its devices reconnect to another`, async () => {
      const c = await start();
      extra.push(c);
      const sender = await registerUser(a.host, 1);
      const peer = await registerUser(a.host, 1);
      const [s1] = sender.devices;
      const [p1] = peer.devices;

      // Two streams cross relay C: s1 (on A) → p1 (on C), and p1 (on C) → s1 (on A).
      const onA = await login(a, s1);
      let onC = await login(c, p1);
      const acked = { toP: new Map<number, string>(), toS: new Map<number, string>() };
      const got = { byP: new Map<number, string>(), byS: new Map<number, string>() };
      const collect = (sock: TestSocket, into: Map<number, string>) => {
        const take = (f: { t: string; m?: { s: number; b: string }[] }) => {
          if (f.t !== 'deliver' || !f.m) return;
          for (const e of f.m) into.set(e.s, e.b);
          sock.send({ t: 'ack', upTo: f.m[f.m.length - 1].s });
        };
        // Frames that arrived with `ready`, before this listener existed, first.
        for (const f of sock.frames) take(f);
        sock.ws.on('message', (data) => take(JSON.parse(String(data))));
      };
      collect(onA, got.byS);
      collect(onC, got.byP);

      // p1's outbox: each message is retried with the same cid until acknowledged.
      const outbox = new Map<string, string>();
      const sendFromP = (sock: TestSocket, cid: string, body: string) => {
        sock.send({ t: 'send', cid, to: [{ d: s1.id, b: body }] });
        void sock.next((f) => f.t === 'sent' && f.cid === cid, 15_000).then(
          (f) => {
            outbox.delete(cid);
            acked.toS.set(f.seqs[0].s, body);
          },
          () => {},
        );
      };

      let stopAt = 0;
      const N = 60;
      for (let i = 0; i < N; i++) {
        const m = await sendOne(onA, p1);
        acked.toP.set(m.seq, m.body);
        const cid = newCid();
        const body = payload(24);
        outbox.set(cid, body);
        sendFromP(onC, cid, body);
        if (i === N / 2) {
          stopAt = i;
          await c.stop(signal);
          await onC.closed;
          // The device reconnects to relay B, resuming after what it holds.
          onC = await login(b, p1, Math.max(0, ...got.byP.keys()));
          collect(onC, got.byP);
          for (const [cidAgain, bodyAgain] of outbox) sendFromP(onC, cidAgain, bodyAgain);
        }
      }
      expect(stopAt).toBe(N / 2);
      const deadline = Date.now() + 10_000;
      while ((outbox.size > 0 || got.byP.size < acked.toP.size || got.byS.size < acked.toS.size) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(outbox.size).toBe(0);
      // Exactly once after dedup by seq, with the right bodies, in both directions.
      expect(new Map([...got.byP].sort((x, y) => x[0] - y[0]))).toEqual(new Map([...acked.toP].sort((x, y) => x[0] - y[0])));
      expect(new Map([...got.byS].sort((x, y) => x[0] - y[0]))).toEqual(new Map([...acked.toS].sort((x, y) => x[0] - y[0])));
      expect(acked.toS.size).toBe(N);
      onA.close();
      onC.close();
    });
  }

  it('mixes runtimes: a Deno relay (node:sqlite on the same file) and a Node relay talk in real time', async () => {
    const d = await startDeno();
    extra.push(d);
    const sa = await login(a, alice.devices[0]);
    const sd = await login(d, bob.devices[0]);
    for (const [from, to, toSock] of [
      [sa, bob.devices[0], sd],
      [sd, alice.devices[0], sa],
    ] as const) {
      const m = await sendOne(from, to);
      const [got] = await toSock.receive(1);
      expect(Date.now() - m.at).toBeLessThan(REAL_TIME_MS);
      expect(got).toMatchObject({ s: m.seq, b: m.body });
      toSock.send({ t: 'ack', upTo: got.s });
    }
    sa.send({ t: 'eph', to: [{ d: bob.devices[0].id, b: 'dHlwaW5n' }] });
    expect(await sd.next('eph')).toMatchObject({ b: 'dHlwaW5n' });
    sa.close();
    sd.close();
    expect(await d.stop('SIGTERM')).toBe(0);
  });

  it('a push lost while Redis is down only delays delivery until the next mailbox re-read', async () => {
    const sa = await login(a, alice.devices[0]);
    const sb = await login(b, bob.devices[0]);
    await redis.stop();
    const m = await sendOne(sa, bob.devices[0]); // committed; its push is lost
    const [got] = await sb.receive(1, RESYNC_MS + 2_000);
    expect(got).toMatchObject({ s: m.seq, b: m.body });
    sb.send({ t: 'ack', upTo: got.s });
    // Typing frames are never stored: they need the bus, and come back with it.
    await redis.restart();
    const deadline = Date.now() + 10_000;
    let back = false;
    while (!back && Date.now() < deadline) {
      sa.send({ t: 'eph', to: [{ d: bob.devices[0].id, b: 'cGluZw' }] });
      back = !(await sb.quiet('eph', 200));
    }
    expect(back).toBe(true);
    const again = await sendOne(sa, bob.devices[0]);
    const [fast] = await sb.receive(1);
    expect(Date.now() - again.at).toBeLessThan(REAL_TIME_MS);
    expect(fast.s).toBe(again.seq);
    sa.close();
    sb.close();
  });
});
