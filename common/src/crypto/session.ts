// Pairwise sessions: X3DH to set up, the Double Ratchet to run, and a SessionRecord per
// peer device that holds the current session plus a few previous ones (a peer that
// re-initiated, or both sides initiating at once). Records are JSON-safe and versioned.
//
// Wire format of a pairwise message:
//   0x01 (version) || type (1 = message, 2 = prekey message) ||
//   [prekey: signing key (32) || identity key (32) || identity-key sig (64) ||
//            ephemeral key (32) || signed prekey id (u32) || flags (u8, bit 0 = one-time prekey) ||
//            [one-time prekey id (u32)]] ||
//   ratchet message (header || XChaCha20-Poly1305 ciphertext)
// The initiator re-attaches the prekey part to every message until the first reply, so
// the responder can set up the session from whichever message reaches it first.
import type { PrekeyBundle } from '../protocol/schemas.ts';
import { deviceIdFromSigningKey, identityKeySigningInput } from '../protocol/identity.ts';
import { b64, unb64, ByteReader, ByteWriter } from './bytes.ts';
import { checkX25519PublicKey, verifyEd25519Bytes } from './dh.ts';
import { CryptoError } from './errors.ts';
import { REMEMBERED_USED_PREKEYS, verifyPrekeyBundle, type DeviceSecrets } from './keys.ts';
import { initInitiator, initResponder, ratchetDecrypt, ratchetEncrypt, type RatchetState } from './ratchet.ts';
import { x3dhInitiate, x3dhRespond, x3dhSessionId } from './x3dh.ts';

export const WIRE_VERSION = 1;
const TYPE_MESSAGE = 1;
const TYPE_PREKEY = 2;
/** Sessions kept besides the current one. */
export const MAX_PREVIOUS_SESSIONS = 5;

/** A peer device as the crypto layer knows it (all base64url). */
export interface PeerDevice {
  deviceId: string;
  signingKey: string;
  identityKey: string;
}

export interface PrekeyHeader {
  signingKey: string;
  identityKey: string;
  identityKeySig: string;
  ephemeral: string;
  signedPrekeyId: number;
  oneTimePrekeyId: number | null;
}

export interface SessionState {
  id: string;
  initiator: boolean;
  /** Initiator only, until the first reply: re-attached to every outgoing message. */
  pendingPrekey: PrekeyHeader | null;
  ratchet: RatchetState;
}

export interface SessionRecord {
  v: 1;
  peer: PeerDevice;
  current: SessionState | null;
  /** Newest first. */
  previous: SessionState[];
}

function samePeer(a: PeerDevice, b: PeerDevice): boolean {
  return a.deviceId === b.deviceId && a.signingKey === b.signingKey && a.identityKey === b.identityKey;
}

function promote(record: SessionRecord, next: SessionState): SessionRecord {
  const previous = record.current ? [record.current, ...record.previous] : record.previous;
  return { ...record, current: next, previous: previous.filter((s) => s.id !== next.id).slice(0, MAX_PREVIOUS_SESSIONS) };
}

/**
 * Starts a session with the device in `bundle` (as returned by the relay). The bundle is
 * verified first (and against `list` when given). An existing record for the same device
 * keeps its old sessions as previous ones; a record for a different identity is refused.
 */
export function initiateSession(
  self: DeviceSecrets,
  bundleInput: PrekeyBundle | unknown,
  opts: { record?: SessionRecord | null; list?: { devices: { id: string; signingKey: string }[] } } = {},
): SessionRecord {
  const bundle = verifyPrekeyBundle(bundleInput, opts.list);
  const d = bundle.device;
  const peer: PeerDevice = { deviceId: d.id, signingKey: d.signingKey, identityKey: d.identityKey };
  if (opts.record && !samePeer(opts.record.peer, peer)) throw new CryptoError('untrusted_identity');
  const spk = unb64(d.signedPrekey.key, 32, 'bad_key');
  const x = x3dhInitiate(
    { deviceId: self.deviceId, identityKey: unb64(self.identity.pub, 32, 'bad_state'), identityPrivate: unb64(self.identity.priv, 32, 'bad_state') },
    {
      deviceId: d.id,
      identityKey: unb64(d.identityKey, 32, 'bad_key'),
      signedPrekey: spk,
      oneTimePrekey: bundle.oneTimePrekey ? unb64(bundle.oneTimePrekey.key, 32, 'bad_key') : undefined,
    },
  );
  const state: SessionState = {
    id: x.sessionId,
    initiator: true,
    pendingPrekey: {
      signingKey: self.signing.pub,
      identityKey: self.identity.pub,
      identityKeySig: self.identityKeySig,
      ephemeral: b64(x.ephemeralPublic),
      signedPrekeyId: d.signedPrekey.id,
      oneTimePrekeyId: bundle.oneTimePrekey ? bundle.oneTimePrekey.id : null,
    },
    ratchet: initInitiator(x.sharedKey, x.ad, spk),
  };
  return promote(opts.record ?? { v: 1, peer, current: null, previous: [] }, state);
}

