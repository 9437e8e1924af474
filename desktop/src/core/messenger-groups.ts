// Groups in the engine: the group document (docs/group-doc.ts) travels as `group-change`
// contents over pairwise sessions; group messages go out under this device's sender key
// (pipeline/group-sender.ts) and come in through decrypt() + apply() here.
// Documented in docs/desktop-core.md, "Groups".
//
// Sender keys: before a group message leaves, every current member device that has not
// had this device's current sender key gets a `sender-key` distribution (pairwise). When a
// member leaves or is removed, or a member's device disappears from their list, this
// device's key is rotated (next epoch) and the removed devices' keys are dropped, so the
// next distribution reaches only the remaining devices. A member added later receives the
// chain at its current position and cannot derive earlier message keys.
//
// Names: each member records their own display name in the group document (only they may
// write it); getGroup and Message.senderName use it for members who are not contacts.
// Linking: a new device of ours gets the documents in the snapshot and makes its own
// sender key (adoptFromLink); no sender-key state is copied between devices.
import { ApiError, type Conversation, type GroupInfo, type Message, type MessageBody, type MessengerEvent } from '@parley/common/api/index';
import {
  CryptoError,
  acceptSenderKeyDistribution,
  createGroupReceiver,
  createSenderKey,
  decryptGroupMessage,
  removeSenderDevices,
  rotateSenderKey,
  type OpenedEnvelope,
} from '@parley/common/crypto';
import { fromBase64Url, toBase64Url } from '@parley/common/encoding';
import * as A from '@automerge/automerge';
import type { Clock } from './clock.ts';
import type { CryptoStore } from './crypto-store.ts';
import { actorOf, type Author } from './docs/actor.ts';
import { decodeChangeBatch, encodeChangeBatch } from './docs/change-batch.ts';
import { GroupDoc, GroupDocError, type GroupRole } from './docs/group-doc.ts';
import { groupConversationId, newClientMsgId, newGroupId } from './ids.ts';
import { attachmentBody, recordAttachment } from './messenger-attachments.ts';
import type { ApplyResult } from './messenger-receive.ts';
import type { CoreLog } from './net/log.ts';
import type { RelayClient } from './net/relay-client.ts';
import type { Outbox, OutboxItem, SendOutcome } from './outbox.ts';
import { CONTENT_VERSION, decodeContent, encodeContent, type Content } from './pipeline/content.ts';
import type { Received } from './pipeline/decryptor.ts';
import type { DeviceDirectory } from './pipeline/directory.ts';
import type { Encryptor } from './pipeline/encryptor.ts';
import { GroupSender, unframeGroupMessage } from './pipeline/group-sender.ts';
import type { LocalProfile } from './profile.ts';
import { groupDocId } from './store/document-store.ts';

interface Waiting {
  changes: Uint8Array[];
  sender: Author;
}

const waitingDocId = (groupId: string) => `group-waiting:${groupId}`;
const MAX_WAITING = 256;

/** What the outbox stores for a group message (the transport is GroupEngine.transmit). */
export interface GroupPayload {
  group: string;
  content: Omit<Content, 'at'> & { at?: number };
}

export interface GroupDeps {
  profile: LocalProfile;
  crypto: CryptoStore;
  clock: Clock;
  log: CoreLog;
  outbox: Outbox;
  self(): Author;
  relay(): RelayClient | null;
  directory(): DeviceDirectory;
  encryptor(): Encryptor;
  titleOf(userId: string): string;
  /** Our own display name, recorded in each group we are in. */
  selfName(): string;
  /** The name this user has in our contacts (it takes precedence over a member's own). */
  contactName(userId: string): string | undefined;
  emit(e: MessengerEvent): void;
  /** Queues a pairwise content (Messenger's ordinary transport) to these users and our own devices. */
  queuePairwise(kind: 'doc-change', users: string[], content: Content): void;
}


export class GroupEngine {
  private docs = new Map<string, GroupDoc>();
  private readonly sender: GroupSender;

  constructor(private readonly d: GroupDeps) {
    this.sender = new GroupSender(d);
  }

  // ---------------------------------------------------------------- documents

  doc(groupId: string): GroupDoc | null {
    const cached = this.docs.get(groupId);
    if (cached) return cached;
    const bytes = this.d.profile.documents.load(groupDocId(groupId));
    if (!bytes) return null;
    const doc = GroupDoc.load(bytes, this.d.self());
    // Changes that were waiting for their dependencies when we last ran wait again.
    for (const w of this.waiting(groupId)) this.applyFrom(doc, w.changes, w.sender);
    this.docs.set(groupId, doc);
    return doc;
  }

