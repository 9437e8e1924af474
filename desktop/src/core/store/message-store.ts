// Messages in a conversation, in the one order every device agrees on:
// (sender clock, sender user id, client message id). Arrival order is never used, so a
// message that arrives late (offline sender, catch-up) lands where its sender put it.
//
// Incoming messages are deduplicated by (sender user id, client message id): a relay
// redelivery, a retry, or our own message echoed from another of our devices is stored once.
import type { ConversationId, Message, MessageBody, MessageId, MessagePage, MessageStatus, ReceiptState } from '@parley/common/api/index';
import type BetterSqlite3 from 'better-sqlite3';
import type { Db } from '../db/database.ts';
import { messageIdOf, parseMessageId } from '../ids.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

interface MessageRow {
  id: number;
  conversation_id: string;
  sender_user_id: string;
  sender_device_id: string;
  client_msg_id: string;
  sender_clock: number;
  received_at: number;
  outgoing: number;
  body: string;
  reply_to: string | null;
  status: MessageStatus;
}

export interface NewOutgoing {
  conversationId: ConversationId;
  senderUserId: string;
  senderDeviceId: string;
  clientMsgId: string;
  body: MessageBody;
  replyTo?: MessageId | null;
  /** Users whose receipts decide the status (the peer, or the other group members). */
  recipients: string[];
}

export interface NewIncoming {
  conversationId: ConversationId;
  senderUserId: string;
  senderDeviceId: string;
  clientMsgId: string;
  senderClock: number;
  body: MessageBody;
  replyTo?: MessageId | null;
  /** True for our own message sent from another of our devices. */
  outgoing?: boolean;
  status?: MessageStatus;
  recipients?: string[];
}

export class MessageNotFoundError extends Error {
  readonly code = 'not_found';
  constructor(id: string) {
    super(`There is no message ${id} on this device.`);
    this.name = 'MessageNotFoundError';
  }
}

const RANK: Record<ReceiptState['state'] | 'pending', number> = { pending: 0, sent: 1, delivered: 2, read: 3 };
const ORDER_ASC = 'sender_clock ASC, sender_user_id ASC, client_msg_id ASC';
const ORDER_DESC = 'sender_clock DESC, sender_user_id DESC, client_msg_id DESC';
const searchTextOf = (body: MessageBody): string | null => (body.text ? body.text : null);

