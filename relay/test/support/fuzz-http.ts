// HTTP requests for the bad-input fuzz test: mutated publish bodies (re-signed, so the
// relay's deeper checks run), mutated bodies for every signed endpoint, bad and replayed
// signatures, bad JSON and bytes, wrong content types, oversized bodies (declared and
// streamed), bad ranges and bad paths, random X-Forwarded-For addresses.
import { Agent, request } from 'node:http';
import { toBase64Url, utf8 } from '@parley/common/encoding';
import { sodium } from '@parley/common/sodium';
import { mutate } from './fuzz-frames.ts';
import type { Rng } from './fuzz-rng.ts';
import { TestAccount, type TestDevice, signHeaders } from './client.ts';

export interface HttpContext {
  host: string;
  /** Registered devices that sign requests. */
  signers: TestDevice[];
  users: string[];
  blobId: string;
  blobSize: number;
  maxBodyBytes: number;
  maxBlobBytes: number;
}

export interface HttpCase {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | 'oversized-stream';
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const CONTENT_TYPES = ['application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'x/../../etc', ''];

const sha = (bytes: Uint8Array) => toBase64Url(sodium().crypto_hash_sha256(bytes));

function randomPath(rng: Rng, ctx: HttpContext): string {
  const seg = () =>
    rng.pick([
      rng.pick(ctx.users),
      rng.b64url(rng.length(80)),
      encodeURIComponent(rng.anyString(20).replace(/[\ud800-\udfff]/g, '?')),
      '..',
      '%2e%2e',
      '%00',
      '%ff',
      'a'.repeat(rng.pick([1, 32, 33, 1000, 4000])),
      ctx.blobId,
    ]);
  return rng.pick([
    () => `/v1/users/${seg()}/device-list`,
    () => `/v1/users/${seg()}/bundles`,
    () => `/v1/blobs/${seg()}`,
    () => `/v1/handles/${seg()}`,
    () => `/v1/${seg()}`,
    () => `/v1/devices/${seg()}`,
    () => `/${seg()}/${seg()}`,
    () => `/v2/devices`,
    () => `/v1/health?${seg()}=${seg()}`,
    () => rng.pick(['/v1/devices', '/v1/prekeys', '/v1/handle', '/v1/blobs', '/v1/ws', '/v1/health', '/', '/v1', '/v1/']),
  ])();
}

function encodeBody(rng: Rng, value: unknown): Uint8Array {
  const text = JSON.stringify(value) ?? 'null';
  return utf8(rng.chance(0.1) ? text.slice(0, rng.int(text.length)) : text);
}

/** A valid publish body for a fresh device of a fresh account, plus that device. */
function freshPublication(rng: Rng): { device: TestDevice; body: Record<string, unknown> } {
  const account = new TestAccount();
  const device = account.addDevice();
  if (rng.chance(0.3)) account.addDevice();
  return { device, body: { deviceList: account.signList(), device: device.keys(), oneTimePrekeys: device.oneTimePrekeys(rng.int(4)) } };
}

function signedBody(rng: Rng, ctx: HttpContext, label: string, method: string, path: string, signer: TestDevice, body: Uint8Array): HttpCase {
  const headers = { 'content-type': rng.pick(CONTENT_TYPES), ...signHeaders(ctx.host, signer, method, path, sha(body)) };
  return { label, method, path, headers, body };
}

/** One request; about half of them are signed by a registered or freshly made device. */
export function nextRequest(rng: Rng, ctx: HttpContext): HttpCase {
  const signer = rng.pick(ctx.signers);
  const r = rng.int(12);
  switch (r) {
    case 0: {
      // Mutated publish, re-signed by the device it names (when the mutation kept its id).
      const { device, body } = freshPublication(rng);
      let b: unknown = body;
      for (let i = 1 + rng.int(3); i > 0; i--) b = mutate(rng, b);
      return signedBody(rng, ctx, 'publish-mutated', 'POST', '/v1/devices', device, encodeBody(rng, b));
    }
    case 1: {
      // A valid publish with something wrong in the signature or its headers.
      const { device, body } = freshPublication(rng);
      const bytes = encodeBody(rng, body);
      const headers: Record<string, string> = { 'content-type': 'application/json', ...signHeaders(ctx.host, device, 'POST', '/v1/devices', sha(bytes)) };
      const which = rng.int(6);
      if (which === 0) headers['x-parley-sig'] = rng.b64url(86);
      else if (which === 1) headers['x-parley-ts'] = String(rng.nastyNumber());
      else if (which === 2) headers['x-parley-device'] = signer.id;
      else if (which === 3) delete headers['x-parley-sig'];
      else if (which === 4) headers['x-parley-sig'] = rng.anyString(90).replace(/[^\x20-\x7e]/g, '');
      else Object.assign(headers, signHeaders(ctx.host, device, 'POST', '/v1/devices', sha(utf8('{}'))));
      return { label: 'publish-bad-signature', method: 'POST', path: '/v1/devices', headers, body: bytes };
    }
    case 2: {
      // Signed requests to each authenticated endpoint with mutated bodies.
      const user = rng.pick(ctx.users);
      const [method, path, body] = rng.pick<[string, string, unknown]>([
        ['PUT', `/v1/users/${signer.userId}/device-list`, { deviceList: signer.account.signList(undefined, signer.account.version + 1 + rng.int(3)) }],
        ['POST', `/v1/users/${user}/bundles`, { devices: [signer.id] }],
        ['POST', '/v1/prekeys', { oneTimePrekeys: signer.oneTimePrekeys(2), signedPrekey: signer.signedPrekey(7) }],
        ['PUT', '/v1/handle', { handle: 'fuzz_' + rng.b64url(6).toLowerCase().replace(/[^a-z0-9_]/g, '_') }],
      ]);
      let b: unknown = body;
      for (let i = rng.int(3); i > 0; i--) b = mutate(rng, b);
      return signedBody(rng, ctx, 'signed-mutated', method, path, signer, encodeBody(rng, b));
    }
    case 3: {
      // Bytes that are not JSON (or not UTF-8), correctly signed.
      const bytes = rng.chance(0.5) ? rng.bytes(rng.length(2000)) : utf8(rng.pick(['', 'null', '[]', '{', '{"a":1}{}', '\ufeff{}', '{"__proto__":{"x":1}}', '{"deviceList":' + '['.repeat(5000)]));
      const [method, path] = rng.pick([['POST', '/v1/devices'], ['POST', '/v1/prekeys'], ['PUT', '/v1/handle'], ['POST', `/v1/users/${rng.pick(ctx.users)}/bundles`]]);
      return signedBody(rng, ctx, 'signed-garbage', method, path, signer, bytes);
    }
    case 4: {
      // Oversized bodies: declared by Content-Length, or streamed without one.
      if (rng.chance(0.5)) return { label: 'oversized-declared', method: 'POST', path: rng.pick(['/v1/devices', '/v1/prekeys']), headers: { 'content-type': 'application/json' }, body: new Uint8Array(ctx.maxBodyBytes + 1 + rng.int(1000)).fill(0x20) };
      return { label: 'oversized-stream', method: 'POST', path: rng.pick(['/v1/devices', '/v1/blobs']), headers: signHeaders(ctx.host, signer, 'POST', '/v1/blobs', '-'), body: 'oversized-stream' };
    }
    case 5: {
      // Ranged blob downloads.
      const range = rng.pick([
        `bytes=${rng.int(ctx.blobSize * 2)}-${rng.int(ctx.blobSize * 2)}`,
        `bytes=-${rng.int(ctx.blobSize * 2)}`,
        `bytes=${rng.int(ctx.blobSize * 2)}-`,
        'bytes=0-0,5-6',
        'bytes=-',
        'bytes=abc',
        'items=0-1',
        `bytes=${'9'.repeat(40)}-`,
        `bytes=-${'9'.repeat(40)}`,
        'bytes=1-0',
        rng.anyString(20).replace(/[^\x20-\x7e]/g, ''),
      ]);
      return { label: 'range', method: rng.pick(['GET', 'GET', 'HEAD']), path: `/v1/blobs/${rng.chance(0.8) ? ctx.blobId : rng.b64url(32)}`, headers: { range }, body: undefined };
    }
    case 6: {
      // Replays and foreign signatures: sign one request, send another.
      const path = rng.pick(['/v1/prekeys', '/v1/handle']);
      const headers = signHeaders(ctx.host, signer, 'GET', path, sha(new Uint8Array(0)));
      return { label: 'foreign-signature', method: rng.pick(['DELETE', 'POST', 'GET']), path: rng.pick([path, '/v1/blobs/' + ctx.blobId]), headers, body: undefined };
    }
    case 7:
      return { label: 'blob-delete-not-owner', method: 'DELETE', path: `/v1/blobs/${ctx.blobId}`, headers: signHeaders(ctx.host, rng.pick(ctx.signers.slice(1)), 'DELETE', `/v1/blobs/${ctx.blobId}`, sha(new Uint8Array(0))), body: undefined };
    default: {
      // Anything at all: random method, path, headers and body, unsigned.
      const method = rng.pick(METHODS);
      const headers: Record<string, string> = {};
      if (rng.chance(0.5)) headers['content-type'] = rng.pick(CONTENT_TYPES);
      if (rng.chance(0.3)) headers['x-parley-device'] = rng.pick([signer.id, rng.b64url(16), '']);
      if (rng.chance(0.3)) headers['x-parley-ts'] = String(rng.nastyNumber());
      if (rng.chance(0.3)) headers['x-parley-sig'] = rng.b64url(rng.length(100));
      if (rng.chance(0.2)) headers.range = 'bytes=' + rng.anyString(10).replace(/[^\x20-\x7e]/g, '');
      const body = method === 'GET' || method === 'HEAD' ? undefined : rng.chance(0.5) ? encodeBody(rng, rng.json(4)) : rng.bytes(rng.length(3000));
      return { label: 'random', method, path: randomPath(rng, ctx), headers, body };
    }
  }
}

// Plain node:http rather than fetch: a request the relay refuses before reading its body
// (413) may end its connection, and a pooled client would blame the next request on it.
const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });
const oneShot = new Agent({ keepAlive: false });

