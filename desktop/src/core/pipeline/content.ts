// The plaintext inside every end-to-end message: versioned JSON, UTF-8, then encrypted
// (pairwise session, or sender key for groups) and sealed. The relay never sees any of it.
// Documented in docs/desktop-core.md ("Plaintext message format").
//
// One plaintext goes to every device of the recipients AND to the sender's own other
// devices, so it names the conversation from the sender's side ({t:'d', peer} / {t:'g', id});
// a receiver maps it: a direct message from someone else lands in d:<sender>, one from
// our own user (another of our devices) lands in d:<peer> as an outgoing message.
import { fromUtf8, utf8 } from '@parley/common/encoding';
import { z } from 'zod';

export const CONTENT_VERSION = 1;

const UserId = z.string().regex(/^[a-z2-7]{32}$/);
const ClientId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
const MessageRef = z.string().regex(/^[a-z2-7]{32}:[A-Za-z0-9_-]{8,64}$/);
const B64 = z.string().regex(/^[A-Za-z0-9_-]*$/).max(200_000);

export const ConversationRef = z.discriminatedUnion('t', [
  z.object({ t: z.literal('d'), peer: UserId }).strict(),
  z.object({ t: z.literal('g'), id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }).strict(),
]);
export type ConversationRef = z.infer<typeof ConversationRef>;

export const AttachmentRef = z
  .object({
    /** The relay's blob id and the relay it lives on. */
    blob: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/),
    relay: z.string().url().max(2048),
    /** base64url secretstream key (32 bytes) and BLAKE2b-256 of the ciphertext. */
    key: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    hash: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    /** Plaintext size in bytes. */
    size: z.number().int().min(0).max(2 ** 40),
    name: z.string().min(1).max(255),
    mime: z.string().min(1).max(255),
    /** Images: a small JPEG/PNG thumbnail made by the sender (base64url, ≤ 48 KiB of bytes). */
    thumb: z.string().regex(/^[A-Za-z0-9_-]*$/).max(65_536).optional(),
    w: z.number().int().min(1).max(100_000).optional(),
    h: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export type AttachmentRef = z.infer<typeof AttachmentRef>;

/**
 * A text message as one own device hands it to another (account-change `history`): of a
 * direct conversation (`peer`) or of a group (`group`, its id), exactly one of the two.
 */
export const HistoryItem = z
  .object({
    peer: UserId.optional(),
    group: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    sender: UserId,
    device: z.string().regex(/^[a-z2-7]{16}$/),
    id: ClientId,
    at: z.number().int().min(0).max(8.64e15),
    text: z.string().min(1).max(64 * 1024),
    replyTo: MessageRef.nullable(),
    status: z.enum(['sent', 'delivered', 'read', 'failed']),
  })
  .strict()
  .refine((h) => (h.peer === undefined) !== (h.group === undefined), 'a history item names a peer or a group');
export type HistoryItem = z.infer<typeof HistoryItem>;

const header = {
  v: z.literal(CONTENT_VERSION),
  /** Client message id: with the sender's user id, the identity of this item everywhere. */
  id: ClientId,
  /** The sender's clock (ms): the ordering key every device shares. */
  at: z.number().int().min(0).max(8.64e15),
  conv: ConversationRef,
};

export const Content = z.discriminatedUnion('kind', [
  z.object({ ...header, kind: z.literal('text'), text: z.string().min(1).max(64 * 1024), replyTo: MessageRef.nullable().optional() }).strict(),
  /** emoji null removes the sender's reaction. */
  z.object({ ...header, kind: z.literal('reaction'), target: MessageRef, emoji: z.string().min(1).max(32).nullable() }).strict(),
  /** Batched: every message named was sent by the receipt's recipient (or, for own devices, read here). */
  z.object({ ...header, kind: z.literal('receipt'), state: z.enum(['delivered', 'read']), ids: z.array(MessageRef).min(1).max(1000) }).strict(),
  /** Ephemeral only (never stored, never queued). */
  z.object({ ...header, kind: z.literal('typing'), typing: z.boolean() }).strict(),
  /** Ephemeral only: presence to contacts (messenger-presence.ts); `ask` asks for theirs. */
  z.object({ ...header, kind: z.literal('presence'), online: z.boolean(), lastSeen: z.number().int().min(0).max(8.64e15).nullable(), ask: z.boolean() }).strict(),
  /**
   * Automerge change batch of a group document (only changes authored by the sending
   * device). `snapshot`: the whole saved document, sent to members just added so they have
   * a base (docs/desktop-core.md, "Groups").
   */
  z.object({ ...header, kind: z.literal('group-change'), changes: B64, snapshot: B64.optional() }).strict(),
  /** A file: its ciphertext is a relay blob; the key and hash travel here (docs/desktop-core.md, "Attachments"). */
  z.object({ ...header, kind: z.literal('attachment'), text: z.string().max(64 * 1024), replyTo: MessageRef.nullable().optional(), file: AttachmentRef }).strict(),
  /** A sender-key distribution message for a group (pairwise only). */
  z.object({ ...header, kind: z.literal('sender-key'), distribution: B64 }).strict(),
  /** Automerge change batch of the account document (own devices only). */
  // `heads`: the sender's document heads after these changes; a receiver that holds changes
  // the sender lacks (or lacks some of the sender's) answers (docs/desktop-core.md, "Account document sync").
  // `history`: direct text messages another own device may have missed (sent to a device
  // being linked between its approval and its keys reaching the relay; see "Linking devices").
  z
    .object({
      ...header,
      kind: z.literal('account-change'),
      changes: B64,
      heads: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(256).optional(),
      history: z.array(HistoryItem).max(500).optional(),
    })
    .strict(),
]);
export type Content = z.infer<typeof Content>;
export type ContentKind = Content['kind'];

export function encodeContent(c: Content): Uint8Array {
  return utf8(JSON.stringify(c));
}

export class ContentError extends Error {
  readonly code = 'bad_content';
}

/** Parses decrypted bytes; anything that is not a v1 Content is refused (never half-applied). */
export function decodeContent(bytes: Uint8Array): Content {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new ContentError('the decrypted message is not UTF-8 JSON');
  }
  if (json && typeof json === 'object' && (json as { v?: unknown }).v !== CONTENT_VERSION) {
    throw new ContentError(`unknown content version ${String((json as { v?: unknown }).v)}`);
  }
  const r = Content.safeParse(json);
  if (!r.success) throw new ContentError(`content does not match the v1 schema: ${r.error.issues[0]?.message}`);
  return r.data;
}
