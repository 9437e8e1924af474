// Sealed envelope: the outer layer of everything sent to one device, so that a stored
// mailbox entry does not name its sender. Like crypto_box_seal it starts from a fresh
// ephemeral X25519 key to the recipient device's identity key; unlike it, a second layer
// is keyed by the static-static DH of the two identity keys, so the sender credential
// inside is authenticated (Signal's sealed sender v1 has the same two-layer shape).
//
//   e                 fresh X25519 key pair
//   k1 = HKDF(salt = e_pub || IK_R, IKM = DH(e, IK_R),    info = "parley/v1/sealed/outer", 32)
//   c1 = XChaCha20-Poly1305(k1, nonce 0, AD = 0x01 || e_pub, credential)
//   k2 = HKDF(salt = SHA-256(e_pub || IK_R || c1), IKM = DH(IK_S, IK_R), info = "parley/v1/sealed/inner", 32)
//   c2 = XChaCha20-Poly1305(k2, nonce 0, AD = 0x01 || e_pub || c1, pad(kind || content))
//   envelope = 0x01 || e_pub || u16 len(c1) || c1 || c2
// Both keys are single-use (they depend on e), so the fixed nonce is never reused.
// credential = u8 len || user id || device signing key (32) || identity key (32) || identity-key signature (64)
import { utf8, fromUtf8 } from '../encoding.ts';
import { deviceIdFromSigningKey, identityKeySigningInput } from '../protocol/identity.ts';
import { sodium } from '../sodium.ts';
import { b64, unb64, concatBytes, sha256, ByteReader, ByteWriter } from './bytes.ts';
import { checkX25519PublicKey, generateX25519, verifyEd25519Bytes, x25519 } from './dh.ts';
import { CryptoError } from './errors.ts';
import { hkdf } from './hkdf.ts';
import type { DeviceSecrets } from './keys.ts';
import { pad, unpad } from './padding.ts';

const VERSION = 1;
const OUTER_INFO = utf8('parley/v1/sealed/outer');
const INNER_INFO = utf8('parley/v1/sealed/inner');
const NONCE0 = new Uint8Array(24);
const USER_ID = /^[a-z2-7]{32}$/;

// Per-process caches for the two costs that repeat for every envelope from the same sender
// device. Both are keyed by the exact inputs, so a hit returns what the computation would:
//   static-static DH: (our identity private key, the sender identity public key) → DH output
//   credential signature: (signing key, identity key, signature) that verified (the signed
//     message is derived from the first two); only successes are remembered.
// Bounded; the oldest entry is dropped first.
const CACHE_MAX = 4096;
const staticDh = new Map<string, Uint8Array>();
const verifiedCredentials = new Set<string>();
function makeRoom(m: Map<string, unknown> | Set<string>): void {
  if (m.size >= CACHE_MAX) m.delete(m.keys().next().value as string);
}
function staticStaticDh(ourPrivB64: string, ourPriv: Uint8Array, theirPubB64: string): Uint8Array {
  const key = `${ourPrivB64}|${theirPubB64}`;
  const hit = staticDh.get(key);
  if (hit) return hit.slice();
  const out = x25519(ourPriv, unb64(theirPubB64, 32));
  makeRoom(staticDh);
  staticDh.set(key, out.slice());
  return out;
}
/** Empties the envelope caches (tests; or after a key change, though keys are part of the cache keys). */
export function clearEnvelopeCaches(): void {
  staticDh.clear();
  verifiedCredentials.clear();
}

/** What kind of content the envelope carries; inside the encryption, so the relay sees none of it. */
export const ENVELOPE_KIND = { pairwise: 1, senderKeyDistribution: 2, group: 3 } as const;
export type EnvelopeKind = (typeof ENVELOPE_KIND)[keyof typeof ENVELOPE_KIND];

export interface SenderCredential {
  userId: string;
  deviceId: string;
  signingKey: string;
  identityKey: string;
  identityKeySig: string;
}

function aead(key: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, NONCE0, key);
}
function unaead(key: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  try {
    return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, NONCE0, key);
  } catch {
    throw new CryptoError('decrypt_failed', 'the sealed envelope does not open with this device key');
  }
}

export function credentialOf(d: DeviceSecrets): SenderCredential {
  return { userId: d.userId, deviceId: d.deviceId, signingKey: d.signing.pub, identityKey: d.identity.pub, identityKeySig: d.identityKeySig };
}

function encodeCredential(c: SenderCredential): Uint8Array {
  const uid = utf8(c.userId);
  return new ByteWriter()
    .u8(uid.length)
    .bytes(uid)
    .bytes(unb64(c.signingKey, 32, 'bad_state'))
    .bytes(unb64(c.identityKey, 32, 'bad_state'))
    .bytes(unb64(c.identityKeySig, 64, 'bad_state'))
    .finish();
}

