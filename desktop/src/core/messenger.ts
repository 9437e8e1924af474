// The client engine: MessengerApi over the local profile, the relay connection and the
// end-to-end pipeline.
//
//   UI ── Messenger ── outbox (transport = encrypt + send) ──► RelayClient ──► relay
//                   ◄─ deliver: open envelope, verify sender's device list, decrypt,
//                      store + advance cursor in ONE transaction ─► ack
//
// Statuses: pending (outbox) → sent (relay `sent`) → delivered / read (encrypted,
// batched receipts from the recipient). Typing goes as sealed ephemeral frames.
import {
  ApiError,
  type Account,
  type AttachmentData,
  type ConnectionStatus,
  type Contact,
  type Conversation,
  type Device,
  type Draft,
  type GroupInfo,
  type Invite,
  type LinkCode,
  type LinkRequest,
  type Message,
  type MessageId,
  type MessagePage,
  type MessengerApi,
  type MessengerEvent,
  type ParamsOf,
  type Presence,
  type SafetyNumber,
  type SearchHit,
  type Settings,
} from '@parley/common/api/index';
import {
  CryptoError,
  ENVELOPE_KIND,
  checkIdentity,
  createAccount as createAccountSecrets,
  createDevice,
  deviceKeys,
  formatSafetyNumber,
  generateOneTimePrekeys,
  openEnvelope,
  safetyNumber,
  sealEnvelope,
  signDeviceList,
  sodiumReady,
  type AccountSecrets,
  type DeviceSecrets,
} from '@parley/common/crypto';
import type { DeliveredEntry } from '@parley/common/protocol';
import { fromBase64Url, toBase64Url } from '@parley/common/encoding';
import { sodium } from '@parley/common/sodium';
import { systemClock, type Clock } from './clock.ts';
import { CryptoStore } from './crypto-store.ts';
import { directConversationId, newClientMsgId } from './ids.ts';
import { AccountSync } from './messenger-account.ts';
import { Attachments } from './messenger-attachments.ts';
import { GroupEngine, type GroupPayload } from './messenger-groups.ts';
import { ContactBook } from './messenger-contacts.ts';
import { DeviceLinker } from './messenger-link.ts';
import { formatInvite, parseInvite } from './messenger-invite.ts';
import { applyContent, conversationOf, type ApplyResult } from './messenger-receive.ts';
import { silentLog, type CoreLog } from './net/log.ts';
import { nodeSocketFactory } from './net/node-socket.ts';
import { RelayClient, RelayOfflineError } from './net/relay-client.ts';
import { RelayUrlError, relayEndpoint, type RelayEndpoint } from './net/relay-endpoint.ts';
import { RelayHttp, RelayHttpError } from './net/relay-http.ts';
import type { SocketFactory } from './net/socket.ts';
import type { BackoffPolicy } from './net/backoff.ts';
import { Outbox, type OutboxItem, type OutboxPolicy, type SendOutcome } from './outbox.ts';
import { CONTENT_VERSION, decodeContent, encodeContent, type Content } from './pipeline/content.ts';
import { Decryptor } from './pipeline/decryptor.ts';
import { DeviceDirectory, type DeviceListChange } from './pipeline/directory.ts';
import { Encryptor } from './pipeline/encryptor.ts';
import { PREKEY_BATCH, PrekeyKeeper } from './pipeline/prekeys.ts';
import { relayVisibility, visiblePresence } from './presence.ts';
import { ContactPresence, type PresenceTimings } from './messenger-presence.ts';
import { openProfile, type LocalProfile } from './profile.ts';
import { openKeyFileBox } from './secrets/key-file-box.ts';
import type { SecretBox } from './secrets/secret-box.ts';
import { RelayCursor } from './store/relay-cursor.ts';
import { TypingSender, TypingTracker, type TypingTimings } from './typing.ts';

type P<M extends keyof MessengerApi & string> = M extends 'subscribe' ? never : ParamsOf<M & Exclude<keyof MessengerApi, 'subscribe'>>;

export interface MessengerOptions {
  profileDir: string;
  /** Default: the key-file box in the profile (CLI, web host, tests). */
  secretBox?: SecretBox;
  clock?: Clock;
  log?: CoreLog;
  socketFactory?: SocketFactory;
  relay?: { heartbeatMs?: number; backoff?: Partial<BackoffPolicy>; sendTimeoutMs?: number };
  outboxPolicy?: Partial<OutboxPolicy>;
  typingTimings?: TypingTimings;
  presenceTimings?: Partial<PresenceTimings>;
  /** Test hooks around the receive commit (crash tests kill the process here). */
  hooks?: {
    beforeCommit?(lastSeq: number): void;
    afterCommit?(lastSeq: number): void;
    /** After the relay confirmed a send, before the outbox records it. */
    afterSent?(clientMsgId: string): void;
  };
}

/** What the outbox stores for an item; `at` of a message is filled in from its stored clock. */
interface OutgoingPayload {
  users: string[];
  includeOwn: boolean;
  content: Omit<Content, 'at'> & { at?: number };
}

interface IdentityRow {
  user_id: string;
  device_id: string;
  display_name: string;
  handle: string | null;
  relay_url: string;
}

/** Ephemeral typing frames older than this are ignored (they are never replayed by the relay, but a peer may). */
const EPHEMERAL_MAX_AGE_MS = 60_000;

export class Messenger implements MessengerApi {
  private listeners = new Set<(e: MessengerEvent) => void>();
  private readonly crypto: CryptoStore;
  private readonly contacts: ContactBook;
  private readonly decryptor: Decryptor;
  private readonly clock: Clock;
  private readonly log: CoreLog;
  private readonly outbox: Outbox;
  private readonly typingSender: TypingSender;
  private readonly typingTracker: TypingTracker;
  private readonly accountSync: AccountSync;
  private readonly linker: DeviceLinker;
  /** Groups and attachments live in their own modules (messenger-groups.ts, messenger-attachments.ts). */
  readonly groups: GroupEngine;
  private readonly attachments: Attachments;
  private presence = new Map<string, Presence>();
  /** Presence to and from contacts end to end (the "contacts" last-seen setting). */
  private readonly contactPresence: ContactPresence;
  private relay: RelayClient | null = null;
  private http: RelayHttp | null = null;
  private directory: DeviceDirectory | null = null;
  private encryptor: Encryptor | null = null;
  private prekeys: PrekeyKeeper | null = null;
  private cursor: RelayCursor | null = null;
  private endpoint: RelayEndpoint | null = null;
  private closed = false;

