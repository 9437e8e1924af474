// Byte helpers for the crypto layer: randomness, constant-time comparison, base64url that
// fails with CryptoError, and a tiny length-checked binary reader/writer for wire formats.
import { concatBytes, fromBase64Url, toBase64Url } from '../encoding.ts';
import { sodium } from '../sodium.ts';
import { CryptoError } from './errors.ts';

export { concatBytes };

/**
 * Random bytes from the platform CSPRNG. libsodium's randombytes_buf in the WebAssembly
 * build costs ~45 µs per call (it re-enters JS); getRandomValues exists in Node, Deno and
 * browsers and is ~25x faster, which matters for per-message key generation.
 */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) globalThis.crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  return out;
}

/** Constant-time equality (length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export const b64 = toBase64Url;

/** base64url decode that throws CryptoError (code) instead of EncodingError, with an optional exact length. */
export function unb64(s: unknown, length?: number, code: 'malformed' | 'bad_key' | 'bad_state' = 'malformed'): Uint8Array {
  if (typeof s !== 'string') throw new CryptoError(code, 'expected a base64url string');
  let out: Uint8Array;
  try {
    out = fromBase64Url(s);
  } catch {
    throw new CryptoError(code, 'not valid base64url');
  }
  if (length !== undefined && out.length !== length) throw new CryptoError(code, `expected ${length} bytes, got ${out.length}`);
  return out;
}

/** Narrows an untrusted argument to a plain object, or throws CryptoError('malformed'). */
export function record(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new CryptoError('malformed', `${what} must be an object`);
  return x as Record<string, unknown>;
}

export const sha256 = (data: Uint8Array): Uint8Array => sodium().crypto_hash_sha256(data);

/** Appends fixed-layout fields; the result is one contiguous Uint8Array. */
export class ByteWriter {
  private parts: Uint8Array[] = [];
  u8(n: number): this {
    this.parts.push(Uint8Array.of(n & 255));
    return this;
  }
  u16(n: number): this {
    this.parts.push(Uint8Array.of((n >>> 8) & 255, n & 255));
    return this;
  }
  u32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n >>> 0);
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  /** u16 length prefix, then the bytes. */
  var16(b: Uint8Array): this {
    if (b.length > 0xffff) throw new CryptoError('malformed', 'field longer than 65535 bytes');
    return this.u16(b.length).bytes(b);
  }
  finish(): Uint8Array {
    return concatBytes(...this.parts);
  }
}

/** Reads fixed-layout fields; every overrun is a CryptoError('malformed'). */
export class ByteReader {
  private o = 0;
  constructor(private readonly buf: Uint8Array) {}
  private need(n: number): void {
    if (this.o + n > this.buf.length) throw new CryptoError('malformed', 'input is truncated');
  }
  get offset(): number {
    return this.o;
  }
  get remaining(): number {
    return this.buf.length - this.o;
  }
  u8(): number {
    this.need(1);
    return this.buf[this.o++];
  }
  u16(): number {
    this.need(2);
    const v = (this.buf[this.o] << 8) | this.buf[this.o + 1];
    this.o += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.o, 4).getUint32(0);
    this.o += 4;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  var16(): Uint8Array {
    return this.bytes(this.u16());
  }
  rest(): Uint8Array {
    const v = this.buf.subarray(this.o);
    this.o = this.buf.length;
    return v;
  }
  end(): void {
    if (this.o !== this.buf.length) throw new CryptoError('malformed', 'unexpected trailing bytes');
  }
}
