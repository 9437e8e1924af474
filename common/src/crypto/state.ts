// Parsers for persisted state objects. The engine stores states as JSON; reading them back
// goes through these, so a corrupted or hand-edited row fails with CryptoError
// ('bad_state' / 'unsupported_version') instead of surfacing later as a wrong key.
import { z } from 'zod';
import { isBase64Url, base64UrlByteLength } from '../encoding.ts';
import { CryptoError } from './errors.ts';
import type { AccountSecrets, DeviceSecrets } from './keys.ts';
import type { DeviceListPin } from './devicelist.ts';
import type { SessionRecord } from './session.ts';
import type { GroupReceiverState, OwnSenderKey } from './senderkeys.ts';
import type { IdentityPin } from './safety.ts';

const bytes = (n?: number) =>
  z.string().refine((s) => isBase64Url(s) && (n === undefined || (s.length === Math.ceil((n * 4) / 3) && base64UrlByteLength(s) === n)), 'bad base64url');
const u32 = z.number().int().min(0).max(2 ** 32 - 1);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const kp = (privLen = 32) => z.object({ pub: bytes(32), priv: bytes(privLen) }).strict();
const chain = z.object({ ck: bytes(32), n: count }).strict();
const V = z.literal(1);

const Account = z.object({ v: V, userId: z.string(), key: kp(64) }).strict();
const Device = z
  .object({
    v: V,
    userId: z.string(),
    deviceId: z.string(),
    signing: kp(64),
    identity: kp(),
    identityKeySig: bytes(64),
    signedPrekeys: z.array(kp().extend({ id: u32, sig: bytes(64), createdAt: count }).strict()).min(1),
    oneTimePrekeys: z.record(z.string(), kp()),
    usedPrekeys: z.array(u32),
    nextPrekeyId: u32,
  })
  .strict();
const Ratchet = z
  .object({
    v: V,
    ad: bytes(),
    root: bytes(32),
    self: kp(),
    remote: bytes(32).nullable(),
    send: chain.nullable(),
    recv: chain.nullable(),
    pn: count,
    skipped: z.record(z.string(), bytes(32)),
    oldRemotes: z.array(bytes(32)),
  })
  .strict();
const Prekey = z
  .object({
    signingKey: bytes(32),
    identityKey: bytes(32),
    identityKeySig: bytes(64),
    ephemeral: bytes(32),
    signedPrekeyId: u32,
    oneTimePrekeyId: u32.nullable(),
  })
  .strict();
const Session = z.object({ id: z.string(), initiator: z.boolean(), pendingPrekey: Prekey.nullable(), ratchet: Ratchet }).strict();
const Record_ = z
  .object({
    v: V,
    peer: z.object({ deviceId: z.string(), signingKey: bytes(32), identityKey: bytes(32) }).strict(),
    current: Session.nullable(),
    previous: z.array(Session),
  })
  .strict();
const Own = z.object({ v: V, groupId: z.string().min(1), distributionId: bytes(16), epoch: u32, chain, signing: kp(64) }).strict();
const Receiver = z
  .object({
    v: V,
    groupId: z.string().min(1),
    keys: z.record(
      z.string(),
      z
        .object({
          distributionId: bytes(16),
          epoch: u32,
          senderUserId: z.string(),
          senderDeviceId: z.string(),
          signingKey: bytes(32),
          chain,
          skipped: z.record(z.string(), bytes(32)),
        })
        .strict(),
    ),
  })
  .strict();
const Pin = z.object({ v: V, userId: z.string(), accountKey: bytes(32), version: z.number().int().min(1), sig: bytes(64) }).strict();
const IdPin = z.object({ v: V, userId: z.string(), accountKey: bytes(32), verified: z.boolean() }).strict();

function parser<T>(schema: z.ZodType, what: string): (input: unknown) => T {
  return (input) => {
    let value = input;
    if (typeof input === 'string') {
      try {
        value = JSON.parse(input);
      } catch {
        throw new CryptoError('bad_state', `${what}: not JSON`);
      }
    }
    if (value && typeof value === 'object' && 'v' in value && (value as { v: unknown }).v !== 1) {
      throw new CryptoError('unsupported_version', `${what}: unknown state version ${String((value as { v: unknown }).v)}`);
    }
    const r = schema.safeParse(value);
    if (!r.success) throw new CryptoError('bad_state', `${what}: ${r.error.issues[0]?.message ?? 'invalid'}`);
    return r.data as T;
  };
}

export const parseAccountSecrets = parser<AccountSecrets>(Account, 'account secrets');
export const parseDeviceSecrets = parser<DeviceSecrets>(Device, 'device secrets');
export const parseSessionRecord = parser<SessionRecord>(Record_, 'session record');
export const parseOwnSenderKey = parser<OwnSenderKey>(Own, 'sender key');
export const parseGroupReceiverState = parser<GroupReceiverState>(Receiver, 'group receiver state');
export const parseDeviceListPin = parser<DeviceListPin>(Pin, 'device list pin');
export const parseIdentityPin = parser<IdentityPin>(IdPin, 'identity pin');
