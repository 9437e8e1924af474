// Bad input, limits, heartbeats and shutdown: the relay answers with the right codes and
// keeps serving well-behaved clients.
import { CLOSE_CODES } from '@parley/common/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestAccount, TestSocket, http, newCid, payload, rawHttp, registerUser, sodiumReady } from './support/client.ts';
import { type TestRelay, startTestRelay } from './support/relay.ts';

let relay: TestRelay;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  await sodiumReady();
  relay = await startTestRelay({ limits: { maxFrameBytes: 8 * 1024, maxBodyBytes: 16 * 1024, maxBadFrames: 5, deviceFrameBurst: 20, deviceFramesPerSecond: 1 } });
  alice = await registerUser(relay.host, 1);
  bob = await registerUser(relay.host, 1);
});
afterAll(() => relay.dispose());

describe('bad frames', () => {
  it('answers garbage with bad_frame / too_large and closes after too many in a row (4006)', async () => {
    const s = await TestSocket.login(relay.wsUrl, relay.host, alice.devices[0]);
    s.send('not json');
    expect(await s.next('error')).toMatchObject({ code: 'bad_frame' });
    s.send({ t: 'send', cid: 'shortcid', to: [{ d: 'x', b: '!!' }] });
    expect(await s.next('error')).toMatchObject({ code: 'bad_frame', ref: 'shortcid' });
    s.send({ t: 'nope' });
    expect(await s.next('error')).toMatchObject({ code: 'bad_frame' });
    s.send('x'.repeat(9000));
    expect(await s.next('error')).toMatchObject({ code: 'too_large' });
    s.ws.send(new Uint8Array([1, 2, 3]));
    expect(await s.next('error')).toMatchObject({ code: 'bad_frame' });
    expect((await s.closed).code).toBe(CLOSE_CODES.tooManyErrors);
  });

  it('keeps serving a well-behaved client while another sends garbage', async () => {
    const bad = await TestSocket.open(relay.wsUrl);
    const garbage = ['{', '[]', 'null', '{"t":"auth"}', '{"t":"send","cid":1}', '\u0000\uffff', JSON.stringify({ t: 'ack', upTo: -1 })];
    for (const g of garbage) bad.send(g);
    const sa = await TestSocket.login(relay.wsUrl, relay.host, alice.devices[0]);
    const sb = await TestSocket.login(relay.wsUrl, relay.host, bob.devices[0]);
    sa.send({ t: 'send', cid: newCid(), to: [{ d: bob.devices[0].id, b: payload() }] });
    await sa.next('sent');
    const [e] = await sb.receive(1);
    sb.send({ t: 'ack', upTo: e.s });
    expect((await http(relay.host, 'GET', '/v1/health')).json.ok).toBe(true);
    sa.close();
    sb.close();
  });

  it('refuses rate-limited sends with rate_limited and the cid, without applying them', async () => {
    const sa = await TestSocket.login(relay.wsUrl, relay.host, alice.devices[0]);
    const cids = Array.from({ length: 30 }, () => newCid());
    for (const cid of cids) sa.send({ t: 'send', cid, to: [{ d: bob.devices[0].id, b: payload(8) }] });
    const limited = await sa.next((f) => f.t === 'error' && f.code === 'rate_limited');
    expect(cids).toContain(limited.ref);
    sa.close();
  });
});

describe('bad bodies', () => {
  it('answers malformed and oversized bodies with Problem JSON', async () => {
    const notJson = await rawHttp(relay.host, 'POST', '/v1/devices', { 'content-type': 'application/json' }, '{nope');
    expect(notJson.status).toBe(400);
    expect(notJson.json.code).toBe('bad_request');
    const wrongShape = await rawHttp(relay.host, 'POST', '/v1/devices', {}, JSON.stringify({ deviceList: 1 }));
    expect(wrongShape.json).toMatchObject({ code: 'bad_request' });
    const huge = await rawHttp(relay.host, 'POST', '/v1/devices', {}, 'x'.repeat(20 * 1024));
    expect(huge.status).toBe(413);
    expect(huge.json.code).toBe('too_large');
    const missing = await rawHttp(relay.host, 'GET', '/v1/nothing-here', {});
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('not_found');
    const badUser = await rawHttp(relay.host, 'GET', '/v1/users/..%2F..%2Fetc/device-list', {});
    expect(badUser.json.code).toBe('bad_request');
  });
});

describe('limits per address', () => {
  it('rate-limits HTTP requests and socket opens per client address', async () => {
    const limited = await startTestRelay({ limits: { addressRequestsPerSecond: 1, addressRequestBurst: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await http(limited.host, 'GET', '/v1/health')).status);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses[4]).toBe(429);
      await expect(TestSocket.open(limited.wsUrl)).rejects.toThrow();
    } finally {
      await limited.dispose();
    }
  });
});

describe('heartbeats and shutdown', () => {
  it('pings, answers pings, and closes a silent socket (4003)', async () => {
    const hb = await startTestRelay({ heartbeatMs: 100 });
    try {
      const u = await registerUser(hb.host, 1);
      const s = await TestSocket.login(hb.wsUrl, hb.host, u.devices[0]);
      expect(await s.next('ping', 1000)).toMatchObject({ t: 'ping' });
      const started = Date.now();
      expect((await s.closed).code).toBe(CLOSE_CODES.heartbeatTimeout);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await hb.dispose();
    }
  });

  it('keeps a socket that answers pings alive', async () => {
    const hb = await startTestRelay({ heartbeatMs: 100 });
    try {
      const u = await registerUser(hb.host, 1);
      const s = await TestSocket.login(hb.wsUrl, hb.host, u.devices[0]);
      s.ws.on('message', (d) => String(d).includes('"ping"') && s.send({ t: 'pong' }));
      await new Promise((r) => setTimeout(r, 500));
      expect(s.ws.readyState).toBe(s.ws.OPEN);
      s.close();
    } finally {
      await hb.dispose();
    }
  });

  it('shuts down gracefully: shutting_down error frame, close 1001, then no new connections', async () => {
    const r = await startTestRelay();
    const u = await registerUser(r.host, 1);
    const s = await TestSocket.login(r.wsUrl, r.host, u.devices[0]);
    await r.dispose();
    expect(await s.next('error')).toMatchObject({ code: 'shutting_down' });
    expect((await s.closed).code).toBe(CLOSE_CODES.goingAway);
    await expect(fetch(`http://${r.host}/v1/health`)).rejects.toThrow();
  });
});
