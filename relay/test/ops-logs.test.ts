// Structured logs: a full flow (register, login, send, deliver, blob upload, bad logins,
// a bad signed request, a metrics scrape) at debug level, with every secret the clients
// used collected on the way; then no payload, key, signature, nonce, blob id or token may
// appear anywhere in the captured log, and every line is one JSON event with a level.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTTP_AUTH_HEADERS } from '@parley/common/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.ts';
import { createLogger, isSecretField } from '../src/log.ts';
import { type NodeRelay, serveNode } from '../src/node-server.ts';
import { TestAccount, TestSocket, http, newCid, payload, rawHttp, signHeaders, sodiumReady } from './support/client.ts';

const TOKEN = 'metrics-token-that-must-not-be-logged';
const lines: string[] = [];
let running: NodeRelay;
let host: string;
let dataDir: string;

beforeAll(async () => {
  await sodiumReady();
  dataDir = await mkdtemp(join(tmpdir(), 'parley-logs-'));
  const config = resolveConfig({ port: 0, dataDir, logLevel: 'debug', sqliteSynchronous: 'NORMAL', metricsToken: TOKEN, limits: { addressRequestsPerSecond: 0 } });
  running = await serveNode(config, { log: createLogger('debug', (l) => lines.push(l)) });
  host = `127.0.0.1:${running.port}`;
});
afterAll(async () => {
  await running.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('relay logs', () => {
  it('never contain payloads, keys, signatures, nonces, blob ids or tokens over a full flow', async () => {
    const secrets = new Set<string>([TOKEN]);
    const keep = (...values: (string | undefined)[]) => values.forEach((v) => v && v.length >= 8 && secrets.add(v));
    const signed = (headers: Record<string, string>) => keep(headers[HTTP_AUTH_HEADERS.sig]);

    // Register two users, collecting every key and signature they publish.
    const users = [new TestAccount(), new TestAccount()];
    for (const u of users) {
      const d = u.addDevice();
      const list = u.signList();
      const keys = d.keys();
      const otks = d.oneTimePrekeys(5);
      keep(u.accountKey, list.sig, keys.signingKey, keys.identityKey, keys.identityKeySig, keys.signedPrekey.key, keys.signedPrekey.sig, ...otks.map((k) => k.key));
      const res = await http(host, 'POST', '/v1/devices', { as: d, body: { deviceList: list, device: keys, oneTimePrekeys: otks } });
      expect(res.status).toBe(201);
      signed(res.sentHeaders);
    }
    const [a, b] = users.map((u) => u.devices[0]);

    // A prekey bundle fetch (its one-time prekey and signatures travel in the response).
    const bundle = await http(host, 'POST', `/v1/users/${b.userId}/bundles`, { as: a });
    expect(bundle.status).toBe(200);
    signed(bundle.sentHeaders);
    keep(...JSON.stringify(bundle.json ?? {}).match(/[A-Za-z0-9_-]{40,}/g) ?? []);

    // Logins: the nonces and signatures of good and bad attempts.
    const sa = await TestSocket.open(`ws://${host}/v1/ws`);
    const authA = sa.authFrame(host, a);
    keep(sa.challenge.nonce, authA.sig);
    sa.send(authA);
    await sa.next('ready');
    const sb = await TestSocket.login(`ws://${host}/v1/ws`, host, b);
    keep(sb.challenge.nonce);
    const bad = await TestSocket.open(`ws://${host}/v1/ws`);
    const wrong = { ...bad.authFrame(host, a), sig: authA.sig }; // a signature over another nonce
    keep(bad.challenge.nonce);
    bad.send(wrong);
    expect((await bad.closed).code).toBe(4001);
    const garbage = await TestSocket.open(`ws://${host}/v1/ws`);
    keep(garbage.challenge.nonce);
    garbage.send('{"t":"auth","device":"nope","sig":"c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ","ts":1}');
    keep('c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ');
    await garbage.next('error');
    garbage.close();

    // Sends, delivery, acknowledgement, ephemeral frames.
    const bodies = [payload(), payload(200), payload()];
    for (const body of bodies) {
      keep(body);
      const cid = newCid();
      sa.send({ t: 'send', cid, to: [{ d: b.id, b: body }] });
      await sa.next((f) => f.t === 'sent' && f.cid === cid);
    }
    const got = await sb.receive(3);
    sb.send({ t: 'ack', upTo: got[2].s });
    const typing = payload(30);
    keep(typing);
    sa.send({ t: 'eph', to: [{ d: b.id, b: typing }] });
    await sb.next('eph');
    sa.send({ t: 'send', cid: newCid(), to: [{ d: b.id, b: 'not base64url!' }] }); // invalid frame
    await sa.next('error');

    // A blob upload and download; its id is the download capability.
    const blobBytes = new TextEncoder().encode('attachment-ciphertext-'.repeat(50));
    const up = await http(host, 'POST', '/v1/blobs', { as: a, body: blobBytes, bodyHash: '-', headers: { 'content-type': 'application/octet-stream' } });
    expect(up.status).toBe(201);
    signed(up.sentHeaders);
    keep(up.json.id);
    expect((await http(host, 'GET', `/v1/blobs/${up.json.id}`)).status).toBe(200);

    // A signed request with a wrong signature, a replayed one, and a metrics scrape.
    const forgedHeaders = { ...signHeaders(host, b, 'POST', '/v1/blobs', '-'), [HTTP_AUTH_HEADERS.sig]: authA.sig };
    const forged = await rawHttp(host, 'POST', '/v1/blobs', forgedHeaders, blobBytes);
    expect(forged.status).toBe(401);
    const replay = await rawHttp(host, 'POST', '/v1/blobs', up.sentHeaders, blobBytes);
    expect(replay.status).toBe(401);
    expect((await rawHttp(host, 'GET', '/metrics', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await rawHttp(host, 'GET', '/metrics', { authorization: 'Bearer guessed-token-value' })).status).toBe(401);
    keep('guessed-token-value');

    sa.close();
    sb.close();
    await Promise.all([sa.closed, sb.closed]);
    await new Promise((r) => setTimeout(r, 50));

    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(10);
    for (const s of secrets) expect(log, `the log contains a secret (${s.slice(0, 6)}…)`).not.toContain(s);
    // The flow did log what an operator needs.
    const events = lines.map((l) => JSON.parse(l) as { t: string; level: string; event: string });
    for (const e of events) {
      expect(e.t).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(['debug', 'info', 'warn', 'error']).toContain(e.level);
      expect(e.event).toMatch(/^[a-z_.]+$/);
    }
    const names = new Set(events.map((e) => e.event));
    for (const n of ['relay.created', 'ws.ready', 'ws.auth_refused', 'blob.stored', 'http.request']) expect(names).toContain(n);
    console.log(`[logs] ${lines.length} lines, ${names.size} event kinds, ${secrets.size} secret strings checked, none found`);
  });

  it('filters by level and redacts secret-named fields whatever the caller passes', () => {
    const out: string[] = [];
    const log = createLogger('warn', (l) => out.push(l));
    log.info('dropped');
    log.debug('dropped');
    log.warn('kept', { device: 'dev1', sig: 'AAAA', signingKey: 'BBBB', nonce: 'CCCC', token: 'DDDD', b: 'EEEE', count: 3 });
    log.error('kept.too');
    expect(out).toHaveLength(2);
    const e = JSON.parse(out[0]);
    expect(e).toMatchObject({ level: 'warn', event: 'kept', device: 'dev1', count: 3, sig: '[redacted]', signingKey: '[redacted]', nonce: '[redacted]', token: '[redacted]', b: '[redacted]' });
    expect(out.join('')).not.toMatch(/AAAA|BBBB|CCCC|DDDD|EEEE/);
    for (const name of ['device', 'signal', 'user', 'address', 'code']) expect(isSecretField(name)).toBe(false);
    for (const name of ['identityKey', 'deviceKeys', 'authNonce', 'api_token', 'signature']) expect(isSecretField(name)).toBe(true);
    expect(createLogger('silent', (l) => out.push(l)).error('x') ?? out.length).toBe(2);
  });
});
