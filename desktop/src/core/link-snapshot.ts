// What a newly linked device is handed besides the account key: contacts, conversations,
// the newest messages of each conversation (direct and group; attachments with their
// blob, key and hash, so they download there), drafts, the account
// document and every group document (the snapshot, an encrypted blob), and later the
// text messages (direct and group) that missed it while its keys were not yet on the
// relay (historySince, for the top-up).
// No sender key travels: the new device makes its own (see GroupEngine.adoptFromLink).
// docs/desktop-core.md, "Linking devices".
import type { MessageBody } from '@parley/common/api/index';
import { fromBase64Url, toBase64Url } from '@parley/common/encoding';
import { z } from 'zod';
import type { CryptoStore } from './crypto-store.ts';
import type { AccountSync } from './messenger-account.ts';
import type { GroupEngine } from './messenger-groups.ts';
import type { HistoryItem } from './pipeline/content.ts';
import type { LocalProfile } from './profile.ts';

/** Messages per conversation handed to a new device. */
export const LINK_HISTORY_PER_CONVERSATION = 200;

export interface SnapshotHost {
  profile: LocalProfile;
  crypto: CryptoStore;
  accountSync: AccountSync;
  contacts(): { userId: string; displayName: string; relayUrl: string; verified: boolean }[];
  applyContact(userId: string, entry: { displayName: string; relayUrl: string; accountKey: string; verified: boolean }): void;
  groups(): Pick<GroupEngine, 'savedGroups' | 'adoptFromLink' | 'memberIds' | 'relayToOwnDevices'>;
}

/** The part of an attachment that is not in its message body: the relay blob, the file key and the ciphertext's hash. */
const LinkedFile = z.object({ blob: z.string().min(1).max(128), key: z.string().min(1).max(128), hash: z.string().min(1).max(128) });

/** The snapshot: uploaded as an encrypted blob (it outgrows a frame), key and hash in the provision. */
export const Snapshot = z.object({
  v: z.literal(1),
  accountDoc: z.string(),
  contacts: z.array(z.object({ userId: z.string(), displayName: z.string(), relayUrl: z.string(), accountKey: z.string(), verified: z.boolean() })),
  conversations: z.array(z.object({ id: z.string(), peerUserId: z.string(), title: z.string(), pinned: z.boolean(), muted: z.boolean(), archived: z.boolean(), readClock: z.number() })),
  messages: z.array(
    z.object({
      conversationId: z.string(),
      senderUserId: z.string(),
      senderDeviceId: z.string(),
      clientMsgId: z.string(),
      sentAt: z.number(),
      body: z.unknown(),
      replyTo: z.string().nullable(),
      outgoing: z.boolean(),
      status: z.enum(['pending', 'sent', 'delivered', 'read', 'failed']),
      /** An attachment message's file: where its ciphertext is on the relay and its key, so the new device can download it. */
      file: LinkedFile.optional(),
    }),
  ),
  drafts: z.array(z.object({ conversationId: z.string(), text: z.string(), replyTo: z.string().nullable(), updatedAt: z.number() })),
  /** Group documents (Automerge saves) with the conversation's flags; their messages are in `messages`. */
  groups: z.array(z.object({ groupId: z.string().min(1).max(64), doc: z.string(), pinned: z.boolean(), muted: z.boolean(), archived: z.boolean(), readClock: z.number() })).optional(),
});
export type Snapshot = z.infer<typeof Snapshot>;

export function buildSnapshot(host: SnapshotHost): Snapshot {
  const { profile, crypto } = host;
  const all = profile.conversations.list({ includeArchived: true });
  const conversations = all.filter((c) => c.kind === 'direct' && c.peerUserId);
  const groups = host.groups().savedGroups();
  const groupIds = new Set(groups.map((g) => `g:${g.groupId}`));
  const messages: Snapshot['messages'] = [];
  const fileOf = profile.db.prepare(`SELECT blob_id AS blob, file_key AS key, sha256 AS hash FROM attachments WHERE message_id = ? AND blob_id IS NOT NULL AND file_key IS NOT NULL AND sha256 IS NOT NULL`);
  for (const c of all.filter((x) => (x.kind === 'direct' && x.peerUserId) || groupIds.has(x.id))) {
    for (const m of profile.messages.page(c.id, { limit: LINK_HISTORY_PER_CONVERSATION }).messages) {
      const file = m.body.kind === 'attachment' ? (fileOf.get(profile.messages.rowIdOf(m.id)) as z.infer<typeof LinkedFile> | undefined) : undefined;
      messages.push({ conversationId: m.conversationId, senderUserId: m.senderUserId, senderDeviceId: m.senderDeviceId, clientMsgId: m.id.slice(m.id.indexOf(':') + 1), sentAt: m.sentAt, body: m.body, replyTo: m.replyTo, outgoing: m.outgoing, status: m.status, ...(file ? { file } : {}) });
    }
  }
  const drafts = (profile.db.prepare(`SELECT conversation_id, text, reply_to, updated_at FROM drafts WHERE text <> ''`).all() as { conversation_id: string; text: string; reply_to: string | null; updated_at: number }[]).map(
    (d) => ({ conversationId: d.conversation_id, text: d.text, replyTo: d.reply_to, updatedAt: d.updated_at }),
  );
  return {
    v: 1,
    accountDoc: toBase64Url(host.accountSync.current().save()),
    contacts: host.contacts().flatMap((c) => {
      const pin = crypto.identityPin(c.userId);
      return pin ? [{ userId: c.userId, displayName: c.displayName, relayUrl: c.relayUrl, accountKey: pin.accountKey, verified: c.verified }] : [];
    }),
    conversations: conversations.map((c) => ({ id: c.id, peerUserId: c.peerUserId!, title: c.title, pinned: c.pinned, muted: c.muted, archived: c.archived, readClock: profile.conversations.row(c.id).read_clock })),
    messages,
    drafts,
    groups: groups.map((g) => {
      const c = all.find((x) => x.id === `g:${g.groupId}`);
      return { groupId: g.groupId, doc: toBase64Url(g.doc), pinned: !!c?.pinned, muted: !!c?.muted, archived: !!c?.archived, readClock: profile.conversations.row(`g:${g.groupId}`).read_clock };
    }),
  };
}