  private constructor(
    readonly profile: LocalProfile,
    private readonly opts: MessengerOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLog;
    this.crypto = new CryptoStore(profile.db, profile.secrets);
    this.contacts = new ContactBook(profile.db, () => this.clock.now());
    this.decryptor = new Decryptor(this.crypto);
    this.outbox = new Outbox(profile.db, profile.messages, {
      clock: this.clock,
      policy: opts.outboxPolicy,
      transport: { send: (item) => this.transmit(item) },
      onStatus: (messageId, status) => {
        const m = this.profile.messages.get(messageId);
        this.emit({ type: 'message.status', messageId, conversationId: m.conversationId, status });
        this.relay?.setPendingCount(this.outbox.pendingCount());
      },
    });
    const typingOn = () => this.profile.settings.get().typingIndicators;
    this.typingSender = new TypingSender(this.clock, (conv, typing) => this.sendTyping(conv, typing), typingOn, opts.typingTimings);
    this.typingTracker = new TypingTracker(this.clock, (conversationId, userId, typing) => this.emit({ type: 'typing', conversationId, userId, typing }), typingOn, opts.typingTimings);
    this.contactPresence = new ContactPresence(
      {
        clock: this.clock,
        setting: () => this.profile.settings.get().lastSeen,
        isContact: (u) => !!this.contacts.get(u),
        contacts: () => this.contacts.list().map((c) => c.userId),
        send: (users, frame) => {
          const self = this.identity();
          if (self) this.sendEphemeralTo(users, { v: CONTENT_VERSION, id: newClientMsgId(), at: this.clock.now(), conv: { t: 'd', peer: self.user_id }, kind: 'presence', ...frame });
        },
        changed: (p) => this.showPresence(p),
      },
      opts.presenceTimings,
    );
    this.accountSync = new AccountSync({
      profile,
      self: () => {
        const id = this.identity();
        return id ? { userId: id.user_id, deviceId: id.device_id } : null;
      },
      now: () => this.clock.now(),
      queue: (body) => {
        const self = this.requireIdentity();
        const id = newClientMsgId();
        const content = { v: CONTENT_VERSION, id, at: this.clock.now(), conv: { t: 'd', peer: self.user_id }, kind: 'account-change', ...body } as Content;
        this.outbox.queue('doc-change', id, { users: [], includeOwn: true, content } satisfies OutgoingPayload, null);
      },
      hasOtherDevices: () => {
        const self = this.identity();
        return !!self && (this.crypto.deviceList(self.user_id)?.list.devices.some((d) => d.id !== self.device_id) ?? false);
      },
      applyContact: (userId, entry) => this.applyContactFromAccount(userId, entry),
      conversationView: (id) => {
        try {
          return this.conversation(id);
        } catch {
          return null;
        }
      },
      groupMembers: (id) => this.groups.memberIds(id),
      emit: (e) => this.emit(e),
    });
    this.linker = new DeviceLinker({
      profile,
      crypto: this.crypto,
      accountSync: this.accountSync,
      clock: this.clock,
      log: this.log,
      socketFactory: opts.socketFactory ?? nodeSocketFactory,
      self: () => {
        const id = this.identity();
        return id ? { userId: id.user_id, deviceId: id.device_id, displayName: id.display_name, handle: id.handle, relayUrl: id.relay_url } : null;
      },
      http: () => this.http!,
      directory: () => this.directory!,
      send: (req) => (this.relay ? this.relay.send(req) : Promise.reject(new RelayOfflineError())),
      forgetUnpublished: (userId) => this.encryptor?.forget(userId),
      contacts: () => this.contacts.list(),
      applyContact: (userId, entry) => this.applyContactFromAccount(userId, entry),
      groups: () => this.groups,
      persistNewDevice: (account, device, list, who) => this.persistNewDevice(account, device, list, who),
      connect: () => this.connect(),
      emit: (e) => this.emit(e),
    });
    this.groups = new GroupEngine({
      profile,
      crypto: this.crypto,
      clock: this.clock,
      log: this.log,
      outbox: this.outbox,
      self: () => {
        const id = this.requireIdentity();
        return { userId: id.user_id, deviceId: id.device_id };
      },
      relay: () => this.relay,
      directory: () => this.directory!,
      encryptor: () => this.encryptor!,
      titleOf: (u) => this.titleOf(u),
      selfName: () => this.requireIdentity().display_name,
      contactName: (u) => this.contacts.get(u)?.displayName,
      emit: (e) => this.emit(e),
      queuePairwise: (kind, users, content) => this.outbox.queue(kind, content.id, { users, includeOwn: true, content } satisfies OutgoingPayload, null),
    });
    profile.messages.senderNameOf = (userId, conversationId) =>
      this.contacts.get(userId)?.displayName ?? (conversationId.startsWith('g:') ? this.groups.memberName(userId, conversationId.slice(2)) : undefined);
    this.attachments = new Attachments({
      profile,
      http: () => this.http,
      relayUrl: () => this.requireIdentity().relay_url,
      newId: newClientMsgId,
      emitUpdated: (message) => this.emit({ type: 'message.updated', message }),
      queue: (conversationId, content, body, replyTo) => this.queueConversationMessage(conversationId, content, body, replyTo),
    });
  }

  /** Opens (or creates) a profile; connects at once if it already holds an account. */
  static async open(opts: MessengerOptions): Promise<Messenger> {
    await sodiumReady();
    const box = opts.secretBox ?? (await openKeyFileBox(opts.profileDir));
    const m = new Messenger(openProfile(opts.profileDir, box, opts.clock ?? systemClock), opts);
    if (m.identity()) m.connect();
    m.linker.resume(); // a link started before a restart (or its leftovers once linked)
    return m;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Typing timers would otherwise fire after the database closed (regression: a "stopped
    // typing" timer threw "The database connection is not open" after close()).
    this.typingSender.dispose();
    this.typingTracker.dispose();
    this.accountSync.close();
    this.contactPresence.closing();
    this.linker.stop();
    this.outbox.stop();
    this.relay?.stop();
    // Let an in-flight send and a delivery batch finish their bookkeeping before the database closes.
    await this.outbox.flush().catch(() => undefined);
    await this.relay?.drained();
    this.profile.close();
  }

  subscribe(listener: (event: MessengerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: MessengerEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.warn('listener_failed', { type: e.type, error: String(err) });
      }
    }
  }

