// One WebSocket, from challenge to close: login, frame validation and limits, sends
// (through group commit), acknowledgements, the delivery pump, ephemeral and presence
// frames. Runtime-neutral: the runtime's socket is reached only through `RelaySocket`.
import {
  AuthFrame,
  CLOSE_CODES,
  ClientFrame,
  ERROR_CODES,
  type ErrorCode,
  PREKEY_LOW_WATER,
  type SendFrame,
  type ServerFrame,
  type SignedDeviceList,
  verifyEd25519,
  wsAuthSigningInput,
} from '@parley/common/protocol';
import { toBase64Url } from '@parley/common/encoding';
import type { z } from 'zod';
import type { RelayContext } from './context.ts';
import { errorFields } from './log.ts';
import type { AppendItem, LoginState, MailboxEntry } from './store/types.ts';

/**
 * The little a connection needs from a runtime's WebSocket (`ws`'s WebSocket and the
 * WHATWG one both have this shape).
 */
export interface RelaySocket {
  send(data: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued for sending but not yet written to the network. */
  readonly bufferedAmount: number;
}

type State = 'challenged' | 'authenticating' | 'ready' | 'closed';

/** Frames that arrive while a login is being verified wait, up to this many. */
const MAX_PENDING_DURING_AUTH = 64;
/** While the socket buffer is above the high-water mark, re-check this often. */
const BACKPRESSURE_RETRY_MS = 10;

// Every idle socket keeps its Connection for as long as it is open (bench W3: 10,000 of
// them), so what only some sockets ever use (a presence watch list, frames queued during
// login, the send and presence chains) is created on first use, and what only the login
// needs (its timer, the nonce) is dropped once it is done.
export class Connection {
  /** This relay's socket number; `id` makes it unique across relays sharing a bus. */
  private readonly serial: number;
  device: string | undefined;
  user: string | undefined;
  /** Users whose presence this connection watches (managed by the hub); none until presence.sub. */
  watching: Set<string> | undefined;
  lastHeard: number;

  private state: State = 'challenged';
  private nonce: string | null;
  private readonly challengeExpires: number;
  private authTimer: ReturnType<typeof setTimeout> | undefined;
  private pendingDuringAuth: string[] | undefined;
  private badFrames = 0;
  /** Per-connection order of sends: recipient resolution is async, commits must keep order. */
  private sendChain: Promise<void> | undefined;
  /**
   * Presence frames touch stored state (visibility) and the hub's watch lists; handling
   * them one at a time keeps `presence.set` then `presence.sub` on one socket in order
   * (the watcher must see the visibility it just set).
   */
  private presenceChain: Promise<void> | undefined;
  /**
   * `ready` was sent and the socket is not closed: only then may entries go out. hub.attach
   * awaits the bus subscription after the state became 'ready', and a mailbox event meanwhile
   * (the Redis bus re-reads mailboxes after subscribing) must not deliver ahead of `ready`
   * (regression found by the two-relay bench).
   */
  private get greeted(): boolean {
    return this.state === 'ready' && this.readySent;
  }
  private readySent = false;

  // Delivery: `cursor` is the highest seq sent on this socket, `acked` the highest acknowledged.
  private cursor = 0;
  private acked = 0;
  /** Highest seq whose deletion the store confirmed, and whether a deletion is running. */
  private deletedUpTo = 0;
  private acking = false;
  private pumping = false;
  private pumpAgain = false;
  private backpressureTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: RelayContext,
    private readonly socket: RelaySocket,
    readonly address: string,
    /** host[:port] the client dialled: bound into the login signature. */
    private readonly relayHost: string,
  ) {
    const now = ctx.now();
    this.serial = ctx.hub.nextSerial();
    this.nonce = toBase64Url(ctx.randomBytes(24));
    this.challengeExpires = now + ctx.config.authTimeoutMs;
    this.lastHeard = now;
  }

  /** Unique among the sockets of all relays sharing a bus (`login` events name it). */
  get id(): string {
    return `${this.ctx.hub.instance}.${this.serial}`;
  }

  open(): void {
    this.ctx.hub.sockets.add(this);
    this.send({ t: 'challenge', nonce: this.nonce!, ts: this.ctx.now(), relay: this.relayHost });
    this.authTimer = setTimeout(() => {
      if (this.state === 'challenged' || this.state === 'authenticating') {
        this.ctx.metrics.logins.inc({ result: 'timeout' });
        this.close(CLOSE_CODES.authTimeout, 'auth timeout', 'No valid login arrived in time; reconnect.', 'auth_expired');
      }
    }, this.ctx.config.authTimeoutMs);
  }