  /**
   * Received changes not applied yet — waiting for dependencies, or for a base (another
   * member's change that overtook the adder's snapshot). Saved, so an acknowledged change
   * is never lost to a restart; bounded.
   */
  private waiting(groupId: string): Waiting[] {
    const bytes = this.d.profile.documents.load(waitingDocId(groupId));
    if (!bytes) return [];
    return (JSON.parse(Buffer.from(bytes).toString('utf8')) as { c: string; s: Author }[]).map((w) => ({ changes: decodeChangeBatch(w.c), sender: w.s }));
  }

  private setWaiting(groupId: string, list: Waiting[]): void {
    if (list.length === 0) {
      this.d.profile.db.prepare(`DELETE FROM documents WHERE id = ?`).run(waitingDocId(groupId));
      return;
    }
    const json = JSON.stringify(list.slice(-MAX_WAITING).map((w) => ({ c: encodeChangeBatch(w.changes), s: w.sender })));
    this.d.profile.documents.save(waitingDocId(groupId), 'group', new Uint8Array(Buffer.from(json, 'utf8')));
  }

  private requireDoc(conversationId: string): { groupId: string; doc: GroupDoc } {
    if (!conversationId.startsWith('g:')) throw new ApiError('not_found', 'That is not a group conversation.');
    const groupId = conversationId.slice(2);
    const doc = this.doc(groupId);
    if (!doc) throw new ApiError('not_found');
    return { groupId, doc };
  }

  /**
   * Changes from a member's device carry only that device's own changes; another device of
   * our own account may also hand us others' changes (catching up a linked device, see
   * relayToOwnDevices), each checked under its own author.
   */
  private applyFrom(doc: GroupDoc, changes: Uint8Array[], sender: Author) {
    const self = this.d.self();
    const ownDevice = sender.userId === self.userId && sender.deviceId !== self.deviceId;
    return ownDevice ? doc.applyRelayedByOwnDevice(changes) : doc.applyRemote(changes, sender);
  }

  /** Saves the document and the caches derived from it (title, members, left) in one go. */
  private persist(groupId: string, doc: GroupDoc): void {
    const id = groupConversationId(groupId);
    const state = doc.state;
    this.d.profile.db.transaction(() => {
      this.d.profile.documents.save(groupDocId(groupId), 'group', doc.save());
      this.d.profile.conversations.ensureGroup(id, state.name || 'Group');
      this.d.profile.conversations.setTitle(id, state.name || 'Group');
      this.d.profile.conversations.setMembers(id, [...state.members].map(([userId, role]) => ({ userId, role })));
      const member = state.members.has(this.d.self().userId);
      this.d.profile.db.prepare(`UPDATE conversations SET left_at = ? WHERE id = ?`).run(member ? null : this.d.clock.now(), id);
    })();
    this.docs.set(groupId, doc);
  }

  /** Current members (empty for a group this device does not know). */
  memberIds(conversationId: string): string[] {
    const doc = conversationId.startsWith('g:') ? this.doc(conversationId.slice(2)) : null;
    return doc ? [...doc.state.members.keys()] : [];
  }

  info(conversationId: string): GroupInfo {
    const { doc } = this.requireDoc(conversationId);
    const self = this.d.self().userId;
    const state = doc.state;
    return {
      conversationId,
      name: state.name,
      members: [...state.members].map(([userId, role]) => ({ userId, role, displayName: userId === self ? 'You' : this.d.contactName(userId) ?? state.names.get(userId) ?? this.d.titleOf(userId) })),
      canAdmin: state.members.get(self) === 'admin',
      left: !state.members.has(self),
    };
  }

  /**
   * The name a member gave themselves in a group document (that group's, or any group
   * we share with them when `groupId` is not given). Contacts' names come first — callers
   * ask this only for users who are not contacts.
   */
  memberName(userId: string, groupId?: string): string | undefined {
    if (groupId) return this.doc(groupId)?.nameOf(userId);
    const groups = this.d.profile.db.prepare(`SELECT conversation_id FROM conversation_members WHERE user_id = ?`).pluck().all(userId) as string[];
    for (const conv of groups) {
      const name = this.doc(conv.slice(2))?.nameOf(userId);
      if (name) return name;
    }
    return undefined;
  }

