// Sender Keys for groups (Signal's construction, with Parley's cipher and info strings).
// Each (group, sender device) has a symmetric chain and an Ed25519 signing key. The
// sender sends its chain key and signing public key to every member device over the
// pairwise sessions (a distribution message); after that one ciphertext, signed, reaches
// every device. Removing a member or a device means every remaining sender makes a new
// sender key (next epoch) and distributes it only to the remaining devices; receivers
// drop the removed devices' keys. A late joiner gets the chain at its current position
// and cannot derive earlier message keys (HMAC is one-way).
//
//   chain step     ck' = HMAC(ck, 0x02), mk = HMAC(ck, 0x01)
//   message keys   HKDF-Expand(PRK = mk, info = "parley/v1/sender-key/message", 56) -> key || nonce
//   message        0x01 || distribution id (16) || epoch (u32) || n (u32) || ciphertext || Ed25519 sig (64)
//   AD             "parley/v1/group-ad" || u16 len || group id || header (first 25 bytes)
//   signature over "parley/v1/sender-key-message" || u16 len || group id || everything before the signature
// The distribution id is random per (group, sender device, epoch) and names neither.
import { utf8, fromUtf8 } from '../encoding.ts';
import { sodium } from '../sodium.ts';
import { b64, unb64, concatBytes, randomBytes, ByteReader, ByteWriter } from './bytes.ts';
import { generateEd25519, signEd25519, storeKeyPair, verifyEd25519Bytes, type StoredKeyPair } from './dh.ts';
import { CryptoError } from './errors.ts';
import { kdfChain, messageKeyMaterial, type ChainState } from './ratchet.ts';

export const GROUP_MAX_SKIP = 2000;
export const GROUP_MAX_SKIPPED_KEYS = 2000;
/** Epochs kept per sender device, so messages in flight across a rotation still open. */
export const KEPT_EPOCHS = 2;
const VERSION = 1;
const HEADER_LEN = 25;
const MESSAGE_INFO = utf8('parley/v1/sender-key/message');
const AD_TAG = utf8('parley/v1/group-ad');
const SIG_TAG = utf8('parley/v1/sender-key-message');

export interface OwnSenderKey {
  v: 1;
  groupId: string;
  distributionId: string;
  epoch: number;
  chain: ChainState;
  /** Ed25519, priv 64 bytes. */
  signing: StoredKeyPair;
}

export interface ReceivedSenderKey {
  distributionId: string;
  epoch: number;
  senderUserId: string;
  senderDeviceId: string;
  signingKey: string;
  chain: ChainState;
  /** n -> message key, oldest first. */
  skipped: Record<string, string>;
}

/** Everything one device knows about other senders in one group. JSON-safe. */
export interface GroupReceiverState {
  v: 1;
  groupId: string;
  keys: Record<string, ReceivedSenderKey>;
}

const groupIdBytes = (groupId: string): Uint8Array => {
  const b = utf8(groupId);
  if (b.length === 0 || b.length > 255) throw new CryptoError('malformed', 'group ids are 1-255 bytes');
  return new ByteWriter().u16(b.length).bytes(b).finish();
};

export function createSenderKey(groupId: string, epoch = 1): OwnSenderKey {
  groupIdBytes(groupId);
  return {
    v: 1,
    groupId,
    distributionId: b64(randomBytes(16)),
    epoch,
    chain: { ck: b64(randomBytes(32)), n: 0 },
    signing: storeKeyPair(generateEd25519()),
  };
}

/** A fresh key for the next epoch: use after any member or device leaves the group. */
export const rotateSenderKey = (own: OwnSenderKey): OwnSenderKey => createSenderKey(own.groupId, own.epoch + 1);

export const createGroupReceiver = (groupId: string): GroupReceiverState => ({ v: 1, groupId, keys: {} });

