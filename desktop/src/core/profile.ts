// A profile opened for use: its database and every local store over it, plus sealed
// secrets. This is the local-first foundation the engine (relay connection, crypto,
// MessengerApi implementation) is built on; it works with no network at all.
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { openDatabase, type Db } from './db/database.ts';
import type { SecretBox } from './secrets/secret-box.ts';
import { SecretStore } from './secrets/secret-store.ts';
import { ConversationStore } from './store/conversation-store.ts';
import { DocumentStore } from './store/document-store.ts';
import { DraftStore } from './store/draft-store.ts';
import { MessageStore } from './store/message-store.ts';
import { searchMessages, type SearchOptions } from './store/search.ts';
import { SettingsStore } from './store/settings-store.ts';

export interface LocalProfile {
  dir: string;
  db: Db;
  clock: Clock;
  secrets: SecretStore;
  conversations: ConversationStore;
  messages: MessageStore;
  drafts: DraftStore;
  documents: DocumentStore;
  settings: SettingsStore;
  search(query: string, opts?: SearchOptions): ReturnType<typeof searchMessages>;
  close(): void;
}

export function openProfile(dir: string, secretBox: SecretBox, clock: Clock = systemClock): LocalProfile {
  const db = openDatabase(dir);
  const now = () => clock.now();
  return {
    dir,
    db,
    clock,
    secrets: new SecretStore(db, secretBox, now),
    conversations: new ConversationStore(db, now),
    messages: new MessageStore(db, now),
    drafts: new DraftStore(db),
    documents: new DocumentStore(db, now),
    settings: new SettingsStore(db),
    search: (query, opts) => searchMessages(db, query, opts),
    close: () => db.close(),
  };
}