  /**
   * Writes our display name into the group document when it is missing or differs, and
   * sends that change to the members. Called when we create or join a group and after
   * applying others' changes (a concurrent first write of the map can lose ours).
   */
  private recordOwnName(groupId: string, doc: GroupDoc): void {
    if (!doc.state.members.has(this.d.self().userId)) return;
    const change = doc.setOwnName(this.d.selfName());
    if (!change) return;
    this.persist(groupId, doc);
    this.sendChange(groupId, doc, [change], []);
  }

  // ---------------------------------------------------------------- device linking

  /** Every group this device holds, saved, for a device being linked (link-snapshot.ts). */
  savedGroups(): { groupId: string; doc: Uint8Array }[] {
    const ids = this.d.profile.db.prepare(`SELECT id FROM conversations WHERE id LIKE 'g:%'`).pluck().all() as string[];
    return ids.flatMap((id) => {
      const doc = this.doc(id.slice(2));
      return doc ? [{ groupId: id.slice(2), doc: doc.save() }] : [];
    });
  }

  /**
   * On a newly linked device: a group handed over in the linking snapshot becomes ours,
   * trusted as our own account's state. This device gets its OWN sender key (another
   * device's private chain never leaves it); it goes to every member device with our first
   * message here, and the members' keys reach us as they next send — they see our list
   * gained a device (a stale_devices refusal) and distribute to it, as for any new device.
   */
  adoptFromLink(groupId: string, saved: Uint8Array): void {
    const doc = GroupDoc.load(saved, this.d.self());
    this.persist(groupId, doc);
    if (doc.state.members.has(this.d.self().userId) && !this.d.crypto.ownSenderKey(groupId)) this.d.crypto.setOwnSenderKey(createSenderKey(groupId));
  }

  /**
   * Our newly linked device was heard from (messenger-link.ts, top-up): changes made to our
   * groups between its snapshot and its keys reaching the relay never reached it, and every
   * later change would wait for them. Hand it each group's whole change history (to our
   * own devices only); it applies what it lacks.
   */
  relayToOwnDevices(): void {
    for (const { groupId } of this.savedGroups()) {
      const doc = this.doc(groupId)!;
      this.d.queuePairwise('doc-change', [], { v: CONTENT_VERSION, id: newClientMsgId(), at: this.d.clock.now(), conv: { t: 'g', id: groupId }, kind: 'group-change', changes: encodeChangeBatch(doc.changesSince()) });
    }
  }

  // ---------------------------------------------------------------- API operations

  create(name: string, members: string[]): string {
    const self = this.d.self();
    const groupId = newGroupId();
    const { group, change } = GroupDoc.create(name, self, [...new Set(members)], this.d.clock.now(), this.d.selfName());
    this.persist(groupId, group);
    this.d.crypto.setOwnSenderKey(createSenderKey(groupId));
    this.sendChange(groupId, group, [change], []);
    return groupConversationId(groupId);
  }

  rename(conversationId: string, name: string): GroupInfo {
    return this.local(conversationId, (doc) => doc.rename(name));
  }

  addMembers(conversationId: string, users: string[]): GroupInfo {
    const { doc } = this.requireDoc(conversationId);
    const before = new Set(doc.state.members.keys());
    const fresh = users.filter((u) => !before.has(u));
    return this.local(conversationId, (d) => d.addMembers(users, this.d.clock.now()), fresh);
  }

  removeMember(conversationId: string, user: string): GroupInfo {
    const { doc } = this.requireDoc(conversationId);
    if (!doc.state.members.has(user)) throw new ApiError('not_found', 'That user is not a member of this group.');
    return this.local(conversationId, (d) => d.removeMember(user, this.d.clock.now()));
  }

  setRole(conversationId: string, user: string, role: GroupRole): GroupInfo {
    const { doc } = this.requireDoc(conversationId);
    if (!doc.state.members.has(user)) throw new ApiError('not_found', 'That user is not a member of this group.');
    return this.local(conversationId, (d) => d.setRole(user, role, this.d.clock.now()));
  }

  leave(conversationId: string): void {
    this.local(conversationId, (d) => d.leave(this.d.clock.now()));
  }

