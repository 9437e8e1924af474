// A SecretBox over a 32-byte key the host obtained some other way: unwrapped by the OS
// keystore (safeStorage) or derived from the user's passphrase. Same sealed format as
// the key-file box: version byte 0x01 | 24-byte nonce | XSalsa20-Poly1305 secretbox.
import { sodium } from '@parley/common/sodium';
import { SecretBoxError, type SecretBox, type SecretBoxKind } from './secret-box.ts';

const VERSION = 1;

/** libsodium must be ready (sodiumReady) before the box is used. */
export function secretBoxWithKey(kind: SecretBoxKind, key: Uint8Array, unreadableHint: string): SecretBox {
  if (key.length !== 32) throw new RangeError('a secretbox key is 32 bytes');
  const k = key.slice();
  return {
    kind,
    seal(plaintext) {
      const na = sodium();
      const nonce = na.randombytes_buf(na.crypto_secretbox_NONCEBYTES);
      const box = na.crypto_secretbox_easy(plaintext, nonce, k);
      const out = new Uint8Array(1 + nonce.length + box.length);
      out[0] = VERSION;
      out.set(nonce, 1);
      out.set(box, 1 + nonce.length);
      return out;
    },
    open(sealed) {
      const na = sodium();
      const n = na.crypto_secretbox_NONCEBYTES;
      if (sealed.length < 1 + n + na.crypto_secretbox_MACBYTES || sealed[0] !== VERSION) {
        throw new SecretBoxError('secret_unreadable', 'A stored secret is damaged or in an unknown format.');
      }
      try {
        return na.crypto_secretbox_open_easy(sealed.subarray(1 + n), sealed.subarray(1, 1 + n), k);
      } catch {
        throw new SecretBoxError('secret_unreadable', `A stored secret does not open with this profile's key. ${unreadableHint}`);
      }
    },
  };
}