export function importSnapshot(host: SnapshotHost, s: Snapshot): void {
  const { profile } = host;
  profile.db.transaction(() => {
    for (const c of s.contacts) host.applyContact(c.userId, c);
    for (const c of s.conversations) {
      profile.conversations.ensureDirect(c.peerUserId, c.title);
      profile.conversations.setFlags(c.id, c);
      profile.conversations.raiseReadClock(c.id, c.readClock);
    }
    // Groups before their messages (a message needs its conversation).
    const groups = host.groups();
    for (const g of s.groups ?? []) {
      groups.adoptFromLink(g.groupId, fromBase64Url(g.doc));
      const id = `g:${g.groupId}`;
      profile.conversations.setFlags(id, g);
      profile.conversations.raiseReadClock(id, g.readClock);
    }
    const self = host.crypto.requireDevice().userId;
    for (const m of s.messages) {
      const group = m.conversationId.startsWith('g:');
      if (group && !s.groups?.some((g) => `g:${g.groupId}` === m.conversationId)) continue;
      const peer = m.conversationId.slice(2);
      const recipients = group ? groups.memberIds(m.conversationId).filter((u) => u !== self) : [peer];
      const body = linkedBody(m.body, m.file);
      const { inserted, message } = profile.messages.insertIncoming({
        conversationId: m.conversationId,
        senderUserId: m.senderUserId,
        senderDeviceId: m.senderDeviceId,
        clientMsgId: m.clientMsgId,
        senderClock: m.sentAt,
        body: body as never,
        replyTo: m.replyTo,
        outgoing: m.outgoing,
        status: m.status === 'pending' ? 'failed' : m.status,
        recipients: m.outgoing ? recipients : undefined,
      });
      if (inserted && m.file && body.kind === 'attachment') recordLinkedAttachment(profile, message.id, body.attachment, m.file);
    }
    for (const d of s.drafts) profile.drafts.set(d.conversationId, d.text, d.replyTo, d.updatedAt);
    if (s.accountDoc) host.accountSync.importAll(fromBase64Url(s.accountDoc));
  })();
}

type AttachmentView = Extract<MessageBody, { kind: 'attachment' }>['attachment'];

/**
 * The body a linked device stores: an attachment the old device had downloaded is not
 * downloaded here (the file stays on the old device), so it is shown as remote when its
 * file travelled, and as before (preview only) when it did not.
 */
function linkedBody(raw: unknown, file: Snapshot['messages'][number]['file']): MessageBody {
  const body = raw as MessageBody;
  if (body?.kind !== 'attachment' || !file) return body;
  return { ...body, attachment: { ...body.attachment, state: 'remote' } };
}

/** The attachment row of a message that came with the snapshot: downloadable from the relay as long as its blob is kept. */
function recordLinkedAttachment(profile: LocalProfile, messageId: string, a: AttachmentView, file: z.infer<typeof LinkedFile>): void {
  profile.db
    .prepare(
      `INSERT INTO attachments (id, message_id, name, mime, size, blob_id, file_key, sha256, thumbnail, width, height, local_path, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'remote') ON CONFLICT (id) DO NOTHING`,
    )
    .run(file.blob, profile.messages.rowIdOf(messageId), a.name, a.mime, a.size, file.blob, file.key, file.hash, a.thumbnail ? fromBase64Url(a.thumbnail) : null, a.width, a.height);
}

/** Text messages (direct and group) stored since `since`, in chunks that fit one content each. */
export function historySince(profile: LocalProfile, since: number): HistoryItem[][] {
  const chunks: HistoryItem[][] = [];
  const rows = profile.db
    .prepare(
      `SELECT conversation_id, sender_user_id, sender_device_id, client_msg_id, sender_clock, body, reply_to, status FROM messages
       WHERE received_at >= ? AND (conversation_id LIKE 'd:%' OR conversation_id LIKE 'g:%') AND status <> 'pending' ORDER BY received_at LIMIT 2000`,
    )
    .all(since - 1_000) as { conversation_id: string; sender_user_id: string; sender_device_id: string; client_msg_id: string; sender_clock: number; body: string; reply_to: string | null; status: HistoryItem['status'] }[];
  let chunk: HistoryItem[] = [];
  let bytes = 0;
  const flush = () => {
    if (chunk.length) chunks.push(chunk);
    chunk = [];
    bytes = 0;
  };
  for (const r of rows) {
    const body = JSON.parse(r.body) as { kind: string; text?: string };
    if (body.kind !== 'text' || !body.text) continue;
    const where = r.conversation_id.startsWith('g:') ? { group: r.conversation_id.slice(2) } : { peer: r.conversation_id.slice(2) };
    chunk.push({ ...where, sender: r.sender_user_id, device: r.sender_device_id, id: r.client_msg_id, at: r.sender_clock, text: body.text, replyTo: r.reply_to, status: r.status });
    bytes += body.text.length + 200;
    if (chunk.length >= 500 || bytes > 120_000) flush();
  }
  flush();
  return chunks;
}