export const hasSession = (record: SessionRecord | null | undefined): boolean => !!record?.current;

function encodeWire(pre: PrekeyHeader | null, ratchetMessage: Uint8Array): Uint8Array {
  const w = new ByteWriter().u8(WIRE_VERSION).u8(pre ? TYPE_PREKEY : TYPE_MESSAGE);
  if (pre) {
    w.bytes(unb64(pre.signingKey, 32, 'bad_state'))
      .bytes(unb64(pre.identityKey, 32, 'bad_state'))
      .bytes(unb64(pre.identityKeySig, 64, 'bad_state'))
      .bytes(unb64(pre.ephemeral, 32, 'bad_state'))
      .u32(pre.signedPrekeyId)
      .u8(pre.oneTimePrekeyId === null ? 0 : 1);
    if (pre.oneTimePrekeyId !== null) w.u32(pre.oneTimePrekeyId);
  }
  return w.bytes(ratchetMessage).finish();
}

export interface ParsedPairwise {
  prekey: PrekeyHeader | null;
  ratchetMessage: Uint8Array;
}

/** Parses the outer structure of a pairwise message; throws only CryptoError. */
export function parsePairwiseMessage(bytes: Uint8Array): ParsedPairwise {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('malformed', 'expected bytes');
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== WIRE_VERSION) throw new CryptoError('unsupported_version', `unknown message version ${version}`);
  const type = r.u8();
  if (type !== TYPE_MESSAGE && type !== TYPE_PREKEY) throw new CryptoError('malformed', `unknown message type ${type}`);
  let prekey: PrekeyHeader | null = null;
  if (type === TYPE_PREKEY) {
    const signingKey = b64(r.bytes(32));
    const identityKey = b64(r.bytes(32));
    const identityKeySig = b64(r.bytes(64));
    const ephemeral = b64(r.bytes(32));
    const signedPrekeyId = r.u32();
    const flags = r.u8();
    if (flags > 1) throw new CryptoError('malformed', 'unknown prekey flags');
    const oneTimePrekeyId = flags === 1 ? r.u32() : null;
    prekey = { signingKey, identityKey, identityKeySig, ephemeral, signedPrekeyId, oneTimePrekeyId };
  }
  return { prekey, ratchetMessage: r.rest() };
}

/** Encrypts with the record's current session. */
export function encryptMessage(record: SessionRecord, plaintext: Uint8Array): { record: SessionRecord; message: Uint8Array } {
  const cur = record.current;
  if (!cur) throw new CryptoError('no_session');
  const { state, message } = ratchetEncrypt(cur.ratchet, plaintext);
  return { record: { ...record, current: { ...cur, ratchet: state } }, message: encodeWire(cur.pendingPrekey, message) };
}

export interface Decrypted {
  record: SessionRecord;
  /** The device secrets with any consumed one-time prekey removed: persist together with `record`. */
  device: DeviceSecrets;
  plaintext: Uint8Array;
  peer: PeerDevice;
}

// (signing key, identity key, signature) triples whose signature verified and whose identity
// key passed the checks: every message carries the same header until the first reply. The
// signed message is derived from the two keys, so the triple is the exact verification input.
const verifiedHeaders = new Set<string>();

function peerFromPrekey(pre: PrekeyHeader): PeerDevice {
  const signingKey = unb64(pre.signingKey, 32);
  const deviceId = deviceIdFromSigningKey(signingKey);
  const cacheKey = `${pre.signingKey}|${pre.identityKey}|${pre.identityKeySig}`;
  if (!verifiedHeaders.has(cacheKey)) {
    if (!verifyEd25519Bytes(signingKey, identityKeySigningInput(deviceId, pre.identityKey), unb64(pre.identityKeySig, 64))) {
      throw new CryptoError('bad_signature', "the initiator's identity key is not signed by its device key");
    }
    checkX25519PublicKey(unb64(pre.identityKey, 32), 'initiator identity key');
    if (verifiedHeaders.size >= 4096) verifiedHeaders.delete(verifiedHeaders.values().next().value as string);
    verifiedHeaders.add(cacheKey);
  }
  return { deviceId, signingKey: pre.signingKey, identityKey: pre.identityKey };
}

function checkExpected(peer: PeerDevice, expected?: Partial<PeerDevice>): void {
  if (!expected) return;
  if (
    (expected.deviceId !== undefined && expected.deviceId !== peer.deviceId) ||
    (expected.identityKey !== undefined && expected.identityKey !== peer.identityKey) ||
    (expected.signingKey !== undefined && expected.signingKey !== peer.signingKey)
  ) {
    throw new CryptoError('sender_mismatch');
  }
}

