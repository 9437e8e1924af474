// Identifiers and the exact bytes every signature in Parley covers. Both the relay (which
// verifies device lists, requests and socket logins) and the crypto layer (which makes
// them) build signing input only through these functions, so the two cannot drift.
//
// Every signed string starts with a domain tag ("parley/v1/<purpose>") and joins its
// fields with "\n"; no field can contain a newline (the schemas forbid it), so the
// encoding is unambiguous.
import { concatBytes, fromBase64Url, toBase32, utf8 } from '../encoding.ts';
import { sodium } from '../sodium.ts';

export const DOMAIN = {
  userId: 'parley/v1/user-id',
  deviceId: 'parley/v1/device-id',
  deviceList: 'parley/v1/device-list',
  identityKey: 'parley/v1/identity-key',
  signedPrekey: 'parley/v1/signed-prekey',
  wsAuth: 'parley/v1/ws-auth',
  http: 'parley/v1/http',
} as const;

/** A user id: base32 of the first 20 bytes of SHA-256(domain || account key): 32 chars. */
export function userIdFromAccountKey(accountKey: Uint8Array): string {
  const digest = sodium().crypto_hash_sha256(concatBytes(utf8(DOMAIN.userId + '\n'), accountKey));
  return toBase32(digest.subarray(0, 20));
}

/** A device id: base32 of the first 10 bytes of SHA-256(domain || device signing key): 16 chars. */
export function deviceIdFromSigningKey(signingKey: Uint8Array): string {
  const digest = sodium().crypto_hash_sha256(concatBytes(utf8(DOMAIN.deviceId + '\n'), signingKey));
  return toBase32(digest.subarray(0, 10));
}

export interface DeviceListBody {
  userId: string;
  accountKey: string; // base64url Ed25519 public key
  version: number;
  issuedAt: number; // ms since epoch, informational
  devices: { id: string; signingKey: string }[];
}

/** Signing input of a device list; devices are sorted by id so order never matters. */
export function deviceListSigningInput(list: DeviceListBody): Uint8Array {
  const devices = [...list.devices].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const lines = [DOMAIN.deviceList, list.userId, list.accountKey, String(list.version), String(list.issuedAt)];
  for (const d of devices) lines.push(`${d.id}:${d.signingKey}`);
  return utf8(lines.join('\n'));
}

export const identityKeySigningInput = (deviceId: string, identityKey: string): Uint8Array =>
  utf8(`${DOMAIN.identityKey}\n${deviceId}\n${identityKey}`);

export const signedPrekeySigningInput = (deviceId: string, prekeyId: number, key: string): Uint8Array =>
  utf8(`${DOMAIN.signedPrekey}\n${deviceId}\n${prekeyId}\n${key}`);

/** What a device signs to log in on a socket. `relay` is the relay's host[:port] as the client dialled it. */
export const wsAuthSigningInput = (relay: string, nonce: string, deviceId: string, ts: number): Uint8Array =>
  utf8(`${DOMAIN.wsAuth}\n${relay}\n${nonce}\n${deviceId}\n${ts}`);

/**
 * What a device signs for an authenticated HTTP request. `bodyHash` is base64url
 * SHA-256 of the body, or "-" for a streamed upload (blobs are end-to-end encrypted and
 * hash-checked by their recipients, so the relay need not bind their bytes).
 */
export const httpSigningInput = (
  relay: string,
  method: string,
  pathAndQuery: string,
  ts: number,
  bodyHash: string,
): Uint8Array => utf8(`${DOMAIN.http}\n${relay}\n${method.toUpperCase()}\n${pathAndQuery}\n${ts}\n${bodyHash}`);

export const HTTP_AUTH_HEADERS = {
  device: 'x-parley-device',
  ts: 'x-parley-ts',
  sig: 'x-parley-sig',
} as const;

/** Ed25519 verify that never throws: malformed keys or signatures simply fail. */
export function verifyEd25519(publicKeyB64: string, message: Uint8Array, signatureB64: string): boolean {
  try {
    const pk = fromBase64Url(publicKeyB64);
    const sig = fromBase64Url(signatureB64);
    if (pk.length !== 32 || sig.length !== 64) return false;
    return sodium().crypto_sign_verify_detached(sig, message, pk);
  } catch {
    return false;
  }
}

export type DeviceListProblem = 'bad_signature' | 'wrong_user' | 'duplicate_device' | 'device_id_mismatch' | 'rollback';

/**
 * Checks a signed device list: the account key hashes to the user id, every device id
 * matches its signing key, no duplicates, the signature verifies, and (when the highest
 * version seen so far is given) the version is strictly newer. Returns null when valid.
 */
export function checkDeviceList(
  list: DeviceListBody & { sig: string },
  pinnedVersion?: number,
): DeviceListProblem | null {
  let accountKey: Uint8Array;
  try {
    accountKey = fromBase64Url(list.accountKey);
  } catch {
    return 'bad_signature';
  }
  if (accountKey.length !== 32) return 'bad_signature';
  if (userIdFromAccountKey(accountKey) !== list.userId) return 'wrong_user';
  const seen = new Set<string>();
  for (const d of list.devices) {
    if (seen.has(d.id)) return 'duplicate_device';
    seen.add(d.id);
    let key: Uint8Array;
    try {
      key = fromBase64Url(d.signingKey);
    } catch {
      return 'device_id_mismatch';
    }
    if (key.length !== 32 || deviceIdFromSigningKey(key) !== d.id) return 'device_id_mismatch';
  }
  if (!verifyEd25519(list.accountKey, deviceListSigningInput(list), list.sig)) return 'bad_signature';
  if (pinnedVersion !== undefined && list.version <= pinnedVersion) return 'rollback';
  return null;
}
