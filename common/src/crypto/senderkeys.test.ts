import { beforeAll, describe, expect, it } from 'vitest';
import { sodiumReady } from '../sodium.ts';
import { CryptoError } from './errors.ts';
import {
  acceptSenderKeyDistribution,
  createGroupReceiver,
  createSenderKey,
  decryptGroupMessage,
  encryptGroupMessage,
  GROUP_MAX_SKIP,
  removeSenderDevices,
  rotateSenderKey,
  senderKeyDistribution,
  type GroupReceiverState,
  type OwnSenderKey,
} from './senderkeys.ts';
import { parseGroupReceiverState, parseOwnSenderKey } from './state.ts';
import { text, untext, onlyCryptoErrors } from './testkit.ts';

beforeAll(() => sodiumReady());

/** The CryptoError code fn throws, or 'ok'; anything else fails the test. */
const code = onlyCryptoErrors;

const G = 'group-1';
const ALICE = { userId: 'a'.repeat(32), deviceId: 'a'.repeat(16) };

class Sender {
  own: OwnSenderKey = createSenderKey(G);
  send(s: string): Uint8Array {
    const out = encryptGroupMessage(this.own, text(s));
    this.own = parseOwnSenderKey(JSON.stringify(out.own));
    return out.message;
  }
}
class Member {
  state: GroupReceiverState = createGroupReceiver(G);
  learn(s: Sender, from = ALICE): void {
    this.state = acceptSenderKeyDistribution(this.state, senderKeyDistribution(s.own), from);
  }
  read(m: Uint8Array): string {
    const out = decryptGroupMessage(this.state, m);
    this.state = parseGroupReceiverState(JSON.stringify(out.state));
    return untext(out.plaintext);
  }
}

describe('sender keys', () => {
  it('delivers in order and out of order, and names the sender', () => {
    const alice = new Sender();
    const bob = new Member();
    bob.learn(alice);
    const m = [alice.send('0'), alice.send('1'), alice.send('2'), alice.send('3')];
    expect(bob.read(m[0])).toBe('0');
    expect(bob.read(m[3])).toBe('3');
    expect(bob.read(m[1])).toBe('1');
    expect(bob.read(m[2])).toBe('2');
    expect(decryptGroupMessage(bob.state, alice.send('x')).sender).toEqual(ALICE);
  });

  it('rejects duplicates, too-far-future messages and forged signatures', () => {
    const alice = new Sender();
    const bob = new Member();
    bob.learn(alice);
    const m0 = alice.send('0');
    bob.read(m0);
    expect(code(() => bob.read(m0))).toBe('replay');
    for (let i = 0; i <= GROUP_MAX_SKIP; i++) alice.own = encryptGroupMessage(alice.own, text('')).own;
    const far = alice.send('far');
    const before = JSON.stringify(bob.state);
    expect(code(() => bob.read(far))).toBe('too_many_skipped');
    expect(JSON.stringify(bob.state)).toBe(before);

    const carol = new Sender();
    carol.own = { ...carol.own, distributionId: alice.own.distributionId, epoch: alice.own.epoch, chain: alice.own.chain };
    expect(code(() => bob.read(carol.send('forged')))).toBe('bad_signature');
    const tampered = alice.send('t');
    tampered[30] ^= 1;
    expect(code(() => bob.read(tampered))).toBe('bad_signature');
  });

  it('removed member cannot read after rotation; late joiner cannot read earlier messages', () => {
    const alice = new Sender();
    const bob = new Member();
    const mallory = new Member();
    bob.learn(alice);
    mallory.learn(alice);
    expect(mallory.read(alice.send('before removal'))).toBe('before removal');
    // Mallory is removed: Alice rotates and distributes only to Bob.
    alice.own = rotateSenderKey(alice.own);
    bob.learn(alice);
    const after = alice.send('after removal');
    expect(bob.read(after)).toBe('after removal');
    expect(code(() => mallory.read(after))).toBe('unknown_sender_key');

    const early = alice.send('before join');
    const dave = new Member();
    dave.learn(alice);
    expect(code(() => dave.read(early))).toBe('replay');
    expect(dave.read(alice.send('after join'))).toBe('after join');
  });

  it('device removal drops its keys and refuses stale epochs', () => {
    const alicePhone = new Sender();
    const bob = new Member();
    const phone = { userId: ALICE.userId, deviceId: 'p'.repeat(16) };
    bob.learn(alicePhone, phone);
    const old = senderKeyDistribution(alicePhone.own);
    alicePhone.own = rotateSenderKey(alicePhone.own);
    bob.learn(alicePhone, phone);
    expect(code(() => acceptSenderKeyDistribution(bob.state, old, phone))).toBe('ok'); // already known: idempotent
    const stale = createSenderKey(G, 1);
    expect(code(() => acceptSenderKeyDistribution(bob.state, senderKeyDistribution(stale), phone))).toBe('stale_epoch');
    const m = alicePhone.send('x');
    bob.state = removeSenderDevices(bob.state, [phone.deviceId]);
    expect(code(() => bob.read(m))).toBe('unknown_sender_key');
  });

  it('keeps a previous epoch for messages in flight across a rotation', () => {
    const alice = new Sender();
    const bob = new Member();
    bob.learn(alice);
    const inFlight = alice.send('old epoch');
    alice.own = rotateSenderKey(alice.own);
    bob.learn(alice);
    expect(bob.read(alice.send('new epoch'))).toBe('new epoch');
    expect(bob.read(inFlight)).toBe('old epoch');
  });

  it('refuses a distribution for another group', () => {
    const other = createSenderKey('group-2');
    expect(code(() => acceptSenderKeyDistribution(createGroupReceiver(G), senderKeyDistribution(other), ALICE))).toBe('malformed');
  });
});
