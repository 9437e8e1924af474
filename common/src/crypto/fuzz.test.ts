// Every parser and decryptor, fed random and mutated input, may only return or throw a
// CryptoError: never a libsodium exception, a RangeError, a zod error or a crash.
import { beforeAll, describe, expect, it } from 'vitest';
import { sodiumReady } from '../sodium.ts';
import { b64, randomBytes } from './bytes.ts';
import { decryptAttachment, encryptAttachment } from './attachment.ts';
import { verifyDeviceList } from './devicelist.ts';
import { ENVELOPE_KIND, openEnvelope, sealEnvelope } from './envelope.ts';
import { verifyDeviceKeys, verifyPrekeyBundle, deviceKeys } from './keys.ts';
import {
  acceptSenderKeyDistribution,
  createGroupReceiver,
  createSenderKey,
  decryptGroupMessage,
  encryptGroupMessage,
  parseSenderKeyDistribution,
  senderKeyDistribution,
} from './senderkeys.ts';
import { decryptMessage, encryptMessage, initiateSession, parsePairwiseMessage } from './session.ts';
import {
  parseAccountSecrets,
  parseDeviceListPin,
  parseDeviceSecrets,
  parseGroupReceiverState,
  parseIdentityPin,
  parseOwnSenderKey,
  parseSessionRecord,
} from './state.ts';
import { bundleOf, makeUser, mutations, onlyCryptoErrors, text } from './testkit.ts';
import { unpad } from './padding.ts';
import { checkIdentity, safetyNumber } from './safety.ts';

beforeAll(() => sodiumReady());

const N = 150;

/** Random JSON-ish values, and the valid object with one field replaced or removed. */
function jsonMutations(valid: Record<string, unknown>): unknown[] {
  const junk: unknown[] = [null, undefined, 0, -1, 1.5, 2 ** 40, '', 'x', 'AAAA', [], {}, true, { v: 1 }, '{"v":1}', 'not json', b64(randomBytes(32))];
  const out: unknown[] = [...junk];
  const walk = (obj: Record<string, unknown>, depth: number): void => {
    for (const k of Object.keys(obj)) {
      for (const j of junk.slice(0, 8)) out.push({ ...valid, [k]: j });
      const { [k]: _drop, ...rest } = obj;
      if (depth === 0) out.push(rest);
      const v = obj[k];
      if (depth < 1 && v && typeof v === 'object' && !Array.isArray(v)) {
        for (const j of junk.slice(0, 6)) out.push({ ...valid, [k]: { ...(v as object), [Object.keys(v as object)[0] ?? 'x']: j } });
      }
    }
  };
  walk(valid, 0);
  out.push(JSON.stringify(valid).slice(0, 40));
  return out;
}

