// X3DH key agreement (Signal's X3DH spec, Curve25519 + SHA-256), with Parley's own info
// strings. The initiator combines its identity key and a fresh ephemeral key with the
// responder's identity key, signed prekey and (when the relay had one) one-time prekey.
//
//   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK_A, IK_B)  DH3 = DH(EK_A, SPK_B)  [DH4 = DH(EK_A, OPK_B)]
//   SK  = HKDF(salt = 32 zero bytes, IKM = 0xFF*32 || DH1 || DH2 || DH3 [|| DH4], info = "parley/v1/x3dh", 32)
//   AD  = "parley/v1/ratchet-ad" || IK_A || device id A || IK_B || device id B
import { utf8 } from '../encoding.ts';
import { concatBytes, sha256, b64 } from './bytes.ts';
import { x25519, generateX25519, type KeyPair } from './dh.ts';
import { hkdf } from './hkdf.ts';

export const X3DH_INFO = utf8('parley/v1/x3dh');
const AD_TAG = utf8('parley/v1/ratchet-ad');
const SESSION_ID_TAG = utf8('parley/v1/session-id');
const F = new Uint8Array(32).fill(0xff);
const ZERO_SALT = new Uint8Array(32);

export interface X3dhParty {
  deviceId: string;
  identityKey: Uint8Array;
}

export interface X3dhResult {
  sharedKey: Uint8Array;
  ad: Uint8Array;
  sessionId: string;
}

function finish(dhs: Uint8Array[], initiator: X3dhParty, responder: X3dhParty, ephemeral: Uint8Array): X3dhResult {
  const sharedKey = hkdf(concatBytes(F, ...dhs), ZERO_SALT, X3DH_INFO, 32);
  const ad = concatBytes(AD_TAG, initiator.identityKey, utf8(initiator.deviceId), responder.identityKey, utf8(responder.deviceId));
  return { sharedKey, ad, sessionId: x3dhSessionId(initiator.identityKey, ephemeral, responder.identityKey) };
}

/** Names one X3DH run (both identity keys and the initiator's ephemeral key); never secret. */
export const x3dhSessionId = (initiatorIdentity: Uint8Array, ephemeral: Uint8Array, responderIdentity: Uint8Array): string =>
  b64(sha256(concatBytes(SESSION_ID_TAG, initiatorIdentity, ephemeral, responderIdentity)).subarray(0, 16));

/** Initiator side. All public keys must already be validated (verifyPrekeyBundle does that). */
export function x3dhInitiate(
  self: X3dhParty & { identityPrivate: Uint8Array },
  peer: X3dhParty & { signedPrekey: Uint8Array; oneTimePrekey?: Uint8Array },
  ephemeral: KeyPair = generateX25519(),
): X3dhResult & { ephemeralPublic: Uint8Array } {
  const dhs = [
    x25519(self.identityPrivate, peer.signedPrekey),
    x25519(ephemeral.privateKey, peer.identityKey),
    x25519(ephemeral.privateKey, peer.signedPrekey),
  ];
  if (peer.oneTimePrekey) dhs.push(x25519(ephemeral.privateKey, peer.oneTimePrekey));
  return { ...finish(dhs, self, peer, ephemeral.publicKey), ephemeralPublic: ephemeral.publicKey };
}

/** Responder side: the same four (or three) DH values from the other ends. */
export function x3dhRespond(
  self: X3dhParty & { identityPrivate: Uint8Array; signedPrekeyPrivate: Uint8Array; oneTimePrekeyPrivate?: Uint8Array },
  peer: X3dhParty & { ephemeral: Uint8Array },
): X3dhResult {
  const dhs = [
    x25519(self.signedPrekeyPrivate, peer.identityKey),
    x25519(self.identityPrivate, peer.ephemeral),
    x25519(self.signedPrekeyPrivate, peer.ephemeral),
  ];
  if (self.oneTimePrekeyPrivate) dhs.push(x25519(self.oneTimePrekeyPrivate, peer.ephemeral));
  return finish(dhs, peer, self, peer.ephemeral);
}