  // ------------------------------------------------------------------ identity & connection

  private identity(): IdentityRow | null {
    return (this.profile.db.prepare(`SELECT user_id, device_id, display_name, handle, relay_url FROM identity WHERE only_row = 1`).get() as IdentityRow | undefined) ?? null;
  }

  private requireIdentity(): IdentityRow {
    const id = this.identity();
    if (!id) throw new ApiError('no_account');
    return id;
  }

  private account(row: IdentityRow): Account {
    return { userId: row.user_id, deviceId: row.device_id, displayName: row.display_name, handle: row.handle, relayUrl: row.relay_url };
  }

  private setupNetwork(relayUrl: string): void {
    if (this.http) return;
    this.endpoint = relayEndpoint(relayUrl);
    this.http = new RelayHttp(this.endpoint, this.crypto.device() ? this.crypto.signer() : null);
    this.directory = new DeviceDirectory(this.crypto, this.http, (c) => this.onDeviceListChange(c));
    this.encryptor = new Encryptor(this.crypto, this.http, this.directory);
    this.prekeys = new PrekeyKeeper(this.crypto, this.http, () => this.clock.now(), this.log);
    this.cursor = new RelayCursor(this.profile.db, relayUrl, () => this.clock.now());
  }

  private connect(): void {
    const id = this.requireIdentity();
    this.setupNetwork(id.relay_url);
    if (this.relay) return;
    this.relay = new RelayClient({
      endpoint: this.endpoint!,
      signer: this.crypto.signer(),
      committedSeq: () => this.cursor!.get(),
      socketFactory: this.opts.socketFactory ?? nodeSocketFactory,
      clock: this.clock,
      log: this.log,
      heartbeatMs: this.opts.relay?.heartbeatMs,
      backoff: this.opts.relay?.backoff,
      sendTimeoutMs: this.opts.relay?.sendTimeoutMs,
      handlers: {
        deliver: (entries) => this.onDeliver(entries),
        ready: (info) => this.onReady(info.prekeys),
        ephemeral: (b) => this.onEphemeral(b),
        presence: (p) => this.onPresence(p),
        prekeysLow: (remaining) => void this.prekeys!.check(remaining),
        state: (status) => {
          this.outbox.setOnline(status.state === 'online');
          this.emit({ type: 'connection', status: { ...status, pendingCount: this.outbox.pendingMessageCount() } });
        },
        stopped: (reason) => {
          this.log.warn('relay.stopped', { reason });
          // Unlinked from another of our devices: the UI shows this device is no longer on the account.
          if (reason === 'device_removed') this.emit({ type: 'devices.changed' });
        },
      },
    });
    this.relay.start();
  }

  private onReady(prekeysRemaining: number): void {
    this.accountSync.connected();
    void this.prekeys!.check(prekeysRemaining).catch(() => undefined);
    const settings = this.profile.settings.get();
    this.relay!.setPresenceVisibility(relayVisibility(settings.lastSeen));
    const watch = this.contacts.list().map((c) => c.userId);
    if (watch.length) this.relay!.subscribePresence(watch);
    this.contactPresence.connected();
  }

  private onDeviceListChange(c: DeviceListChange): void {
    const self = this.identity();
    this.encryptor?.forget(c.userId);
    if (self && c.previousVersion !== null) this.groups.devicesRemoved(c.userId, c.removed);
    if (self && c.userId === self.user_id) {
      if (c.previousVersion !== null) this.emit({ type: 'devices.changed' });
      return;
    }
    this.contacts.setDeviceListVersion(c.userId, c.version);
    // A device joined a list we had already pinned: someone new can read this conversation.
    if (c.previousVersion !== null && c.added.length > 0) {
      const at = this.clock.now();
      this.contacts.markKeyChanged(c.userId, at, false);
      this.emit({ type: 'key.changed', userId: c.userId, conversationIds: [directConversationId(c.userId)], at });
    }
  }

  /** A reply (or read mark) must name a message of that same conversation. */
  private requireReply(conversationId: string, messageId: string | undefined | null): void {
    if (!messageId) return;
    let target: Message;
    try {
      target = this.profile.messages.get(messageId as MessageId);
    } catch {
      throw new ApiError('not_found', 'That message is not on this device.');
    }
    if (target.conversationId !== conversationId) throw new ApiError('not_found', 'That message is in another conversation.');
  }

  /** A user's name here: our contact name, else the name they gave a group we share, else a short id. */
  private titleOf(userId: string): string {
    return this.contacts.get(userId)?.displayName ?? this.groups.memberName(userId) ?? `${userId.slice(0, 8)}…`;
  }

  // ------------------------------------------------------------------ receive