export class MessageStore {
  // better-sqlite3 compiles on every prepare(); the hot paths (catch-up inserts, paging)
  // reuse compiled statements.
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** Names the sender of an incoming message (`Message.senderName`); set by the engine. */
  senderNameOf: ((userId: string, conversationId: ConversationId) => string | undefined) | null = null;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  private sql(text: string): BetterSqlite3.Statement {
    let st = this.statements.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.statements.set(text, st);
    }
    return st;
  }

  /**
   * Stores a message the user just wrote, status pending. Its clock is the wall clock,
   * but never at or below the newest message already in the conversation, so a sender
   * whose clock runs behind still appends after what they have seen (a Lamport rule).
   */
  insertOutgoing(m: NewOutgoing): Message {
    const t = this.now();
    const write = this.db.transaction(() => {
      const newest = this.sql(`SELECT max(sender_clock) FROM messages WHERE conversation_id = ?`).pluck().get(m.conversationId) as number | null;
      const clock = Math.max(t, (newest ?? 0) + 1);
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO messages (conversation_id, sender_user_id, sender_device_id, client_msg_id, sender_clock, received_at, outgoing, body, reply_to, status, search_text)
           VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, 'pending', ?)`,
        )
        .run(m.conversationId, m.senderUserId, m.senderDeviceId, m.clientMsgId, clock, t, JSON.stringify(m.body), m.replyTo ?? null, searchTextOf(m.body));
      const receipt = this.sql(`INSERT INTO receipts (message_id, user_id, state, at) VALUES (?, ?, 'pending', ?)`);
      for (const user of new Set(m.recipients)) receipt.run(lastInsertRowid, user, t);
      return Number(lastInsertRowid);
    });
    return this.byRowId(write.immediate());
  }

  /** Stores a received message once; a duplicate returns the stored copy with inserted = false. */
  insertIncoming(m: NewIncoming): { inserted: boolean; message: Message } {
    const t = this.now();
    const status = m.status ?? (m.outgoing ? 'sent' : 'delivered');
    const row = {
      id: 0,
      conversation_id: m.conversationId,
      sender_user_id: m.senderUserId,
      sender_device_id: m.senderDeviceId,
      client_msg_id: m.clientMsgId,
      sender_clock: m.senderClock,
      received_at: t,
      outgoing: m.outgoing ? 1 : 0,
      body: JSON.stringify(m.body),
      reply_to: m.replyTo ?? null,
      status,
    } satisfies MessageRow;
    const res = this.sql(
      `INSERT INTO messages (conversation_id, sender_user_id, sender_device_id, client_msg_id, sender_clock, received_at, outgoing, body, reply_to, status, search_text)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sender_user_id, client_msg_id) DO NOTHING`,
    ).run(row.conversation_id, row.sender_user_id, row.sender_device_id, row.client_msg_id, row.sender_clock, t, row.outgoing, row.body, row.reply_to, status, searchTextOf(m.body));
    if (res.changes === 0) return { inserted: false, message: this.get(messageIdOf(m.senderUserId, m.clientMsgId)) };
    row.id = Number(res.lastInsertRowid);
    if (m.recipients?.length) {
      // Our own message from another device: receipts from its recipients will follow.
      const receipt = this.sql(`INSERT INTO receipts (message_id, user_id, state, at) VALUES (?, ?, 'sent', ?)`);
      for (const user of new Set(m.recipients)) receipt.run(row.id, user, t);
      return { inserted: true, message: this.byRowId(row.id) };
    }
    // A fresh message has no receipts or reactions yet: build it without reading back.
    return { inserted: true, message: this.rowToMessage(row, [], new Map()) };
  }

  get(id: MessageId): Message {
    return this.toMessages([this.rowOf(id)])[0];
  }

  rowIdOf(id: MessageId): number {
    return this.rowOf(id).id;
  }

  private rowOf(id: MessageId): MessageRow {
    const { senderUserId, clientMsgId } = parseMessageId(id);
    const row = this.sql(`SELECT * FROM messages WHERE sender_user_id = ? AND client_msg_id = ?`).get(senderUserId, clientMsgId) as MessageRow | undefined;
    if (!row) throw new MessageNotFoundError(id);
    return row;
  }

  private byRowId(rowId: number): Message {
    return this.toMessages([this.sql(`SELECT * FROM messages WHERE id = ?`).get(rowId) as MessageRow])[0];
  }

  /**
   * A page of history. No cursor: the newest `limit` messages. `before`: the `limit`
   * messages just older than the cursor; `after`: just newer. Pages are always returned
   * oldest first; `hasMore` says whether the scroll direction has more.
   */
  page(conversationId: ConversationId, opts: { before?: string; after?: string; limit?: number } = {}): MessagePage {
    const limit = opts.limit ?? 50;
    const key = opts.before ?? opts.after;
    const backwards = opts.after === undefined;
    let rows: MessageRow[];
    if (key === undefined) {
      rows = this.sql(`SELECT * FROM messages WHERE conversation_id = ? ORDER BY ${ORDER_DESC} LIMIT ?`).all(conversationId, limit + 1) as MessageRow[];
    } else {
      const k = decodeCursor(key);
      const cmp = backwards ? '<' : '>';
      rows = this.db
        .prepare(
          `SELECT * FROM messages WHERE conversation_id = ?
             AND (sender_clock, sender_user_id, client_msg_id) ${cmp} (?, ?, ?)
           ORDER BY ${backwards ? ORDER_DESC : ORDER_ASC} LIMIT ?`,
        )
        .all(conversationId, k.clock, k.sender, k.clientMsgId, limit + 1) as MessageRow[];
    }
    const hasMore = rows.length > limit;
    rows = rows.slice(0, limit);
    if (backwards) rows.reverse();
    return { messages: this.toMessages(rows), hasMore };
  }

  setStatus(id: MessageId, status: MessageStatus): Message {
    const row = this.rowOf(id);
    this.db.transaction(() => {
      // A receipt can beat the relay's ack (the ack was lost and the send retried):
      // 'sent' never downgrades a message already delivered or read.
      if (status !== 'sent' || row.status === 'pending' || row.status === 'failed') this.sql(`UPDATE messages SET status = ? WHERE id = ?`).run(status, row.id);
      if (status === 'sent') this.sql(`UPDATE receipts SET state = 'sent', at = ? WHERE message_id = ? AND state = 'pending'`).run(this.now(), row.id);
    })();
    return this.get(id);
  }

  /**
   * Records a recipient's delivery or read receipt. Receipt states only move forward
   * (a late 'delivered' after 'read' changes nothing). The message status is the least
   * advanced recipient's state: a group message is 'read' once everyone has read it.
   */
  recordReceipt(id: MessageId, userId: string, state: 'delivered' | 'read', at: number): Message {
    const row = this.rowOf(id);
    this.db.transaction(() => {
      const current = this.sql(`SELECT state FROM receipts WHERE message_id = ? AND user_id = ?`).pluck().get(row.id, userId) as
        | ReceiptState['state']
        | 'pending'
        | undefined;
      if (current === undefined || RANK[state] <= RANK[current]) return;
      this.sql(`UPDATE receipts SET state = ?, at = ? WHERE message_id = ? AND user_id = ?`).run(state, at, row.id, userId);
      const states = this.sql(`SELECT state FROM receipts WHERE message_id = ?`).pluck().all(row.id) as (keyof typeof RANK)[];
      const least = states.reduce((a, b) => (RANK[a] <= RANK[b] ? a : b));
      if (least !== 'pending' && row.status !== 'failed') this.sql(`UPDATE messages SET status = ? WHERE id = ?`).run(least, row.id);
    })();
    return this.get(id);
  }

  /** Sets (or with null, removes) a user's one reaction to a message. */
  react(id: MessageId, userId: string, emoji: string | null, at: number): Message {
    const row = this.rowOf(id);
    if (emoji === null) this.sql(`DELETE FROM reactions WHERE message_id = ? AND user_id = ?`).run(row.id, userId);
    else
      this.db
        .prepare(`INSERT INTO reactions (message_id, user_id, emoji, at) VALUES (?, ?, ?, ?) ON CONFLICT (message_id, user_id) DO UPDATE SET emoji = excluded.emoji, at = excluded.at WHERE excluded.at >= reactions.at`)
        .run(row.id, userId, emoji, at);
    return this.get(id);
  }

  /** Incoming messages up to (and including) a clock that are not yet read, for read receipts. */
  unreadIncomingUpTo(conversationId: ConversationId, afterClock: number, upToClock: number): Message[] {
    const rows = this.db
      .prepare(`SELECT * FROM messages WHERE conversation_id = ? AND outgoing = 0 AND sender_clock > ? AND sender_clock <= ? ORDER BY ${ORDER_ASC}`)
      .all(conversationId, afterClock, upToClock) as MessageRow[];
    return this.toMessages(rows);
  }

  newestClock(conversationId: ConversationId): number {
    return (this.sql(`SELECT max(sender_clock) FROM messages WHERE conversation_id = ?`).pluck().get(conversationId) as number | null) ?? 0;
  }

  private toMessages(rows: MessageRow[]): Message[] {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const idList = JSON.stringify(ids);
    const receipts = this.sql(`SELECT message_id, user_id, state, at FROM receipts WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY user_id`).all(idList) as {
      message_id: number;
      user_id: string;
      state: ReceiptState['state'] | 'pending';
      at: number;
    }[];
    const reactions = this.sql(`SELECT message_id, user_id, emoji FROM reactions WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY at, user_id`).all(idList) as {
      message_id: number;
      user_id: string;
      emoji: string;
    }[];
    const receiptsOf = new Map<number, ReceiptState[]>();
    for (const x of receipts) {
      if (x.state === 'pending') continue;
      const list = receiptsOf.get(x.message_id) ?? [];
      list.push({ userId: x.user_id, state: x.state, at: x.at });
      receiptsOf.set(x.message_id, list);
    }
    const reactionsOf = new Map<number, Map<string, string[]>>();
    for (const x of reactions) {
      const byEmoji = reactionsOf.get(x.message_id) ?? new Map<string, string[]>();
      byEmoji.set(x.emoji, [...(byEmoji.get(x.emoji) ?? []), x.user_id]);
      reactionsOf.set(x.message_id, byEmoji);
    }
    return rows.map((r) => this.rowToMessage(r, receiptsOf.get(r.id) ?? [], reactionsOf.get(r.id) ?? new Map()));
  }

  private rowToMessage(r: MessageRow, receipts: ReceiptState[], reactions: Map<string, string[]>): Message {
    const senderName = r.outgoing === 1 ? undefined : this.senderNameOf?.(r.sender_user_id, r.conversation_id);
    return {
      id: messageIdOf(r.sender_user_id, r.client_msg_id),
      conversationId: r.conversation_id,
      senderUserId: r.sender_user_id,
      senderDeviceId: r.sender_device_id,
      outgoing: r.outgoing === 1,
      body: JSON.parse(r.body) as MessageBody,
      replyTo: r.reply_to,
      sentAt: r.sender_clock,
      receivedAt: r.received_at,
      status: r.status,
      receipts,
      reactions: [...reactions].map(([emoji, userIds]) => ({ emoji, userIds })),
      cursor: encodeCursor({ clock: r.sender_clock, sender: r.sender_user_id, clientMsgId: r.client_msg_id }),
      ...(senderName ? { senderName } : {}),
    };
  }
}
