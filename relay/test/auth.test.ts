// Socket logins, signed HTTP requests and device lists: what is refused, and with which code.
import { CLOSE_CODES } from '@parley/common/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAccount, TestDevice, TestSocket, http, publish, rawHttp, registerUser, sodiumReady } from './support/client.ts';
import { type TestRelay, startTestRelay } from './support/relay.ts';

let relay: TestRelay;
let alice: TestAccount;

beforeAll(async () => {
  await sodiumReady();
  relay = await startTestRelay({ authTimeoutMs: 400 });
  alice = await registerUser(relay.host, 2);
});
afterAll(() => relay.dispose());

describe('socket login', () => {
  it('sends a fresh random challenge per socket', async () => {
    const [s1, s2] = await Promise.all([TestSocket.open(relay.wsUrl), TestSocket.open(relay.wsUrl)]);
    expect(s1.challenge.nonce).not.toBe(s2.challenge.nonce);
    expect(s1.challenge.nonce.length).toBeGreaterThanOrEqual(22);
    expect(s1.challenge.relay).toBe(relay.host);
    s1.close();
    s2.close();
  });

  it('rejects a replayed auth frame on a new socket', async () => {
    const s1 = await TestSocket.open(relay.wsUrl);
    const auth = s1.authFrame(relay.host, alice.devices[0]);
    s1.send(auth);
    await s1.next('ready');
    const s2 = await TestSocket.open(relay.wsUrl);
    s2.send(auth);
    expect(await s2.next('error')).toMatchObject({ code: 'auth_failed' });
    expect((await s2.closed).code).toBe(CLOSE_CODES.authFailed);
    s1.close();
  });

  it('closes a socket whose challenge expired without a login', async () => {
    const s = await TestSocket.open(relay.wsUrl);
    expect(await s.next('error', 2000)).toMatchObject({ code: 'auth_expired' });
    expect((await s.closed).code).toBe(CLOSE_CODES.authTimeout);
  });

  it('refuses a login signed with the wrong key', async () => {
    const s = await TestSocket.open(relay.wsUrl);
    const auth = s.authFrame(relay.host, alice.devices[1]);
    s.send({ ...auth, device: alice.devices[0].id }); // a2's signature claiming to be a1
    expect(await s.next('error')).toMatchObject({ code: 'auth_failed' });
    expect((await s.closed).code).toBe(CLOSE_CODES.authFailed);
  });

  it('refuses a login bound to another relay host, or with a stale timestamp', async () => {
    const s = await TestSocket.open(relay.wsUrl);
    s.send(s.authFrame('evil.example:443', alice.devices[0]));
    expect(await s.next('error')).toMatchObject({ code: 'auth_failed' });
    const t = await TestSocket.open(relay.wsUrl);
    t.send(t.authFrame(relay.host, alice.devices[0], undefined, Date.now() - 5 * 60_000));
    expect(await t.next('error')).toMatchObject({ code: 'auth_failed' });
    expect((await t.closed).code).toBe(CLOSE_CODES.authFailed);
  });

  it('refuses a corrupted signature and an unknown device', async () => {
    const s = await TestSocket.open(relay.wsUrl);
    const auth = s.authFrame(relay.host, alice.devices[0]);
    s.send({ ...auth, sig: auth.sig.slice(0, 10) + (auth.sig[10] === 'A' ? 'B' : 'A') + auth.sig.slice(11) });
    expect(await s.next('error')).toMatchObject({ code: 'auth_failed' });
    const stranger = new TestAccount().addDevice();
    const t = await TestSocket.open(relay.wsUrl);
    t.send(t.authFrame(relay.host, stranger));
    expect(await t.next('error')).toMatchObject({ code: 'auth_failed' });
  });

  it('answers frames before login with `unauthenticated`', async () => {
    const s = await TestSocket.open(relay.wsUrl);
    s.send({ t: 'ack', upTo: 5 });
    expect(await s.next('error')).toMatchObject({ code: 'unauthenticated' });
    s.close();
  });

  it('replaces the older socket of a device that logs in again (4007)', async () => {
    const s1 = await TestSocket.login(relay.wsUrl, relay.host, alice.devices[0]);
    const s2 = await TestSocket.login(relay.wsUrl, relay.host, alice.devices[0]);
    expect((await s1.closed).code).toBe(CLOSE_CODES.replaced);
    s2.send({ t: 'ping', n: 7 });
    expect(await s2.next('pong')).toEqual({ t: 'pong', n: 7 });
    s2.close();
  });
});