  private async onDeliver(entries: DeliveredEntry[]): Promise<void> {
    const self = this.requireIdentity();
    const opened = entries.map((e) => ({ entry: e, env: this.decryptor.open(e.b) }));
    // Senders whose device is not on the list we hold: fetch their current list first
    // (network), so the commit below is one synchronous transaction.
    const toRefresh = new Set<string>();
    for (const { env } of opened) {
      if (env && !this.directory!.isListed(env.sender.userId, env.sender.deviceId, env.sender.signingKey)) toRefresh.add(env.sender.userId);
    }
    for (const userId of toRefresh) {
      try {
        await this.directory!.refresh(userId);
        this.pinIdentity(userId);
      } catch (err) {
        this.log.warn('receive.list_fetch_failed', { user: userId, error: String((err as Error).message ?? err) });
        if (err instanceof RelayHttpError && err.code === 'offline') throw err; // retry the batch later
      }
    }
    const results: ApplyResult[] = [];
    const lastSeq = entries[entries.length - 1].s;
    this.opts.hooks?.beforeCommit?.(lastSeq);
    // One transaction for the batch; each touched session is sealed once, at its end.
    this.crypto.batch(() => {
      const delivered: ApplyResult['delivered'] = [];
      for (const { entry, env } of opened) {
        if (!env) {
          this.log.warn('receive.unopenable', { seq: entry.s });
          continue;
        }
        if (!this.directory!.isListed(env.sender.userId, env.sender.deviceId, env.sender.signingKey)) {
          this.log.warn('receive.unknown_sender_device', { seq: entry.s, user: env.sender.userId, device: env.sender.deviceId });
          continue;
        }
        const mark = this.crypto.mark();
        try {
          // A savepoint per entry: one bad message rolls back alone, the batch goes on.
          const r = this.profile.db.transaction(() =>
            applyContent(
              { profile: this.profile, selfUserId: self.user_id, titleOf: (u) => this.titleOf(u), account: (r) => this.accountSync.applyRemote(r), group: (r) => this.groups.apply(r) },
              env.kind === ENVELOPE_KIND.group ? this.groups.decrypt(env) : this.decryptor.decryptPairwise(env),
            ),
          )();
          results.push(r);
          delivered.push(...r.delivered);
        } catch (err) {
          // The savepoint rolled back; cached (and deferred) records it wrote are stale now.
          this.crypto.dropCache(mark);
          if (!(err instanceof CryptoError) && (err as { code?: string }).code !== 'bad_content') throw err;
          this.log.warn('receive.undecryptable', { seq: entry.s, code: (err as { code?: string }).code ?? 'error' });
        }
      }
      this.queueDeliveredReceipts(delivered);
      this.cursor!.advance(lastSeq);
    });
    this.opts.hooks?.afterCommit?.(lastSeq);
    for (const r of results) {
      for (const e of r.events) this.emit(e);
      if (r.typingStopped) this.typingTracker.messageReceived(r.typingStopped.conversationId, r.typingStopped.userId);
    }
    const touched = new Set(results.flatMap((r) => r.events.map((e) => ('message' in e ? e.message.conversationId : 'conversationId' in e ? e.conversationId : null))));
    for (const id of touched) if (id) this.emitConversation(id);
  }

  private queueDeliveredReceipts(delivered: ApplyResult['delivered']): void {
    const bySender = new Map<string, { conv: Content['conv']; ids: string[] }>();
    for (const d of delivered) {
      const key = `${d.senderUserId}\n${d.conversationId}`;
      const entry = bySender.get(key) ?? { conv: d.conv, ids: [] };
      entry.ids.push(d.messageId);
      bySender.set(key, entry);
    }
    for (const [key, { conv, ids }] of bySender) {
      const sender = key.split('\n')[0];
      for (let i = 0; i < ids.length; i += 1000) {
        this.queueControl('receipt', [sender], false, { kind: 'receipt', state: 'delivered', ids: ids.slice(i, i + 1000), conv });
      }
    }
  }

  private pinIdentity(userId: string): void {
    const list = this.directory!.known(userId);
    if (!list) return;
    const { status, pin } = checkIdentity(this.crypto.identityPin(userId) ?? undefined, { userId, accountKey: list.accountKey });
    if (status !== 'unchanged') this.crypto.setIdentityPin(pin);
    if (status === 'changed') {
      const at = this.clock.now();
      this.contacts.markKeyChanged(userId, at, true);
      this.emit({ type: 'key.changed', userId, conversationIds: [directConversationId(userId)], at });
    }
  }

  private onEphemeral(b: string): void {
    const self = this.identity();
    if (!self) return;
    try {
      const env = openEnvelope(this.crypto.requireDevice(), fromBase64Url(b));
      if (env.kind !== ENVELOPE_KIND.pairwise || !this.directory!.isListed(env.sender.userId, env.sender.deviceId, env.sender.signingKey)) return;
      const c = decodeContent(env.content);
      if (Math.abs(this.clock.now() - c.at) > EPHEMERAL_MAX_AGE_MS || env.sender.userId === self.user_id) return;
      if (c.kind === 'presence') return this.contactPresence.received(env.sender.userId, env.sender.deviceId, c);
      if (c.kind !== 'typing') return;
      if (c.conv.t === 'g' && !this.groups.memberIds(`g:${c.conv.id}`).includes(env.sender.userId)) return;
      const conversationId = conversationOf(c, env.sender.userId, self.user_id);
      if (conversationId) this.typingTracker.received(conversationId, env.sender.userId, c.typing);
    } catch {
      this.log.debug('ephemeral.dropped');
    }
  }

  private onPresence(p: { userId: string; online: boolean; lastSeen: number | null }): void {
    this.showPresence(this.contactPresence.relayFrame(p));
  }

  private showPresence(p: Presence): void {
    const visible = visiblePresence(p, this.profile.settings.get().lastSeen);
    this.presence.set(p.userId, visible);
    this.emit({ type: 'presence', presence: visible });
  }

  // ------------------------------------------------------------------ send

  /** Queues a non-message item (receipt, reaction) for the outbox. */
  private queueControl(kind: 'receipt' | 'reaction', users: string[], includeOwn: boolean, body: Record<string, unknown> & { conv: Content['conv'] }): void {
    const id = newClientMsgId();
    const content = { v: CONTENT_VERSION, id, at: this.clock.now(), ...body } as Content;
    const payload: OutgoingPayload = { users, includeOwn, content };
    this.outbox.queue(kind, id, payload, null);
  }

  /** The outbox transport: encrypt for every current device, send, handle refusals. */
  private async transmit(item: OutboxItem): Promise<SendOutcome> {
    if ((item.payload as Partial<GroupPayload>).group) return this.groups.transmit(item);
    // Let the caller's transaction (the outbox may be kicked from inside one) finish first.
    await Promise.resolve();
    if (!this.relay?.online) return 'retry';
    const payload = item.payload as OutgoingPayload;
    let content = payload.content as Content;
    if (item.kind === 'message' && item.messageId) content = { ...content, at: this.profile.messages.get(item.messageId).sentAt } as Content;
    const plaintext = encodeContent(content);
    for (let attempt = 0; attempt < 4; attempt++) {
      const enc = await this.encryptor!.encrypt(payload.users, plaintext, { includeOwn: payload.includeOwn });
      if (enc.to.length === 0) return 'sent'; // nobody else to tell (e.g. a read sync with no other device)
      let res;
      try {
        res = await this.relay.send({ cid: item.clientMsgId, to: enc.to, check: enc.check });
      } catch (err) {
        if (err instanceof RelayOfflineError) return 'retry';
        throw err;
      }
      if (res.ok) {
        this.opts.hooks?.afterSent?.(item.clientMsgId);
        return 'sent';
      }
      this.log.info('send.refused', { cid: item.clientMsgId, code: res.code });
      switch (res.code) {
        case 'stale_devices':
          for (const list of res.lists ?? []) {
            try {
              // The same list again: a listed device has published its keys since (a device
              // being linked), so forget which devices we took for unpublished.
              if (!this.directory!.accept(list)) this.encryptor!.forget((list as { userId: string }).userId);
            } catch (err) {
              // A list older than our pin: the relay is misbehaving. Do not downgrade; retry later.
              this.log.warn('send.stale_list_rejected', { user: (list as { userId: string }).userId, code: (err as CryptoError).code });
              return 'retry';
            }
          }
          continue;
        case 'unknown_device':
          for (const u of new Set([...payload.users, this.requireIdentity().user_id])) await this.directory!.refresh(u);
          continue;
        case 'unknown_user':
        case 'too_many_recipients':
        case 'too_large':
        case 'bad_frame':
          return 'fatal';
        default:
          return 'retry'; // rate_limited, internal, shutting_down…
      }
    }
    return 'retry';
  }

