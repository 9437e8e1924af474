// The Double Ratchet (Signal's spec, section 3, without header encryption), as pure
// functions over a JSON-safe state: encrypt/decrypt return a new state and never touch
// the one passed in. That is what "decrypt on a copy, commit only after authentication"
// means here: a message that fails to authenticate, is replayed or is too far ahead
// throws, and the caller still holds the unchanged state.
//
//   KDF_RK(rk, dh)  = HKDF(salt = rk, IKM = dh, info = "parley/v1/ratchet/root", 64) -> rk' || ck
//   KDF_CK(ck)      = ck' = HMAC(ck, 0x02), mk = HMAC(ck, 0x01)       (as libsignal)
//   message keys    = HKDF-Expand(PRK = mk, info = "parley/v1/ratchet/message", 56) -> key || nonce
//   cipher          = XChaCha20-Poly1305, AD = session AD || header
//   header          = 0x01 || ratchet public key (32) || PN (u32 BE) || N (u32 BE)
import { utf8 } from '../encoding.ts';
import { sodium } from '../sodium.ts';
import { b64, unb64, concatBytes, ByteReader, ByteWriter } from './bytes.ts';
import { generateX25519, storeKeyPair, x25519, type StoredKeyPair } from './dh.ts';
import { CryptoError } from './errors.ts';
import { hkdf, hkdfExpand, hmacSha256 } from './hkdf.ts';

/** Most message keys one message may make us skip (per chain). */
export const MAX_SKIP = 1000;
/** Most skipped message keys kept; beyond it the oldest are evicted (those messages are then lost). */
export const MAX_SKIPPED_KEYS = 2000;
/** Previous remote ratchet keys remembered, so an old-chain replay reports `replay`, not `decrypt_failed`. */
const OLD_REMOTES = 16;
export const HEADER_LEN = 41;
const HEADER_VERSION = 1;

const ROOT_INFO = utf8('parley/v1/ratchet/root');
const MESSAGE_INFO = utf8('parley/v1/ratchet/message');
const MK_SEED = Uint8Array.of(1);
const CK_SEED = Uint8Array.of(2);

export interface ChainState {
  ck: string;
  n: number;
}

export interface RatchetState {
  v: 1;
  /** Session associated data (both identity keys and device ids), base64url. */
  ad: string;
  root: string;
  self: StoredKeyPair;
  remote: string | null;
  send: ChainState | null;
  recv: ChainState | null;
  pn: number;
  /** `${remote ratchet key}.${n}` -> message key, oldest first (insertion order). */
  skipped: Record<string, string>;
  oldRemotes: string[];
}

export function kdfRoot(rootKey: Uint8Array, dhOut: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdf(dhOut, rootKey, ROOT_INFO, 64);
  return [out.subarray(0, 32), out.subarray(32)];
}

/** One chain step: [next chain key, message key]. Identical to libsignal's ChainKey. */
export function kdfChain(ck: Uint8Array): [Uint8Array, Uint8Array] {
  return [hmacSha256(ck, CK_SEED), hmacSha256(ck, MK_SEED)];
}

/**
 * A message key is already a uniformly random 32-byte HMAC output, so it serves directly
 * as the HKDF PRK (RFC 5869 §3.3 allows skipping Extract for such input): Expand only,
 * two HMAC calls instead of three per message on each side.
 */
export function messageKeyMaterial(mk: Uint8Array, info: Uint8Array = MESSAGE_INFO): { key: Uint8Array; nonce: Uint8Array } {
  const out = hkdfExpand(mk, info, 56);
  return { key: out.subarray(0, 32), nonce: out.subarray(32) };
}

/** Alice: knows Bob's signed prekey, which serves as his first ratchet key. */
export function initInitiator(sharedKey: Uint8Array, ad: Uint8Array, remoteRatchetKey: Uint8Array): RatchetState {
  const self = generateX25519();
  const [root, ck] = kdfRoot(sharedKey, x25519(self.privateKey, remoteRatchetKey));
  return {
    v: 1,
    ad: b64(ad),
    root: b64(root),
    self: storeKeyPair(self),
    remote: b64(remoteRatchetKey),
    send: { ck: b64(ck), n: 0 },
    recv: null,
    pn: 0,
    skipped: {},
    oldRemotes: [],
  };
}

/** Bob: his signed prekey pair is his first ratchet key; he has no sending chain until he receives. */
export function initResponder(sharedKey: Uint8Array, ad: Uint8Array, signedPrekey: StoredKeyPair): RatchetState {
  return { v: 1, ad: b64(ad), root: b64(sharedKey), self: signedPrekey, remote: null, send: null, recv: null, pn: 0, skipped: {}, oldRemotes: [] };
}

function encodeHeader(dh: Uint8Array, pn: number, n: number): Uint8Array {
  return new ByteWriter().u8(HEADER_VERSION).bytes(dh).u32(pn).u32(n).finish();
}

export interface RatchetHeader {
  dh: string;
  pn: number;
  n: number;
}

