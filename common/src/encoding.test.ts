import { describe, expect, it } from 'vitest';
import { EncodingError, base64UrlByteLength, fromBase64Url, fromUtf8, isBase64Url, toBase32, toBase64Url, utf8 } from './encoding.ts';

// The pure-JS paths are what Deno and browsers run; exercise them by hiding Buffer.
async function withoutBuffer<T>(fn: (m: typeof import('./encoding.ts')) => T): Promise<T> {
  const saved = (globalThis as { Buffer?: unknown }).Buffer;
  (globalThis as { Buffer?: unknown }).Buffer = undefined;
  try {
    const m = await import('./encoding.ts?nobuffer' as string);
    return fn(m as typeof import('./encoding.ts'));
  } finally {
    (globalThis as { Buffer?: unknown }).Buffer = saved;
  }
}

describe('base64url', () => {
  it('round-trips every length from 0 to 70 bytes', () => {
    for (let n = 0; n <= 70; n++) {
      const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
      const s = toBase64Url(b);
      expect(isBase64Url(s)).toBe(true);
      expect(s).not.toMatch(/[=+/]/);
      expect(base64UrlByteLength(s)).toBe(n);
      expect(fromBase64Url(s)).toEqual(b);
    }
  });

  it('matches RFC 4648 test vectors (url alphabet, no padding)', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy']];
    for (const [plain, enc] of vectors) {
      expect(toBase64Url(utf8(plain))).toBe(enc);
      expect(fromUtf8(fromBase64Url(enc))).toBe(plain);
    }
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
  });

  it('rejects padding, the standard alphabet, whitespace and impossible lengths', () => {
    for (const bad of ['Zg==', 'ab+c', 'ab/c', 'ab c', 'a', 'abcde', 'é', '\u0000']) {
      expect(isBase64Url(bad)).toBe(false);
      expect(() => fromBase64Url(bad)).toThrow(EncodingError);
    }
  });

  it('the pure-JS codec (Deno, browsers) agrees with the native one', async () => {
    const samples = Array.from({ length: 40 }, (_, n) => new Uint8Array(n).map((_, i) => (i * 91 + 7 * n) & 255));
    const native = samples.map(toBase64Url);
    const pure = await withoutBuffer((m) => samples.map((b) => m.toBase64Url(b)));
    expect(pure).toEqual(native);
    const decoded = await withoutBuffer((m) => native.map((s) => m.fromBase64Url(s)));
    expect(decoded).toEqual(samples);
  });
});

describe('base32', () => {
  it('matches RFC 4648 test vectors in lowercase without padding', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
    for (const [plain, enc] of vectors) expect(toBase32(utf8(plain))).toBe(enc);
  });
});

describe('utf8', () => {
  it('refuses invalid UTF-8 instead of substituting characters', () => {
    expect(() => fromUtf8(new Uint8Array([0xff, 0xfe]))).toThrow();
    expect(fromUtf8(utf8('héllo ✓'))).toBe('héllo ✓');
  });
});