  private sendTyping(conversationId: string, typing: boolean): void {
    const self = this.identity();
    if (!self || !this.relay?.online) return;
    const group = conversationId.startsWith('g:');
    if (!group && !conversationId.startsWith('d:')) return;
    // A group's typing goes to every other member's devices, sealed pairwise like a direct one.
    const users = group ? this.groups.memberIds(conversationId).filter((u) => u !== self.user_id) : [conversationId.slice(2)];
    const conv: Content['conv'] = group ? { t: 'g', id: conversationId.slice(2) } : { t: 'd', peer: conversationId.slice(2) };
    this.sendEphemeralTo(users, { v: CONTENT_VERSION, id: newClientMsgId(), at: this.clock.now(), conv, kind: 'typing', typing });
  }

  /** Seals an ephemeral content (typing, presence) to these users' devices; never stored by the relay. */
  private sendEphemeralTo(users: string[], content: Content): void {
    if (!this.relay?.online) return;
    const device = this.crypto.requireDevice();
    const to: { d: string; b: string }[] = [];
    // Only devices we already have sessions with: ephemeral frames must never claim prekeys.
    for (const d of users.flatMap((u) => this.directory!.known(u)?.devices ?? [])) {
      const s = this.crypto.session(d.id);
      if (s) to.push({ d: d.id, b: toBase64Url(sealEnvelope(device, s.peer.identityKey, ENVELOPE_KIND.pairwise, encodeContent(content))) });
    }
    if (to.length) this.relay.sendEphemeral(to);
  }

  // ------------------------------------------------------------------ MessengerApi: onboarding

  async getAccount(): Promise<Account | null> {
    const id = this.identity();
    return id ? this.account(id) : null;
  }

  async createAccount(p: P<'createAccount'>): Promise<Account> {
    if (this.identity()) throw new ApiError('account_exists');
    const account = createAccountSecrets();
    const gen = generateOneTimePrekeys(createDevice(account.userId, this.clock.now()), PREKEY_BATCH);
    const device = gen.device;
    const list = signDeviceList(account, [{ id: device.deviceId, signingKey: device.signing.pub }], 1, this.clock.now());
    const http = new RelayHttp(checkedRelayEndpoint(p.relayUrl), null);
    const signer = signerOf(device);
    try {
      await http.publishDevice({ deviceList: list, device: deviceKeys(device), oneTimePrekeys: gen.prekeys }, signer);
    } catch (err) {
      throw toApiError(err);
    }
    http.setSigner(signer);
    let handle: string | null = null;
    if (p.handle) {
      try {
        handle = (await http.setHandle(p.handle)).handle;
      } catch (err) {
        if (err instanceof RelayHttpError && err.code === 'handle_taken') throw new ApiError('handle_taken');
        throw toApiError(err);
      }
    }
    this.persistNewDevice(account, device, list, { displayName: p.displayName, handle, relayUrl: p.relayUrl });
    this.linker.abandon(); // a link code shown before on this profile must not complete now
    this.connect();
    return this.account(this.requireIdentity());
  }

  private persistNewDevice(
    account: AccountSecrets,
    device: DeviceSecrets,
    list: ReturnType<typeof signDeviceList>,
    who: { displayName: string; handle: string | null; relayUrl: string },
  ): void {
    this.crypto.atomic(() => {
      this.crypto.setAccount(account);
      this.crypto.setDevice(device);
      this.crypto.setDeviceList(account.userId, { list, pin: { v: 1, userId: list.userId, accountKey: list.accountKey, version: list.version, sig: list.sig } });
      this.crypto.setIdentityPin({ v: 1, userId: account.userId, accountKey: account.key.pub, verified: true });
      this.profile.db
        .prepare(`INSERT INTO identity (only_row, user_id, device_id, display_name, handle, relay_url, public_keys, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)`)
        .run(account.userId, device.deviceId, who.displayName, who.handle, who.relayUrl, JSON.stringify({ accountKey: account.key.pub, ...deviceKeys(device) }), this.clock.now());
      this.profile.settings.update({ relayUrl: who.relayUrl });
    });
  }

  /**
   * Adds this profile as a new device of an existing account, given the account secrets
   * (what device linking transfers). Signs and publishes device list version + 1.
   */
  async joinAccount(p: { account: AccountSecrets; displayName: string; relayUrl: string; handle?: string | null }): Promise<Account> {
    if (this.identity()) throw new ApiError('account_exists');
    const account = p.account;
    const gen = generateOneTimePrekeys(createDevice(account.userId, this.clock.now()), PREKEY_BATCH);
    const device = gen.device;
    const http = new RelayHttp(relayEndpoint(p.relayUrl), null);
    const signer = signerOf(device);
    let list;
    try {
      const current = await http.getDeviceList(account.userId);
      list = signDeviceList(account, [...current.devices, { id: device.deviceId, signingKey: device.signing.pub }], current.version + 1, this.clock.now());
      await http.publishDevice({ deviceList: list, device: deviceKeys(device), oneTimePrekeys: gen.prekeys }, signer);
    } catch (err) {
      throw toApiError(err);
    }
    this.persistNewDevice(account, device, list, { displayName: p.displayName, handle: p.handle ?? null, relayUrl: p.relayUrl });
    this.connect();
    return this.account(this.requireIdentity());
  }

