// Conversations as the list shows them: title, flags, unread count (incoming messages
// newer than the read clock) and the last message. Flags mirror the account document,
// which stays the source of truth across devices; these columns make listing one query.
import type { Conversation, ConversationId, MessageBody, MessagePreview, MessageStatus } from '@parley/common/api/index';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/database.ts';
import { directConversationId, messageIdOf } from '../ids.ts';

export interface ConversationRow {
  id: string;
  kind: 'direct' | 'group';
  peer_user_id: string | null;
  title: string;
  pinned: number;
  muted: number;
  archived: number;
  read_clock: number;
  left_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ConversationFlags {
  pinned?: boolean;
  muted?: boolean;
  archived?: boolean;
}

export class ConversationNotFoundError extends Error {
  readonly code = 'not_found';
  constructor(id: string) {
    super(`There is no conversation ${id} on this device.`);
    this.name = 'ConversationNotFoundError';
  }
}

type ListedRow = ConversationRow & {
  unread: number;
  l_sender: string | null;
  l_cmid: string;
  l_body: string;
  l_clock: number;
  l_status: MessageStatus;
  has_draft: number;
};

// One listed row: the conversation, its unread count, its last message and whether it has a draft.
const LISTED_SELECT = `SELECT c.*,
     (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.outgoing = 0 AND m.sender_clock > c.read_clock) AS unread,
     l.sender_user_id AS l_sender, l.client_msg_id AS l_cmid, l.body AS l_body, l.sender_clock AS l_clock, l.status AS l_status,
     EXISTS (SELECT 1 FROM drafts d WHERE d.conversation_id = c.id AND d.text <> '') AS has_draft
   FROM conversations c
   LEFT JOIN messages l ON l.id = (
     SELECT id FROM messages WHERE conversation_id = c.id
     ORDER BY sender_clock DESC, sender_user_id DESC, client_msg_id DESC LIMIT 1)`;

export class ConversationStore {
  /** Prepared statements of the hot paths (receive: ensureDirect and row per message). */
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  ensureDirect(peerUserId: string, title: string): ConversationRow {
    const id = directConversationId(peerUserId);
    const t = this.now();
    this.stmt(`INSERT INTO conversations (id, kind, peer_user_id, title, created_at, updated_at) VALUES (?, 'direct', ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`).run(
      id,
      peerUserId,
      title,
      t,
      t,
    );
    return this.row(id);
  }

  ensureGroup(id: ConversationId, title: string): ConversationRow {
    const t = this.now();
    this.db
      .prepare(`INSERT INTO conversations (id, kind, title, created_at, updated_at) VALUES (?, 'group', ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
      .run(id, title, t, t);
    return this.row(id);
  }

  row(id: ConversationId): ConversationRow {
    const row = this.stmt(`SELECT * FROM conversations WHERE id = ?`).get(id) as ConversationRow | undefined;
    if (!row) throw new ConversationNotFoundError(id);
    return row;
  }

  setTitle(id: ConversationId, title: string): void {
    this.db.prepare(`UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?`).run(title, this.now(), id);
  }

  setFlags(id: ConversationId, flags: ConversationFlags): void {
    this.row(id);
    const sets: string[] = [];
    const args: number[] = [];
    for (const key of ['pinned', 'muted', 'archived'] as const) {
      if (flags[key] !== undefined) {
        sets.push(`${key} = ?`);
        args.push(flags[key] ? 1 : 0);
      }
    }
    if (sets.length) this.db.prepare(`UPDATE conversations SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
  }

  /** Raises the read clock (never lowers it: reads from other devices may arrive late). */
  raiseReadClock(id: ConversationId, clock: number): void {
    this.db.prepare(`UPDATE conversations SET read_clock = max(read_clock, ?) WHERE id = ?`).run(clock, id);
  }

  setMembers(id: ConversationId, members: { userId: string; role: 'admin' | 'member' }[]): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM conversation_members WHERE conversation_id = ?`).run(id);
      const insert = this.db.prepare(`INSERT INTO conversation_members (conversation_id, user_id, role) VALUES (?, ?, ?)`);
      for (const m of members) insert.run(id, m.userId, m.role);
    })();
  }

  members(id: ConversationId): { userId: string; role: 'admin' | 'member' }[] {
    return this.db
      .prepare(`SELECT user_id AS userId, role FROM conversation_members WHERE conversation_id = ? ORDER BY user_id`)
      .all(id) as { userId: string; role: 'admin' | 'member' }[];
  }

  /** Whether this user is a member of a group we have not left. */
  sharesGroupWith(userId: string): boolean {
    return !!this.stmt(
      `SELECT 1 FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = ? AND c.left_at IS NULL LIMIT 1`,
    ).get(userId);
  }

  /**
   * The list as the UI shows it: pinned first, then by latest activity. Live state the
   * database does not hold (typing, presence, drafts) is filled in by the caller.
   */
  list(options: { includeArchived?: boolean } = {}): Conversation[] {
    const rows = this.stmt(
      `${LISTED_SELECT}
         WHERE (? OR c.archived = 0) AND c.left_at IS NULL
         ORDER BY c.pinned DESC, coalesce(l.sender_clock, c.created_at) DESC`,
    ).all(options.includeArchived ? 1 : 0) as ListedRow[];
    return rows.map(toConversation);
  }

  /** One conversation as list() shows it (archived included), or null if unknown or left. */
  listed(id: ConversationId): Conversation | null {
    const row = this.stmt(`${LISTED_SELECT} WHERE c.id = ? AND c.left_at IS NULL`).get(id) as ListedRow | undefined;
    return row ? toConversation(row) : null;
  }
}

function toConversation(r: ListedRow): Conversation {
  let lastMessage: MessagePreview | null = null;
  if (r.l_sender) {
    const body = JSON.parse(r.l_body) as MessageBody;
    lastMessage = { id: messageIdOf(r.l_sender, r.l_cmid), senderUserId: r.l_sender, text: body.text, kind: body.kind, sentAt: r.l_clock, status: r.l_status };
  }
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    peerUserId: r.peer_user_id,
    unreadCount: r.unread,
    lastMessage,
    typing: [],
    presence: null,
    pinned: r.pinned === 1,
    muted: r.muted === 1,
    archived: r.archived === 1,
    hasDraft: r.has_draft === 1,
    updatedAt: lastMessage?.sentAt ?? r.created_at,
  };
}
