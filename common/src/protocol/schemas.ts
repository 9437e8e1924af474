// Protocol v1: one zod schema per HTTP body and per WebSocket frame. Relay and clients
// both import these; the TypeScript types are inferred from them, never written twice.
//
// Encoding (see docs/protocol.md, "Encoding"): frames are JSON text; bytes travel as
// base64url strings without padding. The relay never decodes message payloads: it checks
// the alphabet and length and stores and forwards the string as it came.
import { z } from 'zod';
import { isBase64Url } from '../encoding.ts';
import { HARD_LIMITS } from './limits.ts';

/** base64url bytes whose encoded length lies in [min, max] characters. */
const b64 = (minChars: number, maxChars: number) =>
  z.string().min(minChars).max(maxChars).refine(isBase64Url, 'must be base64url without padding');
/** base64url of exactly n bytes. */
const b64Exact = (n: number) => {
  const chars = Math.ceil((n * 4) / 3);
  return b64(chars, chars);
};

export const Key32 = b64Exact(32);
export const Sig64 = b64Exact(64);
export const UserId = z.string().regex(/^[a-z2-7]{32}$/, 'must be a 32-character user id');
export const DeviceId = z.string().regex(/^[a-z2-7]{16}$/, 'must be a 16-character device id');
export const Handle = z.string().regex(/^[a-z0-9_]{3,32}$/, 'handles are 3-32 of a-z, 0-9, _');
export const ClientMsgId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'client message ids are 8-64 base64url characters');
export const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const Timestamp = z.number().int().min(0).max(8.64e15);
export const Payload = b64(1, HARD_LIMITS.maxPayloadChars);
export const PrekeyId = z.number().int().min(0).max(2 ** 32 - 1);

export const DeviceListEntry = z.object({ id: DeviceId, signingKey: Key32 }).strict();
export const SignedDeviceList = z
  .object({
    userId: UserId,
    accountKey: Key32,
    version: z.number().int().min(1).max(2 ** 31 - 1),
    issuedAt: Timestamp,
    devices: z.array(DeviceListEntry).min(1).max(HARD_LIMITS.maxDevices),
    sig: Sig64,
  })
  .strict();
export type SignedDeviceList = z.infer<typeof SignedDeviceList>;

export const SignedPrekey = z.object({ id: PrekeyId, key: Key32, sig: Sig64 }).strict();
export type SignedPrekey = z.infer<typeof SignedPrekey>;
export const OneTimePrekey = z.object({ id: PrekeyId, key: Key32 }).strict();
export type OneTimePrekey = z.infer<typeof OneTimePrekey>;

/** The public half of a device, as published. */
export const DeviceKeys = z
  .object({
    id: DeviceId,
    signingKey: Key32,
    identityKey: Key32, // X25519
    identityKeySig: Sig64, // by signingKey over identityKeySigningInput
    signedPrekey: SignedPrekey,
  })
  .strict();
export type DeviceKeys = z.infer<typeof DeviceKeys>;

// ---------------------------------------------------------------- HTTP bodies

/** POST /v1/devices: publish (register) a device, with its account's signed device list. */
export const PublishDeviceRequest = z
  .object({
    deviceList: SignedDeviceList,
    device: DeviceKeys,
    oneTimePrekeys: z.array(OneTimePrekey).max(HARD_LIMITS.maxPrekeyBatch),
  })
  .strict();
export type PublishDeviceRequest = z.infer<typeof PublishDeviceRequest>;

/** PUT /v1/users/:userId/device-list: a newer signed list (link or unlink a device). */
export const UpdateDeviceListRequest = z.object({ deviceList: SignedDeviceList }).strict();

/** POST /v1/prekeys: replenish one-time prekeys and/or rotate the signed prekey. */
export const ReplenishPrekeysRequest = z
  .object({
    oneTimePrekeys: z.array(OneTimePrekey).max(HARD_LIMITS.maxPrekeyBatch),
    signedPrekey: SignedPrekey.optional(),
  })
  .strict();

/** The bundle a sender needs to open a session with one device. */
export const PrekeyBundle = z
  .object({
    device: DeviceKeys,
    oneTimePrekey: OneTimePrekey.nullable(),
  })
  .strict();
export type PrekeyBundle = z.infer<typeof PrekeyBundle>;

/** POST /v1/users/:userId/bundles: claims one one-time prekey per (requested) device. */
export const ClaimBundlesRequest = z.object({ devices: z.array(DeviceId).max(HARD_LIMITS.maxDevices).optional() }).strict();
export const ClaimBundlesResponse = z.object({ deviceList: SignedDeviceList, bundles: z.array(PrekeyBundle) }).strict();
export type ClaimBundlesResponse = z.infer<typeof ClaimBundlesResponse>;

/** The answer to POST /v1/devices. */
export const PublishDeviceResponse = z.object({ userId: UserId, deviceId: DeviceId, oneTimePrekeys: z.number().int() }).strict();
/** PUT /v1/handle. */
export const SetHandleRequest = z.object({ handle: Handle }).strict();
export const PrekeyCountResponse = z.object({ oneTimePrekeys: z.number().int(), signedPrekeyId: PrekeyId }).strict();
export const HandleResponse = z.object({ handle: Handle, userId: UserId }).strict();
export const BlobCreatedResponse = z.object({ id: z.string(), size: z.number().int(), expiresAt: Timestamp }).strict();

