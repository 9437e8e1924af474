// The outbox: everything this device must send, persisted before any attempt. A message
// is written to `messages` (status pending) and to `outbox` in ONE transaction, so a
// crash at any point leaves either nothing or a pending message that will be sent. Each
// attempt reuses the item's client message id, so a retry after a crash between the
// relay's commit and our bookkeeping is deduplicated by the relay, never shown twice.
//
// Policy: attempts are counted only while the transport is up (time offline does not use
// up the budget); after a `retry` outcome the next attempt waits base·2^(n-1), capped,
// with jitter so a crowd of clients does not retry in lockstep; after maxAttempts (or a
// `fatal` outcome, or maxAgeMs if set) the item and its message become failed, and
// retry() puts it back with a fresh budget. The transport is injected: the relay
// connection in the app, a fake in unit tests.
import type { Message, MessageId, MessageStatus } from '@parley/common/api/index';
import type { Clock } from './clock.ts';
import type { Db } from './db/database.ts';
import type { MessageStore, NewOutgoing } from './store/message-store.ts';

export type OutboxKind = 'message' | 'reaction' | 'receipt' | 'doc-change' | 'control';

export interface OutboxItem {
  id: number;
  kind: OutboxKind;
  conversationId: string | null;
  messageId: MessageId | null;
  clientMsgId: string;
  payload: unknown;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
}

export type SendOutcome = 'sent' | 'retry' | 'fatal';

export interface OutboxTransport {
  /** 'sent' once the relay acknowledged; 'retry' for transient trouble; 'fatal' if it can never succeed. */
  send(item: OutboxItem): Promise<SendOutcome>;
}

export interface OutboxPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Fraction of each delay that is randomised: 0 = none, 0.5 = delay in [d/2, d]. */
  jitter: number;
  maxAttempts: number;
  /** Fail items older than this even with attempts left; null = no age bound. */
  maxAgeMs: number | null;
}

export const DEFAULT_OUTBOX_POLICY: OutboxPolicy = {
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  jitter: 0.5,
  maxAttempts: 10,
  maxAgeMs: null,
};

export interface OutboxOptions {
  transport: OutboxTransport;
  clock: Clock;
  policy?: Partial<OutboxPolicy>;
  random?: () => number;
  /** Called when a message's status changes because of the outbox. */
  onStatus?: (messageId: MessageId, status: MessageStatus) => void;
}

interface OutboxRow {
  id: number;
  kind: OutboxKind;
  conversation_id: string | null;
  message_id: number | null;
  sender_user_id: string | null;
  msg_client_id: string | null;
  client_msg_id: string;
  payload: string;
  state: 'queued' | 'failed';
  attempts: number;
  next_attempt_at: number;
  created_at: number;
}

const SELECT_ITEMS = `SELECT o.*, m.sender_user_id, m.client_msg_id AS msg_client_id FROM outbox o LEFT JOIN messages m ON m.id = o.message_id`;

/** The delay before attempt n+1 after n failed attempts (n ≥ 1). */
export function backoffDelay(attempts: number, policy: OutboxPolicy, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp * (1 - policy.jitter * random()));
}

