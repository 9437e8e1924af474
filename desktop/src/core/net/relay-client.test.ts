// The relay client against a scripted socket and a manual clock: the behaviours a real
// relay cannot easily be made to show (garbage frames, silence, a failing commit).
// The end-to-end behaviour against a real relay is in desktop/test/.
import { sodiumReady } from '@parley/common/crypto';
import { toBase64Url } from '@parley/common/encoding';
import { sodium } from '@parley/common/sodium';
import { verifyEd25519, wsAuthSigningInput } from '@parley/common/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../testing/manual-clock.ts';
import { RelayClient, type RelayClientHandlers } from './relay-client.ts';
import { relayEndpoint } from './relay-endpoint.ts';
import type { SocketHandlers } from './socket.ts';
import { RelayHttp } from './relay-http.ts';

let keys: { publicKey: Uint8Array; privateKey: Uint8Array };
beforeAll(async () => {
  await sodiumReady();
  keys = sodium().crypto_sign_keypair();
});

const DEVICE = 'abcdefghijklmnop';
const USER = 'a'.repeat(32);
const NONCE = 'n'.repeat(32);
const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(handlers: Partial<RelayClientHandlers> = {}) {
  const clock = new ManualClock();
  const sockets: { h: SocketHandlers; sent: any[]; closed: boolean }[] = [];
  const client = new RelayClient({
    endpoint: relayEndpoint('http://relay.test:8787'),
    signer: { deviceId: DEVICE, sign: (m) => toBase64Url(sodium().crypto_sign_detached(m, keys.privateKey)) },
    committedSeq: () => 41,
    clock,
    random: () => 0,
    heartbeatMs: 1000,
    backoff: { baseMs: 100, maxMs: 1000, jitter: 0.5 },
    socketFactory: (_url, h) => {
      const s = { h, sent: [] as any[], closed: false };
      sockets.push(s);
      return { send: (t) => s.sent.push(JSON.parse(t)), close: () => void (s.closed = true) };
    },
    handlers: { deliver: async () => undefined, ...handlers },
  });
  const last = () => sockets[sockets.length - 1];
  const frame = (f: unknown) => last().h.message(JSON.stringify(f));
  const login = () => {
    last().h.open();
    frame({ t: 'challenge', nonce: NONCE, ts: clock.now(), relay: 'relay.test:8787' });
    frame({ t: 'ready', device: DEVICE, user: USER, prekeys: 50, serverTime: clock.now() });
  };
  return { client, clock, sockets, last, frame, login };
}

