// Presence: online / offline / last seen, and the 'nobody' visibility (with reciprocity).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSocket, registerUser, sodiumReady } from './support/client.ts';
import { type TestRelay, startTestRelay } from './support/relay.ts';

let relay: TestRelay;

beforeAll(async () => {
  await sodiumReady();
  relay = await startTestRelay();
});
afterAll(() => relay.dispose());

const login = (d: Parameters<typeof TestSocket.login>[2]) => TestSocket.login(relay.wsUrl, relay.host, d);

describe('presence', () => {
  it('reports online while any device is connected, then offline with last seen', async () => {
    const watcher = await registerUser(relay.host, 1);
    const target = await registerUser(relay.host, 2);
    const w = await login(watcher.devices[0]);
    w.send({ t: 'presence.sub', users: [target.userId] });
    expect(await w.next('presence')).toEqual({ t: 'presence', u: target.userId, online: false, lastSeen: null });
    const t1 = await login(target.devices[0]);
    expect(await w.next('presence')).toMatchObject({ u: target.userId, online: true });
    const t2 = await login(target.devices[1]);
    t1.close();
    await t1.closed;
    expect(await w.quiet('presence', 150)).toBe(true); // t2 still online
    const before = Date.now();
    t2.close();
    const off = await w.next('presence');
    expect(off.online).toBe(false);
    expect(off.lastSeen).toBeGreaterThanOrEqual(before - 50);
    w.close();
  });

  it('goes offline after a device that replaced its own socket leaves (regression: the replaced socket kept the user online)', async () => {
    const watcher = await registerUser(relay.host, 1);
    const target = await registerUser(relay.host, 1);
    const w = await login(watcher.devices[0]);
    w.send({ t: 'presence.sub', users: [target.userId] });
    expect(await w.next('presence')).toMatchObject({ online: false });
    const first = await login(target.devices[0]);
    expect(await w.next('presence')).toMatchObject({ online: true });
    const second = await login(target.devices[0]); // same device: replaces `first`
    await first.closed;
    second.close();
    expect(await w.next('presence')).toMatchObject({ u: target.userId, online: false });
    w.close();
  });

  it("hides a 'nobody' user from others, and hides others from them too", async () => {
    const watcher = await registerUser(relay.host, 1);
    const shy = await registerUser(relay.host, 1);
    const w = await login(watcher.devices[0]);
    const s = await login(shy.devices[0]);
    s.send({ t: 'presence.set', visibility: 'nobody' });
    s.send({ t: 'presence.sub', users: [watcher.userId] });
    // Reciprocity: the shy user sees the (online) watcher as hidden.
    expect(await s.next('presence')).toEqual({ t: 'presence', u: watcher.userId, online: false, lastSeen: null });
    w.send({ t: 'presence.sub', users: [shy.userId] });
    expect(await w.next('presence')).toEqual({ t: 'presence', u: shy.userId, online: false, lastSeen: null });
    s.send({ t: 'presence.set', visibility: 'everyone' });
    // (Earlier hidden frames may still be queued: wait for the visible ones.)
    expect(await w.next((f) => f.t === 'presence' && f.online)).toMatchObject({ u: shy.userId });
    expect(await s.next((f) => f.t === 'presence' && f.online)).toMatchObject({ u: watcher.userId });
    w.close();
    s.close();
  });
});