export class Outbox {
  readonly policy: OutboxPolicy;
  private online = false;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: unknown = null;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly messages: MessageStore,
    private readonly opts: OutboxOptions,
  ) {
    this.policy = { ...DEFAULT_OUTBOX_POLICY, ...opts.policy };
  }

  /** Stores a new outgoing message and its outbox entry atomically; returns it pending. */
  queueMessage(message: NewOutgoing, payload: unknown): Message {
    const queued = this.db.transaction(() => {
      const stored = this.messages.insertOutgoing(message);
      this.insert('message', message.conversationId, this.messages.rowIdOf(stored.id), message.clientMsgId, payload);
      return stored;
    })();
    this.kick();
    return queued;
  }

  /** Queues something that is not a visible message (reaction, receipt, document change). */
  queue(kind: Exclude<OutboxKind, 'message'>, clientMsgId: string, payload: unknown, conversationId: string | null = null): void {
    this.insert(kind, conversationId, null, clientMsgId, payload);
    this.kick();
  }

  private kick(): void {
    if (this.online && !this.stopped) void this.flush();
  }

  private insert(kind: OutboxKind, conversationId: string | null, messageRowId: number | null, clientMsgId: string, payload: unknown) {
    const t = this.opts.clock.now();
    this.db
      .prepare(`INSERT INTO outbox (kind, conversation_id, message_id, client_msg_id, payload, state, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?)`)
      .run(kind, conversationId, messageRowId, clientMsgId, JSON.stringify(payload), t, t);
  }

  /** The transport came up or went down. Going up sends everything due at once. */
  setOnline(online: boolean): void {
    this.online = online;
    if (online) this.kick();
    else this.clearTimer();
  }

  /** Everything queued: messages, receipts, reactions, document changes, control items. */
  pendingCount(): number {
    return this.db.prepare(`SELECT count(*) FROM outbox WHERE state = 'queued'`).pluck().get() as number;
  }

  /**
   * Queued messages the user wrote: what "N messages will be sent" counts. Receipts and
   * other bookkeeping are not messages to the user (regression: reading a conversation
   * while offline made the banner count a message nobody wrote).
   */
  pendingMessageCount(): number {
    return this.db.prepare(`SELECT count(*) FROM outbox WHERE state = 'queued' AND kind = 'message'`).pluck().get() as number;
  }

  items(state: 'queued' | 'failed' = 'queued'): OutboxItem[] {
    return (this.db.prepare(`${SELECT_ITEMS} WHERE o.state = ? ORDER BY o.id`).all(state) as OutboxRow[]).map(toItem);
  }

  /** Puts a failed message back in the queue with a fresh attempt budget, same client message id. */
  retry(messageId: MessageId): Message {
    const rowId = this.messages.rowIdOf(messageId);
    const changed = this.db.transaction(() => {
      const res = this.db
        .prepare(`UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = ?, created_at = ?, last_error = NULL WHERE message_id = ? AND state = 'failed'`)
        .run(this.opts.clock.now(), this.opts.clock.now(), rowId);
      if (res.changes > 0) this.messages.setStatus(messageId, 'pending');
      return res.changes > 0;
    })();
    if (changed) {
      this.opts.onStatus?.(messageId, 'pending');
      this.kick();
    }
    return this.messages.get(messageId);
  }

  /**
   * Attempts every due item once, oldest first. Concurrent calls share one run. Display
   * order does not depend on send order (receivers sort by sender clock), so one stuck
   * item never holds the others back.
   */
  flush(): Promise<void> {
    this.again = true;
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      // A flush requested mid-run (a new message, a retry) makes the loop look again, so
      // nothing queued during a run waits for the next timer.
      while (this.again) {
        this.again = false;
        await this.run();
      }
    } finally {
      this.running = null;
      this.schedule();
    }
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private async run(): Promise<void> {
    while (this.online && !this.stopped) {
      const row = this.db
        .prepare(`${SELECT_ITEMS} WHERE o.state = 'queued' AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT 1`)
        .get(this.opts.clock.now()) as OutboxRow | undefined;
      if (!row) return;
      const item = toItem(row);
      let outcome: SendOutcome;
      let error: string | null = null;
      try {
        outcome = await this.opts.transport.send(item);
      } catch (err) {
        outcome = 'retry';
        error = String((err as Error)?.message ?? err);
      }
      this.record(item, outcome, error);
    }
  }

  private record(item: OutboxItem, outcome: SendOutcome, error: string | null): void {
    const now = this.opts.clock.now();
    const attempts = item.attempts + 1;
    let status: MessageStatus | null = null;
    this.db.transaction(() => {
      if (outcome === 'sent') {
        this.db.prepare(`DELETE FROM outbox WHERE id = ?`).run(item.id);
        status = 'sent';
      } else {
        const tooOld = this.policy.maxAgeMs !== null && now - item.createdAt >= this.policy.maxAgeMs;
        if (outcome === 'fatal' || attempts >= this.policy.maxAttempts || tooOld) {
          this.db.prepare(`UPDATE outbox SET state = 'failed', attempts = ?, last_error = ? WHERE id = ?`).run(attempts, error ?? outcome, item.id);
          status = 'failed';
        } else {
          const next = now + backoffDelay(attempts, this.policy, this.opts.random ?? Math.random);
          this.db.prepare(`UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`).run(attempts, next, error, item.id);
        }
      }
      if (status && item.messageId) this.messages.setStatus(item.messageId, status);
    })();
    if (status && item.messageId) this.opts.onStatus?.(item.messageId, status);
  }

  /** Arms one timer for the earliest queued item, while online. */
  private schedule(): void {
    this.clearTimer();
    if (!this.online || this.stopped) return;
    const next = this.db.prepare(`SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued'`).pluck().get() as number | null;
    if (next === null) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, Math.max(0, next - this.opts.clock.now()));
  }

  private clearTimer(): void {
    if (this.timer !== null) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

function toItem(r: OutboxRow): OutboxItem {
  return {
    id: r.id,
    kind: r.kind,
    conversationId: r.conversation_id,
    messageId: r.sender_user_id && r.msg_client_id ? `${r.sender_user_id}:${r.msg_client_id}` : null,
    clientMsgId: r.client_msg_id,
    payload: JSON.parse(r.payload),
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
  };
}
