// User settings: one JSON value per key, defaults for anything never set, so adding a
// setting needs no migration.
import type { Settings } from '@parley/common/api/index';
import type { Db } from '../db/database.ts';

export const DEFAULT_SETTINGS: Settings = {
  notificationPrivacy: 'name_and_message',
  notificationsMuted: false,
  readReceipts: true,
  lastSeen: 'contacts',
  typingIndicators: true,
  theme: 'system',
  relayUrl: 'ws://127.0.0.1:8787',
};

export class SettingsStore {
  constructor(private readonly db: Db) {}

  get(): Settings {
    const rows = this.db.prepare(`SELECT key, value FROM settings`).all() as { key: string; value: string }[];
    const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const r of rows) if (r.key in DEFAULT_SETTINGS) out[r.key] = JSON.parse(r.value);
    return out as unknown as Settings;
  }

  update(patch: Partial<Settings>): Settings {
    const put = this.db.prepare(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(patch)) if (key in DEFAULT_SETTINGS && value !== undefined) put.run(key, JSON.stringify(value));
    })();
    return this.get();
  }
}
