// Contacts as this device stores them (the `contacts` table): display name, relay, the
// account key pinned at first sight, verification and the time a key change was last
// seen. The account document carries contacts to the user's other devices; this table is
// what the engine reads.
import type { Contact } from '@parley/common/api/index';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db/database.ts';

interface ContactRow {
  user_id: string;
  display_name: string;
  handle: string | null;
  relay_url: string;
  account_key: string;
  verified: number;
  key_changed_at: number | null;
  added_at: number;
}

const toContact = (r: ContactRow): Contact => ({
  userId: r.user_id,
  displayName: r.display_name,
  handle: r.handle,
  relayUrl: r.relay_url,
  verified: r.verified === 1,
  keyChangedAt: r.key_changed_at,
  addedAt: r.added_at,
});

export class ContactBook {
  /** Prepared once: get() runs for every received message (the conversation title). */
  private getStmt: Statement | null = null;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  get(userId: string): Contact | null {
    this.getStmt ??= this.db.prepare(`SELECT * FROM contacts WHERE user_id = ?`);
    const row = this.getStmt.get(userId) as ContactRow | undefined;
    return row ? toContact(row) : null;
  }

  list(): Contact[] {
    return (this.db.prepare(`SELECT * FROM contacts ORDER BY display_name, user_id`).all() as ContactRow[]).map(toContact);
  }

  /** Adds a contact, or renames one already known (its pinned key never changes here). */
  upsert(c: { userId: string; displayName: string; relayUrl: string; accountKey: string; handle?: string | null }): Contact {
    this.db
      .prepare(
        `INSERT INTO contacts (user_id, display_name, handle, relay_url, account_key, added_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, relay_url = excluded.relay_url`,
      )
      .run(c.userId, c.displayName, c.handle ?? null, c.relayUrl, c.accountKey, this.now());
    return this.get(c.userId)!;
  }

  setVerified(userId: string, verified: boolean): Contact | null {
    // Verifying acknowledges the current keys, so the change warning is cleared too.
    this.db.prepare(`UPDATE contacts SET verified = ?, key_changed_at = CASE WHEN ? THEN NULL ELSE key_changed_at END WHERE user_id = ?`).run(verified ? 1 : 0, verified ? 1 : 0, userId);
    return this.get(userId);
  }

  markKeyChanged(userId: string, at: number, clearVerified: boolean): void {
    this.db
      .prepare(`UPDATE contacts SET key_changed_at = ?, verified = CASE WHEN ? THEN 0 ELSE verified END WHERE user_id = ?`)
      .run(at, clearVerified ? 1 : 0, userId);
  }

  setDeviceListVersion(userId: string, version: number): void {
    this.db.prepare(`UPDATE contacts SET device_list_version = max(device_list_version, ?) WHERE user_id = ?`).run(version, userId);
  }
}
