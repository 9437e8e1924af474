import { beforeAll, describe, expect, it } from 'vitest';
import { sodiumReady } from '../sodium.ts';
import { signedPrekeySigningInput } from '../protocol/identity.ts';
import { b64, unb64 } from './bytes.ts';
import { signEd25519 } from './dh.ts';
import { CryptoError } from './errors.ts';
import { deviceKeys, type DeviceSecrets } from './keys.ts';
import { MAX_SKIP, MAX_SKIPPED_KEYS } from './ratchet.ts';
import { decryptMessage, encryptMessage, initiateSession, parsePairwiseMessage, type SessionRecord } from './session.ts';
import { parseSessionRecord, parseDeviceSecrets } from './state.ts';
import { bundleOf, makeUser, text, untext, onlyCryptoErrors } from './testkit.ts';

beforeAll(() => sodiumReady());

/** The CryptoError code fn throws, or 'ok'; anything else fails the test. */
const code = onlyCryptoErrors;
/** Every state goes through JSON and the persisted-state parser, as the engine would store it. */
const persist = (r: SessionRecord): SessionRecord => parseSessionRecord(JSON.stringify(r));
const persistDevice = (d: DeviceSecrets): DeviceSecrets => parseDeviceSecrets(JSON.stringify(d));

/** One side of a conversation: its device secrets and its record for the peer. */
class Party {
  record: SessionRecord | null = null;
  constructor(public device: DeviceSecrets) {}
  send(s: string): Uint8Array {
    const out = encryptMessage(this.record!, text(s));
    this.record = persist(out.record);
    return out.message;
  }
  recv(m: Uint8Array): string {
    const out = decryptMessage(this.device, this.record, m);
    this.record = persist(out.record);
    this.device = persistDevice(out.device);
    return untext(out.plaintext);
  }
}

function pair(withOneTime = true): { alice: Party; bob: Party } {
  const alice = new Party(makeUser(1).devices[0]);
  const bob = new Party(makeUser(1).devices[0]);
  alice.record = persist(initiateSession(alice.device, bundleOf(bob.device, withOneTime)));
  return { alice, bob };
}