function decodeCredential(bytes: Uint8Array): SenderCredential {
  const r = new ByteReader(bytes);
  let userId: string;
  try {
    userId = fromUtf8(r.bytes(r.u8()));
  } catch (e) {
    throw e instanceof CryptoError ? e : new CryptoError('malformed', 'credential user id is not UTF-8');
  }
  if (!USER_ID.test(userId)) throw new CryptoError('malformed', 'credential user id is malformed');
  const signingKey = r.bytes(32);
  const identityKey = r.bytes(32);
  const sig = r.bytes(64);
  r.end();
  const deviceId = deviceIdFromSigningKey(signingKey);
  const out = { userId, deviceId, signingKey: b64(signingKey), identityKey: b64(identityKey), identityKeySig: b64(sig) };
  const cacheKey = `${out.signingKey}|${out.identityKey}|${out.identityKeySig}`;
  if (!verifiedCredentials.has(cacheKey)) {
    if (!verifyEd25519Bytes(signingKey, identityKeySigningInput(deviceId, out.identityKey), sig)) {
      throw new CryptoError('bad_signature', 'the sender credential is not signed by its device key');
    }
    checkX25519PublicKey(identityKey, 'sender identity key');
    makeRoom(verifiedCredentials);
    verifiedCredentials.add(cacheKey);
  }
  return out;
}

/** Seals `content` for the device whose X25519 identity key is `recipientIdentityKey`. */
export function sealEnvelope(sender: DeviceSecrets, recipientIdentityKey: string, kind: EnvelopeKind, content: Uint8Array): Uint8Array {
  const ikR = checkX25519PublicKey(unb64(recipientIdentityKey, 32, 'bad_key'), 'recipient identity key');
  const e = generateX25519();
  const head = concatBytes(Uint8Array.of(VERSION), e.publicKey);
  const k1 = hkdf(x25519(e.privateKey, ikR), concatBytes(e.publicKey, ikR), OUTER_INFO, 32);
  const c1 = aead(k1, head, encodeCredential(credentialOf(sender)));
  const k2 = hkdf(x25519(unb64(sender.identity.priv, 32, 'bad_state'), ikR), sha256(concatBytes(e.publicKey, ikR, c1)), INNER_INFO, 32);
  const c2 = aead(k2, concatBytes(head, c1), pad(concatBytes(Uint8Array.of(kind), content)));
  return new ByteWriter().bytes(head).var16(c1).bytes(c2).finish();
}

export interface OpenedEnvelope {
  sender: SenderCredential;
  kind: EnvelopeKind;
  content: Uint8Array;
}

/**
 * Opens an envelope with this device's identity key. The returned credential is
 * authenticated (only its identity key's holder could have made the inner layer) and
 * self-consistent (device id = hash of signing key, identity key signed by it); whether
 * that device belongs to `sender.userId` is for the caller to check against the user's
 * verified device list (checkCredential).
 */
export function openEnvelope(self: DeviceSecrets, bytes: Uint8Array): OpenedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('malformed', 'expected bytes');
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== VERSION) throw new CryptoError('unsupported_version', `unknown envelope version ${version}`);
  const ePub = checkX25519PublicKey(r.bytes(32), 'envelope ephemeral key');
  const head = bytes.subarray(0, 33);
  const c1 = r.var16();
  const c2 = r.rest();
  const ikRPriv = unb64(self.identity.priv, 32, 'bad_state');
  const ikR = unb64(self.identity.pub, 32, 'bad_state');
  const k1 = hkdf(x25519(ikRPriv, ePub), concatBytes(ePub, ikR), OUTER_INFO, 32);
  const sender = decodeCredential(unaead(k1, head, c1));
  const k2 = hkdf(staticStaticDh(self.identity.priv, ikRPriv, sender.identityKey), sha256(concatBytes(ePub, ikR, c1)), INNER_INFO, 32);
  const inner = unpad(unaead(k2, concatBytes(head, c1), c2));
  if (inner.length < 1) throw new CryptoError('malformed', 'empty envelope');
  const kind = inner[0];
  if (kind !== 1 && kind !== 2 && kind !== 3) throw new CryptoError('malformed', `unknown envelope kind ${kind}`);
  return { sender, kind: kind as EnvelopeKind, content: inner.subarray(1) };
}

/** The credential's device must be on the claimed user's verified device list with the same signing key. */
export function checkCredential(sender: SenderCredential, list: { userId: string; devices: { id: string; signingKey: string }[] }): void {
  if (list.userId !== sender.userId) throw new CryptoError('sender_mismatch', 'the device list is for another user');
  if (!list.devices.some((d) => d.id === sender.deviceId && d.signingKey === sender.signingKey)) {
    throw new CryptoError('unknown_device', `device ${sender.deviceId} is not on ${sender.userId}'s device list`);
  }
}
