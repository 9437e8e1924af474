// Device linking (docs/desktop-core.md, "Linking devices" and "Cancelling a link code").
//
//   NEW device                             relay                         EXISTING device
//   startDeviceLink: device keys D (kept
//   back), throwaway account T + device t ── POST /v1/devices (T, v1) ──►
//   listens on t's mailbox; the offer is
//   sealed in the profile (link-pending)
//   shows the code ─────────────── QR / typed ──────────────────────►  inspectLinkCode: words
//     parley://link?r=&u=<T>&k=<D signing key>&n=&x=                   approveLink:
//                             ◄── claim t's bundles (none left: link_expired) ──
//                             ◄── POST /v1/blobs (snapshot, secretstream) ──
//                             ◄── PUT device-list (v+1, + D) ──
//   ◄──── X3DH + sealed envelope to t: account key, list, blob key ────  notes the snapshot
//   checks it; publishes D under that list                               time (link-topups)
//   (or a newer one still naming D); imports
//   the snapshot; stores the account;
//   connects as D; devices.changed; retires t
//   D's first message (its hello) ──────────────────────────────────►  top-up: text messages
//                                                                        since the snapshot,
//                                                                        each group's changes
//
// The code binds everything the existing device acts on: T is a hash of T's account key,
// which signs T's device list, whose device signs its prekeys, so the relay cannot slip in
// another mailbox; D's signing key is in the code, so the relay cannot slip in another
// device. The verification words are derived from both and shown on both screens, which
// catches a substituted code. The new device receives the account key, so afterwards no
// device needs any other to stay online.
//
// The snapshot (link-snapshot.ts) carries the account document, contacts, conversations,
// the newest messages of each direct and group conversation, drafts and every group
// document, but no sender key: the new device makes its own per group. Messages sent to
// the account between the snapshot and D's keys reaching the relay are in neither; the
// approving device hands them over (topUp) once D is heard from, as account-change
// history, with each group's change history relayed to our own devices.
//
// The pending link (offer, T, t and D's keys) is sealed in the profile, so a new device
// closed while linking listens again at the next open until the code expires. It ends
// for good on completion, expiry, a new code, createAccount or cancelDeviceLink: the
// mailbox is then retired (T's list v2 names a never-published device, so the relay drops
// t's keys and mailbox and a later approval finds no bundles). A retirement the relay did
// not confirm stays noted (link-retiring) and is retried at every open.
//
// The existing-device side also lists devices (names from the account document) and
// unlinks one (a list without it: the relay drops its mailbox and closes its socket).
import { ApiError, type Device, type LinkCode, type LinkRequest, type MessengerEvent } from '@parley/common/api/index';
import {
  ENVELOPE_KIND,
  checkCredential,
  createAccount,
  createDevice,
  decryptAttachment,
  decryptMessage,
  deviceKeys,
  encryptAttachment,
  fanOut,
  generateOneTimePrekeys,
  openEnvelope,
  parseAccountSecrets,
  parseDeviceSecrets,
  signDeviceList,
  verifyDeviceList,
  type AccountSecrets,
  type DeviceSecrets,
  type SignedDeviceList,
} from '@parley/common/crypto';
import { deviceIdFromSigningKey, type DeliveredEntry, type PrekeyBundle } from '@parley/common/protocol';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '@parley/common/encoding';
import { sodium } from '@parley/common/sodium';
import { z } from 'zod';
import type { Clock } from './clock.ts';
import { newClientMsgId } from './ids.ts';
import type { CoreLog } from './net/log.ts';
import { RelayClient, type DeviceSigner, type SendRequest, type SendResult } from './net/relay-client.ts';
import { RelayUrlError, relayEndpoint } from './net/relay-endpoint.ts';
import { RelayHttp, RelayHttpError } from './net/relay-http.ts';
import type { SocketFactory } from './net/socket.ts';
import type { DeviceDirectory } from './pipeline/directory.ts';
import { PREKEY_BATCH } from './pipeline/prekeys.ts';
import { formatLinkCode, parseLinkCode, verificationWords, type LinkOffer } from './link-code.ts';
import { Snapshot, buildSnapshot, historySince, importSnapshot, type SnapshotHost } from './link-snapshot.ts';

export const LINK_TTL_MS = 10 * 60_000;
const TOPUPS = 'link-topups';
const PENDING = 'link-pending';
const RETIRING = 'link-retiring';
/** approveLink's sentence when the code's mailbox is gone: expired, cancelled on the new device, or replaced by an account made there. */
const GONE = 'That link code is no longer valid: it expired or the new device cancelled it. Get a new code on the new device.';
/** How long cancelDeviceLink waits for the relay before answering (retiring goes on, and is retried at the next open). */
const CANCEL_WAIT_MS = 5_000;

