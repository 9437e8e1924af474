// A client that vanishes mid-sync loses nothing. A device logs in to a backlog of 3,000
// entries, acknowledges only the first deliver frame, and its TCP socket is destroyed
// while the relay is still delivering (no WebSocket close handshake). When it logs in
// again it gets every entry it had not acknowledged: the union of both sessions is the
// whole backlog, byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { type TestAccount, TestSocket, newCid, payload, registerUser, sodiumReady } from './support/client.ts';
import { type TestRelay, startTestRelay } from './support/relay.ts';

const BACKLOG = 3_000;
let relay: TestRelay;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  await sodiumReady();
  // Small batches and window, so the backlog takes many frames and the drop lands mid-sync.
  relay = await startTestRelay({ limits: { deviceFramesPerSecond: 0, deliveryBatch: 100, deliveryWindow: 1_000 } });
  alice = await registerUser(relay.host, 1);
  bob = await registerUser(relay.host, 1);
});
afterAll(() => relay.dispose());

describe('a client vanishing mid-sync', () => {
  it('gets every unacknowledged entry on its next login after its socket was destroyed without a close', async () => {
    const [a] = alice.devices;
    const [b] = bob.devices;
    const sent = new Map<number, string>(); // seq → body
    const sa = await TestSocket.login(relay.wsUrl, relay.host, a);
    for (let i = 0; i < BACKLOG; i += 500) {
      const cids: string[] = [];
      for (let j = i; j < Math.min(BACKLOG, i + 500); j++) {
        const cid = newCid();
        const body = payload(120);
        cids.push(cid);
        sa.send({ t: 'send', cid, to: [{ d: b.id, b: body }] });
        sent.set(-1 - j, body); // placeholder until the seq is known
      }
      for (const [k, cid] of cids.entries()) {
        const f = await sa.next((x) => x.t === 'sent' && x.cid === cid);
        sent.set(f.seqs[0].s, sent.get(-1 - (i + k))!);
        sent.delete(-1 - (i + k));
      }
    }
    sa.close();
    expect(sent.size).toBe(BACKLOG);

    // First session: take two frames, acknowledge the first, then vanish.
    const first = await TestSocket.login(relay.wsUrl, relay.host, b);
    const got = new Map<number, string>();
    const f1 = await first.next('deliver');
    for (const e of f1.m) got.set(e.s, e.b);
    first.send({ t: 'ack', upTo: f1.m[f1.m.length - 1].s });
    const f2 = await first.next('deliver');
    for (const e of f2.m) got.set(e.s, e.b);
    const ackedUpTo = f1.m[f1.m.length - 1].s;
    await new Promise((r) => setTimeout(r, 20)); // the ack reaches the relay; delivery is still running
    const inFlightAtDrop = relay.relay.hub.connection(b.id) !== undefined;
    (first.ws as unknown as { _socket: Socket })._socket.destroy(); // no close frame, no handshake
    const firstSession = got.size;

    // The relay notices the dead socket and lets go of it.
    const deadline = Date.now() + 5_000;
    while (relay.relay.hub.connection(b.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(relay.relay.hub.connection(b.id)).toBeUndefined();

    // Second session, resuming from what the relay holds: everything not acknowledged.
    const second = await TestSocket.login(relay.wsUrl, relay.host, b);
    let redelivered = 0;
    let lowest = Infinity;
    while (got.size < BACKLOG) {
      const f = await second.next('deliver', 5_000);
      for (const e of f.m) {
        lowest = Math.min(lowest, e.s);
        if (got.has(e.s)) {
          redelivered++;
          expect(got.get(e.s)).toBe(e.b);
        }
        got.set(e.s, e.b);
      }
      second.send({ t: 'ack', upTo: f.m[f.m.length - 1].s });
    }
    console.log(
      `[vanish] backlog ${BACKLOG}; first session got ${firstSession} (acked up to seq ${ackedUpTo}) then its socket was destroyed; ` +
        `second session started at seq ${lowest}, redelivered ${redelivered} received-but-unacknowledged entries; total unique ${got.size}`,
    );
    expect(inFlightAtDrop).toBe(true);
    expect(lowest).toBe(ackedUpTo + 1); // nothing acknowledged comes back, nothing unacknowledged is skipped
    expect(redelivered).toBe(firstSession - f1.m.length);
    expect(got).toEqual(sent);
    expect(await second.quiet('deliver', 200)).toBe(true);
    second.close();
  });
});
