// The data the UI sees: plain JSON-serialisable records (no Dates, no Uint8Arrays, no
// class instances), because every value crosses Electron's contextBridge or the web host's
// WebSocket. Timestamps are milliseconds since the epoch; bytes are base64url strings.

/** A message's identity on every device: `<sender user id>:<client message id>`. */
export type MessageId = string;
/** 'd:<peer user id>' for a 1:1 conversation, 'g:<group id>' for a group. */
export type ConversationId = string;

export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
export type ConnectionState = 'offline' | 'connecting' | 'online' | 'reconnecting';
export type NotificationPrivacy = 'off' | 'count' | 'name' | 'name_and_message';
export type LastSeenVisibility = 'everyone' | 'contacts' | 'nobody';
export type Theme = 'light' | 'dark' | 'system';
export type GroupRole = 'admin' | 'member';

export interface Account {
  userId: string;
  deviceId: string;
  displayName: string;
  handle: string | null;
  relayUrl: string;
}

export interface Device {
  id: string;
  name: string;
  current: boolean;
  linkedAt: number;
  lastActiveAt: number | null;
}

/** What the new device shows (as text and QR) and the existing device scans or types. */
export interface LinkCode {
  code: string;
  qrPayload: string;
  expiresAt: number;
  /** The words the existing device shows after scanning this code; the user compares them. */
  verificationWords: string;
}

/** Shown on the existing device before approving, so the user can compare it. */
export interface LinkRequest {
  requestId: string;
  deviceName: string;
  verificationWords: string;
}

export interface Invite {
  /** `parley://add?u=<user id>&r=<relay url>&f=<fingerprint>` */
  link: string;
  /** The same link; the UI renders it as a QR code. */
  qrPayload: string;
}

export interface Contact {
  userId: string;
  displayName: string;
  handle: string | null;
  relayUrl: string;
  verified: boolean;
  /** Set when the contact's keys changed since they were last verified or first seen. */
  keyChangedAt: number | null;
  addedAt: number;
}

export interface SafetyNumber {
  userId: string;
  /** 60 digits in 12 groups of 5. */
  digits: string;
  /** `parley://verify?n=<60 digits>&by=<own user id>&with=<their user id>`: the digits, and whose screen shows them. */
  qrPayload: string;
  verified: boolean;
}

export interface Presence {
  userId: string;
  online: boolean;
  /** Null when the peer hides it or it is unknown. */
  lastSeen: number | null;
}

export interface MessagePreview {
  id: MessageId;
  senderUserId: string;
  text: string;
  kind: MessageBody['kind'];
  sentAt: number;
  status: MessageStatus;
}

export interface Conversation {
  id: ConversationId;
  kind: 'direct' | 'group';
  title: string;
  /** The peer of a 1:1 conversation. */
  peerUserId: string | null;
  unreadCount: number;
  lastMessage: MessagePreview | null;
  /** Users typing right now (already expired on this side when stale). */
  typing: string[];
  /** The peer's presence for 1:1 conversations. */
  presence: Presence | null;
  pinned: boolean;
  muted: boolean;
  archived: boolean;
  hasDraft: boolean;
  updatedAt: number;
}

export interface GroupMember {
  userId: string;
  displayName: string;
  role: GroupRole;
}

export interface GroupInfo {
  conversationId: ConversationId;
  name: string;
  members: GroupMember[];
  /** Whether this user is an admin (may change membership and roles). */
  canAdmin: boolean;
  left: boolean;
}

export interface AttachmentInfo {
  id: string;
  name: string;
  mime: string;
  size: number;
  /** base64url JPEG/PNG thumbnail carried inside the message, for images. */
  thumbnail: string | null;
  width: number | null;
  height: number | null;
  state: 'remote' | 'downloading' | 'downloaded' | 'failed' | 'uploading';
}

/**
 * A saved attachment's bytes, as readAttachment returns them: the whole file, or the part
 * asked for with `offset`/`length`. Bounded so the answer fits one web-host WebSocket frame
 * (32 MiB of base64url carries 24 MiB of bytes).
 */
export interface AttachmentData {
  name: string;
  mime: string;
  /** The whole file's size. */
  size: number;
  /** Where `data` starts in the file (0 for a whole-file read). */
  offset: number;
  /** base64url file bytes, from `offset` */
  data: string;
}

/** The most bytes one readAttachment answer carries; larger files are read in parts (`offset`, `length`). */
export const MAX_READ_ATTACHMENT_BYTES = 20 * 1024 * 1024;

export type MessageBody =
  | { kind: 'text'; text: string }
  | { kind: 'attachment'; text: string; attachment: AttachmentInfo }
  | { kind: 'system'; text: string; event: string };

export interface Reaction {
  emoji: string;
  userIds: string[];
}

export interface ReceiptState {
  userId: string;
  state: 'sent' | 'delivered' | 'read';
  at: number;
}

export interface Message {
  id: MessageId;
  conversationId: ConversationId;
  senderUserId: string;
  senderDeviceId: string;
  outgoing: boolean;
  body: MessageBody;
  replyTo: MessageId | null;
  /** The sender's clock: the ordering key shared by every device. */
  sentAt: number;
  receivedAt: number;
  status: MessageStatus;
  receipts: ReceiptState[];
  reactions: Reaction[];
  /** Opaque history cursor pointing at this message. */
  cursor: string;
  /**
   * The sender's name as this device knows it, for incoming messages: our contact name,
   * else (in a group) the name the member gave themselves in the group. Absent when
   * neither is known (show a short user id) and on our own messages.
   */
  senderName?: string;
}

export interface MessagePage {
  messages: Message[];
  /** True when older (for 'before') or newer (for 'after') messages exist. */
  hasMore: boolean;
}

export interface Draft {
  conversationId: ConversationId;
  text: string;
  replyTo: MessageId | null;
  updatedAt: number;
}

/** A snippet split into plain and matching parts, so the UI never parses markup. */
export type SnippetPart = { text: string; match: boolean };

export interface SearchHit {
  messageId: MessageId;
  conversationId: ConversationId;
  conversationTitle: string;
  senderUserId: string;
  sentAt: number;
  snippet: SnippetPart[];
  cursor: string;
}

export interface Settings {
  notificationPrivacy: NotificationPrivacy;
  /** Global mute of notifications (the tray's "mute notifications"). */
  notificationsMuted: boolean;
  readReceipts: boolean;
  lastSeen: LastSeenVisibility;
  typingIndicators: boolean;
  theme: Theme;
  relayUrl: string;
}

export interface ConnectionStatus {
  state: ConnectionState;
  /** When the next reconnect attempt is due, while reconnecting. */
  nextAttemptAt: number | null;
  lastError: string | null;
  /** Messages waiting in the outbox. */
  pendingCount: number;
}