  /** The account secrets, for linking a new device (kept off the MessengerApi surface). */
  exportAccountForLink(): AccountSecrets {
    const a = this.crypto.account();
    if (!a) throw new ApiError('no_account');
    return a;
  }

  /** On the new device: see messenger-link.ts. Completion fires `devices.changed` and getAccount() answers. */
  async startDeviceLink(p: P<'startDeviceLink'>): Promise<LinkCode> {
    return this.linker.start(p);
  }
  async cancelDeviceLink(): Promise<void> {
    return this.linker.cancelByUser();
  }
  async inspectLinkCode(p: P<'inspectLinkCode'>): Promise<LinkRequest> {
    return this.linker.inspect(p.code);
  }
  async approveLink(p: P<'approveLink'>): Promise<Device> {
    return this.linker.approve(p.requestId);
  }

  async listDevices(): Promise<Device[]> {
    return this.linker.list();
  }

  async unlinkDevice(p: P<'unlinkDevice'>): Promise<void> {
    return this.linker.unlink(p.deviceId);
  }

  // ------------------------------------------------------------------ contacts

  async getInvite(): Promise<Invite> {
    const self = this.requireIdentity();
    const link = formatInvite({ userId: self.user_id, relayUrl: self.relay_url, accountKey: this.crypto.account()!.key.pub, name: self.display_name });
    return { link, qrPayload: link };
  }

  async addContactByInvite(p: P<'addContactByInvite'>): Promise<Contact> {
    const self = this.requireIdentity();
    const inv = parseInvite(p.link);
    if (inv.userId === self.user_id) throw new ApiError('bad_invite', 'That is your own invite link.');
    if (relayEndpoint(inv.relayUrl).host !== this.endpoint!.host) {
      throw new ApiError('bad_invite', 'That contact uses another relay; Parley relays do not exchange messages with each other yet.');
    }
    const { status, pin } = checkIdentity(this.crypto.identityPin(inv.userId) ?? undefined, { userId: inv.userId, accountKey: inv.accountKey });
    const contact = this.contacts.upsert({ userId: inv.userId, displayName: p.displayName ?? inv.name ?? `${inv.userId.slice(0, 8)}…`, relayUrl: inv.relayUrl, accountKey: inv.accountKey });
    this.crypto.setIdentityPin(pin);
    if (status === 'changed') {
      const at = this.clock.now();
      this.contacts.markKeyChanged(inv.userId, at, true);
      this.emit({ type: 'key.changed', userId: inv.userId, conversationIds: [directConversationId(inv.userId)], at });
    }
    this.profile.conversations.ensureDirect(inv.userId, contact.displayName);
    this.profile.conversations.setTitle(directConversationId(inv.userId), contact.displayName);
    try {
      await this.directory!.get(inv.userId);
    } catch (err) {
      this.log.info('contact.list_fetch_deferred', { error: String((err as Error).message ?? err) });
    }
    this.relay?.subscribePresence(this.contacts.list().map((c) => c.userId));
    this.emitConversation(directConversationId(inv.userId));
    this.accountSync.recordContact(this.contacts.get(inv.userId)!, inv.accountKey);
    return this.contacts.get(inv.userId)!;
  }

  /** A contact added or changed on another of our devices (account document); its key is trusted as theirs was. */
  private applyContactFromAccount(userId: string, entry: { displayName: string; relayUrl: string; accountKey: string; verified: boolean } | null): void {
    if (!entry) return; // removal is not offered yet; keep the local row
    const known = this.crypto.identityPin(userId);
    if (known && known.accountKey !== entry.accountKey) return; // never re-pin a contact's key from a document
    this.contacts.upsert({ userId, displayName: entry.displayName, relayUrl: entry.relayUrl, accountKey: entry.accountKey });
    if (entry.verified !== (this.contacts.get(userId)?.verified ?? false)) this.contacts.setVerified(userId, entry.verified);
    if (!known) this.crypto.setIdentityPin({ v: 1, userId, accountKey: entry.accountKey, verified: entry.verified });
    this.profile.conversations.ensureDirect(userId, entry.displayName);
    this.profile.conversations.setTitle(directConversationId(userId), entry.displayName);
    this.relay?.subscribePresence(this.contacts.list().map((c) => c.userId));
  }

  async listContacts(): Promise<Contact[]> {
    return this.contacts.list();
  }

  async getSafetyNumber(p: P<'getSafetyNumber'>): Promise<SafetyNumber> {
    const self = this.requireIdentity();
    const pin = p.userId === self.user_id ? null : this.crypto.identityPin(p.userId); // no safety number with oneself
    if (!pin) throw new ApiError('not_found');
    const digits = safetyNumber({ userId: self.user_id, accountKey: this.crypto.account()!.key.pub }, { userId: p.userId, accountKey: pin.accountKey });
    return { userId: p.userId, digits: formatSafetyNumber(digits), qrPayload: safetyQrPayload(digits, self.user_id, p.userId), verified: this.contacts.get(p.userId)?.verified ?? false };
  }

  async setContactVerified(p: P<'setContactVerified'>): Promise<Contact> {
    const c = this.contacts.setVerified(p.userId, p.verified);
    if (!c) throw new ApiError('not_found');
    const pin = this.crypto.identityPin(p.userId);
    if (pin) this.crypto.setIdentityPin({ ...pin, verified: p.verified });
    if (pin) this.accountSync.recordContact(c, pin.accountKey);
    return c;
  }

  // ------------------------------------------------------------------ conversations

  private conversation(id: string): Conversation {
    const c = this.profile.conversations.listed(id);
    if (!c) throw new ApiError('not_found');
    return this.decorate(c);
  }

  private decorate(c: Conversation): Conversation {
    return { ...c, typing: this.typingTracker.typingIn(c.id), presence: c.peerUserId ? (this.presence.get(c.peerUserId) ?? null) : null };
  }

  private emitConversation(id: string): void {
    try {
      this.emit({ type: 'conversation.updated', conversation: this.conversation(id) });
    } catch {
      // not listed (left or unknown)
    }
  }

  async listConversations(p: P<'listConversations'>): Promise<Conversation[]> {
    return this.profile.conversations.list(p).map((c) => this.decorate(c));
  }

