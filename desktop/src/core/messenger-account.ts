// Account document sync: drafts, conversation flags (pinned / muted / archived) and
// contacts shared by the user's own devices through the Automerge account document
// (docs/account-doc.ts). Local edits write the document and the tables the engine reads in
// ONE transaction (a draft survives a restart at once); the changes go out debounced
// (DEBOUNCE_MS) as `account-change` contents to our own other devices only, through the
// outbox, so they survive restarts and offline periods too.
//
// Every account-change carries the sender's heads after its changes. A receiver that holds
// changes those heads do not cover sends them back; one that lacks some of the sender's
// changes answers with what it has beyond what it knows of the sender (at worst the whole
// document), so two devices converge after any loss (a crash before the debounce fired, an
// expired mailbox entry, a device linked while changes were in flight). A device sends its
// heads alone ("hello") once per start when it has other devices. Each exchange ends once
// neither side holds anything the other lacks.
import type { Contact, Conversation, Draft, MessengerEvent } from '@parley/common/api/index';
import type { ContactEntry } from './docs/account-doc.ts';
import { AccountDoc, type ConversationSettings } from './docs/account-doc.ts';
import type { Author } from './docs/actor.ts';
import { decodeChangeBatch, encodeChangeBatch } from './docs/change-batch.ts';
import type { ApplyResult } from './messenger-receive.ts';
import type { LocalProfile } from './profile.ts';
import type { HistoryItem } from './pipeline/content.ts';
import type { Received } from './pipeline/decryptor.ts';
import { ACCOUNT_DOC_ID } from './store/document-store.ts';

export const ACCOUNT_SYNC_DEBOUNCE_MS = 500;

export interface AccountSyncHost {
  profile: LocalProfile;
  self(): Author | null;
  now(): number;
  /** Queues an account-change content for our own other devices (outbox). */
  queue(body: { changes: string; heads: string[]; history?: HistoryItem[] }): void;
  /** Whether our own device list names other devices than this one. */
  hasOtherDevices(): boolean;
  /** Writes a contact learnt from another of our devices into the contacts table (and pins its key). */
  applyContact(userId: string, entry: ContactEntry | null): void;
  /** The conversation as the UI sees it, or null if not listed here. */
  conversationView(id: string): Conversation | null;
  /** A group's current members (empty when this device does not hold the group). */
  groupMembers?(conversationId: string): string[];
  emit(e: MessengerEvent): void;
}

export class AccountSync {
  private doc: AccountDoc | null = null;
  /** The bytes last saved (or loaded): when the row differs, a transaction rolled back and the cache is stale. */
  private saved: Uint8Array | null = null;
  private flushedHeads: string[] | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private greeted = false;
  /** Called (inside the receive transaction) whenever another of our devices is heard from; set by the linker. */
  onOwnDeviceHeard: ((deviceId: string) => void) | null = null;

  constructor(
    private readonly host: AccountSyncHost,
    private readonly debounceMs = ACCOUNT_SYNC_DEBOUNCE_MS,
  ) {}

  /** The document, loaded (or created) on first use and reloaded if the stored copy changed under us. */
  current(): AccountDoc {
    const self = this.host.self();
    if (!self) throw new Error('no account on this profile');
    const stored = this.host.profile.documents.load(ACCOUNT_DOC_ID);
    if (this.doc && sameBytes(stored, this.saved)) return this.doc;
    this.doc = stored ? AccountDoc.load(stored, self) : AccountDoc.create(self);
    this.saved = stored;
    // Changes made before a crash (never flushed) reach the other devices through the hello.
    this.flushedHeads ??= this.doc.heads();
    return this.doc;
  }

  private save(doc: AccountDoc): void {
    const bytes = doc.save();
    this.host.profile.documents.save(ACCOUNT_DOC_ID, 'account', bytes);
    this.saved = bytes;
  }