export function parseHeader(message: Uint8Array): RatchetHeader {
  const r = new ByteReader(message);
  const version = r.u8();
  if (version !== HEADER_VERSION) throw new CryptoError('unsupported_version', `unknown ratchet header version ${version}`);
  const dh = r.bytes(32);
  const pn = r.u32();
  const n = r.u32();
  if (r.remaining < sodium().crypto_aead_xchacha20poly1305_ietf_ABYTES) throw new CryptoError('malformed', 'ratchet message is shorter than its tag');
  return { dh: b64(dh), pn, n };
}

function seal(mk: Uint8Array, ad: Uint8Array, header: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const { key, nonce } = messageKeyMaterial(mk);
  const ct = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, concatBytes(ad, header), null, nonce, key);
  return concatBytes(header, ct);
}

function open(mk: Uint8Array, ad: Uint8Array, message: Uint8Array): Uint8Array {
  const { key, nonce } = messageKeyMaterial(mk);
  const header = message.subarray(0, HEADER_LEN);
  try {
    return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, message.subarray(HEADER_LEN), concatBytes(ad, header), nonce, key);
  } catch {
    throw new CryptoError('decrypt_failed');
  }
}

export function canSend(state: RatchetState): boolean {
  return state.send !== null;
}

export function ratchetEncrypt(state: RatchetState, plaintext: Uint8Array): { state: RatchetState; message: Uint8Array } {
  if (!state.send) throw new CryptoError('bad_state', 'the responder cannot send before it has received a message');
  const [ck, mk] = kdfChain(unb64(state.send.ck, 32, 'bad_state'));
  const header = encodeHeader(unb64(state.self.pub, 32, 'bad_state'), state.pn, state.send.n);
  const message = seal(mk, unb64(state.ad, undefined, 'bad_state'), header, plaintext);
  return { state: { ...state, send: { ck: b64(ck), n: state.send.n + 1 } }, message };
}

/** Derives the keys of messages recv.n .. until-1 into `into`; returns the advanced chain. */
function skipKeys(chain: ChainState, remote: string, until: number, into: [string, string][]): ChainState {
  if (until - chain.n > MAX_SKIP) {
    throw new CryptoError('too_many_skipped', `message ${until} is more than ${MAX_SKIP} ahead of the chain (at ${chain.n})`);
  }
  let ck = unb64(chain.ck, 32, 'bad_state');
  let n = chain.n;
  for (; n < until; n++) {
    const [next, mk] = kdfChain(ck);
    into.push([`${remote}.${n}`, b64(mk)]);
    ck = next;
  }
  return { ck: b64(ck), n };
}

function withSkipped(old: Record<string, string>, add: [string, string][], remove?: string): Record<string, string> {
  if (add.length === 0 && remove === undefined) return old;
  const entries = Object.entries(old).filter(([k]) => k !== remove);
  entries.push(...add);
  return Object.fromEntries(entries.length > MAX_SKIPPED_KEYS ? entries.slice(entries.length - MAX_SKIPPED_KEYS) : entries);
}

export function ratchetDecrypt(state: RatchetState, message: Uint8Array): { state: RatchetState; plaintext: Uint8Array } {
  const h = parseHeader(message);
  const ad = unb64(state.ad, undefined, 'bad_state');
  const slot = `${h.dh}.${h.n}`;
  const stored = state.skipped[slot];
  if (stored !== undefined) {
    const plaintext = open(unb64(stored, 32, 'bad_state'), ad, message);
    return { state: { ...state, skipped: withSkipped(state.skipped, [], slot) }, plaintext };
  }
  if (h.dh === state.remote) {
    if (state.recv && h.n < state.recv.n) throw new CryptoError('replay');
  } else if (state.oldRemotes.includes(h.dh)) {
    throw new CryptoError('replay');
  }

  const added: [string, string][] = [];
  let { root, self, remote, send, recv, pn, oldRemotes } = state;
  if (h.dh !== remote) {
    // A new ratchet step: park the rest of the current receiving chain, then two DH steps.
    if (recv && remote) recv = skipKeys(recv, remote, h.pn, added);
    const remoteKey = unb64(h.dh, 32);
    const [rk1, recvCk] = kdfRoot(unb64(root, 32, 'bad_state'), x25519(unb64(self.priv, 32, 'bad_state'), remoteKey));
    const next = generateX25519();
    const [rk2, sendCk] = kdfRoot(rk1, x25519(next.privateKey, remoteKey));
    pn = send ? send.n : 0;
    if (remote) oldRemotes = [...oldRemotes, remote].slice(-OLD_REMOTES);
    remote = h.dh;
    root = b64(rk2);
    self = storeKeyPair(next);
    send = { ck: b64(sendCk), n: 0 };
    recv = { ck: b64(recvCk), n: 0 };
  }
  recv = skipKeys(recv!, h.dh, h.n, added);
  const [ck, mk] = kdfChain(unb64(recv.ck, 32, 'bad_state'));
  const plaintext = open(mk, ad, message);
  return {
    state: {
      ...state,
      root,
      self,
      remote,
      send,
      recv: { ck: b64(ck), n: recv.n + 1 },
      pn,
      skipped: withSkipped(state.skipped, added),
      oldRemotes,
    },
    plaintext,
  };
}