/** The distribution message: send it to each member device over its pairwise session (sealed). */
export function senderKeyDistribution(own: OwnSenderKey): Uint8Array {
  return new ByteWriter()
    .u8(VERSION)
    .bytes(groupIdBytes(own.groupId))
    .bytes(unb64(own.distributionId, 16, 'bad_state'))
    .u32(own.epoch)
    .u32(own.chain.n)
    .bytes(unb64(own.chain.ck, 32, 'bad_state'))
    .bytes(unb64(own.signing.pub, 32, 'bad_state'))
    .finish();
}

export interface ParsedDistribution {
  groupId: string;
  distributionId: string;
  epoch: number;
  n: number;
  ck: string;
  signingKey: string;
}

export function parseSenderKeyDistribution(bytes: Uint8Array): ParsedDistribution {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('malformed', 'expected bytes');
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== VERSION) throw new CryptoError('unsupported_version', `unknown distribution version ${version}`);
  let groupId: string;
  try {
    groupId = fromUtf8(r.var16());
  } catch (e) {
    throw e instanceof CryptoError ? e : new CryptoError('malformed', 'group id is not UTF-8');
  }
  const out = { groupId, distributionId: b64(r.bytes(16)), epoch: r.u32(), n: r.u32(), ck: b64(r.bytes(32)), signingKey: b64(r.bytes(32)) };
  r.end();
  return out;
}

/**
 * Stores a sender's distribution. `sender` must come from the authenticated pairwise
 * session that carried it, never from the message itself. An older epoch than one
 * already held from that device is refused; only KEPT_EPOCHS epochs per device are kept.
 */
export function acceptSenderKeyDistribution(
  state: GroupReceiverState,
  bytes: Uint8Array,
  sender: { userId: string; deviceId: string },
): GroupReceiverState {
  const d = parseSenderKeyDistribution(bytes);
  if (d.groupId !== state.groupId) throw new CryptoError('malformed', 'the distribution is for another group');
  const existing = state.keys[d.distributionId];
  if (existing) {
    if (existing.senderDeviceId !== sender.deviceId) throw new CryptoError('sender_mismatch', 'distribution id already used by another device');
    return state; // a repeat of what we have (our chain position may be ahead of it)
  }
  const mine = Object.values(state.keys).filter((k) => k.senderDeviceId === sender.deviceId);
  if (mine.some((k) => k.epoch > d.epoch)) throw new CryptoError('stale_epoch');
  const key: ReceivedSenderKey = {
    distributionId: d.distributionId,
    epoch: d.epoch,
    senderUserId: sender.userId,
    senderDeviceId: sender.deviceId,
    signingKey: d.signingKey,
    chain: { ck: d.ck, n: d.n },
    skipped: {},
  };
  const drop = new Set(
    [...mine, key]
      .sort((a, b) => b.epoch - a.epoch)
      .slice(KEPT_EPOCHS)
      .map((k) => k.distributionId),
  );
  const keys = Object.fromEntries(Object.entries({ ...state.keys, [d.distributionId]: key }).filter(([id]) => !drop.has(id)));
  return { ...state, keys };
}

/** Forgets every key of these devices (removed from the group, or unlinked). */
export function removeSenderDevices(state: GroupReceiverState, deviceIds: Iterable<string>): GroupReceiverState {
  const gone = new Set(deviceIds);
  return { ...state, keys: Object.fromEntries(Object.entries(state.keys).filter(([, k]) => !gone.has(k.senderDeviceId))) };
}

const adFor = (groupId: string, header: Uint8Array): Uint8Array => concatBytes(AD_TAG, groupIdBytes(groupId), header);

