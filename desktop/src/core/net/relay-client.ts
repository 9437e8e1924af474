// The connection to a relay: one authenticated WebSocket, kept alive and re-established.
//
// - Login answers the relay's `challenge` by signing wsAuthSigningInput(host, nonce,
//   device, ts) with the device key, and resumes delivery `after` the highest sequence
//   number committed locally.
// - `deliver` batches go, one at a time and in order, to `onDeliver`, which resolves only
//   once the entries are committed; only then is `ack {upTo}` sent. A crash between
//   receipt and commit leaves the entries on the relay, which redelivers them.
// - Sends are correlated with their `sent` / `error` answer by client message id.
// - Heartbeats: pings are answered; the client pings on its own and treats silence for
//   two intervals as a dead connection. Drops reconnect with exponential backoff and jitter.
// - Every frame from the relay is validated against the ServerFrame schema; a bad frame is
//   logged and ignored.
import {
  CLOSE_CODES,
  ServerFrame,
  wsAuthSigningInput,
  type DeliveredEntry,
  type SignedDeviceList,
} from '@parley/common/protocol';
import type { ConnectionState, ConnectionStatus } from '@parley/common/api/index';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { DEFAULT_RECONNECT_BACKOFF, reconnectDelay, type BackoffPolicy } from './backoff.ts';
import { silentLog, type CoreLog } from './log.ts';
import type { RelayEndpoint } from './relay-endpoint.ts';
import type { RelaySocket, SocketFactory } from './socket.ts';

/** Signs as this device: Ed25519 over `message`, base64url. */
export interface DeviceSigner {
  deviceId: string;
  sign(message: Uint8Array): string;
}

export interface SendRequest {
  cid: string;
  to?: { d: string; b: string }[];
  fanout?: { users: string[]; b: string };
  check?: string[];
}

export type SendResult =
  | { ok: true; seqs: { d: string; s: number }[]; ts: number; dup: boolean }
  | { ok: false; code: string; message: string; lists?: SignedDeviceList[] };

export interface ReadyInfo {
  userId: string;
  deviceId: string;
  prekeys: number;
  serverTime: number;
}

export interface RelayClientHandlers {
  /** Resolve only after the entries are durably committed; then they are acknowledged. */
  deliver(entries: DeliveredEntry[]): Promise<void>;
  ready?(info: ReadyInfo): void;
  ephemeral?(payload: string): void;
  presence?(p: { userId: string; online: boolean; lastSeen: number | null }): void;
  prekeysLow?(remaining: number): void;
  state?(status: ConnectionStatus): void;
  /** The relay dropped this device from its list (close 4005) or another login replaced it (4007). */
  stopped?(reason: 'device_removed' | 'replaced'): void;
}

export interface RelayClientOptions {
  endpoint: RelayEndpoint;
  signer: DeviceSigner;
  /** The highest mailbox sequence number committed locally. */
  committedSeq(): number;
  handlers: RelayClientHandlers;
  socketFactory: SocketFactory;
  clock?: Clock;
  log?: CoreLog;
  random?: () => number;
  backoff?: Partial<BackoffPolicy>;
  /** Own ping interval; silence for twice this closes the socket. The relay pings every 30 s. */
  heartbeatMs?: number;
  /** A send with no answer within this is reported as failed (the outbox retries it). */
  sendTimeoutMs?: number;
}

export class RelayOfflineError extends Error {
  readonly code = 'offline';
  constructor(message = 'Not connected to the relay.') {
    super(message);
    this.name = 'RelayOfflineError';
  }
}

interface PendingSend {
  resolve(r: SendResult): void;
  reject(e: Error): void;
  timer: unknown;
}

export class RelayClient {
  private socket: RelaySocket | null = null;
  /** Bumped for every socket, so late events of an old one are ignored. */
  private generation = 0;
  private state: ConnectionState = 'offline';
  private attempt = 0;
  private nextAttemptAt: number | null = null;
  private lastError: string | null = null;
  private reconnectTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  private lastHeard = 0;
  private pingCounter = 0;
  private running = false;
  private pending = new Map<string, PendingSend>();
  private deliverChain: Promise<void> = Promise.resolve();
  private readonly clock: Clock;
  private readonly log: CoreLog;
  private readonly backoff: BackoffPolicy;
  private readonly heartbeatMs: number;
  private pendingCount = 0;

  constructor(private readonly opts: RelayClientOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLog;
    this.backoff = { ...DEFAULT_RECONNECT_BACKOFF, ...opts.backoff };
    this.heartbeatMs = opts.heartbeatMs ?? 20_000;
  }

