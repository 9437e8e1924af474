// The local copy of drafts, written on every (debounced) change so a draft survives a
// restart even before the account document change has gone out. The account document
// carries drafts to the other devices; a remote draft change is written here too.
import type { Draft } from '@parley/common/api/index';
import type { Db } from '../db/database.ts';

export class DraftStore {
  constructor(private readonly db: Db) {}

  get(conversationId: string): Draft | null {
    const row = this.db.prepare(`SELECT text, reply_to, updated_at FROM drafts WHERE conversation_id = ?`).get(conversationId) as
      | { text: string; reply_to: string | null; updated_at: number }
      | undefined;
    if (!row || row.text === '') return null;
    return { conversationId, text: row.text, replyTo: row.reply_to, updatedAt: row.updated_at };
  }

  set(conversationId: string, text: string, replyTo: string | null, at: number): Draft {
    this.db
      .prepare(
        `INSERT INTO drafts (conversation_id, text, reply_to, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text, reply_to = excluded.reply_to, updated_at = excluded.updated_at`,
      )
      .run(conversationId, text, replyTo, at);
    return { conversationId, text, replyTo, updatedAt: at };
  }
}
