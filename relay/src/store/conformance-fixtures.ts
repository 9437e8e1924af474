// Realistic-looking values for the MailboxStore conformance suite: ids and keys in the
// shapes the protocol schemas accept, so a store that validates or indexes by shape is
// exercised as in production. Random, so runs against a shared database do not collide.
import type { DeviceKeys, OneTimePrekey, SignedDeviceList } from '@parley/common/protocol';
import type { AppendRequest, DeviceRecord } from './types.ts';

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function randomChars(alphabet: string, n: number): string {
  const bytes = new Uint8Array(n);
  // getRandomValues fills at most 64 KiB per call.
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  const chars = new Array<string>(n);
  for (let i = 0; i < n; i++) chars[i] = alphabet[bytes[i] % alphabet.length];
  return chars.join('');
}

/** A fixed clock for the suite: every time is explicit, nothing sleeps. */
export const T0 = 1_750_000_000_000;
export const DAY = 24 * 60 * 60 * 1000;

export const userId = () => randomChars(B32, 32);
export const deviceId = () => randomChars(B32, 16);
export const cid = () => randomChars(B64, 22);
export const blobId = () => randomChars(B64, 32);
export const key32 = () => randomChars(B64, 43);
export const sig64 = () => randomChars(B64, 86);
export const body = (n = 136) => randomChars(B64, n);

export function deviceKeys(id = deviceId()): DeviceKeys {
  return {
    id,
    signingKey: key32(),
    identityKey: key32(),
    identityKeySig: sig64(),
    signedPrekey: { id: 1, key: key32(), sig: sig64() },
  };
}

export function deviceRecord(user = userId(), id = deviceId(), createdAt = T0): DeviceRecord {
  return { userId: user, keys: deviceKeys(id), createdAt };
}

export function deviceList(user: string, version: number, devices = [deviceId()]): SignedDeviceList {
  return {
    userId: user,
    accountKey: key32(),
    version,
    issuedAt: T0 + version,
    devices: devices.map((id) => ({ id, signingKey: key32() })),
    sig: sig64(),
  };
}

export function prekeys(fromId: number, count: number): OneTimePrekey[] {
  return Array.from({ length: count }, (_, i) => ({ id: fromId + i, key: key32() }));
}

/** A send of one body per listed device, expiring `ttl` ms after `now`. */
export function send(
  sender: string,
  devices: string[],
  opts: { now?: number; ttl?: number; cid?: string; bodies?: string[] } = {},
): AppendRequest {
  const now = opts.now ?? T0;
  return {
    sender,
    cid: opts.cid ?? cid(),
    items: devices.map((device, i) => ({ device, body: opts.bodies?.[i] ?? body() })),
    now,
    expiresAt: now + (opts.ttl ?? DAY),
  };
}

/** A web stream of the given chunks, as an HTTP upload would arrive. */
export function streamOf(chunks: Uint8Array[], failAfter?: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && i === failAfter) {
        controller.error(new Error('upload interrupted'));
        return;
      }
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

export function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Splits bytes into chunks of `size`, the way a network stream delivers them. */
export function chunked(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.slice(i, i + size));
  return out;
}