describe('fuzzing: only CryptoError ever escapes', () => {
  it('pairwise messages (parse and decrypt)', () => {
    const alice = makeUser(1).devices[0];
    const bob = makeUser(1).devices[0];
    const record = initiateSession(alice, bundleOf(bob));
    const first = encryptMessage(record, text('hello'));
    const established = decryptMessage(bob, null, first.message);
    const second = encryptMessage(first.record, text('again')).message;
    for (const m of [...mutations(first.message, N), ...mutations(second, N)]) {
      expect(onlyCryptoErrors(() => parsePairwiseMessage(m))).toBeTypeOf('string');
      expect(onlyCryptoErrors(() => decryptMessage(bob, null, m))).toBeTypeOf('string');
      expect(onlyCryptoErrors(() => decryptMessage(established.device, established.record, m))).toBeTypeOf('string');
    }
  });

  it('sealed envelopes', () => {
    const alice = makeUser(1).devices[0];
    const bob = makeUser(1).devices[0];
    const env = sealEnvelope(alice, bob.identity.pub, ENVELOPE_KIND.pairwise, text('x'));
    for (const m of mutations(env, N)) expect(onlyCryptoErrors(() => openEnvelope(bob, m))).toBeTypeOf('string');
    for (const k of ['', 'x', b64(new Uint8Array(32)), b64(randomBytes(31))]) {
      expect(onlyCryptoErrors(() => sealEnvelope(alice, k, 1, text('x')))).not.toBe('ok');
    }
    for (const m of mutations(new Uint8Array([1, 2, 0x80, 0]), 20)) expect(onlyCryptoErrors(() => unpad(m))).toBeTypeOf('string');
  });

  it('group messages and sender-key distributions', () => {
    const own = createSenderKey('g');
    const dist = senderKeyDistribution(own);
    const state = acceptSenderKeyDistribution(createGroupReceiver('g'), dist, { userId: 'u', deviceId: 'd' });
    const msg = encryptGroupMessage(own, text('hi')).message;
    for (const m of mutations(msg, N)) expect(onlyCryptoErrors(() => decryptGroupMessage(state, m))).toBeTypeOf('string');
    for (const m of mutations(dist, N)) {
      expect(onlyCryptoErrors(() => parseSenderKeyDistribution(m))).toBeTypeOf('string');
      expect(onlyCryptoErrors(() => acceptSenderKeyDistribution(state, m, { userId: 'u', deviceId: 'd' }))).toBeTypeOf('string');
    }
  });

  it('attachments', () => {
    const enc = encryptAttachment(randomBytes(70_000));
    for (const m of mutations(enc.ciphertext.subarray(0, 400), 60)) {
      expect(onlyCryptoErrors(() => decryptAttachment(m, enc))).toBeTypeOf('string');
      expect(onlyCryptoErrors(() => decryptAttachment(m, { key: enc.key, digest: b64(randomBytes(32)) }))).toBeTypeOf('string');
    }
    for (const keys of jsonMutations({ key: enc.key, digest: enc.digest })) {
      expect(onlyCryptoErrors(() => decryptAttachment(enc.ciphertext, keys as never))).toBeTypeOf('string');
    }
  });

  it('device lists, device keys and bundles', () => {
    const u = makeUser(2);
    const dev = u.devices[0];
    for (const v of [...jsonMutations(u.list as never), { ...u.list, devices: [{ id: 'x', signingKey: 'y' }] }]) {
      expect(onlyCryptoErrors(() => verifyDeviceList(v))).toBeTypeOf('string');
    }
    for (const v of jsonMutations(deviceKeys(dev) as never)) expect(onlyCryptoErrors(() => verifyDeviceKeys(v))).toBeTypeOf('string');
    for (const v of jsonMutations(bundleOf(dev) as never)) {
      expect(onlyCryptoErrors(() => verifyPrekeyBundle(v))).toBeTypeOf('string');
      expect(onlyCryptoErrors(() => initiateSession(makeUser(1).devices[0], v))).toBeTypeOf('string');
    }
    for (const v of jsonMutations({ userId: u.account.userId, accountKey: u.account.key.pub })) {
      expect(onlyCryptoErrors(() => safetyNumber(v as never, v as never))).toBeTypeOf('string');
      expect(onlyCryptoErrors(() => checkIdentity(undefined, v as never))).toBeTypeOf('string');
    }
  });

  it('persisted state objects', () => {
    const u = makeUser(1);
    const bob = makeUser(1).devices[0];
    const record = encryptMessage(initiateSession(u.devices[0], bundleOf(bob)), text('x')).record;
    const own = createSenderKey('g');
    const recv = acceptSenderKeyDistribution(createGroupReceiver('g'), senderKeyDistribution(own), { userId: 'u', deviceId: 'd' });
    const pin = verifyDeviceList(u.list).pin;
    const cases: [(x: unknown) => unknown, Record<string, unknown>][] = [
      [parseAccountSecrets, u.account as never],
      [parseDeviceSecrets, u.devices[0] as never],
      [parseSessionRecord, record as never],
      [parseOwnSenderKey, own as never],
      [parseGroupReceiverState, recv as never],
      [parseDeviceListPin, pin as never],
      [parseIdentityPin, { v: 1, userId: u.account.userId, accountKey: u.account.key.pub, verified: false }],
    ];
    for (const [parse, valid] of cases) {
      expect(parse(JSON.stringify(valid))).toEqual(valid);
      for (const v of jsonMutations(valid)) expect(onlyCryptoErrors(() => parse(v))).toBeTypeOf('string');
    }
  });
});
