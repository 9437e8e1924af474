import { beforeAll, describe, expect, it } from 'vitest';
import { sodiumReady } from '../sodium.ts';
import { ATTACHMENT_CHUNK, attachmentDigest, decryptAttachment, encryptAttachment } from './attachment.ts';
import { b64, randomBytes } from './bytes.ts';
import { CryptoError } from './errors.ts';
import { onlyCryptoErrors } from './testkit.ts';

beforeAll(() => sodiumReady());

/** The CryptoError code fn throws, or 'ok'; anything else fails the test. */
const code = onlyCryptoErrors;
const ENC = ATTACHMENT_CHUNK + 17;

describe('attachments', () => {
  it('round-trips empty, small, chunk-sized and multi-chunk files with a fresh key each', () => {
    const keys = new Set<string>();
    for (const n of [0, 1, 1000, ATTACHMENT_CHUNK - 1, ATTACHMENT_CHUNK, ATTACHMENT_CHUNK + 1, 3 * ATTACHMENT_CHUNK + 5]) {
      const data = randomBytes(n);
      const enc = encryptAttachment(data);
      keys.add(enc.key);
      expect(enc.size).toBe(n);
      expect(decryptAttachment(enc.ciphertext, enc)).toEqual(data);
    }
    expect(keys.size).toBe(7);
  });

  it('rejects a wrong hash, a wrong key, truncation and reordering', () => {
    const data = randomBytes(3 * ATTACHMENT_CHUNK + 100);
    const enc = encryptAttachment(data);
    const c = enc.ciphertext;
    expect(code(() => decryptAttachment(c, { ...enc, digest: b64(new Uint8Array(32)) }))).toBe('bad_hash');
    const altered = c.slice();
    altered[100] ^= 1;
    expect(code(() => decryptAttachment(altered, enc))).toBe('bad_hash');
    // Past the hash (an attacker who could also change the message's hash), the stream itself still refuses:
    const rehash = (ct: Uint8Array) => ({ key: enc.key, digest: b64(attachmentDigest(ct)) });
    expect(code(() => decryptAttachment(c, { key: b64(randomBytes(32)), digest: enc.digest }))).toBe('decrypt_failed');
    const truncated = c.subarray(0, 24 + 2 * ENC);
    expect(code(() => decryptAttachment(truncated, enc))).toBe('bad_hash');
    expect(code(() => decryptAttachment(truncated, rehash(truncated)))).toBe('truncated');
    const reordered = new Uint8Array(c);
    reordered.set(c.subarray(24 + ENC, 24 + 2 * ENC), 24);
    reordered.set(c.subarray(24, 24 + ENC), 24 + ENC);
    expect(code(() => decryptAttachment(reordered, rehash(reordered)))).toBe('decrypt_failed');
    const extended = new Uint8Array([...c, ...c.subarray(24, 24 + ENC)]);
    expect(code(() => decryptAttachment(extended, rehash(extended)))).not.toBe('ok');
    expect(code(() => decryptAttachment(c.subarray(0, 10), rehash(c.subarray(0, 10))))).toBe('truncated');
    expect(decryptAttachment(c, enc)).toEqual(data);
  });
});