  /**
   * Opens (creating if needed) the direct conversation with someone this device knows: a
   * contact, a member of a group we are in ("message this member"), or someone a
   * conversation exists with (they wrote to us). Anyone else is not_found: an empty
   * conversation under an id nobody vouched for would sit in the list for nothing.
   */
  async openDirect(p: P<'openDirect'>): Promise<Conversation> {
    const self = this.requireIdentity();
    const id = directConversationId(p.userId);
    const known = p.userId !== self.user_id && (this.contacts.get(p.userId) || this.profile.conversations.listed(id) || this.profile.conversations.sharesGroupWith(p.userId));
    if (!known) {
      throw new ApiError('not_found', 'That user is not one of your contacts; add them with their invite link first.');
    }
    this.profile.conversations.ensureDirect(p.userId, this.titleOf(p.userId));
    return this.conversation(id);
  }

  // Groups: messenger-groups.ts.
  async createGroup(p: P<'createGroup'>): Promise<Conversation> {
    this.requireIdentity();
    const id = this.groups.create(p.name, p.members);
    this.emitConversation(id);
    return this.conversation(id);
  }
  async getGroup(p: P<'getGroup'>): Promise<GroupInfo> {
    return this.groups.info(p.conversationId);
  }
  async renameGroup(p: P<'renameGroup'>): Promise<GroupInfo> {
    return this.groups.rename(p.conversationId, p.name);
  }
  async addGroupMembers(p: P<'addGroupMembers'>): Promise<GroupInfo> {
    return this.groups.addMembers(p.conversationId, p.userIds);
  }
  async removeGroupMember(p: P<'removeGroupMember'>): Promise<GroupInfo> {
    return this.groups.removeMember(p.conversationId, p.userId);
  }
  async setGroupRole(p: P<'setGroupRole'>): Promise<GroupInfo> {
    return this.groups.setRole(p.conversationId, p.userId, p.role);
  }
  async leaveGroup(p: P<'leaveGroup'>): Promise<void> {
    this.groups.leave(p.conversationId);
  }

  async setConversationFlags(p: P<'setConversationFlags'>): Promise<Conversation> {
    this.conversation(p.conversationId); // not_found before anything is written
    this.accountSync.setFlags(p.conversationId, { pinned: p.pinned, muted: p.muted, archived: p.archived });
    const c = this.conversation(p.conversationId);
    this.emit({ type: 'conversation.updated', conversation: c });
    return c;
  }

  // ------------------------------------------------------------------ messages

  private peerOf(conversationId: string): string {
    if (!conversationId.startsWith('d:')) throw notYet('Group messages');
    return conversationId.slice(2);
  }

  async sendText(p: P<'sendText'>): Promise<Message> {
    const self = this.requireIdentity();
    if (p.conversationId.startsWith('g:')) {
      this.requireReply(p.conversationId, p.replyTo);
      const id = newClientMsgId();
      const message = this.queueConversationMessage(p.conversationId, { v: CONTENT_VERSION, id, conv: { t: 'g', id: p.conversationId.slice(2) }, kind: 'text', text: p.text, replyTo: p.replyTo ?? null } as OutgoingPayload['content'], { kind: 'text', text: p.text }, p.replyTo ?? null);
      this.typingSender.stop(p.conversationId);
      return message;
    }
    this.requireReply(p.conversationId, p.replyTo);
    // A direct message may start the conversation: a user id is self-certifying (the hash of
    // the account key the relay serves), and the CLI writes to people by id. A user the
    // relay does not know fails in the outbox like any undeliverable message.
    const peer = this.peerOf(p.conversationId);
    this.profile.conversations.ensureDirect(peer, this.titleOf(peer));
    const clientMsgId = newClientMsgId();
    const content = { v: CONTENT_VERSION, id: clientMsgId, conv: { t: 'd', peer }, kind: 'text', text: p.text, replyTo: p.replyTo ?? null } as const;
    const payload: OutgoingPayload = { users: [peer], includeOwn: true, content };
    const message = this.outbox.queueMessage(
      { conversationId: p.conversationId, senderUserId: self.user_id, senderDeviceId: self.device_id, clientMsgId, body: { kind: 'text', text: p.text }, replyTo: p.replyTo ?? null, recipients: [peer] },
      payload,
    );
    this.typingSender.stop(p.conversationId);
    this.emit({ type: 'message.added', message });
    this.emitConversation(p.conversationId);
    return message;
  }

  async react(p: P<'react'>): Promise<Message> {
    const self = this.requireIdentity();
    const target = this.profile.messages.get(p.messageId);
    if (target.conversationId.startsWith('g:')) {
      // Group reactions go pairwise to the members (small, and applied like any group content).
      const members = this.groups.info(target.conversationId).members.map((m) => m.userId).filter((u) => u !== self.user_id);
      const message = this.profile.messages.react(p.messageId, self.user_id, p.emoji, this.clock.now());
      this.queueControl('reaction', members, true, { kind: 'reaction', target: p.messageId, emoji: p.emoji, conv: { t: 'g', id: target.conversationId.slice(2) } });
      this.emit({ type: 'message.updated', message });
      return message;
    }
    const peer = this.peerOf(target.conversationId);
    const message = this.profile.messages.react(p.messageId, self.user_id, p.emoji, this.clock.now());
    this.queueControl('reaction', [peer], true, { kind: 'reaction', target: p.messageId, emoji: p.emoji, conv: { t: 'd', peer } });
    this.emit({ type: 'message.updated', message });
    return message;
  }

  // Attachments: messenger-attachments.ts.
  async sendAttachment(p: P<'sendAttachment'>): Promise<Message> {
    this.requireIdentity();
    this.conversation(p.conversationId); // not_found before anything is uploaded
    return this.attachments.send(p);
  }
  async downloadAttachment(p: P<'downloadAttachment'>): Promise<Message> {
    return this.attachments.download(p.messageId);
  }
  /**
   * Not part of MessengerApi (no page may learn local paths): the Electron main process asks
   * for the saved file of an attachment to open it in the system's app (shell-logic/open-file.ts).
   */
  savedAttachment(messageId: string): { path: string | null; name: string; dir: string } {
    return this.attachments.localPath(messageId);
  }
  async readAttachment(p: P<'readAttachment'>): Promise<AttachmentData> {
    return this.attachments.read(p.messageId, p.offset, p.length);
  }