  /** A local change: apply, save, send to everyone who was or is a member; rotate on removal. */
  private local(conversationId: string, make: (doc: GroupDoc) => Uint8Array, added: string[] = []): GroupInfo {
    const { groupId, doc } = this.requireDoc(conversationId);
    const before = new Set(doc.state.members.keys());
    let change: Uint8Array;
    try {
      change = make(doc);
    } catch (err) {
      if (err instanceof GroupDocError) throw new ApiError(err.code, err.message);
      throw err;
    }
    this.d.profile.db.transaction(() => {
      this.persist(groupId, doc);
      this.afterMembershipChange(groupId, before, new Set(doc.state.members.keys()));
      this.sendChange(groupId, doc, [change], [...before], added);
    })();
    this.emitConversation(groupId);
    return this.info(conversationId);
  }

  /**
   * Sends our own changes to every member device (and former members named in `alsoTo`, so a
   * removed member learns it). Members just added also get a snapshot as their base.
   */
  private sendChange(groupId: string, doc: GroupDoc, changes: Uint8Array[], alsoTo: string[], added: string[] = []): void {
    const self = this.d.self().userId;
    const users = [...new Set([...doc.state.members.keys(), ...alsoTo])].filter((u) => u !== self);
    const base = { v: CONTENT_VERSION, at: this.d.clock.now(), conv: { t: 'g', id: groupId }, kind: 'group-change', changes: encodeChangeBatch(changes) } as const;
    const newcomers = added.filter((u) => u !== self);
    const others = users.filter((u) => !newcomers.includes(u));
    this.d.queuePairwise('doc-change', others, { ...base, id: newClientMsgId() });
    if (newcomers.length) this.d.queuePairwise('doc-change', newcomers, { ...base, id: newClientMsgId(), snapshot: toBase64Url(doc.save()) });
  }

  /**
   * Sends a change made WITHOUT the local admin check, as a modified client could: test-only,
   * to show that every other client rejects it.
   */
  sendUncheckedChangeForTest(conversationId: string, make: (doc: GroupDoc) => Uint8Array): void {
    const { groupId, doc } = this.requireDoc(conversationId);
    const change = make(doc);
    this.sendChange(groupId, doc, [change], []);
  }

  /** Membership went from `before` to `after`: removed users' sender keys go, ours rotates. */
  private afterMembershipChange(groupId: string, before: Set<string>, after: Set<string>): void {
    const removed = [...before].filter((u) => !after.has(u));
    if (removed.length === 0) return;
    this.rotate(groupId);
    const recv = this.d.crypto.groupReceiver(groupId);
    if (recv) {
      const gone = Object.values(recv.keys)
        .filter((k) => removed.includes(k.senderUserId))
        .map((k) => k.senderDeviceId);
      this.d.crypto.setGroupReceiver(removeSenderDevices(recv, gone));
    }
  }

  private rotate(groupId: string): void {
    const own = this.d.crypto.ownSenderKey(groupId);
    this.d.crypto.setOwnSenderKey(own ? rotateSenderKey(own) : createSenderKey(groupId));
    this.sender.forget(groupId);
  }

  /** A user's device list lost devices: rotate in every group they are in, drop those devices' keys. */
  devicesRemoved(userId: string, deviceIds: string[]): void {
    if (deviceIds.length === 0) return;
    const groups = this.d.profile.db
      .prepare(`SELECT conversation_id FROM conversation_members WHERE user_id = ?`)
      .pluck()
      .all(userId) as string[];
    for (const conv of groups) {
      const groupId = conv.slice(2);
      this.rotate(groupId);
      const recv = this.d.crypto.groupReceiver(groupId);
      if (recv) this.d.crypto.setGroupReceiver(removeSenderDevices(recv, deviceIds));
    }
  }

  private emitConversation(groupId: string): void {
    const c = this.d.profile.conversations.list({ includeArchived: true }).find((x) => x.id === groupConversationId(groupId));
    if (c) this.d.emit({ type: 'conversation.updated', conversation: c as Conversation });
  }

  // ---------------------------------------------------------------- receive

  /** Opens a group envelope's sender-key message; the sealed credential must be the key's device. */
  decrypt(env: OpenedEnvelope): Received {
    const { groupId, message } = unframeGroupMessage(env.content);
    const state = this.d.crypto.groupReceiver(groupId);
    if (!state) throw new CryptoError('unknown_sender_key', 'no sender keys for this group');
    const out = decryptGroupMessage(state, message);
    if (out.sender.deviceId !== env.sender.deviceId || out.sender.userId !== env.sender.userId) throw new CryptoError('sender_mismatch');
    this.d.crypto.setGroupReceiver(out.state);
    const content = decodeContent(out.plaintext);
    if (content.conv.t !== 'g' || content.conv.id !== groupId) throw new CryptoError('malformed', 'group message names another conversation');
    return { senderUserId: env.sender.userId, senderDeviceId: env.sender.deviceId, content };
  }