describe('X3DH + Double Ratchet', () => {
  for (const withOneTime of [true, false]) {
    it(`talks both ways ${withOneTime ? 'with' : 'without'} a one-time prekey, persisting state at every step`, () => {
      const { alice, bob } = pair(withOneTime);
      expect(bob.recv(alice.send('hi bob'))).toBe('hi bob');
      expect(Object.keys(bob.device.oneTimePrekeys)).toHaveLength(withOneTime ? 4 : 5);
      expect(alice.recv(bob.send('hi alice'))).toBe('hi alice');
      for (let round = 0; round < 5; round++) {
        expect(bob.recv(alice.send(`a${round}`))).toBe(`a${round}`);
        expect(bob.recv(alice.send(`a${round}'`))).toBe(`a${round}'`);
        expect(alice.recv(bob.send(`b${round}`))).toBe(`b${round}`);
      }
    });
  }

  it('re-attaches the initial message until the first reply, in any arrival order', () => {
    const { alice, bob } = pair();
    const m = [alice.send('1'), alice.send('2'), alice.send('3')];
    for (const x of m) expect(parsePairwiseMessage(x).prekey).not.toBeNull();
    expect(bob.recv(m[2])).toBe('3');
    expect(bob.recv(m[0])).toBe('1');
    expect(bob.recv(m[1])).toBe('2');
    expect(alice.recv(bob.send('reply'))).toBe('reply');
    expect(parsePairwiseMessage(alice.send('4')).prekey).toBeNull();
  });

  it('the responder cannot send before it has received', () => {
    const { alice } = pair();
    // A record that only knows the peer but has no session yet.
    expect(code(() => encryptMessage({ ...alice.record!, current: null }, text('x')))).toBe('no_session');
  });

  it('decrypts out of order within a chain and across ratchet steps', () => {
    const { alice, bob } = pair();
    bob.recv(alice.send('start'));
    alice.recv(bob.send('ok'));
    const chain1 = [alice.send('c1-0'), alice.send('c1-1'), alice.send('c1-2')];
    expect(bob.recv(chain1[1])).toBe('c1-1');
    alice.recv(bob.send('ratchet'));
    const chain2 = [alice.send('c2-0'), alice.send('c2-1')];
    expect(bob.recv(chain2[1])).toBe('c2-1');
    expect(bob.recv(chain1[2])).toBe('c1-2');
    expect(bob.recv(chain2[0])).toBe('c2-0');
    expect(bob.recv(chain1[0])).toBe('c1-0');
  });

  it('rejects a jump beyond MAX_SKIP with no state change', () => {
    const { alice, bob } = pair();
    bob.recv(alice.send('start'));
    const skippedOver: Uint8Array[] = [];
    for (let i = 0; i <= MAX_SKIP + 1; i++) skippedOver.push(alice.send(`m${i}`));
    const before = JSON.stringify(bob.record);
    expect(code(() => bob.recv(skippedOver[MAX_SKIP + 1]))).toBe('too_many_skipped');
    expect(JSON.stringify(bob.record)).toBe(before);
    expect(bob.recv(skippedOver[0])).toBe('m0');
    expect(bob.recv(skippedOver[MAX_SKIP + 1])).toBe(`m${MAX_SKIP + 1}`); // now within reach
  });

  it('caps the skipped-key store, evicting the oldest keys', () => {
    const { alice, bob } = pair();
    bob.recv(alice.send('start'));
    alice.recv(bob.send('ok'));
    // Three chains of 900 skipped keys each: 2700 > MAX_SKIPPED_KEYS.
    const firsts: Uint8Array[] = [];
    for (let c = 0; c < 3; c++) {
      const msgs: Uint8Array[] = [];
      for (let i = 0; i < 901; i++) msgs.push(alice.send(`c${c}-${i}`));
      firsts.push(msgs[0]);
      expect(bob.recv(msgs[900])).toBe(`c${c}-900`);
      alice.recv(bob.send(`turn${c}`));
    }
    expect(Object.keys(bob.record!.current!.ratchet.skipped)).toHaveLength(MAX_SKIPPED_KEYS);
    expect(code(() => bob.recv(firsts[0]))).toBe('replay'); // evicted: its key is gone
    expect(bob.recv(firsts[2])).toBe('c2-0');
  });

  it('rejects every replay', () => {
    const { alice, bob } = pair();
    const sent: Uint8Array[] = [];
    const first = alice.send('one');
    bob.recv(first);
    sent.push(first);
    alice.recv(bob.send('ack'));
    const a = alice.send('two');
    const b = alice.send('three');
    bob.recv(b);
    bob.recv(a); // from the skipped store
    sent.push(a, b);
    alice.recv(bob.send('ratchet'));
    const c = alice.send('four');
    bob.recv(c);
    sent.push(c);
    for (const m of sent) expect(code(() => bob.recv(m))).toBe('replay');
  });

  it('rejects tampered ciphertext, header and associated data, and the genuine message still decrypts', () => {
    const { alice, bob } = pair();
    bob.recv(alice.send('start'));
    alice.recv(bob.send('ok'));
    const genuine = alice.send('secret');
    const before = JSON.stringify(bob.record);
    const flip = (i: number) => {
      const m = genuine.slice();
      m[i] ^= 1;
      return m;
    };
    // byte 2.. is the ratchet header: version(2), dh(3..34), pn(35..38), n(39..42); then ciphertext
    for (const i of [3, 20, 36, 42, genuine.length - 1, 50]) expect(code(() => bob.recv(flip(i)))).not.toBe('ok');
    expect(JSON.stringify(bob.record)).toBe(before);
    // Associated data: the same message under a session whose AD names another identity.
    const wrongAd = { ...bob.record!, current: { ...bob.record!.current!, ratchet: { ...bob.record!.current!.ratchet, ad: b64(new Uint8Array(40)) } } };
    expect(code(() => decryptMessage(bob.device, wrongAd, genuine))).toBe('decrypt_failed');
    expect(bob.recv(genuine)).toBe('secret');
  });

  it('rejects a foreign identity', () => {
    const { alice, bob } = pair();
    bob.recv(alice.send('start'));
    const carol = new Party(makeUser(1).devices[0]);
    carol.record = initiateSession(carol.device, bundleOf(bob.device));
    const fromCarol = carol.send('i am alice');
    expect(code(() => decryptMessage(bob.device, bob.record, fromCarol))).toBe('untrusted_identity');
    expect(code(() => decryptMessage(bob.device, null, fromCarol, { deviceId: alice.device.deviceId }))).toBe('sender_mismatch');
    // Carol's ratchet message glued under Alice's record does not authenticate.
    const carol2 = carol.send('x');
    const { ratchetMessage } = parsePairwiseMessage(carol2);
    expect(code(() => decryptMessage(bob.device, bob.record, new Uint8Array([1, 1, ...ratchetMessage])))).not.toBe('ok');
    expect(code(() => initiateSession(alice.device, bundleOf(carol.device), { record: alice.record }))).toBe('untrusted_identity');
  });

  it('rejects a bundle with a bad signed-prekey signature', () => {
    const bob = makeUser(1).devices[0];
    const b = bundleOf(bob);
    const bad = { ...b, device: { ...b.device, signedPrekey: { ...b.device.signedPrekey, id: b.device.signedPrekey.id + 1 } } };
    expect(code(() => initiateSession(makeUser(1).devices[0], bad))).toBe('bad_signature');
  });

  it('rejects a reused one-time prekey', () => {
    const bob = new Party(makeUser(1).devices[0]);
    const bundle = bundleOf(bob.device);
    const a1 = new Party(makeUser(1).devices[0]);
    const a2 = new Party(makeUser(1).devices[0]);
    a1.record = initiateSession(a1.device, bundle);
    a2.record = initiateSession(a2.device, bundle);
    expect(untext(decryptMessage(bob.device, null, a1.send('first')).plaintext)).toBe('first');
    const after = decryptMessage(bob.device, null, a1.send('again')).device; // same one-time prekey id
    expect(code(() => decryptMessage(after, null, a2.send('second')))).toBe('prekey_reused');
  });

  it('rejects low-order keys in bundles and initial messages', () => {
    const bob = makeUser(1).devices[0];
    const low = b64(new Uint8Array(32));
    const keys = deviceKeys(bob);
    const sig = b64(signEd25519(unb64(bob.signing.priv, 64), signedPrekeySigningInput(bob.deviceId, 9, low)));
    const bundle = { device: { ...keys, signedPrekey: { id: 9, key: low, sig } }, oneTimePrekey: null };
    expect(code(() => initiateSession(makeUser(1).devices[0], bundle))).toBe('bad_key');
    expect(code(() => initiateSession(makeUser(1).devices[0], { ...bundleOf(bob), oneTimePrekey: { id: 1, key: low } }))).toBe('bad_key');
    // An initial message whose ephemeral key is low order.
    const alice = new Party(makeUser(1).devices[0]);
    alice.record = initiateSession(alice.device, bundleOf(bob));
    const m = alice.send('x');
    m.set(new Uint8Array(32), 2 + 32 + 32 + 64);
    expect(code(() => decryptMessage(bob, null, m))).toBe('bad_key');
  });

  it('converges after simultaneous initiation', () => {
    const alice = new Party(makeUser(1).devices[0]);
    const bob = new Party(makeUser(1).devices[0]);
    alice.record = initiateSession(alice.device, bundleOf(bob.device));
    bob.record = initiateSession(bob.device, bundleOf(alice.device));
    const fromAlice = alice.send('hello from alice');
    const fromBob = bob.send('hello from bob');
    expect(bob.recv(fromAlice)).toBe('hello from alice');
    expect(alice.recv(fromBob)).toBe('hello from bob');
    expect(alice.record!.current!.id).toBe(bob.record!.current!.id);
    for (let i = 0; i < 3; i++) {
      expect(bob.recv(alice.send(`a${i}`))).toBe(`a${i}`);
      expect(alice.recv(bob.send(`b${i}`))).toBe(`b${i}`);
    }
    expect(alice.record!.current!.id).toBe(bob.record!.current!.id);
    expect(alice.record!.current!.pendingPrekey).toBeNull();
  });

  it('accepts a re-initiated session from the same peer and keeps the old one for late messages', () => {
    const { alice, bob } = pair();
    bob.recv(alice.send('start'));
    alice.recv(bob.send('ok'));
    const late = alice.send('late');
    alice.record = initiateSession(alice.device, bundleOf(bob.device), { record: alice.record });
    expect(bob.recv(alice.send('new session'))).toBe('new session');
    expect(bob.recv(late)).toBe('late');
    expect(alice.recv(bob.send('on new'))).toBe('on new');
  });
});