  /** Stores and queues a message content for a direct or group conversation; emits it. */
  private queueConversationMessage(conversationId: string, content: OutgoingPayload['content'], body: Message['body'], replyTo: string | null): Message {
    const self = this.requireIdentity();
    let message: Message;
    if (conversationId.startsWith('g:')) {
      message = this.groups.queueMessage(conversationId, content, body, replyTo);
    } else {
      const peer = this.peerOf(conversationId);
      this.profile.conversations.ensureDirect(peer, this.titleOf(peer));
      message = this.outbox.queueMessage(
        { conversationId, senderUserId: self.user_id, senderDeviceId: self.device_id, clientMsgId: content.id, body, replyTo, recipients: [peer] },
        { users: [peer], includeOwn: true, content } satisfies OutgoingPayload,
      );
    }
    this.emit({ type: 'message.added', message });
    this.emitConversation(conversationId);
    return message;
  }

  async getHistory(p: P<'getHistory'>): Promise<MessagePage> {
    return this.profile.messages.page(p.conversationId, p);
  }

  /** Raises the read mark; sends batched read receipts (if enabled) and a read sync to our other devices. */
  async markRead(p: P<'markRead'>): Promise<void> {
    this.requireIdentity();
    const row = this.profile.conversations.row(p.conversationId);
    if (p.upTo) this.requireReply(p.conversationId, p.upTo);
    const upTo = p.upTo ? this.profile.messages.get(p.upTo).sentAt : this.profile.messages.newestClock(p.conversationId);
    if (upTo <= row.read_clock) return;
    const unread = this.profile.messages.unreadIncomingUpTo(p.conversationId, row.read_clock, upTo);
    this.profile.conversations.raiseReadClock(p.conversationId, upTo);
    if (unread.length && p.conversationId.startsWith('d:')) {
      const peer = this.peerOf(p.conversationId);
      const receipts = this.profile.settings.get().readReceipts;
      const ids = unread.map((m) => m.id);
      for (let i = 0; i < ids.length; i += 1000) {
        this.queueControl('receipt', receipts ? [peer] : [], true, { kind: 'receipt', state: 'read', ids: ids.slice(i, i + 1000), conv: { t: 'd', peer } });
      }
    }
    if (unread.length && p.conversationId.startsWith('g:')) {
      // Group: a read receipt to each sender whose messages were read (and a read sync to our devices).
      const receipts = this.profile.settings.get().readReceipts;
      const bySender = new Map<string, string[]>();
      for (const m of unread) bySender.set(m.senderUserId, [...(bySender.get(m.senderUserId) ?? []), m.id]);
      for (const [sender, ids] of bySender) {
        for (let i = 0; i < ids.length; i += 1000) {
          this.queueControl('receipt', receipts ? [sender] : [], true, { kind: 'receipt', state: 'read', ids: ids.slice(i, i + 1000), conv: { t: 'g', id: p.conversationId.slice(2) } });
        }
      }
    }
    this.emitConversation(p.conversationId);
  }

  async retryMessage(p: P<'retryMessage'>): Promise<Message> {
    return this.outbox.retry(p.messageId as MessageId);
  }

  async setTyping(p: P<'setTyping'>): Promise<void> {
    this.requireIdentity();
    this.conversation(p.conversationId); // not_found: typing goes to the conversation's members
    if (p.typing) this.typingSender.keystroke(p.conversationId);
    else this.typingSender.stop(p.conversationId);
  }

  // ------------------------------------------------------------------ drafts, search, settings

  async getDraft(p: P<'getDraft'>): Promise<Draft | null> {
    return this.profile.drafts.get(p.conversationId);
  }

  async setDraft(p: P<'setDraft'>): Promise<Draft> {
    // A draft needs its conversation (left groups included: the composer flushes on leaving);
    // one under an id that names nothing would travel to every device and never show.
    this.profile.conversations.row(p.conversationId);
    this.requireReply(p.conversationId, p.replyTo ?? undefined);
    const draft = this.identity() ? this.accountSync.setDraft(p.conversationId, p.text, p.replyTo ?? null) : this.profile.drafts.set(p.conversationId, p.text, p.replyTo ?? null, this.clock.now());
    this.emit({ type: 'draft.changed', draft });
    return draft;
  }

  async search(p: P<'search'>): Promise<SearchHit[]> {
    return this.profile.search(p.query, { conversationId: p.conversationId, limit: p.limit });
  }

  async getSettings(): Promise<Settings> {
    return this.profile.settings.get();
  }

  async updateSettings(p: P<'updateSettings'>): Promise<Settings> {
    if (p.relayUrl !== undefined) checkedRelayEndpoint(p.relayUrl);
    const s = this.profile.settings.update(p);
    if (p.lastSeen) {
      this.relay?.setPresenceVisibility(relayVisibility(s.lastSeen));
      if (this.relay?.online) this.contactPresence.settingChanged();
    }
    return s;
  }

  async getConnectionStatus(): Promise<ConnectionStatus> {
    const base = this.relay?.status() ?? { state: 'offline' as const, nextAttemptAt: null, lastError: null, pendingCount: 0 };
    return { ...base, pendingCount: this.outbox.pendingMessageCount() };
  }
}

function signerOf(device: DeviceSecrets) {
  const priv = fromBase64Url(device.signing.priv);
  return {
    deviceId: device.deviceId,
    sign: (m: Uint8Array) => toBase64Url(sodiumSign(m, priv)),
  };
}

const sodiumSign = (m: Uint8Array, priv: Uint8Array) => sodium().crypto_sign_detached(m, priv);

function notYet(what: string): ApiError {
  return new ApiError('not_implemented', `${what} is not available in this build yet.`);
}

/** The endpoint of a relay URL given through the API; anything relayEndpoint cannot dial is bad_params. */
function checkedRelayEndpoint(url: string): RelayEndpoint {
  try {
    return relayEndpoint(url);
  } catch (err) {
    if (err instanceof RelayUrlError) throw new ApiError('bad_params', err.message);
    throw err;
  }
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof RelayHttpError && err.code === 'offline') return new ApiError('offline', err.message);
  return new ApiError('internal', String((err as Error)?.message ?? err));
}

/**
 * The safety-number QR: the 60 symmetric digits plus whose screen shows it (`by`) and for
 * which conversation partner (`with`), so a scanner can tell the other person's code from
 * a picture of its own screen (the digits alone are the same on both sides).
 */
export function safetyQrPayload(digits: string, shownBy: string, shownWith: string): string {
  return `parley://verify?n=${digits}&by=${shownBy}&with=${shownWith}`;
}