  /** The runtime reports the socket closed (by either side). */
  onClose(): void {
    this.state = 'closed';
    this.cleanup();
  }

  send(frame: ServerFrame): void {
    if (this.state === 'closed') return;
    const buffered = this.socket.bufferedAmount;
    if (buffered > this.ctx.config.limits.socketMaxBufferedBytes) {
      this.ctx.log.warn('ws.slow_consumer', { device: this.device, buffered });
      this.close(CLOSE_CODES.slowConsumer, 'slow consumer');
      return;
    }
    try {
      this.socket.send(JSON.stringify(frame));
    } catch (err) {
      this.ctx.log.warn('ws.send_failed', { device: this.device, ...errorFields(err) });
    }
  }

  /** Sends an error frame (unless `errorCode` is null) and closes the socket. */
  close(code: number, reason: string, message?: string, errorCode?: ErrorCode): void {
    if (this.state === 'closed') return;
    if (message || errorCode) this.sendError(errorCode ?? 'forbidden', message);
    this.ctx.metrics.socketCloses.inc({ code: String(code) });
    this.state = 'closed';
    this.cleanup();
    try {
      this.socket.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** A frame from the runtime: a string for text frames, anything else is refused. */
  onMessage(data: unknown): void {
    try {
      this.handleFrame(data);
    } catch (err) {
      // Never let one frame take the process down.
      this.ctx.log.error('ws.frame_crash', errorFields(err));
    }
  }

  private handleFrame(data: unknown): void {
    if (this.state === 'closed') return;
    this.lastHeard = this.ctx.now();
    if (typeof data !== 'string') return this.badFrame('bad_frame', 'Frames are JSON text; binary frames are not accepted.');
    const maxBytes = this.ctx.config.limits.maxFrameBytes;
    if (data.length > maxBytes || (data.length * 3 > maxBytes && utf8Length(data) > maxBytes)) {
      return this.badFrame('too_large', `Frames are limited to ${maxBytes} bytes.`);
    }
    if (this.state === 'authenticating') {
      const pending = (this.pendingDuringAuth ??= []);
      if (pending.length >= MAX_PENDING_DURING_AUTH) return this.close(CLOSE_CODES.tooManyErrors, 'too many frames before login', 'Wait for `ready` before sending.', 'rate_limited');
      pending.push(data);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return this.badFrame('bad_frame', 'The frame is not valid JSON.');
    }
    const parsed = ClientFrame.safeParse(json);
    if (!parsed.success) return this.badFrame('bad_frame', describeIssue(parsed.error), refOf(json));
    const frame = parsed.data;

    if (this.state === 'challenged') {
      if (frame.t === 'auth') return void this.authenticate(frame);
      if (frame.t === 'ping') return this.send({ t: 'pong', n: frame.n });
      if (frame.t === 'pong') return;
      return this.badFrame('unauthenticated', 'Send `auth` first.', refOf(json));
    }
    if (!this.ctx.deviceFrames.take(this.device!, this.lastHeard)) {
      if (frame.t === 'send') this.ctx.metrics.sends.inc({ outcome: 'refused' });
      this.sendError('rate_limited', `This device sends more than ${this.ctx.config.limits.deviceFramesPerSecond} frames per second; the frame was not applied.`, frame.t === 'send' ? frame.cid : undefined);
      return;
    }
    this.badFrames = 0;
    switch (frame.t) {
      case 'auth':
        return this.sendError('bad_frame', 'This socket is already authenticated.');
      case 'ping':
        return this.send({ t: 'pong', n: frame.n });
      case 'pong':
        return;
      case 'send': {
        const received = performance.now();
        this.sendChain = (this.sendChain ?? Promise.resolve()).then(() => this.handleSend(frame, received));
        return;
      }
      case 'ack':
        return this.handleAck(frame.upTo);
      case 'eph':
        for (const { d, b } of frame.to) this.ctx.bus.publish({ type: 'eph', device: d, body: b });
        return;
      case 'presence.sub':
        if (frame.users.length > this.ctx.config.limits.maxPresenceSubscriptions) {
          return this.sendError('bad_request', `At most ${this.ctx.config.limits.maxPresenceSubscriptions} users can be watched.`);
        }
        return this.inPresenceOrder(() => this.ctx.hub.watch(this, frame.users));
      case 'presence.set':
        return this.inPresenceOrder(() => this.ctx.hub.setVisibility(this.user!, frame.visibility));
    }
  }

  private inPresenceOrder(task: () => Promise<void>): void {
    this.presenceChain = (this.presenceChain ?? Promise.resolve()).then(task).catch((err) => this.internalError(err));
  }

  /** Reads and sends pending entries while the window and the socket buffer allow. */
  pump(upTo?: number): void {
    if (!this.greeted) return;
    if (upTo !== undefined && this.cursor >= upTo) return; // already sent (see offer)
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.runPump().finally(() => {
      this.pumping = false;
    });
  }

  /**
   * Entries this relay just committed to the device's mailbox, in seq order. A caught-up
   * socket with room in its window gets them at once, without reading them back; in any
   * other case (a pump running, a gap, a full window or buffer) they are left to the pump,
   * which reads the store as always.
   */
  offer(entries: MailboxEntry[]): void {
    if (!this.greeted || this.pumping || entries.length === 0) return;
    const first = entries[0].seq;
    const last = entries[entries.length - 1].seq;
    if (first !== this.cursor + 1 || last !== first + entries.length - 1) return;
    const { deliveryBatch, deliveryWindow, socketHighWaterBytes } = this.ctx.config.limits;
    if (entries.length > deliveryBatch || last - this.acked > deliveryWindow) return;
    if (this.socket.bufferedAmount > socketHighWaterBytes) return;
    this.cursor = last;
    this.send({ t: 'deliver', m: entries.map((e) => ({ s: e.seq, b: e.body, ts: e.ts })) });
    this.ctx.metrics.entriesDelivered.inc(entries.length);
  }

  // ------------------------------------------------------------------ internals

  /** A method, so TypeScript does not narrow `state` across awaits. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private async runPump(): Promise<void> {
    const { deliveryBatch, deliveryWindow, socketHighWaterBytes } = this.ctx.config.limits;
    try {
      do {
        this.pumpAgain = false;
        while (this.state === 'ready') {
          const room = deliveryWindow - (this.cursor - this.acked);
          if (room <= 0) break; // resumes on ack
          if (this.socket.bufferedAmount > socketHighWaterBytes) {
            this.backpressureTimer ??= setTimeout(() => {
              this.backpressureTimer = undefined;
              this.pump();
            }, BACKPRESSURE_RETRY_MS);
            break;
          }
          const limit = Math.min(deliveryBatch, room);
          const entries = await this.ctx.store.read(this.device!, this.cursor, limit, this.ctx.now());
          if (entries.length === 0 || this.state !== 'ready') break;
          this.cursor = entries[entries.length - 1].seq;
          this.send({ t: 'deliver', m: entries.map((e) => ({ s: e.seq, b: e.body, ts: e.ts })) });
          this.ctx.metrics.entriesDelivered.inc(entries.length);
          if (entries.length < limit) break;
        }
      } while (this.pumpAgain && this.state === 'ready');
    } catch (err) {
      this.ctx.log.error('deliver.read_failed', { device: this.device, ...errorFields(err) });
    }
  }

  private async authenticate(frame: z.infer<typeof AuthFrame>): Promise<void> {
    this.state = 'authenticating';
    const nonce = this.nonce;
    this.nonce = null; // single use, whatever the outcome
    const now = this.ctx.now();
    const fail = (code: 'auth_failed' | 'auth_expired', message: string) => {
      this.ctx.metrics.logins.inc({ result: code });
      this.ctx.log.info('ws.auth_refused', { code, address: this.address });
      this.close(CLOSE_CODES.authFailed, 'auth failed', message, code);
    };
    if (nonce === null || now > this.challengeExpires) return fail('auth_expired', 'The challenge expired or was used; reconnect for a new one.');
    if (Math.abs(frame.ts - now) > this.ctx.config.authSkewMs) return fail('auth_failed', 'The login timestamp is too far from the relay clock.');
    try {
      const commitsBefore = this.ctx.commits.completed;
      const login = await this.readLogin(frame.device);
      if (this.isClosed()) return;
      if (!login || !verifyEd25519(login.signingKey, wsAuthSigningInput(this.relayHost, nonce, frame.device, frame.ts), frame.sig)) {
        return fail('auth_failed', 'The login signature does not verify for that device.');
      }
      const { lastSeq, prekeys } = login;
      clearTimeout(this.authTimer);
      this.authTimer = undefined;
      this.device = frame.device;
      this.user = login.userId;
      // Resume after what the device already holds, but never past what was issued:
      // a too-high `after` would silently skip entries yet to be written.
      this.cursor = Math.min(frame.after ?? 0, lastSeq);
      this.acked = this.cursor;
      this.deletedUpTo = 0;
      this.state = 'ready';
      // The presence settings, when the store read them with the rest (else the hub reads them).
      await this.ctx.hub.attach(this, login.visibility === undefined ? undefined : (login as LoginState));
      if (this.isClosed()) return;
      this.ctx.metrics.logins.inc({ result: 'ok' });
      this.ctx.log.debug('ws.ready', { device: this.device });
      this.send({ t: 'ready', device: this.device, user: this.user, prekeys, serverTime: this.ctx.now() });
      this.readySent = true;
      if (prekeys < PREKEY_LOW_WATER) this.send({ t: 'prekeys.low', remaining: prekeys });
      const pending = this.pendingDuringAuth;
      this.pendingDuringAuth = undefined;
      if (pending) for (const data of pending) this.onMessage(data);
      // Catch up with the mailbox, unless the login read showed nothing beyond `after` and
      // nothing can have arrived since: on one relay (no bus to follow) every append is
      // this relay's own, and none completed since the read. Anything later wakes the pump.
      const quiet = !this.ctx.bus.followDevice && this.ctx.commits.completed === commitsBefore && this.cursor >= lastSeq;
      if (!quiet) this.pump();
    } catch (err) {
      this.ctx.metrics.logins.inc({ result: 'error' });
      this.ctx.log.error('ws.auth_error', errorFields(err));
      if (!this.isClosed()) this.close(CLOSE_CODES.authFailed, 'auth error', 'The relay could not check the login; retry.', 'internal');
    }
  }

  /**
   * What the login needs, in one store read where the store offers it (the SQLite store
   * does); else the device record (through the directory's cache) and two counts, and the
   * hub reads the presence settings itself.
   */
  private async readLogin(device: string): Promise<(Omit<LoginState, 'lastSeen' | 'visibility'> & Partial<LoginState>) | null> {
    const store = this.ctx.store;
    if (store.loginState) return store.loginState(device);
    const record = await this.ctx.directory.device(device);
    if (!record) return null;
    const [lastSeq, prekeys] = await Promise.all([store.lastSeq(device), store.countOneTimePrekeys(device)]);
    return { userId: record.userId, signingKey: record.keys.signingKey, lastSeq, prekeys };
  }

  private async handleSend(f: SendFrame, received: number): Promise<void> {
    if (this.state !== 'ready') return;
    const ctx = this.ctx;
    const refuse = (code: ErrorCode, message?: string) => {
      ctx.metrics.sends.inc({ outcome: 'refused' });
      this.sendError(code, message, f.cid);
    };
    const { maxRecipients } = ctx.config.limits;
    if (ctx.shuttingDown) return refuse('shutting_down');
    try {
      const now = ctx.now();
      const to = f.to ?? [];
      if (to.length > maxRecipients) return refuse('too_many_recipients', `A send may name at most ${maxRecipients} devices.`);
      const items: AppendItem[] = [];
      const named = new Set<string>();
      for (const t of to) {
        if (named.has(t.d)) return refuse('bad_frame', `Device ${t.d} is named twice.`);
        named.add(t.d);
        items.push({ device: t.d, body: t.b });
      }
      const records = await Promise.all(to.map((t) => ctx.directory.device(t.d)));
      const missing = to.findIndex((_, i) => !records[i]);
      if (missing >= 0) return refuse('unknown_device', `Device ${to[missing].d} is not registered on this relay.`);

      const users = [...new Set([...(f.check ?? []), ...(f.fanout?.users ?? [])])];
      if (users.length > 0) {
        const lists = await ctx.directory.deviceLists(users, now);
        const unknown = users.find((u) => !lists.has(u));
        if (unknown) return refuse('unknown_user', `User ${unknown} is not registered on this relay.`);
        const current = new Map<string, string[]>();
        for (const u of users) current.set(u, (await ctx.directory.currentDevices(lists.get(u)!)).filter((d) => d !== this.device));
        if (f.check) {
          const stale: SignedDeviceList[] = [];
          for (const u of new Set(f.check)) {
            const want = current.get(u)!;
            const got = to.filter((_, i) => records[i]!.userId === u && to[i].d !== this.device).map((t) => t.d);
            if (got.length !== want.length || !want.every((d) => named.has(d))) stale.push(lists.get(u)!);
          }
          if (stale.length > 0) {
            ctx.metrics.sends.inc({ outcome: 'refused' });
            this.send({ t: 'error', code: 'stale_devices', message: ERROR_CODES.stale_devices, ref: f.cid, lists: stale });
            return;
          }
        }
        if (f.fanout) {
          for (const u of new Set(f.fanout.users)) {
            for (const d of current.get(u)!) {
              if (named.has(d)) return refuse('bad_frame', `Device ${d} is named in both \`to\` and \`fanout\`.`);
              named.add(d);
              items.push({ device: d, body: f.fanout.b });
            }
          }
        }
      }
      if (items.length > maxRecipients) return refuse('too_many_recipients', `A send may reach at most ${maxRecipients} devices.`);
      const done = (outcome: 'stored' | 'duplicate') => {
        ctx.metrics.sends.inc({ outcome });
        ctx.metrics.sendLatency.observe((performance.now() - received) / 1000);
      };
      if (items.length === 0) {
        this.send({ t: 'sent', cid: f.cid, seqs: [], ts: now });
        return done('stored');
      }
      // Not awaited: the next send of this socket may join the same group commit.
      ctx.commits
        .append({ sender: this.device!, cid: f.cid, items, now, expiresAt: now + ctx.config.ttlMs })
        .then((r) => {
          this.send({ t: 'sent', cid: f.cid, seqs: r.seqs.map((s) => ({ d: s.device, s: s.seq })), ts: r.ts, ...(r.duplicate ? { dup: true } : {}) });
          done(r.duplicate ? 'duplicate' : 'stored');
        })
        .catch((err) => {
          ctx.metrics.sends.inc({ outcome: 'error' });
          this.internalError(err, f.cid);
        });
    } catch (err) {
      ctx.metrics.sends.inc({ outcome: 'error' });
      this.internalError(err, f.cid);
    }
  }

  private handleAck(upTo: number): void {
    // Only this socket's own mailbox, and never beyond what it was actually sent.
    const clamped = Math.min(upTo, this.cursor);
    if (clamped <= this.acked) return;
    // Entries wait unread only while the window is full; any other new entry brought its
    // own wake-up (an offer or a mailbox event), so an ack need not re-read the mailbox.
    const windowWasFull = this.cursor - this.acked >= this.ctx.config.limits.deliveryWindow;
    this.acked = clamped;
    if (windowWasFull) this.pump(); // the window moved; deletion can follow
    if (!this.acking) void this.deleteAcked();
  }

  /**
   * Deletes acknowledged entries, one store call at a time per device: acks that arrive
   * meanwhile are coalesced into the next call (each call is a transaction).
   */
  private async deleteAcked(): Promise<void> {
    this.acking = true;
    try {
      while (this.deletedUpTo < this.acked) {
        const upTo = this.acked;
        await this.ctx.store.ack(this.device!, upTo);
        this.deletedUpTo = upTo;
      }
    } catch (err) {
      this.internalError(err);
    } finally {
      this.acking = false;
    }
  }

  private sendError(code: ErrorCode, message: string = ERROR_CODES[code], ref?: string): void {
    this.send({ t: 'error', code, message, ...(ref !== undefined ? { ref } : {}) });
  }

  private badFrame(code: ErrorCode, message: string, ref?: string): void {
    this.sendError(code, message, ref);
    if (++this.badFrames >= this.ctx.config.limits.maxBadFrames) {
      this.ctx.log.info('ws.too_many_errors', { device: this.device, address: this.address });
      this.close(CLOSE_CODES.tooManyErrors, 'too many invalid frames', 'Too many invalid frames in a row.', 'bad_frame');
    }
  }

  private internalError(err: unknown, ref?: string): void {
    this.ctx.log.error('ws.internal', { device: this.device, ...errorFields(err) });
    this.sendError('internal', undefined, ref);
  }

  private cleanup(): void {
    clearTimeout(this.authTimer);
    clearTimeout(this.backpressureTimer);
    this.authTimer = this.backpressureTimer = undefined;
    this.pendingDuringAuth = undefined;
    this.ctx.hub.detach(this);
  }
}

/** UTF-8 length without encoding; exact, and fast for the ASCII JSON clients send. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) i++, (n += 2);
    else n += 2;
  }
  return n;
}

/** The first schema issue as a sentence (paths and expectations only, never the value). */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return ERROR_CODES.bad_frame;
  const path = issue.path.length > 0 ? issue.path.join('.') + ': ' : '';
  return `${path}${issue.message}`.slice(0, 200);
}

/** The `cid` of a (possibly invalid) send frame, so the sender can match the error. */
function refOf(json: unknown): string | undefined {
  const cid = (json as { cid?: unknown } | null)?.cid;
  return typeof cid === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(cid) ? cid : undefined;
}
