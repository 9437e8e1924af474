// Prekey bundles, prekey upkeep and handles.
import { PREKEY_LOW_WATER } from '@parley/common/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSocket, http, registerUser, sodiumReady } from './support/client.ts';
import { type TestRelay, startTestRelay } from './support/relay.ts';

let relay: TestRelay;

beforeAll(async () => {
  await sodiumReady();
  relay = await startTestRelay();
});
afterAll(() => relay.dispose());

describe('prekey bundles', () => {
  it('never hands out a one-time prekey twice under 50 concurrent claims, then tells the owner to replenish', async () => {
    const owner = await registerUser(relay.host, 1, 30);
    const fetcher = await registerUser(relay.host, 1);
    const ownerSocket = await TestSocket.login(relay.wsUrl, relay.host, owner.devices[0]);
    await ownerSocket.next('ready').catch(() => undefined);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => http(relay.host, 'POST', `/v1/users/${owner.userId}/bundles`, { as: fetcher.devices[0], body: {} })),
    );
    expect(results.filter((r) => r.status !== 200).map((r) => r.json)).toEqual([]);
    const claimed = results.map((r) => r.json.bundles[0].oneTimePrekey).filter((k) => k !== null);
    expect(claimed).toHaveLength(30);
    expect(new Set(claimed.map((k: { id: number }) => k.id)).size).toBe(30);
    expect(results.filter((r) => r.json.bundles[0].oneTimePrekey === null)).toHaveLength(20);
    expect(results[0].json.bundles[0].device.id).toBe(owner.devices[0].id);
    expect(results[0].json.deviceList.userId).toBe(owner.userId);
    const low = await ownerSocket.next('prekeys.low');
    expect(low.remaining).toBeLessThan(PREKEY_LOW_WATER);
    ownerSocket.close();
  });

  it('replenishes one-time prekeys and rotates the signed prekey (verified)', async () => {
    const u = await registerUser(relay.host, 1, 0);
    const d = u.devices[0];
    const res = await http(relay.host, 'POST', '/v1/prekeys', { as: d, body: { oneTimePrekeys: d.oneTimePrekeys(25), signedPrekey: d.signedPrekey(2) } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ oneTimePrekeys: 25, signedPrekeyId: 2 });
    const bad = { ...d.signedPrekey(3), sig: d.signedPrekey(4).sig };
    const refused = await http(relay.host, 'POST', '/v1/prekeys', { as: d, body: { oneTimePrekeys: [], signedPrekey: bad } });
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe('bad_signature');
    const counts = await http(relay.host, 'GET', '/v1/prekeys', { as: d });
    expect(counts.json).toEqual({ oneTimePrekeys: 25, signedPrekeyId: 2 });
  });

  it('rate-limits bundle fetches per requesting device', async () => {
    const limited = await startTestRelay({ limits: { bundleFetchesPerMinute: 3 } });
    try {
      const owner = await registerUser(limited.host, 1);
      const fetcher = await registerUser(limited.host, 1);
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await http(limited.host, 'POST', `/v1/users/${owner.userId}/bundles`, { as: fetcher.devices[0], body: {} })).status);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await limited.dispose();
    }
  });

  it('answers unknown users with unknown_user', async () => {
    const fetcher = await registerUser(relay.host, 1);
    const res = await http(relay.host, 'POST', `/v1/users/${'a'.repeat(32)}/bundles`, { as: fetcher.devices[0], body: {} });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('unknown_user');
  });
});

describe('handles', () => {
  it('claims, looks up, refuses a taken handle and releases', async () => {
    const a = await registerUser(relay.host, 1);
    const b = await registerUser(relay.host, 1);
    expect((await http(relay.host, 'PUT', '/v1/handle', { as: a.devices[0], body: { handle: 'ada' } })).status).toBe(200);
    expect((await http(relay.host, 'GET', '/v1/handles/ada')).json).toEqual({ handle: 'ada', userId: a.userId });
    const taken = await http(relay.host, 'PUT', '/v1/handle', { as: b.devices[0], body: { handle: 'ada' } });
    expect(taken.status).toBe(409);
    expect(taken.json.code).toBe('handle_taken');
    expect((await http(relay.host, 'DELETE', '/v1/handle', { as: a.devices[0] })).status).toBe(204);
    expect((await http(relay.host, 'GET', '/v1/handles/ada')).status).toBe(404);
    expect((await http(relay.host, 'GET', '/v1/handles/NOT-OK')).json.code).toBe('bad_request');
  });
});
