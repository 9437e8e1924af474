import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/database.ts';
import { AccountDoc } from '../docs/account-doc.ts';
import { tempProfile } from '../testing/temp-profile.ts';
import { ACCOUNT_DOC_ID, DocumentStore } from './document-store.ts';
import { DraftStore } from './draft-store.ts';
import { RelayCursor } from './relay-cursor.ts';
import { DEFAULT_SETTINGS, SettingsStore } from './settings-store.ts';

let profile: ReturnType<typeof tempProfile>;
let db: Db;
beforeEach(() => {
  profile = tempProfile();
  db = openDatabase(profile.dir);
});
afterEach(() => {
  db.close();
  profile.cleanup();
});
const reopen = () => {
  db.close();
  db = openDatabase(profile.dir);
};

describe('settings, drafts, documents and the relay cursor survive a restart', () => {
  it('settings start at the defaults and keep updates', () => {
    expect(new SettingsStore(db).get()).toEqual(DEFAULT_SETTINGS);
    new SettingsStore(db).update({ notificationPrivacy: 'count', readReceipts: false });
    reopen();
    expect(new SettingsStore(db).get()).toMatchObject({ notificationPrivacy: 'count', readReceipts: false, theme: 'system' });
  });

  it('a draft survives a restart; an empty one reads as none', () => {
    new DraftStore(db).set('d:bob', 'half a thought', null, 5);
    reopen();
    expect(new DraftStore(db).get('d:bob')).toEqual({ conversationId: 'd:bob', text: 'half a thought', replyTo: null, updatedAt: 5 });
    new DraftStore(db).set('d:bob', '', null, 6);
    expect(new DraftStore(db).get('d:bob')).toBeNull();
  });

  it('the account document round-trips through the database', () => {
    const doc = AccountDoc.create({ userId: 'alice', deviceId: 'laptop' });
    doc.setDraft('d:bob', 'see you', null, 1);
    new DocumentStore(db).save(ACCOUNT_DOC_ID, 'account', doc.save());
    reopen();
    const loaded = AccountDoc.load(new DocumentStore(db).load(ACCOUNT_DOC_ID)!, { userId: 'alice', deviceId: 'laptop' });
    expect(loaded.draft('d:bob')?.text).toBe('see you');
  });

  it('the relay cursor only moves forward', () => {
    const cursor = new RelayCursor(db, 'ws://relay');
    expect(cursor.get()).toBe(0);
    cursor.advance(10);
    cursor.advance(7);
    reopen();
    expect(new RelayCursor(db, 'ws://relay').get()).toBe(10);
  });
});
