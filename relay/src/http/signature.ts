// Signed HTTP requests. The device signs httpSigningInput(relay, method, path+query, ts,
// sha256(body) | "-") and sends its id, the timestamp and the signature in the
// x-parley-* headers. The relay accepts a timestamp within ±httpSkewMs of its clock and
// each signature once: a bounded cache remembers signatures for the whole acceptance
// window, so a captured request cannot be replayed.
import { HTTP_AUTH_HEADERS, ProtocolError, httpSigningInput, verifyEd25519 } from '@parley/common/protocol';
import { toBase64Url } from '@parley/common/encoding';
import { sodium } from '@parley/common/sodium';
import type { Context } from 'hono';
import type { RelayContext } from '../context.ts';
import type { DeviceRecord } from '../store/types.ts';

/** Signatures remembered at once; beyond it signed requests are refused until old ones expire. */
const MAX_REMEMBERED = 200_000;

export class ReplayCache {
  // Insertion order equals expiry order (every entry lives the same time).
  private readonly seen = new Map<string, number>();

  constructor(private readonly lifetimeMs: number) {}

  /** Records `sig`; false if it was already used. */
  use(sig: string, now: number): boolean {
    for (const [key, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(key);
    }
    if (this.seen.has(sig)) return false;
    if (this.seen.size >= MAX_REMEMBERED) throw new ProtocolError('rate_limited', 'The relay is receiving too many signed requests; retry shortly.');
    this.seen.set(sig, now + this.lifetimeMs);
    return true;
  }
}

export const sha256B64 = (bytes: Uint8Array): string => toBase64Url(sodium().crypto_hash_sha256(bytes));

export function relayHostOf(ctx: RelayContext, c: Context): string {
  return ctx.config.publicHost ?? c.req.header('host') ?? new URL(c.req.url).host;
}

/**
 * Verifies the request's signature. `signingKeyOf` picks the key: the stored device's
 * (the usual case) or the one in the body (publishing a new device).
 */
export async function verifySignedRequest(
  ctx: RelayContext,
  replay: ReplayCache,
  c: Context,
  bodyHash: string,
  signingKeyOf: (deviceId: string) => Promise<string | null>,
): Promise<string> {
  const device = c.req.header(HTTP_AUTH_HEADERS.device);
  const tsRaw = c.req.header(HTTP_AUTH_HEADERS.ts);
  const sig = c.req.header(HTTP_AUTH_HEADERS.sig);
  if (!device || !tsRaw || !sig) throw new ProtocolError('unauthenticated', `Sign the request: ${Object.values(HTTP_AUTH_HEADERS).join(', ')} headers are required.`);
  const ts = Number(tsRaw);
  const now = ctx.now();
  if (!Number.isSafeInteger(ts) || Math.abs(ts - now) > ctx.config.httpSkewMs) {
    throw new ProtocolError('auth_failed', 'The request timestamp is missing or too far from the relay clock.');
  }
  const key = await signingKeyOf(device);
  const url = new URL(c.req.url);
  const input = httpSigningInput(relayHostOf(ctx, c), c.req.method, url.pathname + url.search, ts, bodyHash);
  if (!key || !verifyEd25519(key, input, sig)) throw new ProtocolError('auth_failed', 'The request signature does not verify for that device.');
  if (!replay.use(sig, now)) throw new ProtocolError('auth_failed', 'This signed request was already used; sign a fresh one.');
  return device;
}

/** The usual case: a registered device signs; returns its record. */
export async function requireDevice(ctx: RelayContext, replay: ReplayCache, c: Context, bodyHash: string): Promise<DeviceRecord> {
  let record: DeviceRecord | null = null;
  await verifySignedRequest(ctx, replay, c, bodyHash, async (id) => {
    record = await ctx.directory.device(id);
    return record?.keys.signingKey ?? null;
  });
  return record!;
}