export function encryptGroupMessage(own: OwnSenderKey, plaintext: Uint8Array): { own: OwnSenderKey; message: Uint8Array } {
  const [ck, mk] = kdfChain(unb64(own.chain.ck, 32, 'bad_state'));
  const header = new ByteWriter().u8(VERSION).bytes(unb64(own.distributionId, 16, 'bad_state')).u32(own.epoch).u32(own.chain.n).finish();
  const { key, nonce } = messageKeyMaterial(mk, MESSAGE_INFO);
  const ct = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, adFor(own.groupId, header), null, nonce, key);
  const body = concatBytes(header, ct);
  const sig = signEd25519(unb64(own.signing.priv, 64, 'bad_state'), concatBytes(SIG_TAG, groupIdBytes(own.groupId), body));
  return { own: { ...own, chain: { ck: b64(ck), n: own.chain.n + 1 } }, message: concatBytes(body, sig) };
}

export interface GroupHeader {
  distributionId: string;
  epoch: number;
  n: number;
}

export function parseGroupMessage(bytes: Uint8Array): GroupHeader & { body: Uint8Array; ciphertext: Uint8Array; sig: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('malformed', 'expected bytes');
  if (bytes.length < HEADER_LEN + 16 + 64) throw new CryptoError('malformed', 'group message is too short');
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== VERSION) throw new CryptoError('unsupported_version', `unknown group message version ${version}`);
  const distributionId = b64(r.bytes(16));
  const epoch = r.u32();
  const n = r.u32();
  const body = bytes.subarray(0, bytes.length - 64);
  return { distributionId, epoch, n, body, ciphertext: body.subarray(HEADER_LEN), sig: bytes.subarray(bytes.length - 64) };
}

export function decryptGroupMessage(
  state: GroupReceiverState,
  bytes: Uint8Array,
): { state: GroupReceiverState; plaintext: Uint8Array; sender: { userId: string; deviceId: string } } {
  const m = parseGroupMessage(bytes);
  const k = state.keys[m.distributionId];
  if (!k) throw new CryptoError('unknown_sender_key');
  if (k.epoch !== m.epoch) throw new CryptoError('unknown_sender_key', 'the epoch does not match the sender key');
  if (!verifyEd25519Bytes(unb64(k.signingKey, 32, 'bad_state'), concatBytes(SIG_TAG, groupIdBytes(state.groupId), m.body), m.sig)) {
    throw new CryptoError('bad_signature', 'the group message signature does not verify');
  }
  let mk: Uint8Array;
  let chain = k.chain;
  let skipped = k.skipped;
  const slot = String(m.n);
  if (skipped[slot] !== undefined) {
    mk = unb64(skipped[slot], 32, 'bad_state');
    skipped = { ...skipped };
    delete skipped[slot];
  } else {
    if (m.n < chain.n) throw new CryptoError('replay');
    if (m.n - chain.n > GROUP_MAX_SKIP) throw new CryptoError('too_many_skipped');
    let ck = unb64(chain.ck, 32, 'bad_state');
    const added: [string, string][] = [];
    for (let i = chain.n; i < m.n; i++) {
      const [next, skippedMk] = kdfChain(ck);
      added.push([String(i), b64(skippedMk)]);
      ck = next;
    }
    const [next, thisMk] = kdfChain(ck);
    mk = thisMk;
    chain = { ck: b64(next), n: m.n + 1 };
    if (added.length) {
      const entries = [...Object.entries(skipped), ...added];
      skipped = Object.fromEntries(entries.slice(Math.max(0, entries.length - GROUP_MAX_SKIPPED_KEYS)));
    }
  }
  const { key, nonce } = messageKeyMaterial(mk, MESSAGE_INFO);
  let plaintext: Uint8Array;
  try {
    plaintext = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, m.ciphertext, adFor(state.groupId, m.body.subarray(0, HEADER_LEN)), nonce, key);
  } catch {
    throw new CryptoError('decrypt_failed');
  }
  return {
    state: { ...state, keys: { ...state.keys, [k.distributionId]: { ...k, chain, skipped } } },
    plaintext,
    sender: { userId: k.senderUserId, deviceId: k.senderDeviceId },
  };
}
