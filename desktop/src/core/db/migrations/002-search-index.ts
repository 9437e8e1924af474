// Version 2: full-text search over decrypted message text. The trigram tokenizer indexes
// every 3-character window, so a fragment inside a word matches ("nder" finds
// "wonderful"), not just word prefixes. It is an external-content table over
// messages.search_text, kept in step by triggers, so the text is stored once.
import type { Migration } from '../migrate.ts';

export const migration002: Migration = {
  version: 2,
  name: 'search-index',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN search_text TEXT;
      UPDATE messages SET search_text = json_extract(body, '$.text')
        WHERE json_extract(body, '$.text') IS NOT NULL AND json_extract(body, '$.text') <> '';

      CREATE VIRTUAL TABLE message_search USING fts5(
        search_text,
        content = 'messages',
        content_rowid = 'id',
        tokenize = 'trigram remove_diacritics 1'
      );

      CREATE TRIGGER message_search_ai AFTER INSERT ON messages WHEN new.search_text IS NOT NULL BEGIN
        INSERT INTO message_search (rowid, search_text) VALUES (new.id, new.search_text);
      END;
      CREATE TRIGGER message_search_ad AFTER DELETE ON messages WHEN old.search_text IS NOT NULL BEGIN
        INSERT INTO message_search (message_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
      END;
      CREATE TRIGGER message_search_au AFTER UPDATE OF search_text ON messages BEGIN
        INSERT INTO message_search (message_search, rowid, search_text)
          SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
        INSERT INTO message_search (rowid, search_text)
          SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL;
      END;

      INSERT INTO message_search (message_search) VALUES ('rebuild');
    `);
  },
};
