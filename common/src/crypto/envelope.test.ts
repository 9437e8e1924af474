import { beforeAll, describe, expect, it } from 'vitest';
import { sodiumReady } from '../sodium.ts';
import { fromBase64Url, utf8 } from '../encoding.ts';
import { b64 } from './bytes.ts';
import { CryptoError } from './errors.ts';
import { checkCredential, credentialOf, ENVELOPE_KIND, openEnvelope, sealEnvelope } from './envelope.ts';
import { fanOut } from './fanout.ts';
import { deviceKeys } from './keys.ts';
import { pad, paddedLength, unpad } from './padding.ts';
import { decryptMessage, encryptMessage, initiateSession, type SessionRecord } from './session.ts';
import { bundleOf, makeUser, text, untext, onlyCryptoErrors } from './testkit.ts';

beforeAll(() => sodiumReady());

/** The CryptoError code fn throws, or 'ok'; anything else fails the test. */
const code = onlyCryptoErrors;
const contains = (hay: Uint8Array, needle: Uint8Array): boolean => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
};

describe('sealed envelope', () => {
  it('opens for the recipient with an authenticated sender credential', () => {
    const alice = makeUser(1);
    const bob = makeUser(1);
    const env = sealEnvelope(alice.devices[0], bob.devices[0].identity.pub, ENVELOPE_KIND.pairwise, text('payload'));
    const opened = openEnvelope(bob.devices[0], env);
    expect(opened.sender).toEqual(credentialOf(alice.devices[0]));
    expect(opened.kind).toBe(ENVELOPE_KIND.pairwise);
    expect(untext(opened.content)).toBe('payload');
    checkCredential(opened.sender, alice.list);
    expect(code(() => checkCredential(opened.sender, bob.list))).toBe('sender_mismatch');
  });

  it('carries nothing about the sender outside', () => {
    const alice = makeUser(1);
    const bob = makeUser(1);
    const d = alice.devices[0];
    const env = sealEnvelope(d, bob.devices[0].identity.pub, ENVELOPE_KIND.pairwise, text('x'));
    for (const needle of [utf8(d.userId), utf8(d.deviceId), fromBase64Url(d.signing.pub), fromBase64Url(d.identity.pub), fromBase64Url(alice.account.key.pub)]) {
      expect(contains(env, needle)).toBe(false);
      expect(contains(env, needle.subarray(0, 8))).toBe(false);
    }
  });

  it('does not open for another device, and rejects tampering', () => {
    const alice = makeUser(1);
    const bob = makeUser(2);
    const env = sealEnvelope(alice.devices[0], bob.devices[0].identity.pub, ENVELOPE_KIND.group, text('x'));
    expect(code(() => openEnvelope(bob.devices[1], env))).toBe('decrypt_failed');
    for (const i of [0, 5, 40, env.length - 1]) {
      const t = env.slice();
      t[i] ^= 1;
      expect(code(() => openEnvelope(bob.devices[0], t))).not.toBe('ok');
    }
  });

  it('rejects a mismatched inner credential', () => {
    const alice = makeUser(1);
    const bob = makeUser(1);
    const mallory = makeUser(1);
    // 1. Mallory seals, naming Alice inside: the static-static layer cannot be made without Alice's key.
    const impostor = { ...mallory.devices[0], userId: alice.account.userId, signing: alice.devices[0].signing, identity: { ...alice.devices[0].identity, priv: mallory.devices[0].identity.priv }, identityKeySig: alice.devices[0].identityKeySig, deviceId: alice.devices[0].deviceId };
    const env = sealEnvelope(impostor, bob.devices[0].identity.pub, ENVELOPE_KIND.pairwise, text('hi'));
    expect(code(() => openEnvelope(bob.devices[0], env))).toBe('decrypt_failed');
    // 2. Mallory seals honestly as herself but carries a message from Alice's session: the
    //    session layer refuses because the credential does not match the message's sender.
    const aliceSession = initiateSession(alice.devices[0], bundleOf(bob.devices[0]));
    const inner = encryptMessage(aliceSession, text('from alice')).message;
    const relayed = openEnvelope(bob.devices[0], sealEnvelope(mallory.devices[0], bob.devices[0].identity.pub, ENVELOPE_KIND.pairwise, inner));
    expect(code(() => decryptMessage(bob.devices[0], null, relayed.content, relayed.sender))).toBe('sender_mismatch');
  });

  it('the per-sender caches (static DH, verified credential) change no outcome', () => {
    const alice = makeUser(1);
    const bob = makeUser(2);
    const mallory = makeUser(1);
    // Warm both caches with a genuine envelope from Alice to Bob's first device.
    const ok = sealEnvelope(alice.devices[0], bob.devices[0].identity.pub, ENVELOPE_KIND.pairwise, text('one'));
    expect(untext(openEnvelope(bob.devices[0], ok).content)).toBe('one');
    expect(untext(openEnvelope(bob.devices[0], sealEnvelope(alice.devices[0], bob.devices[0].identity.pub, ENVELOPE_KIND.pairwise, text('two'))).content)).toBe('two');
    // Still refused: the impostor naming Alice (cached DH is keyed by Alice's real key, not the name).
    const impostor = { ...mallory.devices[0], userId: alice.account.userId, signing: alice.devices[0].signing, identity: { ...alice.devices[0].identity, priv: mallory.devices[0].identity.priv }, identityKeySig: alice.devices[0].identityKeySig, deviceId: alice.devices[0].deviceId };
    expect(code(() => openEnvelope(bob.devices[0], sealEnvelope(impostor, bob.devices[0].identity.pub, ENVELOPE_KIND.pairwise, text('x'))))).toBe('decrypt_failed');
    // Still refused: Alice's credential with a different identity-key signature.
    const badSig = { ...alice.devices[0], identityKeySig: b64(new Uint8Array(64).fill(7)) };
    expect(code(() => openEnvelope(bob.devices[0], sealEnvelope(badSig, bob.devices[0].identity.pub, ENVELOPE_KIND.pairwise, text('x'))))).toBe('bad_signature');
    // Another recipient device (a different private key) does not reuse Bob's first device's DH.
    expect(code(() => openEnvelope(bob.devices[1], ok))).toBe('decrypt_failed');
    expect(untext(openEnvelope(bob.devices[1], sealEnvelope(alice.devices[0], bob.devices[1].identity.pub, ENVELOPE_KIND.pairwise, text('three'))).content)).toBe('three');
  });

  it('pads plaintext to coarse sizes', () => {
    expect(paddedLength(1)).toBe(256);
    expect(paddedLength(256)).toBe(256);
    for (const n of [0, 1, 255, 256, 257, 1000, 5000, 70000]) {
      const p = pad(new Uint8Array(n).fill(7));
      expect(p.length).toBeGreaterThan(n);
      expect(p.length).toBeLessThanOrEqual(Math.max(256, Math.ceil((n + 1) * 1.13)));
      expect(unpad(p)).toEqual(new Uint8Array(n).fill(7));
    }
    const sizes = new Set([10, 50, 100, 200].map((n) => sealEnvelope(makeUser(1).devices[0], makeUser(1).devices[0].identity.pub, 1, new Uint8Array(n)).length));
    expect(sizes.size).toBe(1);
  });
});