/** Every HTTP error body (and the payload of WebSocket `error` frames). */
export const Problem = z
  .object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type Problem = z.infer<typeof Problem>;

// ---------------------------------------------------------------- client → relay frames

export const AuthFrame = z
  .object({
    t: z.literal('auth'),
    device: DeviceId,
    ts: Timestamp,
    sig: Sig64,
    /** Highest sequence number this device has committed locally; delivery resumes after it. */
    after: Seq.optional(),
  })
  .strict();

export const SendFrame = z
  .object({
    t: z.literal('send'),
    cid: ClientMsgId,
    /** One ciphertext per recipient device. */
    to: z.array(z.object({ d: DeviceId, b: Payload }).strict()).max(HARD_LIMITS.maxRecipients).optional(),
    /** One ciphertext for every current device of these users (expanded by the relay). */
    fanout: z.object({ users: z.array(UserId).min(1).max(HARD_LIMITS.maxUsers), b: Payload }).strict().optional(),
    /**
     * Users whose complete current device set `to` must cover (the sender's own device
     * excepted); otherwise the send is refused with `stale_devices` and the current lists.
     */
    check: z.array(UserId).max(HARD_LIMITS.maxUsers).optional(),
  })
  .strict()
  .refine((f) => (f.to?.length ?? 0) > 0 || f.fanout !== undefined, 'a send needs `to` or `fanout`');

export const AckFrame = z.object({ t: z.literal('ack'), upTo: Seq }).strict();

export const EphemeralFrame = z
  .object({
    t: z.literal('eph'),
    to: z.array(z.object({ d: DeviceId, b: b64(1, 4096) }).strict()).min(1).max(HARD_LIMITS.maxRecipients),
  })
  .strict();

export const PresenceVisibility = z.enum(['everyone', 'nobody']);
export type PresenceVisibility = z.infer<typeof PresenceVisibility>;
export const PresenceSubscribeFrame = z
  .object({ t: z.literal('presence.sub'), users: z.array(UserId).max(HARD_LIMITS.maxUsers) })
  .strict();
export const PresenceSetFrame = z.object({ t: z.literal('presence.set'), visibility: PresenceVisibility }).strict();
export const PingFrame = z.object({ t: z.literal('ping'), n: z.number().int().optional() }).strict();
export const PongFrame = z.object({ t: z.literal('pong'), n: z.number().int().optional() }).strict();

export const ClientFrame = z.discriminatedUnion('t', [
  AuthFrame,
  SendFrame,
  AckFrame,
  EphemeralFrame,
  PresenceSubscribeFrame,
  PresenceSetFrame,
  PingFrame,
  PongFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type SendFrame = z.infer<typeof SendFrame>;

// ---------------------------------------------------------------- relay → client frames

export const ChallengeFrame = z
  .object({ t: z.literal('challenge'), nonce: b64(22, 64), ts: Timestamp, relay: z.string() })
  .strict();
export const ReadyFrame = z
  .object({
    t: z.literal('ready'),
    device: DeviceId,
    user: UserId,
    /** One-time prekeys left; below the low-water mark the device should replenish. */
    prekeys: z.number().int(),
    serverTime: Timestamp,
  })
  .strict();
export const SentFrame = z
  .object({
    t: z.literal('sent'),
    cid: ClientMsgId,
    /** The mailbox sequence number given to each recipient device. */
    seqs: z.array(z.object({ d: DeviceId, s: Seq }).strict()),
    ts: Timestamp,
    /** True when this answers a retry: nothing new was stored. */
    dup: z.boolean().optional(),
  })
  .strict();
export const DeliveredEntry = z.object({ s: Seq, b: Payload, ts: Timestamp }).strict();
export type DeliveredEntry = z.infer<typeof DeliveredEntry>;
export const DeliverFrame = z.object({ t: z.literal('deliver'), m: z.array(DeliveredEntry) }).strict();
export const ServerEphemeralFrame = z.object({ t: z.literal('eph'), b: b64(1, 4096) }).strict();
export const PresenceFrame = z
  .object({ t: z.literal('presence'), u: UserId, online: z.boolean(), lastSeen: Timestamp.nullable() })
  .strict();
export const PrekeysLowFrame = z.object({ t: z.literal('prekeys.low'), remaining: z.number().int() }).strict();
export const ErrorFrame = z
  .object({
    t: z.literal('error'),
    code: z.string(),
    message: z.string(),
    /** The client message id of the send this answers, when it answers one. */
    ref: z.string().optional(),
    /** With `stale_devices`: the current signed device lists of the users concerned. */
    lists: z.array(SignedDeviceList).optional(),
  })
  .strict();

export const ServerFrame = z.discriminatedUnion('t', [
  ChallengeFrame,
  ReadyFrame,
  SentFrame,
  DeliverFrame,
  ServerEphemeralFrame,
  PresenceFrame,
  PrekeysLowFrame,
  ErrorFrame,
  PingFrame,
  PongFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
