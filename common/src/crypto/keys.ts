// Long-term keys: the account identity key (Ed25519, one per user), and per device a
// signing key (Ed25519), an X25519 identity key signed by it, a signed prekey and a pool of
// one-time prekeys. Signatures are made only over the signing inputs in
// protocol/identity.ts, which the relay verifies with the same functions.
//
// States are plain JSON-safe objects (base64url strings) with a version field `v`; the
// client engine stores them as they are. Functions never mutate a state: they return a new one.
import { DeviceKeys, PrekeyBundle, type OneTimePrekey, type SignedPrekey } from '../protocol/schemas.ts';
import {
  deviceIdFromSigningKey,
  identityKeySigningInput,
  signedPrekeySigningInput,
  userIdFromAccountKey,
} from '../protocol/identity.ts';
import { b64, unb64 } from './bytes.ts';
import {
  checkX25519PublicKey,
  generateEd25519,
  generateX25519,
  signEd25519,
  storeKeyPair,
  verifyEd25519Bytes,
  type StoredKeyPair,
} from './dh.ts';
import { CryptoError } from './errors.ts';

export const STATE_VERSION = 1;
/** Signed prekeys kept after rotation, so initial messages in flight still open. */
export const KEPT_SIGNED_PREKEYS = 3;
/** Used one-time prekey ids remembered, so a replayed initial message reports `prekey_reused`. */
export const REMEMBERED_USED_PREKEYS = 1000;

export interface AccountSecrets {
  v: 1;
  userId: string;
  /** Ed25519: pub 32 bytes, priv 64 bytes (libsodium's seed||pub form). */
  key: StoredKeyPair;
}

export interface StoredSignedPrekey extends StoredKeyPair {
  id: number;
  sig: string;
  createdAt: number;
}

export interface DeviceSecrets {
  v: 1;
  userId: string;
  deviceId: string;
  signing: StoredKeyPair;
  identity: StoredKeyPair;
  identityKeySig: string;
  /** Oldest first; the last one is current. */
  signedPrekeys: StoredSignedPrekey[];
  oneTimePrekeys: Record<string, StoredKeyPair>;
  usedPrekeys: number[];
  nextPrekeyId: number;
}

export function createAccount(): AccountSecrets {
  const kp = generateEd25519();
  return { v: 1, userId: userIdFromAccountKey(kp.publicKey), key: storeKeyPair(kp) };
}

function makeSignedPrekey(deviceId: string, signingPriv: Uint8Array, id: number, now: number): StoredSignedPrekey {
  const kp = storeKeyPair(generateX25519());
  const sig = b64(signEd25519(signingPriv, signedPrekeySigningInput(deviceId, id, kp.pub)));
  return { id, ...kp, sig, createdAt: now };
}

/** A new device of `userId`: signing key, signed X25519 identity key, first signed prekey. */
export function createDevice(userId: string, now = Date.now()): DeviceSecrets {
  const signing = generateEd25519();
  const deviceId = deviceIdFromSigningKey(signing.publicKey);
  const identity = storeKeyPair(generateX25519());
  const identityKeySig = b64(signEd25519(signing.privateKey, identityKeySigningInput(deviceId, identity.pub)));
  return {
    v: 1,
    userId,
    deviceId,
    signing: storeKeyPair(signing),
    identity,
    identityKeySig,
    signedPrekeys: [makeSignedPrekey(deviceId, signing.privateKey, 1, now)],
    oneTimePrekeys: {},
    usedPrekeys: [],
    nextPrekeyId: 2,
  };
}

export const currentSignedPrekey = (d: DeviceSecrets): StoredSignedPrekey => d.signedPrekeys[d.signedPrekeys.length - 1];

export function signedPrekeyPublic(d: DeviceSecrets): SignedPrekey {
  const spk = currentSignedPrekey(d);
  return { id: spk.id, key: spk.pub, sig: spk.sig };
}