// ------------------------------------------------------------------ what travels

/** The provisioning message, sealed pairwise (X3DH) to the temporary mailbox device. */
const Provision = z
  .object({
    v: z.literal(1),
    kind: z.literal('link-provision'),
    account: z.unknown(),
    displayName: z.string().min(1).max(64),
    handle: z.string().max(64).nullable(),
    deviceList: z.unknown(),
    snapshot: z.object({ blob: z.string().min(1).max(256), key: z.string(), digest: z.string() }).strict(),
  })
  .strict();

// ------------------------------------------------------------------ the engine side

export interface LinkHost extends SnapshotHost {
  clock: Clock;
  log: CoreLog;
  socketFactory: SocketFactory;
  self(): { userId: string; deviceId: string; displayName: string; handle: string | null; relayUrl: string } | null;
  /** The engine's signed HTTP client and directory (existing device). */
  http(): RelayHttp;
  directory(): DeviceDirectory;
  send(req: SendRequest): Promise<SendResult>;
  /** Our own device list's "listed but unpublished" marks are stale (a linked device was heard from). */
  forgetUnpublished(userId: string): void;
  persistNewDevice(account: AccountSecrets, device: DeviceSecrets, list: SignedDeviceList, who: { displayName: string; handle: string | null; relayUrl: string }): void;
  connect(): void;
  emit(e: MessengerEvent): void;
}

interface StoredPending {
  offer: LinkOffer;
  mailboxAccount: AccountSecrets;
  mailbox: DeviceSecrets;
  device: DeviceSecrets;
}

/** A throwaway mailbox still to retire (kept sealed until the relay confirmed it). */
interface Retiring {
  relayUrl: string;
  mailboxAccount: AccountSecrets;
  mailbox: DeviceSecrets;
}

interface Pending extends StoredPending {
  http: RelayHttp;
  listener: RelayClient;
  timer: ReturnType<typeof setTimeout>;
  done: boolean;
}

export class DeviceLinker {
  private pending: Pending | null = null;
  /** After a completed link: the turn that retires the throwaway mailbox (cleared when the engine closes first). */
  private finishTimer: ReturnType<typeof setTimeout> | undefined;
  private requests = new Map<string, LinkOffer>();
  /** Test seam: holds a new device between receiving the provision and publishing its keys. */
  holdBeforePublish: (() => Promise<void>) | null = null;

  constructor(private readonly host: LinkHost) {
    host.accountSync.onOwnDeviceHeard = (deviceId) => this.topUp(deviceId);
  }

  // ---------------------------------------------------------------- new device

  async start(p: { deviceName: string; relayUrl: string }): Promise<LinkCode> {
    if (this.host.self()) throw new ApiError('account_exists');
    try {
      relayEndpoint(p.relayUrl);
    } catch (err) {
      throw toApiError(err);
    }
    this.cancel();
    const now = this.host.clock.now();
    const mailboxAccount = createAccount();
    const gen = generateOneTimePrekeys(createDevice(mailboxAccount.userId, now), 4);
    const mailbox = gen.device;
    const list = signDeviceList(mailboxAccount, [{ id: mailbox.deviceId, signingKey: mailbox.signing.pub }], 1, now);
    const http = new RelayHttp(relayEndpoint(p.relayUrl), signerOf(mailbox));
    try {
      await http.publishDevice({ deviceList: list, device: deviceKeys(mailbox), oneTimePrekeys: gen.prekeys }, signerOf(mailbox));
    } catch (err) {
      throw toApiError(err);
    }
    // The real device: its user id is filled in when the account arrives (it is not signed anywhere).
    const device = createDevice(mailboxAccount.userId, now);
    const offer: LinkOffer = { relayUrl: p.relayUrl, mailboxUserId: mailboxAccount.userId, signingKey: device.signing.pub, deviceName: p.deviceName, expiresAt: now + LINK_TTL_MS };
    // Sealed in the profile, so a new device restarted while linking picks up where it was.
    this.host.profile.secrets.putJson(PENDING, { offer, mailboxAccount, mailbox, device } satisfies StoredPending);
    this.listen({ offer, mailboxAccount, mailbox, device });
    const code = formatLinkCode(offer);
    return { code, qrPayload: code, expiresAt: offer.expiresAt, verificationWords: verificationWords(offer) };
  }