/**
 * Sends a case; resolves with the status, content type and body text. A request on a
 * reused keep-alive socket that the relay closed as idle at the same moment is retried
 * once, as Node's documentation advises; any other failure is the caller's to judge.
 */
export async function sendRequest(host: string, c: HttpCase, forwardedFor: string): Promise<{ status: number; contentType: string | null; text: string }> {
  try {
    return await sendOnce(host, c, forwardedFor);
  } catch (err) {
    if ((err as { reusedSocket?: boolean }).reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') return sendOnce(host, c, forwardedFor);
    throw err;
  }
}

function sendOnce(host: string, c: HttpCase, forwardedFor: string): Promise<{ status: number; contentType: string | null; text: string }> {
  const [hostname, port] = host.split(':');
  const oversized = c.label.startsWith('oversized');
  let answered = false;
  // node:http frames bodies of DELETE/OPTIONS only with an explicit length.
  const length = c.body instanceof Uint8Array ? { 'content-length': String(c.body.byteLength) } : {};
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port: Number(port), method: c.method, path: c.path, headers: { ...c.headers, ...length, 'x-forwarded-for': forwardedFor }, agent: oversized ? oneShot : keepAlive },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? null, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
        answered = true; // an oversized stream stops once the relay has answered
      },
    );
    req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
    if (c.body === 'oversized-stream') {
      // Streamed without Content-Length, far past any configured limit, until answered.
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      let sent = 0;
      const pump = () => {
        while (!answered && !req.destroyed && sent < 8 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!req.destroyed) req.end();
      };
      pump();
    } else req.end(c.body === undefined ? undefined : Buffer.from(c.body));
  });
}