describe('RelayClient', () => {
  it('answers the challenge with a signature over the dialled host and resumes after the committed seq', () => {
    const t = setup();
    t.client.start();
    t.last().h.open();
    t.frame({ t: 'challenge', nonce: NONCE, ts: t.clock.now(), relay: 'something-else' });
    const auth = t.last().sent[0];
    expect(auth).toMatchObject({ t: 'auth', device: DEVICE, after: 41 });
    expect(verifyEd25519(toBase64Url(keys.publicKey), wsAuthSigningInput('relay.test:8787', NONCE, DEVICE, auth.ts), auth.sig)).toBe(true);
  });

  it('logs and ignores frames that are not JSON or not a v1 server frame, and keeps working', async () => {
    const seen: number[] = [];
    const t = setup({ deliver: async (m) => void seen.push(...m.map((e) => e.s)) });
    t.client.start();
    t.login();
    for (const bad of ['nope', '{"t":"deliver"}', '{"t":"deliver","m":[{"s":-1,"b":"x","ts":0}]}', '[]', '{"t":"unknown"}']) t.last().h.message(bad);
    t.frame({ t: 'deliver', m: [{ s: 42, b: 'QUJD', ts: 1 }] });
    await flush();
    expect(seen).toEqual([42]);
    expect(t.client.status().state).toBe('online');
  });

  it('acknowledges a deliver batch only after the handler resolves, and never when it fails', async () => {
    let release!: () => void;
    let fail = false;
    const t = setup({
      deliver: (m) => (m[0].s === 1 ? new Promise<void>((r) => (release = r)) : fail ? Promise.reject(new Error('disk full')) : Promise.resolve()),
    });
    t.client.start();
    t.login();
    t.frame({ t: 'deliver', m: [{ s: 1, b: 'QQ', ts: 1 }, { s: 2, b: 'Qg', ts: 1 }] });
    await flush();
    expect(t.last().sent.filter((f) => f.t === 'ack')).toEqual([]);
    release();
    await flush();
    expect(t.last().sent.filter((f) => f.t === 'ack')).toEqual([{ t: 'ack', upTo: 2 }]);
    fail = true;
    const before = t.sockets.length;
    t.frame({ t: 'deliver', m: [{ s: 3, b: 'Qw', ts: 1 }] });
    await flush();
    await flush();
    expect(t.sockets[before - 1].sent.filter((f) => f.t === 'ack')).toEqual([{ t: 'ack', upTo: 2 }]);
    expect(t.client.status().state).toBe('reconnecting');
  });

  it('correlates sent and error answers by cid, including stale_devices lists and rate_limited', async () => {
    const t = setup();
    t.client.start();
    t.login();
    const a = t.client.send({ cid: 'cid-aaaaaaaa', to: [{ d: DEVICE, b: 'QQ' }] });
    const b = t.client.send({ cid: 'cid-bbbbbbbb', to: [{ d: DEVICE, b: 'QQ' }] });
    const c = t.client.send({ cid: 'cid-cccccccc', to: [{ d: DEVICE, b: 'QQ' }] });
    t.frame({ t: 'error', code: 'rate_limited', message: 'slow down', ref: 'cid-cccccccc' });
    t.frame({ t: 'error', code: 'stale_devices', message: 'stale', ref: 'cid-bbbbbbbb', lists: [] });
    t.frame({ t: 'sent', cid: 'cid-aaaaaaaa', seqs: [{ d: DEVICE, s: 7 }], ts: 5 });
    expect(await a).toEqual({ ok: true, seqs: [{ d: DEVICE, s: 7 }], ts: 5, dup: false });
    expect(await b).toMatchObject({ ok: false, code: 'stale_devices', lists: [] });
    expect(await c).toMatchObject({ ok: false, code: 'rate_limited' });
  });

  it('answers pings, pings on its own, and treats silence as a dead connection (reconnecting with growing backoff)', async () => {
    const t = setup();
    t.client.start();
    t.login();
    t.frame({ t: 'ping', n: 3 });
    expect(t.last().sent).toContainEqual({ t: 'pong', n: 3 });
    t.clock.advance(1000);
    expect(t.last().sent.some((f) => f.t === 'ping')).toBe(true);
    const pending = t.client.send({ cid: 'cid-dddddddd', to: [{ d: DEVICE, b: 'QQ' }] });
    t.clock.advance(2000); // nothing heard for more than two intervals by the next tick
    await expect(pending).rejects.toMatchObject({ code: 'offline' });
    expect(t.sockets[0].closed).toBe(true);
    expect(t.client.status()).toMatchObject({ state: 'reconnecting', nextAttemptAt: t.clock.now() + 100 });
    t.clock.advance(100);
    expect(t.sockets).toHaveLength(2);
    t.last().h.close(1006, 'refused');
    expect(t.client.status()).toMatchObject({ state: 'reconnecting', nextAttemptAt: t.clock.now() + 200 });
  });
});

describe('RelayHttp', () => {
  it('signs identical requests made in the same millisecond with strictly increasing timestamps', async () => {
    const seen: string[] = [];
    const http = new RelayHttp(
      relayEndpoint('http://relay.test:8787'),
      { deviceId: DEVICE, sign: (m) => toBase64Url(sodium().crypto_sign_detached(m, keys.privateKey)) },
      async (_url, init) => {
        seen.push(init.headers['x-parley-ts']);
        return new Response(JSON.stringify({ oneTimePrekeys: 3, signedPrekeyId: 1 }), { status: 200 });
      },
      () => 1_000,
    );
    await http.prekeyCount();
    await http.prekeyCount();
    await http.prekeyCount();
    expect(seen).toEqual(['1000', '1001', '1002']);
  });

  it('turns a problem response into an error with the relay code', async () => {
    const http = new RelayHttp(relayEndpoint('http://relay.test'), null, async () => new Response(JSON.stringify({ code: 'not_found', message: 'no such handle' }), { status: 404 }));
    await expect(http.lookupHandle('ada')).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });
});