  /** At open: retry unconfirmed retirements; on a profile without an account, listen again for a link started before a restart. */
  resume(): void {
    this.retireLeftovers();
    if (this.pending) return;
    const raw = this.host.profile.secrets.getJson<StoredPending>(PENDING);
    if (!raw) return;
    let stored: StoredPending;
    try {
      stored = { offer: raw.offer, mailboxAccount: parseAccountSecrets(raw.mailboxAccount), mailbox: parseDeviceSecrets(raw.mailbox), device: parseDeviceSecrets(raw.device) };
    } catch {
      this.host.profile.secrets.delete(PENDING);
      return;
    }
    if (this.host.self() || stored.offer.expiresAt <= this.host.clock.now()) {
      this.host.profile.secrets.delete(PENDING);
      void this.retire(stored);
      return;
    }
    this.listen(stored);
  }

  private listen(s: StoredPending): void {
    const http = new RelayHttp(relayEndpoint(s.offer.relayUrl), signerOf(s.mailbox));
    let seq = 0;
    const listener = new RelayClient({
      endpoint: relayEndpoint(s.offer.relayUrl),
      signer: signerOf(s.mailbox),
      committedSeq: () => seq,
      socketFactory: this.host.socketFactory,
      clock: this.host.clock,
      log: this.host.log,
      handlers: {
        deliver: async (entries) => {
          await this.onMailbox(entries);
          seq = entries[entries.length - 1].s;
        },
      },
    });
    const timer = setTimeout(() => this.cancel(), Math.max(0, s.offer.expiresAt - this.host.clock.now()));
    timer.unref?.();
    this.pending = { ...s, http, listener, timer, done: false };
    listener.start();
  }

  /** Stops listening (closing the engine); a pending link resumes at the next open. */
  stop(): void {
    clearTimeout(this.finishTimer);
    this.finishTimer = undefined;
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.listener.stop();
  }

  /** This profile got an account another way (createAccount): a code shown before must not complete later. */
  abandon(): void {
    this.cancel();
  }

