import { describe, expect, it } from 'vitest';
import type { Author } from './actor.ts';
import { AccountDoc } from './account-doc.ts';
import { decodeChangeBatch, encodeChangeBatch } from './change-batch.ts';

const laptop: Author = { userId: 'alice', deviceId: 'laptop' };
const desktop: Author = { userId: 'alice', deviceId: 'desktop' };
const phone: Author = { userId: 'alice', deviceId: 'tablet' };
const bob: Author = { userId: 'bob', deviceId: 'bob-pc' };
const contact = { displayName: 'Bob', relayUrl: 'wss://relay.example', accountKey: 'k', verified: false, addedAt: 1 };

/** Delivers every change `from` has that `to` lacks, as one transport batch. */
function sync(from: AccountDoc, to: AccountDoc) {
  return to.applyRemote(decodeChangeBatch(encodeChangeBatch(from.changesSince(to.heads()))), from.self);
}

describe('account document', () => {
  it('devices that started independently still merge their top-level state (shared base)', () => {
    const a = AccountDoc.create(laptop);
    const b = AccountDoc.create(desktop);
    a.setSettings('d:bob', { pinned: true });
    b.setSettings('d:carol', { muted: true });
    sync(a, b);
    sync(b, a);
    expect(a.settings('d:bob')).toEqual({ pinned: true, muted: false, archived: false });
    expect(a.settings('d:carol').muted).toBe(true);
    expect(b.settings('d:bob').pinned).toBe(true);
  });

  it('three devices editing contacts and settings concurrently converge', () => {
    const a = AccountDoc.create(laptop);
    a.setContact('bob', contact);
    const b = AccountDoc.load(a.save(), desktop);
    const c = AccountDoc.load(a.save(), phone);
    a.setSettings('d:bob', { pinned: true });
    b.setSettings('d:bob', { muted: true });
    c.updateContact('bob', { verified: true });
    c.setSettings('d:bob', { archived: true });
    for (const [x, y] of [[a, b], [b, c], [c, a], [a, b], [b, c]] as const) sync(x, y);
    for (const doc of [a, b, c]) {
      expect(doc.settings('d:bob')).toEqual({ pinned: true, muted: true, archived: true });
      expect(doc.contacts().bob.verified).toBe(true);
    }
  });

  it('merges drafts typed on two devices at once', () => {
    const a = AccountDoc.create(laptop);
    a.setDraft('d:bob', 'Hello', null, 1);
    const b = AccountDoc.load(a.save(), desktop);
    a.setDraft('d:bob', 'Hello world', null, 2);
    b.setDraft('d:bob', 'Oh, Hello', null, 2);
    const r = sync(a, b);
    sync(b, a);
    expect(r.changedDrafts).toEqual(['d:bob']);
    expect(a.draft('d:bob')?.text).toBe('Oh, Hello world');
    expect(b.draft('d:bob')?.text).toBe('Oh, Hello world');
  });

  it('a cleared draft reads as none, and a draft survives save and load', () => {
    const a = AccountDoc.create(laptop);
    a.setDraft('d:bob', 'unsent words', 'bob:reply-target', 1);
    const reloaded = AccountDoc.load(a.save(), laptop);
    expect(reloaded.draft('d:bob')).toEqual({ text: 'unsent words', replyTo: 'bob:reply-target', updatedAt: 1 });
    reloaded.setDraft('d:bob', '', null, 2);
    expect(reloaded.draft('d:bob')).toBeNull();
  });

  it("rejects changes authored on, or delivered from, someone else's device", () => {
    const a = AccountDoc.create(laptop);
    const intruder = AccountDoc.load(a.save(), bob);
    const change = intruder.setContact('mallory', { ...contact, displayName: 'Mallory' })!;
    expect(a.applyRemote([change], bob)).toMatchObject({ accepted: 0, rejected: 1 });
    const b = AccountDoc.load(a.save(), desktop);
    const mine = b.setSettings('d:bob', { pinned: true })!;
    expect(a.applyRemote([mine], bob).rejected).toBe(1);
    expect(a.applyRemote([mine], phone).accepted).toBe(1); // relayed by another own device
    expect(a.contacts().mallory).toBeUndefined();
  });

  it('makes no change when nothing changed', () => {
    const a = AccountDoc.create(laptop);
    expect(a.setSettings('d:bob', { pinned: false })).toBeNull();
  });
});