  /** Applies a group content (inside the receive transaction; no I/O). */
  apply(r: Received): ApplyResult {
    const out: ApplyResult = { events: [], delivered: [], typingStopped: null };
    const c = r.content;
    if (c.conv.t !== 'g') return out;
    const groupId = c.conv.id;
    const self = this.d.self();
    switch (c.kind) {
      case 'sender-key': {
        const state = this.d.crypto.groupReceiver(groupId) ?? createGroupReceiver(groupId);
        try {
          this.d.crypto.setGroupReceiver(acceptSenderKeyDistribution(state, fromBase64Url(c.distribution), { userId: r.senderUserId, deviceId: r.senderDeviceId }));
        } catch (err) {
          this.d.log.warn('group.sender_key_refused', { group: groupId, code: (err as CryptoError).code });
        }
        return out;
      }
      case 'group-change':
        return this.applyChange(groupId, c.changes, c.snapshot, r, out);
      case 'text':
      case 'attachment': {
        const doc = this.doc(groupId);
        // Only current members may post; a removed member's late message is dropped.
        if (!doc || !doc.state.members.has(r.senderUserId)) {
          this.d.log.warn('group.message_from_non_member', { group: groupId });
          return out;
        }
        const fromSelf = r.senderUserId === self.userId;
        const conversationId = groupConversationId(groupId);
        const body = c.kind === 'text' ? ({ kind: 'text', text: c.text } as const) : attachmentBody(c);
        const { inserted, message } = this.d.profile.messages.insertIncoming({
          conversationId,
          senderUserId: r.senderUserId,
          senderDeviceId: r.senderDeviceId,
          clientMsgId: c.id,
          senderClock: c.at,
          body,
          replyTo: c.replyTo ?? null,
          outgoing: fromSelf,
          status: fromSelf ? 'sent' : 'delivered',
          recipients: fromSelf ? [...doc.state.members.keys()].filter((u) => u !== self.userId) : undefined,
        });
        if (!inserted) return out;
        if (c.kind === 'attachment') recordAttachment(this.d.profile, message.id, c);
        out.events.push({ type: 'message.added', message });
        if (!fromSelf) {
          out.delivered.push({ senderUserId: r.senderUserId, conversationId, conv: c.conv, messageId: message.id });
          out.typingStopped = { conversationId, userId: r.senderUserId };
        }
        return out;
      }
      case 'receipt':
        return this.applyReceipt(groupId, c, r, out);
      case 'reaction': {
        try {
          out.events.push({ type: 'message.updated', message: this.d.profile.messages.react(c.target, r.senderUserId, c.emoji, c.at) });
        } catch {
          // a reaction to a message this device never got
        }
        return out;
      }
      default:
        return out;
    }
  }

  /** Receipts for our group messages (status = least advanced member), or read sync from our own devices. */
  private applyReceipt(groupId: string, c: Extract<Content, { kind: 'receipt' }>, r: Received, out: ApplyResult): ApplyResult {
    const self = this.d.self().userId;
    const conversationId = groupConversationId(groupId);
    if (r.senderUserId === self) {
      if (c.state !== 'read') return out;
      let clock = 0;
      for (const id of c.ids) {
        try {
          clock = Math.max(clock, this.d.profile.messages.get(id).sentAt);
        } catch {
          // not on this device
        }
      }
      if (clock > 0 && this.doc(groupId)) this.d.profile.conversations.raiseReadClock(conversationId, clock);
      return out;
    }
    for (const id of c.ids) {
      if (!id.startsWith(`${self}:`)) continue;
      try {
        const before = this.d.profile.messages.get(id);
        if (before.conversationId !== conversationId) continue;
        const message = this.d.profile.messages.recordReceipt(id, r.senderUserId, c.state, c.at);
        if (message.status !== before.status) out.events.push({ type: 'message.status', messageId: message.id, conversationId, status: message.status });
      } catch {
        // a receipt for a message this device does not hold
      }
    }
    return out;
  }

