import { beforeAll, describe, expect, it } from 'vitest';
import { sodiumReady } from '../sodium.ts';
import { CryptoError } from './errors.ts';
import { HkdfExtract, HmacSha256, hkdf, hkdfExpand, hkdfExtract, hmacSha256 } from './hkdf.ts';

const hex = (s: string) => Uint8Array.from((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const range = (a: number, b: number) => Uint8Array.from({ length: b - a + 1 }, (_, i) => a + i);

beforeAll(() => sodiumReady());

// RFC 5869 appendix A, the SHA-256 cases (A.1-A.3; A.4-A.7 are SHA-1).
const VECTORS = [
  {
    name: 'A.1 basic',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: range(0x00, 0x0c),
    info: range(0xf0, 0xf9),
    L: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    name: 'A.2 longer inputs',
    ikm: range(0x00, 0x4f),
    salt: range(0x60, 0xaf),
    info: range(0xb0, 0xff),
    L: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm: 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    name: 'A.3 zero-length salt and info',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    L: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

describe('HKDF-SHA256 (RFC 5869)', () => {
  for (const v of VECTORS) {
    it(`matches test case ${v.name}`, () => {
      const prk = hkdfExtract(v.salt, v.ikm);
      expect(toHex(prk)).toBe(v.prk);
      expect(toHex(hkdfExpand(prk, v.info, v.L))).toBe(v.okm);
      expect(toHex(hkdf(v.ikm, v.salt, v.info, v.L))).toBe(v.okm);
    });
    it(`extracts incrementally (init/update/final) for ${v.name}`, () => {
      const x = new HkdfExtract(v.salt);
      for (let i = 0; i < v.ikm.length; i += 7) x.update(v.ikm.subarray(i, i + 7));
      expect(toHex(x.final())).toBe(v.prk);
    });
  }

  it('treats an absent salt like the empty salt (HashLen zeros)', () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    expect(toHex(hkdfExtract(undefined, ikm))).toBe(VECTORS[2].prk);
  });

  it('rejects a PRK that is not 32 bytes and out-of-range lengths', () => {
    expect(() => hkdfExpand(new Uint8Array(31), new Uint8Array(0), 32)).toThrow(CryptoError);
    expect(() => hkdfExpand(new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1)).toThrow(CryptoError);
    expect(hkdfExpand(new Uint8Array(32), new Uint8Array(0), 255 * 32)).toHaveLength(8160);
  });
});

describe('HMAC-SHA256', () => {
  it('one-shot rejects keys that are not 32 bytes', () => {
    for (const n of [0, 16, 31, 33, 64]) {
      try {
        hmacSha256(new Uint8Array(n), new Uint8Array(1));
        expect.unreachable();
      } catch (e) {
        expect((e as CryptoError).code).toBe('bad_key');
      }
    }
  });

  it('incremental equals one-shot and matches RFC 4231 case 2 with a short key', () => {
    const k = new Uint8Array(32).fill(7);
    const data = range(0, 200);
    expect(new HmacSha256(k).update(data.subarray(0, 50)).update(data.subarray(50)).final()).toEqual(hmacSha256(k, data));
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    const mac = new HmacSha256(new TextEncoder().encode('Jefe')).update(new TextEncoder().encode('what do ya want for nothing?')).final();
    expect(toHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('refuses use after final', () => {
    const h = new HmacSha256(new Uint8Array(32));
    h.final();
    expect(() => h.update(new Uint8Array(1))).toThrow(CryptoError);
  });
});

export { hex };
