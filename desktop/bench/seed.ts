// Volume for the core benchmark, written straight through the store layer (MessageStore
// and ConversationStore in batched transactions), not through the network: a million
// messages through the relay would take the bench an hour. Each row is what the receive
// pipeline stores (incoming text, sender clock, FTS trigram index kept by its trigger).
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../src/core/db/database.ts';
import { ConversationStore } from '../src/core/store/conversation-store.ts';
import { MessageStore } from '../src/core/store/message-store.ts';
import { messageTexts } from './corpus.ts';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const fakeUserId = (n: number) => {
  let s = '';
  let x = n + 1;
  for (let i = 0; i < 32; i++) {
    s += BASE32[x % 32];
    x = Math.floor(x / 32) + i * 7919;
  }
  return s;
};

export interface SeedResult {
  conversationIds: string[];
  seconds: number;
  rowsPerSecond: number;
}

/**
 * Adds `count` messages to the profile, `perConversation` per conversation (fresh
 * conversations numbered from `firstConversation`), in transactions of `batch` rows.
 * The database's durability is relaxed for the seeding only and put back afterwards.
 */
export function seedMessages(profileDir: string, opts: { selfUserId: string; count: number; perConversation: number; firstConversation: number; seed: number; batch?: number }): SeedResult {
  const db = openDatabase(profileDir);
  const conversations = new ConversationStore(db);
  const messages = new MessageStore(db);
  const text = messageTexts(opts.seed);
  const batch = opts.batch ?? 20_000;
  const started = performance.now();
  db.pragma('synchronous = OFF');
  const conversationIds: string[] = [];
  let clock = Date.UTC(2025, 0, 1);
  const writeBatch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const c = opts.firstConversation + Math.floor(i / opts.perConversation);
      const peer = fakeUserId(c);
      const conversationId = `d:${peer}`;
      if (i % opts.perConversation === 0) {
        conversations.ensureDirect(peer, `Contact ${c}`);
        conversationIds.push(conversationId);
      }
      const own = i % 3 === 0;
      messages.insertIncoming({
        conversationId,
        senderUserId: own ? opts.selfUserId : peer,
        senderDeviceId: 'benchdevicebench',
        clientMsgId: randomBytes(12).toString('base64url'),
        senderClock: (clock += 1_000),
        body: { kind: 'text', text: text() },
        outgoing: own,
        status: own ? 'read' : 'delivered',
      });
    }
  });
  for (let i = 0; i < opts.count; i += batch) writeBatch(i, Math.min(opts.count, i + batch));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const seconds = (performance.now() - started) / 1000;
  return { conversationIds, seconds, rowsPerSecond: opts.count / seconds };
}
