// Blobs: end-to-end encrypted attachments. Uploads stream into the store with the size
// limit enforced both on Content-Length and on the bytes actually received; downloads
// are unauthenticated (the 192-bit random id is the capability) and support a single
// HTTP Range so interrupted downloads resume.
import { ProtocolError } from '@parley/common/protocol';
import { toBase64Url } from '@parley/common/encoding';
import { Hono } from 'hono';
import type { RelayContext } from '../context.ts';
import { BlobTooLargeError } from '../store/types.ts';
import { problemResponse } from './problem.ts';
import { type ReplayCache, requireDevice, sha256B64 } from './signature.ts';

const BLOB_ID = /^[A-Za-z0-9_-]{32}$/; // 24 random bytes

function parseBlobId(raw: string): string {
  if (!BLOB_ID.test(raw)) throw new ProtocolError('not_found', 'No blob exists under that id.');
  return raw;
}

/** Parses a single `bytes=` range against `size`: [start, end] inclusive, 'unsatisfiable', or null (serve all). */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // malformed or multi-range: ignored (RFC 9110 §14.2)
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size || size === 0) return 'unsatisfiable';
  return [start, end];
}

export function blobRoutes(ctx: RelayContext, replay: ReplayCache): Hono {
  const app = new Hono();
  const { maxBlobBytes } = ctx.config.limits;

  app.post('/blobs', async (c) => {
    const device = await requireDevice(ctx, replay, c, '-');
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxBlobBytes) throw new ProtocolError('too_large', `Blobs are limited to ${maxBlobBytes} bytes.`);
    const body = c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() });
    const now = ctx.now();
    const id = toBase64Url(ctx.randomBytes(24));
    try {
      const meta = await ctx.store.putBlob({ id, owner: device.keys.id, createdAt: now, expiresAt: now + ctx.config.ttlMs }, body, maxBlobBytes);
      ctx.log.info('blob.stored', { device: device.keys.id, size: meta.size });
      return c.json({ id: meta.id, size: meta.size, expiresAt: meta.expiresAt }, 201);
    } catch (err) {
      if (err instanceof BlobTooLargeError) throw new ProtocolError('too_large', `Blobs are limited to ${maxBlobBytes} bytes.`);
      throw err;
    }
  });

  app.get('/blobs/:id', async (c) => {
    const id = parseBlobId(c.req.param('id'));
    const now = ctx.now();
    const meta = await ctx.store.getBlobMeta(id, now);
    if (!meta) throw new ProtocolError('not_found', 'No blob exists under that id (or it expired).');
    const range = parseRange(c.req.header('range'), meta.size);
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      'cache-control': 'private, no-store',
    };
    if (range === 'unsatisfiable') {
      return problemResponse('range_not_satisfiable', `The blob has ${meta.size} bytes.`, { size: meta.size }, { 'content-range': `bytes */${meta.size}` });
    }
    const [start, end] = range ?? [0, meta.size - 1];
    if (meta.size === 0) return new Response(null, { status: 200, headers: { ...headers, 'content-length': '0' } });
    if (c.req.method === 'HEAD') {
      // Headers only: a stream opened here would never be read or cancelled by the server,
      // and its file handle would stay open until garbage collection (found by the fuzz test).
      headers['content-length'] = String(end - start + 1);
      if (range) headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
      return new Response(null, { status: range ? 206 : 200, headers });
    }
    const stream = await ctx.store.readBlob(id, start, end, now);
    if (!stream) throw new ProtocolError('not_found', 'No blob exists under that id (or it expired).');
    headers['content-length'] = String(end - start + 1);
    if (range) headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
    return new Response(stream, { status: range ? 206 : 200, headers });
  });

  app.delete('/blobs/:id', async (c) => {
    const device = await requireDevice(ctx, replay, c, sha256B64(new Uint8Array(0)));
    const id = parseBlobId(c.req.param('id'));
    const meta = await ctx.store.getBlobMeta(id, ctx.now());
    if (!meta) throw new ProtocolError('not_found', 'No blob exists under that id (or it expired).');
    if (meta.owner !== device.keys.id) throw new ProtocolError('forbidden', 'Only the uploading device may delete a blob.');
    await ctx.store.deleteBlob(id);
    return c.body(null, 204);
  });

  return app;
}
