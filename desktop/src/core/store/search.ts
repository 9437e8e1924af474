// Full-text search over decrypted messages, across all conversations or within one.
// FTS5's trigram tokenizer matches any fragment of 3+ characters anywhere in a word.
// Shorter fragments cannot be looked up in a trigram index at all, so they are matched
// with LIKE instead (alone: a scan bounded by the result limit; beside longer terms: as a
// filter on the FTS hits). The user's text is never spliced into FTS syntax: every term is
// quoted as an FTS string, so quotes, AND/OR/NEAR, * or ^ in a query are just characters.
// Results: the `limit` most recently stored matches, newest (by sender clock) first.
import type { ConversationId, SearchHit, SnippetPart } from '@parley/common/api/index';
import type { Db } from '../db/database.ts';
import { messageIdOf } from '../ids.ts';
import { encodeCursor } from './cursor.ts';

const OPEN = '\uE000';
const CLOSE = '\uE001';
const MAX_TERMS = 8;
// With the trigram tokenizer a "token" is one character position, so this is ~64 characters (FTS5's maximum).
const SNIPPET_TOKENS = 64;
const CONTEXT_CHARS = 40;

export interface SearchOptions {
  conversationId?: ConversationId;
  limit?: number;
}

interface HitRow {
  sender_user_id: string;
  client_msg_id: string;
  conversation_id: string;
  title: string;
  sender_clock: number;
  search_text: string;
  snip: string | null;
}

const quoteFts = (term: string) => `"${term.replaceAll('"', '""')}"`;
const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function searchMessages(db: Db, query: string, opts: SearchOptions = {}): SearchHit[] {
  const limit = opts.limit ?? 50;
  // Drop control characters and our private highlight markers; split into terms.
  const terms = query
    .replace(/[\u0000-\u001f\u007f\uE000\uE001]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, MAX_TERMS);
  if (terms.length === 0) return [];
  const long = terms.filter((t) => [...t].length >= 3);
  const short = terms.filter((t) => [...t].length < 3);

  const where: string[] = [];
  const args: unknown[] = [];
  for (const t of short) {
    where.push(`m.search_text LIKE ? ESCAPE '\\'`);
    args.push(likePattern(t));
  }
  if (opts.conversationId) {
    where.push('m.conversation_id = ?');
    args.push(opts.conversationId);
  }
  const filter = where.length ? `AND ${where.join(' AND ')}` : '';

  let rows: HitRow[];
  if (long.length > 0) {
    rows = db
      .prepare(
        `SELECT m.sender_user_id, m.client_msg_id, m.conversation_id, c.title, m.sender_clock, m.search_text,
                snippet(message_search, 0, '${OPEN}', '${CLOSE}', '…', ${SNIPPET_TOKENS}) AS snip
         FROM message_search JOIN messages m ON m.id = message_search.rowid JOIN conversations c ON c.id = m.conversation_id
         WHERE message_search MATCH ? ${filter}
         ORDER BY message_search.rowid DESC LIMIT ?`,
      )
      .all(long.map(quoteFts).join(' AND '), ...args, limit) as HitRow[];
  } else {
    rows = db
      .prepare(
        `SELECT m.sender_user_id, m.client_msg_id, m.conversation_id, c.title, m.sender_clock, m.search_text, NULL AS snip
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.search_text IS NOT NULL ${filter}
         ORDER BY m.id DESC LIMIT ?`,
      )
      .all(...args, limit) as HitRow[];
  }

  // Newest stored first lets FTS5 walk its index backwards and stop at the limit instead
  // of ranking every hit (a common fragment can match most of the history); the page is
  // then shown in sender-clock order.
  rows.sort((a, b) => b.sender_clock - a.sender_clock);
  return rows.map((r) => ({
    messageId: messageIdOf(r.sender_user_id, r.client_msg_id),
    conversationId: r.conversation_id,
    conversationTitle: r.title,
    senderUserId: r.sender_user_id,
    sentAt: r.sender_clock,
    snippet: r.snip !== null ? splitMarked(r.snip) : snippetAround(r.search_text, short[0] ?? ''),
    cursor: encodeCursor({ clock: r.sender_clock, sender: r.sender_user_id, clientMsgId: r.client_msg_id }),
  }));
}

/** Turns FTS5's marked snippet into parts, so the UI never has to parse or trust markup. */
export function splitMarked(marked: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  for (const [i, chunk] of marked.split(OPEN).entries()) {
    if (i === 0) {
      if (chunk) parts.push({ text: chunk, match: false });
      continue;
    }
    const end = chunk.indexOf(CLOSE);
    const hit = end < 0 ? chunk : chunk.slice(0, end);
    const rest = end < 0 ? '' : chunk.slice(end + 1);
    if (hit) parts.push({ text: hit, match: true });
    if (rest) parts.push({ text: rest, match: false });
  }
  return parts;
}

/** A snippet for LIKE matches: the first occurrence (case-insensitive) with some context. */
export function snippetAround(text: string, term: string): SnippetPart[] {
  const at = term ? text.toLowerCase().indexOf(term.toLowerCase()) : -1;
  if (at < 0) return [{ text: text.length > CONTEXT_CHARS * 2 ? `${text.slice(0, CONTEXT_CHARS * 2)}…` : text, match: false }];
  const from = Math.max(0, at - CONTEXT_CHARS);
  const to = Math.min(text.length, at + term.length + CONTEXT_CHARS);
  const parts: SnippetPart[] = [];
  const before = (from > 0 ? '…' : '') + text.slice(from, at);
  const after = text.slice(at + term.length, to) + (to < text.length ? '…' : '');
  if (before) parts.push({ text: before, match: false });
  parts.push({ text: text.slice(at, at + term.length), match: true });
  if (after) parts.push({ text: after, match: false });
  return parts;
}
