// Migration 1: the relay's first schema. Shaped by the hot path: a mailbox is read and
// acknowledged by (device, seq) range, so entries are clustered on that key (WITHOUT ROWID:
// one b-tree, no separate rowid lookup); sequence counters live in their own table because
// acknowledged entries are deleted and MAX(seq) would reissue numbers; bodies are TEXT,
// stored as the base64url the client sent.
import type { Migration } from './index.ts';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
    CREATE TABLE device_lists (
      user_id TEXT PRIMARY KEY,
      version INTEGER NOT NULL,
      list TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE devices (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      keys TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE one_time_prekeys (
      device TEXT NOT NULL,
      id INTEGER NOT NULL,
      key TEXT NOT NULL,
      PRIMARY KEY (device, id)
    ) WITHOUT ROWID;

    CREATE TABLE handles (
      handle TEXT PRIMARY KEY,
      user_id TEXT NOT NULL UNIQUE
    ) WITHOUT ROWID;

    CREATE TABLE user_settings (
      user_id TEXT PRIMARY KEY,
      presence TEXT,
      last_seen INTEGER
    ) WITHOUT ROWID;

    CREATE TABLE mailbox_counters (
      device TEXT PRIMARY KEY,
      last_seq INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE mailbox_entries (
      device TEXT NOT NULL,
      seq INTEGER NOT NULL,
      body TEXT NOT NULL,
      ts INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (device, seq)
    ) WITHOUT ROWID;
    CREATE INDEX mailbox_entries_expiry ON mailbox_entries (expires_at);

    -- Idempotency: one row per (sending device, client message id) with the first result,
    -- kept until the send expires. Its key is the client's id, so inserts land wherever that
    -- id sorts: time-ordered client ids keep them at each sender's tail (see store-bench).
    CREATE TABLE send_dedup (
      sender TEXT NOT NULL,
      cid TEXT NOT NULL,
      result TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (sender, cid)
    ) WITHOUT ROWID;
    CREATE INDEX send_dedup_expiry ON send_dedup (expires_at);

    -- Blob bytes are files under the blob directory; this is their metadata.
    CREATE TABLE blobs (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      size INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX blobs_expiry ON blobs (expires_at);
  `,
};