/** Tries each session (current first); the first that authenticates wins. */
function decryptWithRecord(record: SessionRecord, ratchetMessage: Uint8Array, onlyId?: string): { record: SessionRecord; plaintext: Uint8Array } {
  const states = [record.current, ...record.previous].filter((s): s is SessionState => !!s && (onlyId === undefined || s.id === onlyId));
  let firstError: CryptoError | undefined;
  for (const s of states) {
    try {
      const { state, plaintext } = ratchetDecrypt(s.ratchet, ratchetMessage);
      // Any authenticated message in a session we initiated is the reply that ends re-attaching.
      const updated: SessionState = { ...s, ratchet: state, pendingPrekey: null };
      const isCurrent = record.current?.id === s.id;
      return {
        record: isCurrent ? { ...record, current: updated } : { ...record, previous: record.previous.map((p) => (p.id === s.id ? updated : p)) },
        plaintext,
      };
    } catch (e) {
      if (!(e instanceof CryptoError)) throw new CryptoError('decrypt_failed');
      // Report the most telling reason: replay / too-far beat a plain authentication failure.
      if (!firstError || (firstError.code === 'decrypt_failed' && e.code !== 'decrypt_failed')) firstError = e;
    }
  }
  throw firstError ?? new CryptoError('no_session');
}

/**
 * Decrypts a pairwise message from the device this record is for (or, for a prekey
 * message with no record yet, from whoever it names). `expected` is the sender the sealed
 * envelope claimed; a mismatch is refused. Nothing is changed unless decryption succeeds.
 */
export function decryptMessage(
  self: DeviceSecrets,
  record: SessionRecord | null | undefined,
  bytes: Uint8Array,
  expected?: Partial<PeerDevice>,
): Decrypted {
  const { prekey, ratchetMessage } = parsePairwiseMessage(bytes);
  if (!prekey) {
    if (!record) throw new CryptoError('no_session');
    checkExpected(record.peer, expected);
    const out = decryptWithRecord(record, ratchetMessage);
    return { ...out, device: self, peer: record.peer };
  }

  const peer = peerFromPrekey(prekey);
  checkExpected(peer, expected);
  if (record && !samePeer(record.peer, peer)) throw new CryptoError('untrusted_identity');
  const ephemeral = checkX25519PublicKey(unb64(prekey.ephemeral, 32), 'ephemeral key');
  const selfIdentity = { deviceId: self.deviceId, identityKey: unb64(self.identity.pub, 32, 'bad_state'), identityPrivate: unb64(self.identity.priv, 32, 'bad_state') };
  const peerIdentity = { deviceId: peer.deviceId, identityKey: unb64(peer.identityKey, 32), ephemeral };

  // A re-attached prekey part of a session we already have: just a ratchet message.
  const sessionId = x3dhSessionId(peerIdentity.identityKey, ephemeral, selfIdentity.identityKey);
  if (record && [record.current, ...record.previous].some((s) => s?.id === sessionId)) {
    const out = decryptWithRecord(record, ratchetMessage, sessionId);
    return { ...out, device: self, peer };
  }

  const spk = self.signedPrekeys.find((s) => s.id === prekey.signedPrekeyId);
  if (!spk) throw new CryptoError('unknown_prekey', `signed prekey ${prekey.signedPrekeyId} is unknown or expired`);
  let opkPriv: Uint8Array | undefined;
  let device = self;
  if (prekey.oneTimePrekeyId !== null) {
    const id = prekey.oneTimePrekeyId;
    const opk = self.oneTimePrekeys[String(id)];
    if (!opk) {
      if (self.usedPrekeys.includes(id)) throw new CryptoError('prekey_reused', `one-time prekey ${id} was already used`);
      throw new CryptoError('unknown_prekey', `one-time prekey ${id} is unknown`);
    }
    opkPriv = unb64(opk.priv, 32, 'bad_state');
    const oneTimePrekeys = { ...self.oneTimePrekeys };
    delete oneTimePrekeys[String(id)];
    device = { ...self, oneTimePrekeys, usedPrekeys: [...self.usedPrekeys, id].slice(-REMEMBERED_USED_PREKEYS) };
  }
  const x = x3dhRespond(
    { ...selfIdentity, signedPrekeyPrivate: unb64(spk.priv, 32, 'bad_state'), oneTimePrekeyPrivate: opkPriv },
    peerIdentity,
  );
  const { state: ratchet, plaintext } = ratchetDecrypt(initResponder(x.sharedKey, x.ad, { pub: spk.pub, priv: spk.priv }), ratchetMessage);
  const fresh: SessionState = { id: x.sessionId, initiator: false, pendingPrekey: null, ratchet };

  const base: SessionRecord = record ?? { v: 1, peer, current: null, previous: [] };
  const cur = base.current;
  let next: SessionRecord;
  if (cur && cur.initiator && cur.pendingPrekey && cur.id < fresh.id) {
    // Simultaneous initiation: both sides hold one session each side started and neither
    // has had a reply. Both keep the session with the smaller id, so they converge.
    next = { ...base, previous: [fresh, ...base.previous].slice(0, MAX_PREVIOUS_SESSIONS) };
  } else {
    next = promote(base, fresh);
  }
  return { record: next, device, plaintext, peer };
}
