// What a newly linked device is handed besides the account key: contacts, conversations,
// the newest messages of each direct conversation, drafts and the account document (the
// snapshot, an encrypted blob), and later the direct messages that missed it while its keys
// were not yet on the relay (the top-up). docs/desktop-core.md, "Linking devices".
import { fromBase64Url, toBase64Url } from '@parley/common/encoding';
import { z } from 'zod';
import type { CryptoStore } from './crypto-store.ts';
import type { AccountSync } from './messenger-account.ts';
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
}

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
    }),
  ),
  drafts: z.array(z.object({ conversationId: z.string(), text: z.string(), replyTo: z.string().nullable(), updatedAt: z.number() })),
});
export type Snapshot = z.infer<typeof Snapshot>;

export function buildSnapshot(host: SnapshotHost): Snapshot {
  const { profile, crypto } = host;
  const conversations = profile.conversations.list({ includeArchived: true }).filter((c) => c.kind === 'direct' && c.peerUserId);
  const messages: Snapshot['messages'] = [];
  for (const c of conversations) {
    for (const m of profile.messages.page(c.id, { limit: LINK_HISTORY_PER_CONVERSATION }).messages) {
      messages.push({ conversationId: m.conversationId, senderUserId: m.senderUserId, senderDeviceId: m.senderDeviceId, clientMsgId: m.id.slice(m.id.indexOf(':') + 1), sentAt: m.sentAt, body: m.body, replyTo: m.replyTo, outgoing: m.outgoing, status: m.status });
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
    for (const m of s.messages) {
      const peer = m.conversationId.slice(2);
      profile.messages.insertIncoming({
        conversationId: m.conversationId,
        senderUserId: m.senderUserId,
        senderDeviceId: m.senderDeviceId,
        clientMsgId: m.clientMsgId,
        senderClock: m.sentAt,
        body: m.body as never,
        replyTo: m.replyTo,
        outgoing: m.outgoing,
        status: m.status === 'pending' ? 'failed' : m.status,
        recipients: m.outgoing ? [peer] : undefined,
      });
    }
    for (const d of s.drafts) profile.drafts.set(d.conversationId, d.text, d.replyTo, d.updatedAt);
    if (s.accountDoc) host.accountSync.importAll(fromBase64Url(s.accountDoc));
  })();
}

/** Direct text messages stored since `since`, in chunks that fit one content each. */
export function historySince(profile: LocalProfile, since: number): HistoryItem[][] {
  const chunks: HistoryItem[][] = [];
  const rows = profile.db
    .prepare(
      `SELECT conversation_id, sender_user_id, sender_device_id, client_msg_id, sender_clock, body, reply_to, status FROM messages
       WHERE received_at >= ? AND conversation_id LIKE 'd:%' AND status <> 'pending' ORDER BY received_at LIMIT 2000`,
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
    chunk.push({ peer: r.conversation_id.slice(2), sender: r.sender_user_id, device: r.sender_device_id, id: r.client_msg_id, at: r.sender_clock, text: body.text, replyTo: r.reply_to, status: r.status });
    bytes += body.text.length + 200;
    if (chunk.length >= 500 || bytes > 120_000) flush();
  }
  flush();
  return chunks;
}
