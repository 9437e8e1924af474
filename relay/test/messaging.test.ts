// Sends, delivery, acknowledgement and sync against a real relay on a loopback port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestAccount, TestSocket, newCid, payload, registerUser, sodiumReady } from './support/client.ts';
import { type TestRelay, startTestRelay } from './support/relay.ts';

let relay: TestRelay;
let alice: TestAccount; // two devices
let bob: TestAccount; // two devices

beforeAll(async () => {
  await sodiumReady();
  relay = await startTestRelay();
  alice = await registerUser(relay.host, 2);
  bob = await registerUser(relay.host, 2);
});
afterAll(() => relay.dispose());

const login = (d: TestAccount['devices'][number], after?: number) => TestSocket.login(relay.wsUrl, relay.host, d, after);

describe('sending and delivery', () => {
  it('delivers a 1:1 send to a connected device and acknowledges the sender with seqs', async () => {
    const [a1] = alice.devices;
    const [b1] = bob.devices;
    const sa = await login(a1);
    const sb = await login(b1);
    const cid = newCid();
    const body = payload();
    sa.send({ t: 'send', cid, to: [{ d: b1.id, b: body }] });
    const sent = await sa.next('sent');
    expect(sent.cid).toBe(cid);
    expect(sent.seqs).toHaveLength(1);
    expect(sent.seqs[0].d).toBe(b1.id);
    const [entry] = await sb.receive(1);
    expect(entry.b).toBe(body);
    expect(entry.s).toBe(sent.seqs[0].s);
    sb.send({ t: 'ack', upTo: entry.s });
    sa.close();
    sb.close();
  });

  it('fans out to every current device of a group with `to` + `check`, and with `fanout`', async () => {
    const [a1, a2] = alice.devices;
    const [b1, b2] = bob.devices;
    const socks = await Promise.all([a1, a2, b1, b2].map((d) => login(d)));
    const [sa1, sa2, sb1, sb2] = socks;
    // Explicit per-device ciphertexts, checked against both users' device sets.
    const cid1 = newCid();
    sa1.send({ t: 'send', cid: cid1, check: [alice.userId, bob.userId], to: [a2, b1, b2].map((d) => ({ d: d.id, b: payload() })) });
    const sent1 = await sa1.next((f) => f.t === 'sent' && f.cid === cid1);
    expect(sent1.seqs.map((s: { d: string }) => s.d).sort()).toEqual([a2.id, b1.id, b2.id].sort());
    // One ciphertext expanded by the relay to all devices of both users except the sender's own.
    const cid2 = newCid();
    const body = payload();
    sa1.send({ t: 'send', cid: cid2, fanout: { users: [alice.userId, bob.userId], b: body } });
    const sent2 = await sa1.next((f) => f.t === 'sent' && f.cid === cid2);
    expect(sent2.seqs.map((s: { d: string }) => s.d).sort()).toEqual([a2.id, b1.id, b2.id].sort());
    for (const s of [sa2, sb1, sb2]) {
      const got = await s.receive(2);
      expect(got[1].b).toBe(body);
      s.send({ t: 'ack', upTo: got[1].s });
    }
    expect(await sa1.quiet('deliver')).toBe(true); // the sender's own device gets nothing
    socks.forEach((s) => s.close());
  });

  it('refuses a send whose device set is stale, with the current signed lists', async () => {
    const [a1] = alice.devices;
    const [b1] = bob.devices;
    const sa = await login(a1);
    const cid = newCid();
    sa.send({ t: 'send', cid, check: [bob.userId], to: [{ d: b1.id, b: payload() }] }); // b2 missing
    const err = await sa.next('error');
    expect(err).toMatchObject({ code: 'stale_devices', ref: cid });
    expect(err.lists).toHaveLength(1);
    expect(err.lists[0].userId).toBe(bob.userId);
    expect(err.lists[0].devices.map((d: { id: string }) => d.id).sort()).toEqual(bob.devices.map((d) => d.id).sort());
    expect(await sa.quiet('sent')).toBe(true);
    sa.close();
  });

  it('names an unknown recipient device in the error and stores nothing', async () => {
    const sa = await login(alice.devices[0]);
    const cid = newCid();
    sa.send({ t: 'send', cid, to: [{ d: 'aaaaaaaaaaaaaaaa', b: payload() }] });
    expect(await sa.next('error')).toMatchObject({ code: 'unknown_device', ref: cid });
    sa.close();
  });

  it('queues for an offline device, then syncs everything in order with gapless seqs on reconnect', async () => {
    const [a1] = alice.devices;
    const b2 = bob.devices[1];
    const sa = await login(a1);
    const bodies: string[] = [];
    const seqs: number[] = [];
    for (let i = 0; i < 30; i++) {
      const cid = newCid();
      bodies.push(payload(20));
      sa.send({ t: 'send', cid, to: [{ d: b2.id, b: bodies[i] }] });
    }
    for (let i = 0; i < 30; i++) seqs.push((await sa.next('sent')).seqs[0].s);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
    const sb = await login(b2);
    const got = await sb.receive(30);
    expect(got.map((e) => e.b)).toEqual(bodies);
    expect(got.map((e) => e.s)).toEqual(seqs);
    // Acknowledge the first 10 only: a reconnect redelivers exactly the other 20.
    sb.send({ t: 'ack', upTo: seqs[9] });
    await sb.quiet('deliver', 100);
    sb.close();
    await sb.closed;
    const sb2 = await login(b2);
    const again = await sb2.receive(20);
    expect(again.map((e) => e.s)).toEqual(seqs.slice(10));
    sb2.send({ t: 'ack', upTo: seqs[29] });
    await sb2.quiet('deliver', 100);
    sb2.close();
    await sb2.closed;
    const sb3 = await login(b2);
    expect(await sb3.quiet('deliver', 200)).toBe(true);
    sb3.close();
    sa.close();
  });

  it('resumes after `after` without redelivering what the device already holds', async () => {
    const [a1] = alice.devices;
    const b1 = bob.devices[0];
    const sa = await login(a1);
    const seqs: number[] = [];
    for (let i = 0; i < 4; i++) {
      sa.send({ t: 'send', cid: newCid(), to: [{ d: b1.id, b: payload() }] });
      seqs.push((await sa.next('sent')).seqs[0].s);
    }
    const sb = await login(b1, seqs[1]);
    const got = await sb.receive(2);
    expect(got.map((e) => e.s)).toEqual(seqs.slice(2));
    sb.send({ t: 'ack', upTo: seqs[3] });
    sa.close();
    sb.close();
  });

  it('stores a retried cid once and answers with the first result (dup: true)', async () => {
    const [a1] = alice.devices;
    const b1 = bob.devices[0];
    const sa = await login(a1);
    const cid = newCid();
    const frame = { t: 'send', cid, to: [{ d: b1.id, b: payload() }] };
    sa.send(frame);
    const first = await sa.next('sent');
    sa.send(frame);
    const second = await sa.next('sent');
    expect(second.dup).toBe(true);
    expect(second.seqs).toEqual(first.seqs);
    const sb = await login(b1);
    const got = await sb.receive(1);
    expect(got.map((e) => e.s)).toEqual([first.seqs[0].s]);
    expect(await sb.quiet('deliver', 150)).toBe(true);
    sb.send({ t: 'ack', upTo: first.seqs[0].s });
    sa.close();
    sb.close();
  });

  it('keeps mailboxes isolated: an ack only ever touches the acking device’s own mailbox', async () => {
    const [a1, a2] = alice.devices;
    const b1 = bob.devices[0];
    const sa = await login(a1);
    sa.send({ t: 'send', cid: newCid(), to: [{ d: b1.id, b: payload() }] });
    const sent = await sa.next('sent');
    // a2 acknowledges far beyond anything: clamped to its own cursor, b1's entry survives.
    const sa2 = await login(a2);
    sa2.send({ t: 'ack', upTo: 1_000_000 });
    await sa2.quiet('error', 100);
    expect(await relay.relay.context.store.depth(b1.id)).toBeGreaterThan(0);
    const sb = await login(b1);
    const got = await sb.receive(1);
    expect(got[0].s).toBe(sent.seqs[0].s);
    sb.send({ t: 'ack', upTo: got[0].s });
    [sa, sa2, sb].forEach((s) => s.close());
  });

  it('forwards ephemeral frames to connected devices only and never stores them', async () => {
    const [a1] = alice.devices;
    const [b1, b2] = bob.devices;
    const sa = await login(a1);
    const sb1 = await login(b1);
    const typing = payload(8);
    sa.send({ t: 'eph', to: [{ d: b1.id, b: typing }, { d: b2.id, b: typing }] });
    expect(await sb1.next('eph')).toEqual({ t: 'eph', b: typing });
    const depth = await relay.relay.context.store.depth(b2.id);
    const sb2 = await login(b2); // was offline: must never see it
    expect(await sb2.quiet('eph', 200)).toBe(true);
    expect(await relay.relay.context.store.depth(b2.id)).toBe(depth);
    [sa, sb1, sb2].forEach((s) => s.close());
  });
});

describe('TTL', () => {
  it('never serves an expired entry, and the sweeper deletes it', async () => {
    const short = await startTestRelay({ ttlMs: 300, sweepIntervalMs: 60_000 });
    try {
      const a = await registerUser(short.host, 1);
      const b = await registerUser(short.host, 1);
      const sa = await TestSocket.login(short.wsUrl, short.host, a.devices[0]);
      sa.send({ t: 'send', cid: newCid(), to: [{ d: b.devices[0].id, b: payload() }] });
      await sa.next('sent');
      expect(await short.relay.context.store.depth(b.devices[0].id)).toBe(1);
      await new Promise((r) => setTimeout(r, 400));
      const sb = await TestSocket.login(short.wsUrl, short.host, b.devices[0]);
      expect(await sb.quiet('deliver', 200)).toBe(true);
      await short.relay.sweep();
      expect(await short.relay.context.store.depth(b.devices[0].id)).toBe(0);
      sa.close();
      sb.close();
    } finally {
      await short.dispose();
    }
  });
});
