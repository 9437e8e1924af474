// Operations endpoints against a real relay: /healthz (and its 503 when the store is
// down), /metrics in Prometheus text format with the counters moving, its bearer token,
// and that a scrape names no device, user or blob id.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { serveNode } from '../src/node-server.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import type { MailboxStore } from '../src/store/types.ts';
import { TestAccount, TestSocket, http, newCid, payload, rawHttp, registerUser, sodiumReady } from './support/client.ts';
import { type TestRelay, startTestRelay } from './support/relay.ts';

const TOKEN = 'scrape-token-for-tests';
let relay: TestRelay;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  await sodiumReady();
  relay = await startTestRelay({ metricsToken: TOKEN });
  alice = await registerUser(relay.host, 1);
  bob = await registerUser(relay.host, 1);
});
afterAll(() => relay.dispose());

const scrape = async () => {
  const res = await rawHttp(relay.host, 'GET', '/metrics', { authorization: `Bearer ${TOKEN}` });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new TextDecoder().decode(res.bytes);
};

/** The value of one sample, e.g. value(text, 'parley_logins_total{result="ok"}'). */
function value(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(sample + ' '));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

describe('GET /healthz', () => {
  it('answers 200 {status, store} when the store answers', async () => {
    const res = await http(relay.host, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok', store: 'ok' });
  });

  it('answers 503 with a Problem when the store does not answer', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-ops-'));
    const real = await openSqliteStore({ path: join(dataDir, 'relay.db'), blobDir: join(dataDir, 'blobs'), synchronous: 'NORMAL' });
    let down = false;
    // A stand-in only for the failure: a real store whose ping fails on demand.
    const store = new Proxy(real, {
      get: (t, p) => (p === 'ping' ? async () => { if (down) throw new Error('connection refused'); } : Reflect.get(t, p, t)),
    }) as MailboxStore;
    const running = await serveNode(resolveConfig({ port: 0, dataDir, logLevel: 'silent' }), { store, log: createLogger('silent') });
    try {
      const host = `127.0.0.1:${running.port}`;
      expect((await http(host, 'GET', '/healthz')).status).toBe(200);
      down = true;
      const res = await http(host, 'GET', '/healthz');
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({ code: 'internal', details: { store: 'unreachable' } });
      expect(res.json.message).toMatch(/store is unreachable/);
      const metrics = await http(host, 'GET', '/metrics'); // no token configured: open
      expect(value(new TextDecoder().decode(metrics.bytes), 'parley_store_errors_total{op="ping"}')).toBe(1);
    } finally {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('GET /metrics', () => {
  it('requires the bearer token when one is configured', async () => {
    expect((await rawHttp(relay.host, 'GET', '/metrics', {})).status).toBe(401);
    expect((await rawHttp(relay.host, 'GET', '/metrics', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await rawHttp(relay.host, 'GET', '/metrics', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('counts logins, sends, entries in/out/acked, latency, rate limits and HTTP requests, without ids', async () => {
    const before = await scrape();
    const [a] = alice.devices;
    const [b] = bob.devices;
    const sa = await TestSocket.login(relay.wsUrl, relay.host, a);
    const sb = await TestSocket.login(relay.wsUrl, relay.host, b);
    const bad = await TestSocket.open(relay.wsUrl);
    bad.send({ ...bad.authFrame(relay.host, a), sig: sa.authFrame(relay.host, a).sig }); // signature over another nonce
    expect((await bad.closed).code).toBe(4001);
    for (let i = 0; i < 3; i++) {
      const cid = newCid();
      sa.send({ t: 'send', cid, to: [{ d: b.id, b: payload() }] });
      await sa.next((f) => f.t === 'sent' && f.cid === cid);
      if (i === 0) {
        sa.send({ t: 'send', cid, to: [{ d: b.id, b: payload() }] }); // a retry
        await sa.next((f) => f.t === 'sent' && f.cid === cid);
      }
    }
    sa.send({ t: 'send', cid: newCid(), to: [{ d: new TestAccount().addDevice().id, b: payload() }] }); // unregistered
    await sa.next('error');
    const got = await sb.receive(3);
    sb.send({ t: 'ack', upTo: got[2].s });
    await new Promise((r) => setTimeout(r, 100));
    await http(relay.host, 'GET', '/v1/blobs/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    sa.close();
    sb.close();
    await Promise.all([sa.closed, sb.closed]);

    const after = await scrape();
    const delta = (s: string) => value(after, s) - value(before, s);
    expect(delta('parley_logins_total{result="ok"}')).toBe(2);
    expect(delta('parley_logins_total{result="auth_failed"}')).toBe(1);
    expect(delta('parley_sends_total{outcome="stored"}')).toBe(3);
    expect(delta('parley_sends_total{outcome="duplicate"}')).toBe(1);
    expect(delta('parley_sends_total{outcome="refused"}')).toBe(1);
    expect(delta('parley_messages_in_total')).toBe(3);
    expect(delta('parley_messages_out_total')).toBe(3);
    expect(delta('parley_messages_acked_total')).toBe(3);
    expect(delta('parley_send_latency_seconds_count')).toBe(4);
    expect(delta('parley_socket_closes_total{code="4001"}')).toBe(1);
    expect(delta('parley_http_requests_total{route="/v1/blobs/:id",method="GET",status="404"}')).toBe(1);
    expect(after).toMatch(/^parley_connections_open \d+$/m);
    expect(after).toMatch(/^parley_devices_connected \d+$/m);
    expect(after).toMatch(/^parley_mailbox_depth \d+$/m);
    expect(after).toMatch(/^parley_process_resident_memory_bytes \d+/m);
    for (const id of [a.id, b.id, alice.userId, bob.userId, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) expect(after).not.toContain(id);
  });

  it('counts rate-limit refusals by limit', async () => {
    const tight = await startTestRelay({ limits: { addressRequestsPerSecond: 1, addressRequestBurst: 2 } });
    try {
      for (let i = 0; i < 4; i++) await http(tight.host, 'GET', '/v1/health');
      const text = new TextDecoder().decode((await http(tight.host, 'GET', '/metrics')).bytes);
      expect(value(text, 'parley_rate_limited_total{scope="address_requests"}')).toBe(2);
      expect(value(text, 'parley_http_requests_total{route="/v1/health",method="GET",status="429"}')).toBe(2);
      // /healthz and /metrics are exempt: a supervisor polling often is never throttled.
      for (let i = 0; i < 5; i++) expect((await http(tight.host, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await tight.dispose();
    }
  });

  it('reports the mailbox depth of the whole store, sampled', async () => {
    const fresh = await startTestRelay();
    try {
      const [s1, r1] = [await registerUser(fresh.host, 1), await registerUser(fresh.host, 1)].map((u) => u.devices[0]);
      const sock = await TestSocket.login(fresh.wsUrl, fresh.host, s1);
      for (let i = 0; i < 3; i++) {
        const cid = newCid();
        sock.send({ t: 'send', cid, to: [{ d: r1.id, b: payload() }] });
        await sock.next((f) => f.t === 'sent' && f.cid === cid);
      }
      sock.close();
      const text = new TextDecoder().decode((await http(fresh.host, 'GET', '/metrics')).bytes);
      expect(value(text, 'parley_mailbox_depth')).toBe(3);
    } finally {
      await fresh.dispose();
    }
  });

  it('is switched off by metrics=false', async () => {
    const off = await startTestRelay({ metrics: false });
    try {
      expect((await http(off.host, 'GET', '/metrics')).status).toBe(404);
    } finally {
      await off.dispose();
    }
  });
});