describe('signed HTTP requests', () => {
  it('accepts a signed request once and refuses its replay', async () => {
    const d = alice.devices[0];
    const first = await http(relay.host, 'GET', '/v1/prekeys', { as: d });
    expect(first.status).toBe(200);
    expect(first.json.oneTimePrekeys).toBe(5);
    const replay = await rawHttp(relay.host, 'GET', '/v1/prekeys', first.sentHeaders);
    expect(replay.status).toBe(401);
    expect(replay.json.code).toBe('auth_failed');
  });

  it('refuses unsigned, stale and wrongly signed requests', async () => {
    expect((await http(relay.host, 'GET', '/v1/prekeys')).json.code).toBe('unauthenticated');
    const stale = await http(relay.host, 'GET', '/v1/prekeys', { as: alice.devices[0], ts: Date.now() - 10 * 60_000 });
    expect(stale.status).toBe(401);
    expect(stale.json.code).toBe('auth_failed');
    // The signature covers the body: the same headers on another body fail.
    const good = await http(relay.host, 'PUT', '/v1/handle', { as: alice.devices[0], body: { handle: 'alice_one' } });
    expect(good.status).toBe(200);
    const { 'x-parley-sig': _sig, ...rest } = good.sentHeaders;
    const forged = await rawHttp(relay.host, 'PUT', '/v1/handle', { ...rest, 'x-parley-sig': alice.devices[1].sign(new Uint8Array([1])) }, JSON.stringify({ handle: 'alice_two' }));
    expect(forged.json.code).toBe('auth_failed');
  });
});

describe('device lists', () => {
  it('links a new device with a newer list, and refuses rollback and forgery', async () => {
    const carol = await registerUser(relay.host, 1);
    const c2 = carol.addDevice();
    const v2 = carol.signList();
    expect((await publish(relay.host, c2, { list: v2 })).status).toBe(201);
    // Re-publishing with the identical current list is idempotent.
    expect((await publish(relay.host, c2, { list: v2 })).status).toBe(200);
    // An older version is a rollback.
    const old = carol.signList([carol.devices[0]], 1);
    const rolled = await http(relay.host, 'PUT', `/v1/users/${carol.userId}/device-list`, { as: carol.devices[0], body: { deviceList: old } });
    expect(rolled.status).toBe(409);
    expect(rolled.json.code).toBe('rollback');
    // A list signed by another account key is a forgery.
    const mallory = new TestAccount();
    const forged = carol.signList(carol.devices, 10, mallory.accountKeys.privateKey);
    const res = await http(relay.host, 'PUT', `/v1/users/${carol.userId}/device-list`, { as: carol.devices[0], body: { deviceList: forged } });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('bad_signature');
    const current = await http(relay.host, 'GET', `/v1/users/${carol.userId}/device-list`);
    expect(current.json.version).toBe(2);
  });

  it('removes a dropped device: its socket closes (4005) and its keys are gone', async () => {
    const dave = await registerUser(relay.host, 2);
    const [d1, d2] = dave.devices;
    const s2 = await TestSocket.login(relay.wsUrl, relay.host, d2);
    const res = await http(relay.host, 'PUT', `/v1/users/${dave.userId}/device-list`, { as: d1, body: { deviceList: dave.signList([d1]) } });
    expect(res.status).toBe(200);
    expect((await s2.closed).code).toBe(CLOSE_CODES.deviceRemoved);
    expect(await relay.relay.context.store.getDevice(d2.id)).toBeNull();
    const s = await TestSocket.open(relay.wsUrl);
    s.send(s.authFrame(relay.host, d2));
    expect(await s.next('error')).toMatchObject({ code: 'auth_failed' });
  });

  it('refuses publishing a device that is not on the list', async () => {
    const erin = new TestAccount();
    const e1 = erin.addDevice();
    const outsider = new TestDevice(erin);
    const res = await publish(relay.host, outsider, { list: erin.signList([e1]) });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('forbidden');
  });
});

