// The highest mailbox sequence number whose entry is committed in this database. The
// sync loop stores incoming messages and advances this cursor in ONE transaction, and
// acknowledges to the relay only afterwards: a crash before the commit means the relay
// still holds the entry and redelivers it (dedup makes that harmless); a crash after it
// at worst repeats the acknowledgement.
import type { Db } from '../db/database.ts';

export class RelayCursor {
  constructor(
    private readonly db: Db,
    private readonly relayUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  get(): number {
    return (this.db.prepare(`SELECT committed_seq FROM relay_cursor WHERE relay_url = ?`).pluck().get(this.relayUrl) as number | undefined) ?? 0;
  }

  /** Never moves backwards; call inside the transaction that stored the entries. */
  advance(seq: number): void {
    this.db
      .prepare(
        `INSERT INTO relay_cursor (relay_url, committed_seq, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (relay_url) DO UPDATE SET committed_seq = max(committed_seq, excluded.committed_seq), updated_at = excluded.updated_at`,
      )
      .run(this.relayUrl, seq, this.now());
  }
}
