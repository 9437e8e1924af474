// One zod schema per MessengerApi method's parameters. The web host validates every
// call arriving over its WebSocket against these before it reaches the core (the
// contextBridge path gets the same check in the preload); the parameter types are
// inferred from them, never written twice. Results are plain types (model.ts): they
// come from our own core, so only inputs are validated.
import { z } from 'zod';
import { UserId } from '../protocol/schemas.ts';
import { MAX_READ_ATTACHMENT_BYTES } from './model.ts';

export const ConversationIdParam = z.string().regex(/^(d|g):[A-Za-z0-9_-]{1,64}$/, 'not a conversation id');
export const MessageIdParam = z.string().regex(/^[a-z2-7]{32}:[A-Za-z0-9_-]{8,64}$/, 'not a message id');
const Name = z.string().trim().min(1).max(64);
const Text = z.string().max(64 * 1024);
const Cursor = z.string().min(1).max(512);
/**
 * A relay's URL as a user types it: http(s) or ws(s) with a host (the engine dials
 * ws(s) and fetches http(s); relayEndpoint in the core accepts exactly these). zod's
 * url() alone admits any scheme (ftp:, file:, javascript:), which would be stored and
 * fail only later, far from where it was typed.
 */
export const RelayUrlParam = z
  .string()
  .max(2048)
  .url()
  .refine((s) => {
    try {
      const u = new URL(s);
      return ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && u.host !== '';
    } catch {
      return false;
    }
  }, 'a relay URL starts with https://, http://, wss:// or ws:// and names a host');

const none = z.object({}).strict();

export const MethodParams = {
  // onboarding and devices
  getAccount: none,
  createAccount: z.object({ displayName: Name, relayUrl: RelayUrlParam, handle: z.string().regex(/^[a-z0-9_]{3,32}$/).optional() }).strict(),
  startDeviceLink: z.object({ deviceName: Name, relayUrl: RelayUrlParam }).strict(),
  cancelDeviceLink: none,
  inspectLinkCode: z.object({ code: z.string().min(1).max(2048) }).strict(),
  approveLink: z.object({ requestId: z.string().min(1).max(128) }).strict(),
  listDevices: none,
  unlinkDevice: z.object({ deviceId: z.string().regex(/^[a-z2-7]{16}$/) }).strict(),
  // contacts
  getInvite: none,
  addContactByInvite: z.object({ link: z.string().min(1).max(2048), displayName: Name.optional() }).strict(),
  listContacts: none,
  getSafetyNumber: z.object({ userId: UserId }).strict(),
  setContactVerified: z.object({ userId: UserId, verified: z.boolean() }).strict(),
  // conversations
  listConversations: z.object({ includeArchived: z.boolean().optional() }).strict(),
  openDirect: z.object({ userId: UserId }).strict(),
  createGroup: z.object({ name: Name, members: z.array(UserId).max(256) }).strict(),
  getGroup: z.object({ conversationId: ConversationIdParam }).strict(),
  renameGroup: z.object({ conversationId: ConversationIdParam, name: Name }).strict(),
  addGroupMembers: z.object({ conversationId: ConversationIdParam, userIds: z.array(UserId).min(1).max(256) }).strict(),
  removeGroupMember: z.object({ conversationId: ConversationIdParam, userId: UserId }).strict(),
  setGroupRole: z.object({ conversationId: ConversationIdParam, userId: UserId, role: z.enum(['admin', 'member']) }).strict(),
  leaveGroup: z.object({ conversationId: ConversationIdParam }).strict(),
  setConversationFlags: z
    .object({ conversationId: ConversationIdParam, pinned: z.boolean().optional(), muted: z.boolean().optional(), archived: z.boolean().optional() })
    .strict(),
  // messages
  sendText: z.object({ conversationId: ConversationIdParam, text: Text.min(1), replyTo: MessageIdParam.optional() }).strict(),
  react: z.object({ messageId: MessageIdParam, emoji: z.string().max(32).nullable() }).strict(),
  sendAttachment: z
    .object({
      conversationId: ConversationIdParam,
      name: z.string().min(1).max(255),
      mime: z.string().min(1).max(255),
      /** base64url file bytes; large files go through a path on hosts that have one. */
      data: z.string().optional(),
      path: z.string().max(4096).optional(),
      caption: Text.optional(),
      replyTo: MessageIdParam.optional(),
      /** Images: a small JPEG/PNG thumbnail (base64url, ≤ 48 KiB) the UI drew on a canvas; it travels inside the message. */
      thumbnail: z.string().regex(/^[A-Za-z0-9_-]*$/).max(65_536).optional(),
      width: z.number().int().min(1).max(100_000).optional(),
      height: z.number().int().min(1).max(100_000).optional(),
    })
    .strict()
    .refine((p) => (p.data === undefined) !== (p.path === undefined), 'give exactly one of data or path'),
  downloadAttachment: z.object({ messageId: MessageIdParam }).strict(),
  /** Without offset/length the whole file (at most MAX_READ_ATTACHMENT_BYTES); with them, that part of it. */
  readAttachment: z
    .object({
      messageId: MessageIdParam,
      offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
      length: z.number().int().min(1).max(MAX_READ_ATTACHMENT_BYTES).optional(),
    })
    .strict(),
  getHistory: z
    .object({
      conversationId: ConversationIdParam,
      /** Omitted: the newest page. */
      before: Cursor.optional(),
      after: Cursor.optional(),
      limit: z.number().int().min(1).max(500).optional(),
    })
    .strict()
    .refine((p) => !(p.before && p.after), 'give at most one of before or after'),
  markRead: z.object({ conversationId: ConversationIdParam, upTo: MessageIdParam.optional() }).strict(),
  retryMessage: z.object({ messageId: MessageIdParam }).strict(),
  setTyping: z.object({ conversationId: ConversationIdParam, typing: z.boolean() }).strict(),
  // drafts
  getDraft: z.object({ conversationId: ConversationIdParam }).strict(),
  setDraft: z.object({ conversationId: ConversationIdParam, text: Text, replyTo: MessageIdParam.nullable().optional() }).strict(),
  // search
  search: z.object({ query: z.string().max(256), conversationId: ConversationIdParam.optional(), limit: z.number().int().min(1).max(200).optional() }).strict(),
  // settings and connection
  getSettings: none,
  updateSettings: z
    .object({
      notificationPrivacy: z.enum(['off', 'count', 'name', 'name_and_message']).optional(),
      notificationsMuted: z.boolean().optional(),
      readReceipts: z.boolean().optional(),
      lastSeen: z.enum(['everyone', 'contacts', 'nobody']).optional(),
      typingIndicators: z.boolean().optional(),
      theme: z.enum(['light', 'dark', 'system']).optional(),
      relayUrl: RelayUrlParam.optional(),
    })
    .strict(),
  getConnectionStatus: none,
} as const;

export type MethodName = keyof typeof MethodParams;
export type ParamsOf<M extends MethodName> = z.infer<(typeof MethodParams)[M]>;

/** Validates a call's parameters; throws a zod error naming the bad field. */
export function parseParams<M extends MethodName>(method: M, params: unknown): ParamsOf<M> {
  return MethodParams[method].parse(params ?? {}) as ParamsOf<M>;
}
