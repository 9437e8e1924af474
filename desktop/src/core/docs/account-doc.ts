// The account document: state the user's own devices share and edit concurrently —
// contacts, per-conversation settings (pinned, muted, archived) and drafts. Changes
// travel between the user's devices as ordinary E2E messages (encodeChangeBatch); only
// changes authored by, and delivered from, the user's own devices are accepted.
//
// Every replica starts from the same deterministic base change (fixed actor, time 0), so
// the top-level maps exist with the same identity on all devices: two devices creating
// `pinned` independently would otherwise conflict, and one device's map would be lost.
// Flags are flat maps of scalars (pinned[conversation] = true), so concurrent changes to
// different flags or conversations never conflict; a draft is Automerge text edited by
// minimal splices (updateText), so edits made on two devices merge character by character.
import * as A from '@automerge/automerge';
import { actorOf, authorOfActor, type Author } from './actor.ts';

export interface ContactEntry {
  displayName: string;
  relayUrl: string;
  accountKey: string;
  verified: boolean;
  addedAt: number;
}

export interface DraftEntry {
  text: string;
  replyTo: string | null;
  updatedAt: number;
}

interface AccountShape {
  contacts: Record<string, ContactEntry>;
  pinned: Record<string, boolean>;
  muted: Record<string, boolean>;
  archived: Record<string, boolean>;
  drafts: Record<string, DraftEntry>;
  /** Names of the account's devices, by device id (set by the device that linked it). */
  devices: Record<string, DeviceEntry>;
}

export interface DeviceEntry {
  name: string;
  linkedAt: number;
}

export interface ConversationSettings {
  pinned: boolean;
  muted: boolean;
  archived: boolean;
}

const BASE_ACTOR = '00';
let baseChange: Uint8Array | undefined;

/** The shared first change every account document starts from (byte-identical everywhere). */
function base(): Uint8Array {
  baseChange ??= A.getLastLocalChange(
    A.change(A.init<AccountShape>({ actor: BASE_ACTOR }), { time: 0 }, (d) => {
      d.contacts = {};
      d.pinned = {};
      d.muted = {};
      d.archived = {};
      d.drafts = {};
      d.devices = {};
    }),
  )!;
  return baseChange;
}

export interface AccountApplyResult {
  accepted: number;
  rejected: number;
  changedDrafts: string[];
  /** Conversations whose pinned / muted / archived flags changed. */
  changedConversations: string[];
  /** Contacts added, edited or removed. */
  changedContacts: string[];
}

export class AccountDoc {
  private constructor(
    private doc: A.Doc<AccountShape>,
    readonly self: Author,
  ) {}

  static create(self: Author): AccountDoc {
    const [doc] = A.applyChanges(A.init<AccountShape>({ actor: actorOf(self) }), [base()]);
    return new AccountDoc(doc, self);
  }

  static load(bytes: Uint8Array, self: Author): AccountDoc {
    return new AccountDoc(A.load<AccountShape>(bytes, { actor: actorOf(self) }), self);
  }

  contacts(): Record<string, ContactEntry> {
    return A.toJS(this.doc).contacts;
  }

  setContact(userId: string, contact: ContactEntry): Uint8Array | null {
    return this.local((d) => {
      d.contacts[userId] = { ...contact };
    });
  }

  updateContact(userId: string, patch: Partial<ContactEntry>): Uint8Array | null {
    if (!this.doc.contacts[userId]) return null;
    return this.local((d) => {
      Object.assign(d.contacts[userId], patch);
    });
  }

  removeContact(userId: string): Uint8Array | null {
    return this.local((d) => {
      delete d.contacts[userId];
    });
  }

  settings(conversationId: string): ConversationSettings {
    return {
      pinned: this.doc.pinned[conversationId] === true,
      muted: this.doc.muted[conversationId] === true,
      archived: this.doc.archived[conversationId] === true,
    };
  }

  setSettings(conversationId: string, flags: Partial<ConversationSettings>): Uint8Array | null {
    return this.local((d) => {
      for (const key of ['pinned', 'muted', 'archived'] as const) {
        const v = flags[key];
        if (v === undefined || (d[key][conversationId] === true) === v) continue;
        if (v) d[key][conversationId] = true;
        else delete d[key][conversationId];
      }
    });
  }

  draft(conversationId: string): DraftEntry | null {
    const d = this.doc.drafts[conversationId];
    return d && d.text !== '' ? { text: d.text, replyTo: d.replyTo ?? null, updatedAt: d.updatedAt } : null;
  }

