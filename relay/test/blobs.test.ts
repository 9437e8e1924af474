// Blobs: streamed upload with a size limit, ranged download, delete by the uploader only.
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestAccount, http, registerUser, sodiumReady } from './support/client.ts';
import { type TestRelay, startTestRelay } from './support/relay.ts';

let relay: TestRelay;
let alice: TestAccount;
let bob: TestAccount;
const LIMIT = 64 * 1024;

beforeAll(async () => {
  await sodiumReady();
  relay = await startTestRelay({ limits: { maxBlobBytes: LIMIT } });
  alice = await registerUser(relay.host, 1);
  bob = await registerUser(relay.host, 1);
});
afterAll(() => relay.dispose());

const blobFiles = async () => (await readdir(`${relay.dataDir}/blobs`, { recursive: true }).catch(() => [])).map(String).sort();
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255);
const upload = (data: Uint8Array, as = alice.devices[0]) => http(relay.host, 'POST', '/v1/blobs', { as, body: data, bodyHash: '-', headers: { 'content-type': 'application/octet-stream' } });

describe('blobs', () => {
  it('uploads, downloads whole and by range (206), and refuses an unsatisfiable range (416)', async () => {
    const data = bytes(10_000);
    const up = await upload(data);
    expect(up.status).toBe(201);
    expect(up.json.size).toBe(10_000);
    expect(up.json.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const whole = await http(relay.host, 'GET', `/v1/blobs/${up.json.id}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.bytes).toEqual(data);
    const part = await http(relay.host, 'GET', `/v1/blobs/${up.json.id}`, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(part.bytes).toEqual(data.subarray(100, 200));
    const tail = await http(relay.host, 'GET', `/v1/blobs/${up.json.id}`, { headers: { range: 'bytes=9990-' } });
    expect(tail.status).toBe(206);
    expect(tail.bytes).toEqual(data.subarray(9990));
    const suffix = await http(relay.host, 'GET', `/v1/blobs/${up.json.id}`, { headers: { range: 'bytes=-5' } });
    expect(suffix.bytes).toEqual(data.subarray(9995));
    const beyond = await http(relay.host, 'GET', `/v1/blobs/${up.json.id}`, { headers: { range: 'bytes=10000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */10000');
    expect(beyond.json.code).toBe('range_not_satisfiable');
  });

  it('refuses a blob over the limit with 413 and stores nothing', async () => {
    const before = await blobFiles();
    const big = await upload(bytes(LIMIT + 1));
    expect(big.status).toBe(413);
    expect(big.json.code).toBe('too_large');
    // Without Content-Length (chunked), the stream itself is counted.
    const chunks = bytes(LIMIT + 10);
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < chunks.length; i += 8192) ctl.enqueue(chunks.subarray(i, i + 8192));
        ctl.close();
      },
    });
    const { signHeaders } = await import('./support/client.ts');
    const res = await fetch(`http://${relay.host}/v1/blobs`, {
      method: 'POST',
      headers: signHeaders(relay.host, alice.devices[0], 'POST', '/v1/blobs', '-'),
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    await new Promise((r) => setTimeout(r, 50)); // let the store finish cleaning up
    expect(await blobFiles()).toEqual(before);
  });

  it('lets only the uploading device delete a blob', async () => {
    const up = await upload(bytes(10));
    const bobDelete = await http(relay.host, 'DELETE', `/v1/blobs/${up.json.id}`, { as: bob.devices[0] });
    expect(bobDelete.status).toBe(403);
    expect(bobDelete.json.code).toBe('forbidden');
    expect((await http(relay.host, 'DELETE', `/v1/blobs/${up.json.id}`, { as: alice.devices[0] })).status).toBe(204);
    expect((await http(relay.host, 'GET', `/v1/blobs/${up.json.id}`)).status).toBe(404);
  });

  it('requires a signature to upload', async () => {
    const res = await http(relay.host, 'POST', '/v1/blobs', { body: bytes(10) });
    expect(res.status).toBe(401);
  });
});