  /**
   * cancelDeviceLink: the user left the code screen on this (new) device. The code dies
   * here at once (the offer is forgotten and nothing listens on its mailbox any more, so a
   * provision that still arrives is never opened), and the mailbox is retired, so a later
   * approval of the code on an existing device finds no mailbox and fails with
   * link_expired before its list names this device. Nothing pending: nothing to do.
   * Answers when the relay confirmed the retirement, or after CANCEL_WAIT_MS (offline);
   * until confirmed the mailbox stays in `link-retiring` and is retired at the next open.
   */
  async cancelByUser(): Promise<void> {
    const retired = this.cancel();
    if (!retired) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([retired, new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * Ends the pending link for good (cancelled, expired, replaced or completed): forget it,
   * stop listening and retire the mailbox. Returns the retirement under way, if any.
   */
  private cancel(): Promise<void> | null {
    const p = this.pending;
    this.stop();
    this.host.profile.secrets.delete(PENDING);
    return p ? this.retire(p) : null;
  }

  /**
   * Retires a throwaway mailbox: noted in `link-retiring` first, dropped once the relay
   * took the retiring list (or answered that a newer one is there). Offline (or a relay
   * error), the note stays and the next open tries again. Never throws.
   */
  private async retire(s: StoredPending | Retiring): Promise<void> {
    const r: Retiring = 'offer' in s ? { relayUrl: s.offer.relayUrl, mailboxAccount: s.mailboxAccount, mailbox: s.mailbox } : s;
    const id = r.mailboxAccount.userId;
    this.editRetiring((all) => (all[id] = r));
    try {
      await retireMailbox({ mailboxAccount: r.mailboxAccount, http: new RelayHttp(relayEndpoint(r.relayUrl), signerOf(r.mailbox)) });
    } catch (err) {
      const done = err instanceof RelayHttpError && err.code === 'rollback'; // retired before
      const lasting = err instanceof RelayHttpError && err.status >= 400 && err.status < 500; // refused for good: trying again will not help
      if (!done && !lasting) {
        this.host.log.info('link.retire_deferred', { mailbox: id, error: String((err as Error)?.message ?? err) });
        return;
      }
      if (!done) this.host.log.warn('link.retire_refused', { mailbox: id, error: String((err as Error)?.message ?? err) });
    }
    this.editRetiring((all) => delete all[id]);
  }

  /** At open: mailboxes a cancel (or an expiry, a completion) could not retire then. */
  private retireLeftovers(): void {
    let all: Record<string, Retiring>;
    try {
      all = this.host.profile.secrets.getJson<Record<string, Retiring>>(RETIRING) ?? {};
    } catch {
      return;
    }
    for (const r of Object.values(all)) {
      try {
        void this.retire({ relayUrl: r.relayUrl, mailboxAccount: parseAccountSecrets(r.mailboxAccount), mailbox: parseDeviceSecrets(r.mailbox) });
      } catch {
        this.editRetiring((a) => delete a[r.mailboxAccount?.userId]);
      }
    }
  }

  private editRetiring(edit: (all: Record<string, Retiring>) => void): void {
    try {
      const all = { ...(this.host.profile.secrets.getJson<Record<string, Retiring>>(RETIRING) ?? {}) };
      edit(all);
      if (Object.keys(all).length) this.host.profile.secrets.putJson(RETIRING, all);
      else this.host.profile.secrets.delete(RETIRING);
    } catch {
      // The profile closed while a retirement was in flight: the note (if written) stays for the next open.
    }
  }

  private async onMailbox(entries: DeliveredEntry[]): Promise<void> {
    const p = this.pending;
    if (!p || p.done || this.host.self()) return;
    for (const entry of entries) {
      let opened;
      try {
        opened = await this.openProvision(p, entry.b);
      } catch (err) {
        this.host.log.warn('link.provision_refused', { error: String((err as Error).message ?? err) });
        continue;
      }
      await this.complete(p, opened.account, opened.list, opened.provision);
      return;
    }
  }

  private async openProvision(p: Pending, b: string) {
    const env = openEnvelope(p.mailbox, fromBase64Url(b));
    if (env.kind !== ENVELOPE_KIND.pairwise) throw new Error('not a pairwise message');
    const senderList = verifyDeviceList(await p.http.getDeviceList(env.sender.userId), { expectedUserId: env.sender.userId }).list;
    checkCredential(env.sender, senderList);
    const { plaintext } = decryptMessage(p.mailbox, null, env.content, { deviceId: env.sender.deviceId, signingKey: env.sender.signingKey, identityKey: env.sender.identityKey });
    const provision = Provision.parse(JSON.parse(fromUtf8(plaintext)));
    const account = parseAccountSecrets(provision.account);
    // The account key handed over must be the sender's own, and the list must carry us.
    if (account.userId !== env.sender.userId || account.key.pub !== senderList.accountKey) throw new Error('the account in the provision is not the sender’s');
    const list = verifyDeviceList(provision.deviceList, { expectedUserId: account.userId }).list;
    if (!list.devices.some((d) => d.id === p.device.deviceId && d.signingKey === p.device.signing.pub)) throw new Error('the device list does not name this device');
    return { provision, account, list };
  }

  private async complete(p: Pending, account: AccountSecrets, list: SignedDeviceList, provision: z.infer<typeof Provision>): Promise<void> {
    await this.holdBeforePublish?.();
    // Cancelled (or closed) while the provision was being opened: do not join. The approving
    // device's list already names this device; it stays a listed device that never speaks.
    if (this.pending !== p) {
      this.host.log.info('link.provision_dropped', { reason: 'the link was cancelled or the engine closed' });
      return;
    }
    // Publish first: until D's keys are on the relay, nothing sent to the account reaches D.
    const gen = generateOneTimePrekeys({ ...p.device, userId: account.userId }, PREKEY_BATCH);
    const device = gen.device;
    let published = list;
    try {
      await p.http.publishDevice({ deviceList: list, device: deviceKeys(device), oneTimePrekeys: gen.prekeys }, signerOf(device));
    } catch (err) {
      // Another change to the list landed meanwhile: publish under the current one if it still names us.
      if (!(err instanceof RelayHttpError && err.code === 'rollback')) throw err;
      published = verifyDeviceList(await p.http.getDeviceList(account.userId), { expectedUserId: account.userId }).list;
      if (!published.devices.some((d) => d.id === device.deviceId)) throw new Error('this device was unlinked before it finished linking');
      await p.http.publishDevice({ deviceList: published, device: deviceKeys(device), oneTimePrekeys: gen.prekeys }, signerOf(device));
    }
    const cipher = await p.http.downloadBlob(provision.snapshot.blob);
    const snapshot = Snapshot.parse(JSON.parse(fromUtf8(decryptAttachment(cipher, { key: provision.snapshot.key, digest: provision.snapshot.digest }))));
    if (this.pending !== p) {
      // Cancelled while publishing: our keys are on the account now, but the user said no. We
      // do not keep them; the account shows a device that never speaks (unlink it there).
      this.host.log.warn('link.cancelled_after_publish', { device: device.deviceId });
      return;
    }
    p.done = true;
    this.host.persistNewDevice(account, device, published, { displayName: provision.displayName, handle: provision.handle, relayUrl: p.offer.relayUrl });
    importSnapshot(this.host, snapshot);
    this.host.log.info('link.completed', { device: device.deviceId });
    // Leave the mailbox's deliver handler first, then retire it (unless the engine closes
    // first: stop() clears this, and the next open retires the leftover mailbox).
    this.finishTimer = setTimeout(() => {
      this.finishTimer = undefined;
      void this.cancel();
    }, 0);
    this.host.connect();
    this.host.emit({ type: 'devices.changed' });
  }

  // ---------------------------------------------------------------- existing device

  inspect(code: string): LinkRequest {
    const self = this.requireSelf();
    const offer = parseLinkCode(code);
    if (offer.expiresAt < this.host.clock.now()) throw new ApiError('link_expired');
    if (relayEndpoint(offer.relayUrl).host !== relayEndpoint(self.relayUrl).host) {
      throw new ApiError('bad_invite', 'The new device uses another relay; start linking on it with this account’s relay.');
    }
    const requestId = toBase64Url(sodium().randombytes_buf(12));
    this.requests.set(requestId, offer);
    const request = { requestId, deviceName: offer.deviceName, verificationWords: verificationWords(offer) };
    this.host.emit({ type: 'link.request', ...request });
    return request;
  }

  async approve(requestId: string): Promise<Device> {
    const self = this.requireSelf();
    const offer = this.requests.get(requestId);
    if (!offer) throw new ApiError('not_found');
    if (offer.expiresAt < this.host.clock.now()) {
      this.requests.delete(requestId);
      throw new ApiError('link_expired');
    }
    const account = this.host.crypto.account()!;
    const http = this.host.http();
    const deviceId = deviceIdFromSigningKey(fromBase64Url(offer.signingKey));
    let snapshotAt = 0;
    try {
      // The mailbox must still be there (not expired, not retired by a cancel or by an account
      // made on that device instead) before our list names the new device: otherwise nothing
      // would ever speak for it.
      const claim = await http.claimBundles(offer.mailboxUserId);
      const mailboxList = verifyDeviceList(claim.deviceList, { expectedUserId: offer.mailboxUserId }).list;
      const bundles: Record<string, PrekeyBundle> = {};
      for (const b of claim.bundles) bundles[b.device.id] = b;
      if (!mailboxList.devices.some((d) => bundles[d.id])) throw new ApiError('link_expired', GONE);
      // The snapshot first (an encrypted blob), so little happens between publishing the list
      // and the new device publishing its keys: what is sent to us in between misses it.
      snapshotAt = this.host.clock.now();
      this.host.accountSync.recordDevice(deviceId, offer.deviceName, snapshotAt);
      const sealed = encryptAttachment(utf8(JSON.stringify(buildSnapshot(this.host))));
      const blob = await http.uploadBlob(sealed.ciphertext);
      // The approval itself: a list naming the new device, signed with the account key.
      const current = await this.host.directory().refresh(self.userId);
      let list = current;
      if (!current.devices.some((d) => d.id === deviceId)) {
        list = signDeviceList(account, [...current.devices, { id: deviceId, signingKey: offer.signingKey }], current.version + 1, this.host.clock.now());
        await http.putDeviceList(self.userId, list);
        this.host.directory().accept(list, self.userId);
      }
      // The account key, the list and the blob's key, X3DH-encrypted to the mailbox the code names.
      const provision = { v: 1, kind: 'link-provision', account, displayName: self.displayName, handle: self.handle, deviceList: list, snapshot: { blob: blob.id, key: sealed.key, digest: sealed.digest } };
      const out = fanOut({ self: this.host.crypto.requireDevice(), plaintext: utf8(JSON.stringify(provision)), lists: [mailboxList], sessions: {}, bundles });
      if (out.missing.length || out.to.length === 0) throw new ApiError('link_expired', GONE);
      const res = await this.host.send({ cid: newClientMsgId(), to: out.to, check: out.check });
      if (!res.ok) throw new ApiError('internal', `The relay refused the link message (${res.code}).`);
    } catch (err) {
      throw toApiError(err);
    }
    this.requests.delete(requestId);
    this.setAwaiting((a) => {
      a[deviceId] = snapshotAt;
    });
    return { id: deviceId, name: offer.deviceName, current: false, linkedAt: this.host.clock.now(), lastActiveAt: null };
  }

  /**
   * The first message from a device approved here (its hello, once its keys are published)
   * proves it can be reached: hand it the text messages (direct and group) stored since its
   * snapshot, which include what was sent to the account before its keys reached the relay,
   * and our groups' changes. Dedup on the new device makes the overlap harmless. Runs
   * inside the receive transaction.
   */
  private topUp(deviceId: string): void {
    const since = this.awaiting()[deviceId];
    if (since === undefined) return;
    this.setAwaiting((a) => {
      delete a[deviceId];
    });
    // Sends to our own devices only never meet a stale_devices refusal: drop the mark by hand.
    this.host.forgetUnpublished(this.requireSelf().userId);
    for (const chunk of historySince(this.host.profile, since)) this.host.accountSync.queueHistory(chunk);
    // Group changes of that window too: without them every later change would wait on the new device.
    this.host.groups().relayToOwnDevices();
  }

  /**
   * Devices approved here, with the time of their snapshot: topped up when first heard
   * from. Kept sealed in the profile (`link-topups`), so a restart in between loses nothing.
   */
  private awaiting(): Record<string, number> {
    // Read each time (a small sealed record): the caller's savepoint may roll back a write.
    return this.host.profile.secrets.getJson<Record<string, number>>(TOPUPS) ?? {};
  }

  private setAwaiting(edit: (a: Record<string, number>) => void): void {
    const a = { ...this.awaiting() };
    edit(a);
    // A device never heard from in a month is not coming back (and its mailbox entries expired).
    for (const [id, at] of Object.entries(a)) if (at < this.host.clock.now() - 30 * 86_400_000) delete a[id];
    this.host.profile.secrets.putJson(TOPUPS, a);
  }

  /** Publishes our list without the device: the relay drops its mailbox and closes its socket. */
  async unlink(deviceId: string): Promise<void> {
    const self = this.requireSelf();
    if (deviceId === self.deviceId) throw new ApiError('bad_params', 'A device cannot unlink itself here; unlink it from another of your devices.');
    try {
      const current = await this.host.directory().refresh(self.userId);
      if (!current.devices.some((d) => d.id === deviceId)) throw new ApiError('not_found');
      const list = signDeviceList(this.host.crypto.account()!, current.devices.filter((d) => d.id !== deviceId), current.version + 1, this.host.clock.now());
      await this.host.http().putDeviceList(self.userId, list);
      this.host.directory().accept(list, self.userId);
    } catch (err) {
      throw toApiError(err);
    }
    this.host.accountSync.recordDevice(deviceId, null, 0);
  }

  /** The devices on our verified list, named from the account document. */
  list(): Device[] {
    const self = this.requireSelf();
    const list = this.host.directory().known(self.userId);
    const names = this.host.accountSync.current().devices();
    return (list?.devices ?? []).map((d) => ({
      id: d.id,
      name: names[d.id]?.name ?? (d.id === self.deviceId ? 'This device' : `Device ${d.id.slice(0, 6)}`),
      current: d.id === self.deviceId,
      linkedAt: names[d.id]?.linkedAt ?? list!.issuedAt,
      lastActiveAt: null,
    }));
  }

  private requireSelf() {
    const self = this.host.self();
    if (!self) throw new ApiError('no_account');
    return self;
  }

}

/** Replaces the mailbox device with a never-published one: the relay deletes its keys, prekeys and mailbox. */
async function retireMailbox(p: Pick<Pending, 'mailboxAccount' | 'http'>): Promise<void> {
  const gone = createDevice(p.mailboxAccount.userId);
  const list = signDeviceList(p.mailboxAccount, [{ id: gone.deviceId, signingKey: gone.signing.pub }], 2);
  await p.http.putDeviceList(p.mailboxAccount.userId, list);
}

function signerOf(device: DeviceSecrets): DeviceSigner {
  const priv = fromBase64Url(device.signing.priv);
  return { deviceId: device.deviceId, sign: (m) => toBase64Url(sodium().crypto_sign_detached(m, priv)) };
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof RelayUrlError) return new ApiError('bad_params', err.message);
  if (err instanceof RelayHttpError && err.code === 'offline') return new ApiError('offline', err.message);
  if ((err as Error)?.name === 'RelayOfflineError') return new ApiError('offline');
  return new ApiError('internal', String((err as Error)?.message ?? err));
}