/** The public half of a device, exactly as the relay's `DeviceKeys` schema wants it. */
export function deviceKeys(d: DeviceSecrets): DeviceKeys {
  return {
    id: d.deviceId,
    signingKey: d.signing.pub,
    identityKey: d.identity.pub,
    identityKeySig: d.identityKeySig,
    signedPrekey: signedPrekeyPublic(d),
  };
}

/** A new signed prekey becomes current; the previous KEPT_SIGNED_PREKEYS - 1 stay for late initial messages. */
export function rotateSignedPrekey(d: DeviceSecrets, now = Date.now()): DeviceSecrets {
  const spk = makeSignedPrekey(d.deviceId, unb64(d.signing.priv, 64, 'bad_state'), d.nextPrekeyId, now);
  return {
    ...d,
    signedPrekeys: [...d.signedPrekeys, spk].slice(-KEPT_SIGNED_PREKEYS),
    nextPrekeyId: (d.nextPrekeyId + 1) >>> 0,
  };
}

/** `count` fresh one-time prekeys: the new state keeps the private halves, `prekeys` is what to upload. */
export function generateOneTimePrekeys(d: DeviceSecrets, count: number): { device: DeviceSecrets; prekeys: OneTimePrekey[] } {
  const oneTimePrekeys = { ...d.oneTimePrekeys };
  const prekeys: OneTimePrekey[] = [];
  let id = d.nextPrekeyId;
  for (let i = 0; i < count; i++, id = (id + 1) >>> 0) {
    const kp = storeKeyPair(generateX25519());
    oneTimePrekeys[String(id)] = kp;
    prekeys.push({ id, key: kp.pub });
  }
  return { device: { ...d, oneTimePrekeys, nextPrekeyId: id }, prekeys };
}

/**
 * Validates a peer's published keys: schema, device id = hash of the signing key, the
 * identity-key and signed-prekey signatures, and that both X25519 keys are usable. When a
 * verified device list is given, the device must be on it with the same signing key.
 */
export function verifyDeviceKeys(input: unknown, list?: { devices: { id: string; signingKey: string }[] }): DeviceKeys {
  const parsed = DeviceKeys.safeParse(input);
  if (!parsed.success) throw new CryptoError('malformed', 'device keys do not match the DeviceKeys schema');
  const k = parsed.data;
  const signingKey = unb64(k.signingKey, 32, 'bad_key');
  if (deviceIdFromSigningKey(signingKey) !== k.id) throw new CryptoError('device_id_mismatch');
  if (list && !list.devices.some((d) => d.id === k.id && d.signingKey === k.signingKey)) {
    throw new CryptoError('unknown_device', `device ${k.id} is not on the user's device list`);
  }
  if (!verifyEd25519Bytes(signingKey, identityKeySigningInput(k.id, k.identityKey), unb64(k.identityKeySig, 64))) {
    throw new CryptoError('bad_signature', 'the identity key is not signed by the device signing key');
  }
  const spk = k.signedPrekey;
  if (!verifyEd25519Bytes(signingKey, signedPrekeySigningInput(k.id, spk.id, spk.key), unb64(spk.sig, 64))) {
    throw new CryptoError('bad_signature', 'the signed prekey signature does not verify');
  }
  checkX25519PublicKey(unb64(k.identityKey, 32, 'bad_key'), 'identity key');
  checkX25519PublicKey(unb64(spk.key, 32, 'bad_key'), 'signed prekey');
  return k;
}

/** A relay bundle, checked: device keys as in verifyDeviceKeys, and a usable one-time prekey if present. */
export function verifyPrekeyBundle(input: unknown, list?: { devices: { id: string; signingKey: string }[] }): PrekeyBundle {
  const parsed = PrekeyBundle.safeParse(input);
  if (!parsed.success) throw new CryptoError('malformed', 'bundle does not match the PrekeyBundle schema');
  verifyDeviceKeys(parsed.data.device, list);
  if (parsed.data.oneTimePrekey) checkX25519PublicKey(unb64(parsed.data.oneTimePrekey.key, 32, 'bad_key'), 'one-time prekey');
  return parsed.data;
}
