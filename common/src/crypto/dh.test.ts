import { beforeAll, describe, expect, it } from 'vitest';
import { sodiumReady } from '../sodium.ts';
import { checkX25519PublicKey, generateX25519, isValidX25519PublicKey, x25519, x25519PublicFromPrivate } from './dh.ts';
import { CryptoError } from './errors.ts';
import { kdfChain } from './ratchet.ts';
import { utf8 } from '../encoding.ts';
import { hkdf } from './hkdf.ts';

const hex = (s: string) => Uint8Array.from((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

beforeAll(() => sodiumReady());

describe('X25519 (RFC 7748 §6.1)', () => {
  const alicePriv = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const alicePub = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
  const bobPriv = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  const bobPub = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

  it('derives both public keys and the shared secret of the RFC', () => {
    expect(toHex(x25519PublicFromPrivate(alicePriv))).toBe(alicePub);
    expect(toHex(x25519PublicFromPrivate(bobPriv))).toBe(bobPub);
    expect(toHex(x25519(alicePriv, hex(bobPub)))).toBe(shared);
    expect(toHex(x25519(bobPriv, hex(alicePub)))).toBe(shared);
  });

  const lowOrder = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    // the same points with the (ignored) top bit set
    '0000000000000000000000000000000000000000000000000000000000000080',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  ];
  it('rejects low-order public keys before and after the multiplication', () => {
    const me = generateX25519();
    for (const p of lowOrder) {
      expect(isValidX25519PublicKey(hex(p))).toBe(false);
      expect(() => x25519(me.privateKey, hex(p))).toThrow(CryptoError);
    }
  });

  it('rejects malformed lengths', () => {
    expect(() => checkX25519PublicKey(new Uint8Array(31))).toThrow(CryptoError);
    expect(() => x25519(new Uint8Array(31), generateX25519().publicKey)).toThrow(CryptoError);
  });
});

describe('chain KDF (libsignal ChainKey vector)', () => {
  // libsignal rust/protocol/src/ratchet/keys.rs, test_chain_key_derivation (v3). Parley's
  // chain step is identical (HMAC 0x01 / 0x02); its message-key expansion differs (Expand
  // only, Parley's info, 56-byte key||nonce for XChaCha20-Poly1305), so libsignal's own
  // expansion (full HKDF, "WhisperMessageKeys", 80 bytes) is recomputed here with our HKDF.
  const seed = hex('8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f');
  it('yields the published next chain key and message keys', () => {
    const [next, mk] = kdfChain(seed);
    expect(toHex(next)).toBe('28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d');
    const expanded = messageKeyMaterialRaw(mk);
    expect(toHex(expanded.subarray(0, 32))).toBe('bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217');
    expect(toHex(expanded.subarray(32, 64))).toBe('c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b');
  });
  function messageKeyMaterialRaw(mk: Uint8Array): Uint8Array {
    // libsignal: HKDF(salt = none, IKM = HMAC(ck, 0x01), info = "WhisperMessageKeys", 80)
    return hkdf(mk, undefined, utf8('WhisperMessageKeys'), 80);
  }
});
