// Request bodies, read with the size limit enforced before and while reading: a
// Content-Length over the limit is refused without reading, and a body without one (or
// lying about it) is counted as it streams in.
import { ProtocolError } from '@parley/common/protocol';
import { fromUtf8 } from '@parley/common/encoding';
import type { Context } from 'hono';
import type { z } from 'zod';
import { invalid } from './problem.ts';

export async function readBodyBytes(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw new ProtocolError('too_large', `Bodies are limited to ${maxBytes} bytes.`);
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ProtocolError('too_large', `Bodies are limited to ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const ch of chunks) out.set(ch, (o += ch.byteLength) - ch.byteLength);
  return out;
}

/** Parses JSON bytes against a schema; any failure is a `bad_request` problem. */
export function parseJson<S extends z.ZodType>(bytes: Uint8Array, schema: S): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new ProtocolError('bad_request', 'The body is not valid UTF-8 JSON.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) invalid(parsed.error);
  return parsed.data;
}