  allDrafts(): Record<string, DraftEntry> {
    return A.toJS(this.doc).drafts;
  }

  /** Saves a draft as a minimal text edit; clearing keeps the object so concurrent edits are not lost to a delete. */
  setDraft(conversationId: string, text: string, replyTo: string | null, at: number): Uint8Array | null {
    return this.local((d) => {
      const existing = d.drafts[conversationId];
      if (!existing) {
        d.drafts[conversationId] = { text, replyTo, updatedAt: at };
        return;
      }
      if (existing.text !== text) A.updateText(d, ['drafts', conversationId, 'text'], text);
      if ((existing.replyTo ?? null) !== replyTo) existing.replyTo = replyTo;
      existing.updatedAt = at;
    });
  }

  /**
   * Applies changes from another of our devices. The sender (the authenticated device
   * of the carrying E2E message) must be ours, and so must each change's author.
   */
  applyRemote(changes: readonly Uint8Array[], sender: Author): AccountApplyResult {
    const result: AccountApplyResult = { accepted: 0, rejected: 0, changedDrafts: [], changedConversations: [], changedContacts: [] };
    const ok: Uint8Array[] = [];
    for (const change of changes) {
      // Any of our devices may relay another one's changes (a device catching up a newly
      // linked one), but only changes authored by one of our own devices are accepted.
      if (sender.userId === this.self.userId && authorOf(change)?.userId === this.self.userId) ok.push(change);
      else result.rejected++;
    }
    if (ok.length === 0) return result;
    const before = A.getHeads(this.doc);
    this.doc = A.applyChanges(this.doc, ok)[0];
    result.accepted = ok.length;
    const drafts = new Set<string>();
    const conversations = new Set<string>();
    const contacts = new Set<string>();
    for (const patch of A.diff(this.doc, before, A.getHeads(this.doc))) {
      const [top, key] = patch.path;
      if (typeof key !== 'string') continue;
      if (top === 'drafts') drafts.add(key);
      else if (top === 'pinned' || top === 'muted' || top === 'archived') conversations.add(key);
      else if (top === 'contacts') contacts.add(key);
    }
    result.changedDrafts = [...drafts];
    result.changedConversations = [...conversations];
    result.changedContacts = [...contacts];
    return result;
  }

  devices(): Record<string, DeviceEntry> {
    return A.toJS(this.doc).devices ?? {};
  }

  setDevice(deviceId: string, entry: DeviceEntry): Uint8Array | null {
    return this.local((d) => {
      d.devices[deviceId] = { ...entry };
    });
  }

  removeDevice(deviceId: string): Uint8Array | null {
    if (!this.doc.devices?.[deviceId]) return null;
    return this.local((d) => {
      delete d.devices[deviceId];
    });
  }

  /** Every conversation with a flag set (for a device importing the whole document). */
  flaggedConversations(): string[] {
    return [...new Set([...Object.keys(this.doc.pinned), ...Object.keys(this.doc.muted), ...Object.keys(this.doc.archived)])];
  }

  /** Whether every one of these change hashes is in this replica (applied, not waiting for dependencies). */
  knows(hashes: readonly string[]): boolean {
    return A.hasHeads(this.doc, [...hashes]);
  }

  save(): Uint8Array {
    return A.save(this.doc);
  }

  heads(): string[] {
    return A.getHeads(this.doc);
  }

  /** Changes since the given heads, e.g. for a device that was offline; all of them for a new device. */
  changesSince(heads: string[] = []): Uint8Array[] {
    const baseHash = A.decodeChange(base()).hash;
    const changes = heads.length ? A.getChangesSince(this.doc, heads) : A.getAllChanges(this.doc);
    // Every replica already holds the shared base change; it has no device author to check.
    return changes.filter((c) => A.decodeChange(c).hash !== baseHash);
  }

  private local(fn: (d: AccountShape) => void): Uint8Array | null {
    const before = A.getHeads(this.doc);
    this.doc = A.change(this.doc, fn);
    // A callback that changed nothing makes no change; don't send the previous one again.
    return before.join() === A.getHeads(this.doc).join() ? null : A.getLastLocalChange(this.doc)!;
  }
}

function authorOf(change: Uint8Array): Author | null {
  try {
    return authorOfActor(A.decodeChange(change).actor);
  } catch {
    return null;
  }
}