  /** Runs a local edit: document + tables in one transaction, then schedules the sync. */
  private edit<T>(fn: (doc: AccountDoc) => T): T {
    const db = this.host.profile.db;
    let out!: T;
    try {
      db.transaction(() => {
        const doc = this.current();
        out = fn(doc);
        this.save(doc);
      })();
    } catch (err) {
      this.doc = null; // the in-memory document may be ahead of the rolled-back row
      throw err;
    }
    this.schedule();
    return out;
  }

  setDraft(conversationId: string, text: string, replyTo: string | null): Draft {
    const at = this.host.now();
    return this.edit((doc) => {
      doc.setDraft(conversationId, text, replyTo, at);
      return this.host.profile.drafts.set(conversationId, text, replyTo, at);
    });
  }

  setFlags(conversationId: string, flags: Partial<ConversationSettings>): void {
    this.edit((doc) => {
      doc.setSettings(conversationId, flags);
      this.host.profile.conversations.setFlags(conversationId, flags);
    });
  }

  /** Names a device of the account (the device that links it knows its name). */
  recordDevice(deviceId: string, name: string | null, linkedAt: number): void {
    this.edit((doc) => (name === null ? doc.removeDevice(deviceId) : doc.setDevice(deviceId, { name, linkedAt })));
  }