  get online(): boolean {
    return this.state === 'online';
  }

  status(): ConnectionStatus {
    return { state: this.state, nextAttemptAt: this.nextAttemptAt, lastError: this.lastError, pendingCount: this.pendingCount };
  }

  /** The outbox's size, echoed in status events. */
  setPendingCount(n: number): void {
    this.pendingCount = n;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.dial('connecting');
  }

  /** Closes the socket and stops reconnecting; pending sends fail with RelayOfflineError. */
  stop(): void {
    this.running = false;
    this.clearTimers();
    this.dropSocket(1000, 'client stopping');
    this.setState('offline');
  }

  /** Resolves when the delivery batch being processed (if any) is done. */
  drained(): Promise<void> {
    return this.deliverChain;
  }

  /** Sends and waits for the relay's `sent` or `error` for this cid. */
  send(req: SendRequest): Promise<SendResult> {
    if (!this.online || !this.socket) return Promise.reject(new RelayOfflineError());
    if (this.pending.has(req.cid)) return Promise.reject(new Error(`a send with cid ${req.cid} is already in flight`));
    const frame: Record<string, unknown> = { t: 'send', cid: req.cid };
    if (req.to?.length) frame.to = req.to;
    if (req.fanout) frame.fanout = req.fanout;
    if (req.check?.length) frame.check = req.check;
    return new Promise<SendResult>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(req.cid);
        reject(new RelayOfflineError('The relay did not answer the send in time.'));
      }, this.opts.sendTimeoutMs ?? 15_000);
      this.pending.set(req.cid, { resolve, reject, timer });
      this.write(frame);
    });
  }

  /** Ephemeral frames go only to devices connected right now; nothing is stored or confirmed. */
  sendEphemeral(to: { d: string; b: string }[]): boolean {
    if (!this.online || to.length === 0) return false;
    this.write({ t: 'eph', to });
    return true;
  }

  subscribePresence(users: string[]): void {
    if (this.online) this.write({ t: 'presence.sub', users });
  }

  setPresenceVisibility(visibility: 'everyone' | 'nobody'): void {
    if (this.online) this.write({ t: 'presence.set', visibility });
  }

  // ------------------------------------------------------------------ connection

  private dial(state: ConnectionState): void {
    if (!this.running) return;
    this.nextAttemptAt = null;
    this.setState(state);
    const gen = ++this.generation;
    this.lastHeard = this.clock.now();
    let socket: RelaySocket;
    try {
      socket = this.opts.socketFactory(this.opts.endpoint.wsUrl, {
        open: () => {
          if (gen === this.generation) this.lastHeard = this.clock.now();
        },
        message: (text) => {
          if (gen === this.generation) this.onText(text, gen);
        },
        close: (code, reason) => {
          if (gen === this.generation) this.onClose(code, reason);
        },
        error: (err) => {
          if (gen === this.generation) {
            this.lastError = err.message || 'connection error';
            this.log.debug('relay.socket_error', { error: this.lastError });
          }
        },
      });
    } catch (err) {
      this.lastError = String((err as Error).message ?? err);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.startHeartbeat(gen);
  }

  private onClose(code: number, reason: string): void {
    this.socket = null;
    this.stopHeartbeat();
    this.failPending('The connection to the relay closed.');
    if (!this.running) return;
    this.log.info('relay.closed', { code, reason });
    if (code === CLOSE_CODES.deviceRemoved || code === CLOSE_CODES.replaced) {
      this.lastError = code === CLOSE_CODES.deviceRemoved ? 'This device was removed from the account.' : 'This device logged in from another connection.';
      this.running = false;
      this.setState('offline');
      this.opts.handlers.stopped?.(code === CLOSE_CODES.deviceRemoved ? 'device_removed' : 'replaced');
      return;
    }
    if (!this.lastError) this.lastError = `connection closed (${code})`;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    const delay = reconnectDelay(this.attempt++, this.backoff, this.opts.random);
    this.nextAttemptAt = this.clock.now() + delay;
    this.setState('reconnecting');
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      this.dial('reconnecting');
    }, delay);
  }

  private dropSocket(code: number, reason: string): void {
    const s = this.socket;
    this.socket = null;
    this.generation++;
    this.stopHeartbeat();
    this.failPending('The connection to the relay closed.');
    try {
      s?.close(code, reason);
    } catch {
      // already closed
    }
  }

  /** Closes a socket that looks dead and reconnects. */
  private reconnectNow(reason: string): void {
    this.lastError = reason;
    this.dropSocket(4000, reason);
    this.scheduleReconnect();
  }

  private failPending(message: string): void {
    for (const [cid, p] of this.pending) {
      this.clock.clearTimeout(p.timer);
      p.reject(new RelayOfflineError(message));
      this.pending.delete(cid);
    }
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.opts.handlers.state?.(this.status());
  }

  private write(frame: unknown): void {
    try {
      this.socket?.send(JSON.stringify(frame));
    } catch (err) {
      this.log.warn('relay.write_failed', { error: String((err as Error).message ?? err) });
    }
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== null) this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
  }

  // ------------------------------------------------------------------ heartbeats

  private startHeartbeat(gen: number): void {
    this.stopHeartbeat();
    const tick = () => {
      if (gen !== this.generation) return;
      if (this.clock.now() - this.lastHeard > 2 * this.heartbeatMs) {
        this.log.info('relay.silent', { ms: this.clock.now() - this.lastHeard });
        this.reconnectNow('The relay stopped answering.');
        return;
      }
      if (this.online) this.write({ t: 'ping', n: ++this.pingCounter });
      this.heartbeatTimer = this.clock.setTimeout(tick, this.heartbeatMs);
    };
    this.heartbeatTimer = this.clock.setTimeout(tick, this.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) this.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  // ------------------------------------------------------------------ frames

  private onText(text: string, gen: number): void {
    this.lastHeard = this.clock.now();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.log.warn('relay.bad_frame', { reason: 'not JSON' });
      return;
    }
    const parsed = ServerFrame.safeParse(json);
    if (!parsed.success) {
      const t = json && typeof json === 'object' ? String((json as { t?: unknown }).t) : typeof json;
      this.log.warn('relay.bad_frame', { t, issue: parsed.error.issues[0]?.message });
      return;
    }
    try {
      this.onFrame(parsed.data, gen);
    } catch (err) {
      this.log.warn('relay.frame_handler_failed', { t: parsed.data.t, error: String((err as Error).message ?? err) });
    }
  }

  private onFrame(f: ServerFrame, gen: number): void {
    switch (f.t) {
      case 'challenge': {
        const ts = this.clock.now();
        const { deviceId } = this.opts.signer;
        const sig = this.opts.signer.sign(wsAuthSigningInput(this.opts.endpoint.host, f.nonce, deviceId, ts));
        this.write({ t: 'auth', device: deviceId, ts, sig, after: this.opts.committedSeq() });
        return;
      }
      case 'ready':
        this.attempt = 0;
        this.lastError = null;
        this.setState('online');
        this.opts.handlers.ready?.({ userId: f.user, deviceId: f.device, prekeys: f.prekeys, serverTime: f.serverTime });
        return;
      case 'deliver':
        this.deliverChain = this.deliverChain.then(() => this.handleDeliver(f.m, gen));
        return;
      case 'sent': {
        const p = this.pending.get(f.cid);
        if (!p) return;
        this.pending.delete(f.cid);
        this.clock.clearTimeout(p.timer);
        p.resolve({ ok: true, seqs: f.seqs, ts: f.ts, dup: f.dup ?? false });
        return;
      }
      case 'error': {
        const p = f.ref ? this.pending.get(f.ref) : undefined;
        if (p) {
          this.pending.delete(f.ref!);
          this.clock.clearTimeout(p.timer);
          p.resolve({ ok: false, code: f.code, message: f.message, lists: f.lists });
          return;
        }
        this.lastError = f.message;
        this.log.warn('relay.error', { code: f.code, ref: f.ref });
        return;
      }
      case 'eph':
        this.opts.handlers.ephemeral?.(f.b);
        return;
      case 'presence':
        this.opts.handlers.presence?.({ userId: f.u, online: f.online, lastSeen: f.lastSeen });
        return;
      case 'prekeys.low':
        this.opts.handlers.prekeysLow?.(f.remaining);
        return;
      case 'ping':
        this.write({ t: 'pong', ...(f.n !== undefined ? { n: f.n } : {}) });
        return;
      case 'pong':
        return;
    }
  }

  private async handleDeliver(entries: DeliveredEntry[], gen: number): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.opts.handlers.deliver(entries);
    } catch (err) {
      // Not committed: acknowledging now would lose the entries. Reconnect; the relay
      // redelivers everything after our committed cursor.
      this.log.warn('relay.deliver_failed', { error: String((err as Error).message ?? err), count: entries.length });
      if (gen === this.generation) this.reconnectNow('Storing received messages failed.');
      return;
    }
    if (gen === this.generation && this.online) this.write({ t: 'ack', upTo: entries[entries.length - 1].s });
  }
}