describe('multi-device fan-out', () => {
  it("encrypts to every recipient device and the sender's own other devices, or reports what is missing", () => {
    const alice = makeUser(2);
    const bob = makeUser(3);
    const me = alice.devices[0];
    const first = fanOut({ self: me, plaintext: text('hello all'), lists: [bob.list, alice.list], sessions: {} });
    expect(first.to).toHaveLength(0);
    expect(first.missing.sort()).toEqual([...bob.devices.map((d) => d.deviceId), alice.devices[1].deviceId].sort());

    const bundles = Object.fromEntries([...bob.devices, alice.devices[1]].map((d) => [d.deviceId, bundleOf(d)]));
    const out = fanOut({ self: me, plaintext: text('hello all'), lists: [bob.list, alice.list], sessions: {}, bundles });
    expect(out.missing).toEqual([]);
    expect(out.to).toHaveLength(4);
    expect(out.check.sort()).toEqual([alice.account.userId, bob.account.userId].sort());
    for (const dev of [...bob.devices, alice.devices[1]]) {
      const entry = out.to.find((t) => t.d === dev.deviceId)!;
      const opened = openEnvelope(dev, fromBase64Url(entry.b));
      checkCredential(opened.sender, alice.list);
      const dec = decryptMessage(dev, null, opened.content, opened.sender);
      expect(untext(dec.plaintext)).toBe('hello all');
    }
    // Second send reuses the sessions; no bundles needed.
    const again = fanOut({ self: me, plaintext: text('again'), lists: [bob.list, alice.list], sessions: out.sessions });
    expect(again.to).toHaveLength(4);
  });

  it('refuses a bundle for a device not on the list', () => {
    const alice = makeUser(1);
    const bob = makeUser(1);
    const stranger = makeUser(1).devices[0];
    const bundles = { [bob.devices[0].deviceId]: { device: deviceKeys(stranger), oneTimePrekey: null } };
    expect(code(() => fanOut({ self: alice.devices[0], plaintext: text('x'), lists: [bob.list], sessions: {}, bundles }))).toBe('unknown_device');
  });

  it('keeps the record types JSON-safe', () => {
    const alice = makeUser(1);
    const bob = makeUser(1);
    const r: SessionRecord = initiateSession(alice.devices[0], bundleOf(bob.devices[0]));
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(b64(new Uint8Array(0))).toBe('');
  });
});