  /** Records a contact added or changed on this device (the table is written by the caller). */
  recordContact(c: Contact, accountKey: string): void {
    this.edit((doc) => doc.setContact(c.userId, { displayName: c.displayName, relayUrl: c.relayUrl, accountKey, verified: c.verified, addedAt: c.addedAt }));
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.flush();
      } catch {
        // closed meanwhile; the hello on the next start repairs it
      }
    }, this.debounceMs);
    this.timer.unref?.();
  }

  /** Queues every change not yet queued (called by the debounce timer and on close). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.host.self()) return;
    const doc = this.current();
    const heads = doc.heads();
    if (this.flushedHeads && this.flushedHeads.join() === heads.join()) return;
    const changes = doc.changesSince(this.flushedHeads ?? []);
    this.flushedHeads = heads;
    if (changes.length) this.host.queue({ changes: encodeChangeBatch(changes), heads });
  }

  /** Hands direct messages to our other devices (device linking's top-up). */
  queueHistory(history: HistoryItem[]): void {
    this.host.queue({ changes: '', heads: this.current().heads(), history });
  }

  /** At the first `ready` of a run: tell our other devices our heads, so either side fills the other's gaps. */
  connected(): void {
    if (this.greeted || !this.host.self() || !this.host.hasOtherDevices()) return;
    this.greeted = true;
    this.host.queue({ changes: '', heads: this.current().heads() });
  }

  close(): void {
    try {
      this.flush();
    } catch {
      // no account, or the profile is gone
    }
  }

  /**
   * An account-change from a device (inside the receive transaction). Only our own
   * devices' changes are accepted (AccountDoc.applyRemote); the tables the engine reads
   * follow the document, and the UI events are returned for after the commit.
   */
  applyRemote(r: Received): ApplyResult {
    const out: ApplyResult = { events: [], delivered: [], typingStopped: null };
    const c = r.content;
    const self = this.host.self();
    if (c.kind !== 'account-change' || !self || r.senderUserId !== self.userId) return out;
    let changes: Uint8Array[];
    try {
      changes = decodeChangeBatch(c.changes);
    } catch {
      return out;
    }
    if (c.history?.length) this.importHistory(r, c.history, out.events);
    if (r.senderDeviceId !== self.deviceId) this.onOwnDeviceHeard?.(r.senderDeviceId);
    try {
      const doc = this.current();
      const result = changes.length ? doc.applyRemote(changes, { userId: r.senderUserId, deviceId: r.senderDeviceId }) : null;
      if (result && result.accepted > 0) {
        this.save(doc);
        this.mirror(doc, result.changedDrafts, result.changedConversations, result.changedContacts, out.events);
      }
      this.answer(doc, c.heads ?? []);
    } catch (err) {
      this.doc = null;
      throw err;
    }
    return out;
  }

  /** Text messages another of our devices hands us (stored once: dedup by sender and id). */
  private importHistory(r: Received, items: HistoryItem[], events: MessengerEvent[]): void {
    const p = this.host.profile;
    const touched = new Set<string>();
    for (const m of items) {
      const outgoing = m.sender === r.senderUserId;
      let conversationId: string;
      let recipients: string[];
      if (m.group !== undefined) {
        conversationId = `g:${m.group}`;
        // Only into a group this device holds (from the linking snapshot).
        const members = this.host.groupMembers?.(conversationId) ?? [];
        if (members.length === 0) continue;
        recipients = members.filter((u) => u !== r.senderUserId);
      } else {
        const peer = m.peer!;
        conversationId = `d:${peer}`;
        recipients = [peer];
        if (!outgoing && m.sender !== peer) continue; // a direct message is from one of its two ends
        p.conversations.ensureDirect(peer, `${peer.slice(0, 8)}…`);
      }
      const { inserted, message } = p.messages.insertIncoming({
        conversationId,
        senderUserId: m.sender,
        senderDeviceId: m.device,
        clientMsgId: m.id,
        senderClock: m.at,
        body: { kind: 'text', text: m.text },
        replyTo: m.replyTo,
        outgoing,
        status: outgoing ? m.status : 'delivered',
        recipients: outgoing ? recipients : undefined,
      });
      if (!inserted) continue;
      events.push({ type: 'message.added', message });
      touched.add(conversationId);
    }
    for (const id of touched) {
      const view = this.host.conversationView(id);
      if (view) events.push({ type: 'conversation.updated', conversation: view });
    }
  }

  /** Replies with what the sender lacks, judged by its heads. */
  private answer(doc: AccountDoc, senderHeads: string[]): void {
    const mine = doc.heads();
    if (senderHeads.length && senderHeads.join() === mine.join()) return;
    const known = senderHeads.filter((h) => doc.knows([h]));
    const missing = doc.changesSince(known);
    if (missing.length === 0 && known.length === senderHeads.length) return;
    this.host.queue({ changes: encodeChangeBatch(missing), heads: mine });
  }

  /** Writes the document's state for these keys into the tables and collects the UI events. */
  private mirror(doc: AccountDoc, drafts: string[], conversations: string[], contacts: string[], events: MessengerEvent[]): void {
    const p = this.host.profile;
    for (const userId of contacts) this.host.applyContact(userId, doc.contacts()[userId] ?? null);
    for (const id of drafts) {
      const d = doc.draft(id);
      const draft = p.drafts.set(id, d?.text ?? '', d?.replyTo ?? null, d?.updatedAt ?? this.host.now());
      events.push({ type: 'draft.changed', draft });
    }
    for (const id of new Set([...conversations, ...drafts, ...contacts.map((u) => `d:${u}`)])) {
      if (conversations.includes(id)) {
        if (id.startsWith('d:')) p.conversations.ensureDirect(id.slice(2), p.conversations.list({ includeArchived: true }).find((x) => x.id === id)?.title ?? `${id.slice(2, 10)}…`);
        try {
          p.conversations.setFlags(id, doc.settings(id));
        } catch {
          continue; // a group this device does not hold yet
        }
      }
      const view = this.host.conversationView(id);
      if (view) events.push({ type: 'conversation.updated', conversation: view });
    }
  }

  /** A device that imported a whole document (linking): mirror everything in it. */
  importAll(bytes: Uint8Array): void {
    const self = this.host.self();
    if (!self) throw new Error('no account on this profile');
    const doc = AccountDoc.load(bytes, self);
    this.save(doc);
    this.doc = doc;
    this.flushedHeads = doc.heads();
    this.mirror(doc, Object.keys(doc.allDrafts()), doc.flaggedConversations(), Object.keys(doc.contacts()), []);
  }
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}
