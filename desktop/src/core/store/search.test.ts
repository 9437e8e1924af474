import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/database.ts';
import { tempProfile } from '../testing/temp-profile.ts';
import { ConversationStore } from './conversation-store.ts';
import { MessageStore } from './message-store.ts';
import { searchMessages } from './search.ts';

const BOB = 'b'.repeat(32);
const CAROL = 'c'.repeat(32);

let profile: ReturnType<typeof tempProfile>;
let db: Db;
let messages: MessageStore;

beforeEach(() => {
  profile = tempProfile();
  db = openDatabase(profile.dir);
  messages = new MessageStore(db);
  const conversations = new ConversationStore(db);
  conversations.ensureDirect(BOB, 'Bob');
  conversations.ensureDirect(CAROL, 'Carol');
  let clock = 1;
  const put = (peer: string, t: string) =>
    messages.insertIncoming({ conversationId: `d:${peer}`, senderUserId: peer, senderDeviceId: 'd', clientMsgId: `m-${String(clock).padStart(6, '0')}`, senderClock: clock++, body: { kind: 'text', text: t } });
  put(BOB, 'What a wonderful afternoon');
  put(BOB, 'Meet at the café at 5?');
  put(CAROL, 'The thunderstorm was loud');
  put(CAROL, 'ok');
  put(CAROL, 'He said "hello" AND left; 100% sure_ish');
});
afterEach(() => {
  db.close();
  profile.cleanup();
});

const texts = (q: string, opts = {}) => searchMessages(db, q, opts).map((h) => h.snippet.map((p) => p.text).join(''));

describe('search', () => {
  it('finds a fragment inside a word, across all conversations, newest first', () => {
    const hits = searchMessages(db, 'nder');
    expect(hits.map((h) => h.conversationTitle)).toEqual(['Carol', 'Bob']);
    expect(hits[0].snippet).toContainEqual({ text: 'nder', match: true });
  });

  it('is case-insensitive and ignores diacritics', () => {
    expect(texts('WONDER')).toHaveLength(1);
    expect(texts('cafe')).toEqual(['Meet at the café at 5?']);
  });

  it('restricts to one conversation when asked', () => {
    expect(searchMessages(db, 'nder', { conversationId: `d:${BOB}` }).map((h) => h.conversationTitle)).toEqual(['Bob']);
  });

  it('requires every term (AND)', () => {
    expect(texts('wonder after')).toHaveLength(1);
    expect(texts('wonder storm')).toHaveLength(0);
  });

  it('handles queries shorter than three characters with a substring match', () => {
    const hits = searchMessages(db, 'ok');
    expect(hits).toHaveLength(1);
    expect(hits[0].snippet).toEqual([{ text: 'ok', match: true }]);
    expect(texts('5?')).toEqual(['Meet at the café at 5?']);
  });

  it('combines short and long terms', () => {
    expect(texts('at café')).toHaveLength(1);
    expect(texts('zz café')).toHaveLength(0);
  });

  it('treats FTS syntax and LIKE wildcards in user input as plain text and never throws', () => {
    for (const q of ['"', '"hello"', 'AND', 'hello AND', 'NEAR(a b)', '*', 'ab*', '^th', 'a:b', '(', ')', "'", '%', '_', '\\', 'col:nder', '\u0000']) {
      expect(() => searchMessages(db, q)).not.toThrow();
    }
    expect(texts('"hello"')).toHaveLength(1);
    expect(texts('100%')).toHaveLength(1);
    expect(texts('%')).toHaveLength(1); // only the message containing a literal %
    expect(texts('_')).toHaveLength(1);
  });

  it('returns nothing for an empty query', () => {
    expect(searchMessages(db, '   ')).toEqual([]);
  });

  it('keeps the index in step when a message is deleted', () => {
    db.prepare(`DELETE FROM messages WHERE search_text LIKE '%thunder%'`).run();
    expect(texts('nder')).toHaveLength(1);
  });
});