  private applyChange(groupId: string, changes: string, snapshot: string | undefined, r: Received, out: ApplyResult): ApplyResult {
    const self = this.d.self();
    const sender: Author = { userId: r.senderUserId, deviceId: r.senderDeviceId };
    let doc = this.doc(groupId);
    // Added back after leaving or being removed: our copy stopped where we left, so the
    // adder's snapshot becomes the base again (the changes since may never reach us otherwise).
    const rejoined = !!doc && !!snapshot && !doc.state.members.has(self.userId);
    const fresh = !doc || rejoined;
    const batch = decodeChangeBatch(changes);
    const waiting = this.waiting(groupId);
    if (!doc || rejoined) {
      if (snapshot) {
        // The base a new member starts from: trusted only as far as its sender is an admin in it.
        const loaded = GroupDoc.load(fromBase64Url(snapshot), self);
        if (loaded.state.members.get(r.senderUserId) !== 'admin') {
          this.d.log.warn('group.snapshot_refused', { group: groupId });
          return out;
        }
        doc = loaded;
      } else doc = GroupDoc.empty(self);
    }
    const before = new Set(fresh ? [] : doc.state.members.keys());
    const res = this.applyFrom(doc, batch, sender);
    // A new base: what waited for one applies now (an existing document holds them already).
    for (const w of fresh ? waiting : []) {
      const more = this.applyFrom(doc, w.changes, w.sender);
      res.accepted.push(...more.accepted);
      res.rejected.push(...more.rejected);
      res.pending = more.pending;
    }
    for (const rej of res.rejected) this.d.log.warn('group.change_rejected', { group: groupId, reason: rej.reason });
    const after = doc.state;
    if (fresh && (!after.members.has(self.userId) || (res.accepted.length === 0 && !snapshot))) {
      // Nothing that makes us a member yet: remember the changes, apply them once a base arrives.
      this.setWaiting(groupId, [...waiting, { changes: batch, sender }]);
      return out;
    }
    this.persist(groupId, doc);
    this.setWaiting(groupId, res.pending > 0 ? [...waiting, { changes: batch, sender }] : []);
    if (!fresh) {
      const afterSet = new Set(after.members.keys());
      this.afterMembershipChange(groupId, before, afterSet);
      // Members just added by someone else lack the changes we made concurrently: send them ours.
      const newcomers = [...afterSet].filter((u) => !before.has(u) && u !== self.userId);
      const mine = doc.changesSince().filter((ch) => A.decodeChange(ch).actor === actorOf(self));
      if (newcomers.length && mine.length) {
        this.d.queuePairwise('doc-change', newcomers, { v: CONTENT_VERSION, id: newClientMsgId(), at: this.d.clock.now(), conv: { t: 'g', id: groupId }, kind: 'group-change', changes: encodeChangeBatch(mine) });
      }
    }
    if (!this.d.crypto.ownSenderKey(groupId)) this.d.crypto.setOwnSenderKey(createSenderKey(groupId));
    if (fresh || res.accepted.length) this.recordOwnName(groupId, doc);
    const c = this.d.profile.conversations.list({ includeArchived: true }).find((x) => x.id === groupConversationId(groupId));
    if (c) out.events.push({ type: 'conversation.updated', conversation: c });
    return out;
  }

  // ---------------------------------------------------------------- send

  /** Queues a group message content (text, attachment) as a pending message; returns it. */
  queueMessage(conversationId: string, content: GroupPayload['content'], body: MessageBody, replyTo: string | null): Message {
    const { groupId, doc } = this.requireDoc(conversationId);
    const self = this.d.self();
    if (!doc.state.members.has(self.userId)) throw new ApiError('not_member');
    const recipients = [...doc.state.members.keys()].filter((u) => u !== self.userId);
    return this.d.outbox.queueMessage(
      { conversationId, senderUserId: self.userId, senderDeviceId: self.deviceId, clientMsgId: content.id, body, replyTo, recipients },
      { group: groupId, content } satisfies GroupPayload,
    );
  }

  /** The outbox transport for group payloads. */
  async transmit(item: OutboxItem): Promise<SendOutcome> {
    await Promise.resolve();
    const relay = this.d.relay();
    if (!relay?.online) return 'retry';
    const payload = item.payload as GroupPayload;
    const groupId = payload.group;
    const doc = this.doc(groupId);
    const self = this.d.self();
    if (!doc || !doc.state.members.has(self.userId)) return 'fatal';
    let content = payload.content as Content;
    if (item.messageId) content = { ...content, at: this.d.profile.messages.get(item.messageId).sentAt } as Content;
    const users = [...doc.state.members.keys()];
    return this.sender.send(relay, item.clientMsgId, groupId, encodeContent(content), users);
  }
}
