// Version 1: the client's tables. Row ids are local; anything that must agree across a
// user's devices (message identity, ordering) uses values that travel on the wire: the
// sender's user id, device id, client message id and clock.
import type { Migration } from '../migrate.ts';

export const migration001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      -- This device's public identity; its secret halves live in "secrets".
      CREATE TABLE identity (
        only_row      INTEGER PRIMARY KEY CHECK (only_row = 1),
        user_id       TEXT NOT NULL,
        device_id     TEXT NOT NULL,
        display_name  TEXT NOT NULL,
        handle        TEXT,
        relay_url     TEXT NOT NULL,
        public_keys   TEXT NOT NULL,          -- JSON of base64url public keys
        created_at    INTEGER NOT NULL
      ) STRICT;

      -- Secret material sealed by the host's SecretBox (identity keys, sessions, sender keys).
      CREATE TABLE secrets (
        name        TEXT PRIMARY KEY,
        sealed      BLOB NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE contacts (
        user_id              TEXT PRIMARY KEY,
        display_name         TEXT NOT NULL,
        handle               TEXT,
        relay_url            TEXT NOT NULL,
        account_key          TEXT NOT NULL,   -- base64url Ed25519, pinned at first sight
        device_list          TEXT,            -- JSON of the highest signed device list seen
        device_list_version  INTEGER NOT NULL DEFAULT 0,
        verified             INTEGER NOT NULL DEFAULT 0,
        key_changed_at       INTEGER,
        added_at             INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE conversations (
        id            TEXT PRIMARY KEY,       -- 'd:<peer user id>' or 'g:<group id>'
        kind          TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
        peer_user_id  TEXT,
        title         TEXT NOT NULL,
        -- caches of the account document (the source of truth across devices)
        pinned        INTEGER NOT NULL DEFAULT 0,
        muted         INTEGER NOT NULL DEFAULT 0,
        archived      INTEGER NOT NULL DEFAULT 0,
        -- the newest clock read on this account (any device), for unread counts
        read_clock    INTEGER NOT NULL DEFAULT 0,
        left_at       INTEGER,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      ) STRICT;

      -- Group membership cached from the group document, for fan-out and listing.
      CREATE TABLE conversation_members (
        conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id          TEXT NOT NULL,
        role             TEXT NOT NULL CHECK (role IN ('admin', 'member')),
        PRIMARY KEY (conversation_id, user_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE messages (
        id                INTEGER PRIMARY KEY,
        conversation_id   TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        sender_user_id    TEXT NOT NULL,
        sender_device_id  TEXT NOT NULL,
        client_msg_id     TEXT NOT NULL,
        -- the sender's clock: every device orders by (sender_clock, sender_user_id, client_msg_id)
        sender_clock      INTEGER NOT NULL,
        received_at       INTEGER NOT NULL,
        outgoing          INTEGER NOT NULL,
        body              TEXT NOT NULL,      -- JSON MessageBody, decrypted
        reply_to          TEXT,               -- MessageId '<user>:<client msg id>'
        status            TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'failed')),
        UNIQUE (sender_user_id, client_msg_id)
      ) STRICT;
      CREATE INDEX messages_order ON messages (conversation_id, sender_clock, sender_user_id, client_msg_id);

      -- Per-recipient receipt state of outgoing messages; the message status is derived from it.
      CREATE TABLE receipts (
        message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        user_id     TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'delivered', 'read')),
        at          INTEGER NOT NULL,
        PRIMARY KEY (message_id, user_id)
      ) STRICT, WITHOUT ROWID;

      -- One reaction per user per message (a new one replaces the old).
      CREATE TABLE reactions (
        message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        user_id     TEXT NOT NULL,
        emoji       TEXT NOT NULL,
        at          INTEGER NOT NULL,
        PRIMARY KEY (message_id, user_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE attachments (
        id          TEXT PRIMARY KEY,
        message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        mime        TEXT NOT NULL,
        size        INTEGER NOT NULL,
        blob_id     TEXT,                     -- relay blob id, once uploaded
        file_key    TEXT,                     -- base64url secretstream key (travels inside the E2E message)
        sha256      TEXT,                     -- base64url hash of the ciphertext, checked on download
        thumbnail   BLOB,
        width       INTEGER,
        height      INTEGER,
        local_path  TEXT,
        state       TEXT NOT NULL CHECK (state IN ('uploading', 'remote', 'downloading', 'downloaded', 'failed'))
      ) STRICT;
      CREATE INDEX attachments_message ON attachments (message_id);

      -- Everything waiting to go out: messages, reactions, receipts, document changes.
      CREATE TABLE outbox (
        id               INTEGER PRIMARY KEY,
        kind             TEXT NOT NULL,
        conversation_id  TEXT,
        message_id       INTEGER REFERENCES messages(id) ON DELETE CASCADE,
        client_msg_id    TEXT NOT NULL UNIQUE,  -- the relay deduplicates retries by it
        payload          TEXT NOT NULL,         -- JSON, plaintext until the transport encrypts
        state            TEXT NOT NULL CHECK (state IN ('queued', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        last_error       TEXT,
        created_at       INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

      CREATE TABLE drafts (
        conversation_id  TEXT PRIMARY KEY,
        text             TEXT NOT NULL,
        reply_to         TEXT,
        updated_at       INTEGER NOT NULL
      ) STRICT;

      -- Automerge documents, saved whole (compacted) by doc id.
      CREATE TABLE documents (
        id          TEXT PRIMARY KEY,         -- 'account' or 'group:<group id>'
        kind        TEXT NOT NULL CHECK (kind IN ('account', 'group')),
        data        BLOB NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;

      -- The highest mailbox sequence number committed locally (and so safe to acknowledge).
      CREATE TABLE relay_cursor (
        relay_url      TEXT PRIMARY KEY,
        committed_seq  INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE settings (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL                  -- JSON
      ) STRICT;
    `);
  },
};
