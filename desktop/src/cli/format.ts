// Human-readable lines for the CLI's text mode (`--json` prints the API's own records).
import type { Contact, Conversation, Message, SearchHit, SnippetPart } from '@parley/common/api/index';

export type Names = Map<string, string>;

export function time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function text(m: Message): string {
  if (m.body.kind === 'attachment') return `[attachment ${m.body.attachment.name}] ${m.body.text}`.trim();
  return m.body.text;
}

export function messageLine(m: Message, names: Names, opts: { conversation?: string } = {}): string {
  const who = m.outgoing ? 'me' : (names.get(m.senderUserId) ?? m.senderUserId.slice(0, 8));
  const where = opts.conversation ? `${opts.conversation} | ` : '';
  const status = m.outgoing ? `  [${m.status}]` : '';
  return `${time(m.sentAt)}  ${where}${who}: ${text(m)}${status}`;
}

export function conversationLine(c: Conversation): string {
  const unread = c.unreadCount > 0 ? ` (${c.unreadCount} unread)` : '';
  const flags = [c.pinned && 'pinned', c.muted && 'muted', c.archived && 'archived'].filter(Boolean).join(', ');
  const last = c.lastMessage ? `  ${time(c.lastMessage.sentAt)}  ${c.lastMessage.text.slice(0, 60)}` : '';
  return `${c.title}${unread}${flags ? ` [${flags}]` : ''}  ${c.id}${last}`;
}

export function contactLine(c: Contact): string {
  const marks = [c.verified && 'verified', c.keyChangedAt !== null && `KEYS CHANGED ${time(c.keyChangedAt)}`].filter(Boolean).join(', ');
  return `${c.displayName}${c.handle ? ` @${c.handle}` : ''}  ${c.userId}${marks ? `  [${marks}]` : ''}`;
}

/** Matches in brackets, or bold when writing to a terminal. */
export function snippetText(parts: SnippetPart[], tty: boolean): string {
  return parts.map((p) => (p.match ? (tty ? `\x1b[1m${p.text}\x1b[22m` : `[${p.text}]`) : p.text)).join('').replace(/\s+/g, ' ');
}

export function searchLine(h: SearchHit, names: Names, tty: boolean): string {
  const who = names.get(h.senderUserId) ?? h.senderUserId.slice(0, 8);
  return `${time(h.sentAt)}  ${h.conversationTitle} | ${who}: ${snippetText(h.snippet, tty)}`;
}
