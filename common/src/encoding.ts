// Byte encodings shared by every runtime (Node, Deno, browser): base64url without
// padding for bytes on the wire, lowercase RFC 4648 base32 for human-facing ids, UTF-8.
// No `node:` imports; where a runtime offers a native codec (Node's Buffer) it is used
// for speed, detected at run time rather than imported.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_LOOKUP[B64.charCodeAt(i)] = i;

type NodeBufferLike = {
  from(data: Uint8Array | string, enc?: string): Uint8Array & { toString(enc: string): string };
};
const NodeBuffer: NodeBufferLike | undefined = (globalThis as { Buffer?: NodeBufferLike }).Buffer;

export class EncodingError extends Error {
  readonly code = 'bad_encoding';
  constructor(message: string) {
    super(message);
    this.name = 'EncodingError';
  }
}

/** Strict check: only the base64url alphabet, no padding, and a length that decodes cleanly. */
export function isBase64Url(s: string): boolean {
  if (s.length % 4 === 1) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || B64_LOOKUP[c] < 0) return false;
  }
  return true;
}

export function toBase64Url(bytes: Uint8Array): string {
  if (NodeBuffer) {
    const buf = NodeBuffer.from(bytes.buffer instanceof ArrayBuffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes);
    return buf.toString('base64url');
  }
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >>> 18] + B64[(n >>> 12) & 63] + B64[(n >>> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64[n >>> 18] + B64[(n >>> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64[n >>> 18] + B64[(n >>> 12) & 63] + B64[(n >>> 6) & 63];
  }
  return out;
}

/** Decodes base64url (no padding). Throws EncodingError on any character outside the alphabet. */
export function fromBase64Url(s: string): Uint8Array {
  if (!isBase64Url(s)) throw new EncodingError('not valid base64url');
  if (NodeBuffer) {
    const b = NodeBuffer.from(s, 'base64url');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const outLen = Math.floor((s.length * 3) / 4);
  const out = new Uint8Array(outLen);
  let o = 0;
  let i = 0;
  for (; i + 3 < s.length; i += 4) {
    const n =
      (B64_LOOKUP[s.charCodeAt(i)] << 18) |
      (B64_LOOKUP[s.charCodeAt(i + 1)] << 12) |
      (B64_LOOKUP[s.charCodeAt(i + 2)] << 6) |
      B64_LOOKUP[s.charCodeAt(i + 3)];
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  const rest = s.length - i;
  if (rest >= 2) {
    const n = (B64_LOOKUP[s.charCodeAt(i)] << 18) | (B64_LOOKUP[s.charCodeAt(i + 1)] << 12) | (rest === 3 ? B64_LOOKUP[s.charCodeAt(i + 2)] << 6 : 0);
    out[o++] = n >>> 16;
    if (rest === 3) out[o++] = (n >>> 8) & 255;
  }
  return out;
}

/** Number of bytes a valid base64url string decodes to, without decoding it. */
export function base64UrlByteLength(s: string): number {
  return Math.floor((s.length * 3) / 4);
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** Lowercase RFC 4648 base32 without padding: ids people may read aloud or type. */
export function toBase32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
export const utf8 = (s: string): Uint8Array => encoder.encode(s);
/** Strict UTF-8 decode: invalid sequences throw instead of becoming U+FFFD. */
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b);

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
