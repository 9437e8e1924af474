// Deterministic bench identities: device `i` of a run is derived from (run tag, i), so
// the orchestrator (which seeds the store) and every load-generator process (which logs
// in) derive the same keys without shipping private keys between processes.
//
// Ed25519 goes through node:crypto (much faster than libsodium's WebAssembly for
// thousands of keys and logins); keys are genuine Ed25519 and ids come from identity.ts.
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import {
  type DeviceKeys,
  type SignedDeviceList,
  deviceIdFromSigningKey,
  deviceListSigningInput,
  identityKeySigningInput,
  signedPrekeySigningInput,
  userIdFromAccountKey,
  wsAuthSigningInput,
} from '@parley/common/protocol';
import { toBase64Url } from '@parley/common/encoding';
import { sodium } from '@parley/common/sodium';

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface Signer {
  key: KeyObject;
  publicKey: Uint8Array;
  publicB64: string;
}

function seed(tag: string): Buffer {
  return createHash('sha256').update(tag).digest();
}

/** The key pair of a 32-byte seed. (A JWK import is ~15× faster than a PKCS#8 one.) */
export function ed25519FromSeed(s: Uint8Array): Signer {
  const publicKey = sodium().crypto_sign_seed_keypair(s).publicKey;
  const publicB64 = toBase64Url(publicKey);
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: toBase64Url(s), x: publicB64 }, format: 'jwk' });
  return { key, publicKey, publicB64 };
}

function x25519PublicFromSeed(s: Uint8Array): string {
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, s]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return toBase64Url(spki.subarray(spki.length - 32));
}

export const signB64 = (signer: Signer, data: Uint8Array): string => toBase64Url(sign(null, data, signer.key));

/** What a load generator needs to log a device in. */
export interface BenchDevice {
  index: number;
  id: string;
  signer: Signer;
}

export function benchDevice(run: string, index: number): BenchDevice {
  const signer = ed25519FromSeed(seed(`parley-bench/${run}/device/${index}`));
  return { index, id: deviceIdFromSigningKey(signer.publicKey), signer };
}

/** The `auth` frame answering a challenge. */
export function authFrame(device: BenchDevice, relay: string, nonce: string, after?: number): string {
  const ts = Date.now();
  const sig = signB64(device.signer, wsAuthSigningInput(relay, nonce, device.id, ts));
  return JSON.stringify(after === undefined ? { t: 'auth', device: device.id, ts, sig } : { t: 'auth', device: device.id, ts, sig, after });
}

/**
 * Everything the relay stores about a published device: its one-device account list
 * (signed by an account key of its own) and its keys. The X25519 keys are shared by all
 * bench devices: the relay never uses them, it only stores and hands them out.
 */
let sharedX25519: { identity: string; prekey: string } | undefined;
export function benchPublication(run: string, device: BenchDevice): { list: SignedDeviceList; keys: DeviceKeys } {
  sharedX25519 ??= { identity: x25519PublicFromSeed(seed('parley-bench/x25519/identity')), prekey: x25519PublicFromSeed(seed('parley-bench/x25519/prekey')) };
  const account = ed25519FromSeed(seed(`parley-bench/${run}/account/${device.index}`));
  const userId = userIdFromAccountKey(account.publicKey);
  const body = { userId, accountKey: account.publicB64, version: 1, issuedAt: Date.now(), devices: [{ id: device.id, signingKey: device.signer.publicB64 }] };
  const list: SignedDeviceList = { ...body, sig: signB64(account, deviceListSigningInput(body)) };
  const { identity, prekey } = sharedX25519;
  const keys: DeviceKeys = {
    id: device.id,
    signingKey: device.signer.publicB64,
    identityKey: identity,
    identityKeySig: signB64(device.signer, identityKeySigningInput(device.id, identity)),
    signedPrekey: { id: 1, key: prekey, sig: signB64(device.signer, signedPrekeySigningInput(device.id, 1, prekey)) },
  };
  return { list, keys };
}
