// Persists Automerge documents (the account document, one per group) as compacted saves.
// A document is saved in the same transaction as the effects derived from it (e.g. the
// conversation flags cached in `conversations`), so the two never disagree after a crash.
import type { Db } from '../db/database.ts';

export type DocumentKind = 'account' | 'group';

export const ACCOUNT_DOC_ID = 'account';
export const groupDocId = (groupId: string) => `group:${groupId}`;

export class DocumentStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  load(id: string): Uint8Array | null {
    const data = this.db.prepare(`SELECT data FROM documents WHERE id = ?`).pluck().get(id) as Buffer | undefined;
    return data ? new Uint8Array(data) : null;
  }

  save(id: string, kind: DocumentKind, data: Uint8Array): void {
    this.db
      .prepare(`INSERT INTO documents (id, kind, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`)
      .run(id, kind, data, this.now());
  }
}
