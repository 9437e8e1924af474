// The transport here is a FAKE (a scripted stand-in for the relay connection, which is
// being built separately): these tests pin the outbox's own policy — persistence, backoff,
// failure bound, retry — against a real SQLite file. The real relay replaces the fake in
// the cross-part tests of desktop/test once the relay client is wired in.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './db/database.ts';
import { backoffDelay, DEFAULT_OUTBOX_POLICY, Outbox, type OutboxItem, type OutboxPolicy, type SendOutcome } from './outbox.ts';
import { ConversationStore } from './store/conversation-store.ts';
import { MessageStore } from './store/message-store.ts';
import { ManualClock } from './testing/manual-clock.ts';
import { tempProfile } from './testing/temp-profile.ts';

const ME = 'a'.repeat(32);
const BOB = 'b'.repeat(32);
const conv = `d:${BOB}`;

class FakeTransport {
  calls: OutboxItem[] = [];
  script: (SendOutcome | Error)[] = [];
  fallback: SendOutcome = 'sent';
  async send(item: OutboxItem): Promise<SendOutcome> {
    this.calls.push(item);
    const next = this.script.shift() ?? this.fallback;
    if (next instanceof Error) throw next;
    return next;
  }
}

let profile: ReturnType<typeof tempProfile>;
let db: Db;
let clock: ManualClock;
let transport: FakeTransport;
let statuses: string[];

function open(policy: Partial<OutboxPolicy> = {}) {
  db = openDatabase(profile.dir);
  const messages = new MessageStore(db, () => clock.now());
  new ConversationStore(db, () => clock.now()).ensureDirect(BOB, 'Bob');
  const outbox = new Outbox(db, messages, { transport, clock, policy, random: () => 0, onStatus: (id, s) => statuses.push(s) });
  return { outbox, messages };
}

let n = 0;
const write = (outbox: Outbox, text = 'hello') =>
  outbox.queueMessage(
    { conversationId: conv, senderUserId: ME, senderDeviceId: 'mydevice00000000', clientMsgId: `cmid-${String(++n).padStart(6, '0')}`, body: { kind: 'text', text }, recipients: [BOB] },
    { text },
  );

beforeEach(() => {
  profile = tempProfile();
  clock = new ManualClock();
  transport = new FakeTransport();
  statuses = [];
});
afterEach(() => {
  db.close();
  profile.cleanup();
});

describe('outbox', () => {
  it('stores a message written offline as pending and sends nothing until online', async () => {
    const { outbox, messages } = open();
    const m = write(outbox);
    expect(m.status).toBe('pending');
    await outbox.flush();
    clock.advance(60_000);
    expect(transport.calls).toHaveLength(0);
    expect(messages.get(m.id).status).toBe('pending');
    expect(outbox.items()[0].attempts).toBe(0);
  });

  it('survives a restart and sends on reconnect with the same client message id', async () => {
    let { outbox } = open();
    const m = write(outbox);
    outbox.stop();
    db.close();

    ({ outbox } = open());
    expect(outbox.pendingCount()).toBe(1);
    outbox.setOnline(true);
    await outbox.flush();
    expect(transport.calls.map((c) => c.clientMsgId)).toEqual([m.id.split(':')[1]]);
    expect(transport.calls[0].payload).toEqual({ text: 'hello' });
    expect(outbox.pendingCount()).toBe(0);
    expect(statuses).toEqual(['sent']);
  });

  it("counts only the user's messages as pending messages, not receipts", () => {
    const { outbox } = open();
    write(outbox);
    outbox.queue('receipt', 'receipt-cid-0001', { ids: ['x'] }, null);
    expect(outbox.pendingCount()).toBe(2);
    expect(outbox.pendingMessageCount()).toBe(1);
  });

  it('retries with exponential backoff, reusing the client message id', async () => {
    const { outbox } = open({ baseDelayMs: 1000, jitter: 0 });
    transport.script = ['retry', 'retry', new Error('socket closed'), 'sent'];
    outbox.setOnline(true);
    write(outbox);
    await outbox.flush();
    expect(transport.calls).toHaveLength(1);

    for (const [wait, expected] of [
      [1000, 2],
      [2000, 3],
      [4000, 4],
    ] as const) {
      clock.advance(wait - 1);
      await outbox.flush();
      expect(transport.calls).toHaveLength(expected - 1);
      clock.advance(1);
      await outbox.flush();
      expect(transport.calls).toHaveLength(expected);
    }
    expect(new Set(transport.calls.map((c) => c.clientMsgId)).size).toBe(1);
    expect(outbox.pendingCount()).toBe(0);
  });

  it('computes backoff with jitter inside [d·(1−jitter), d] and caps it', () => {
    const p: OutboxPolicy = { ...DEFAULT_OUTBOX_POLICY, baseDelayMs: 1000, maxDelayMs: 10_000, jitter: 0.5 };
    expect(backoffDelay(1, p, () => 0)).toBe(1000);
    expect(backoffDelay(1, p, () => 1)).toBe(500);
    expect(backoffDelay(3, p, () => 0)).toBe(4000);
    expect(backoffDelay(20, p, () => 0)).toBe(10_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(4, p, Math.random);
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });

  it('marks the message failed after the attempt bound, and retry() sends it again', async () => {
    const { outbox, messages } = open({ baseDelayMs: 10, jitter: 0, maxAttempts: 3 });
    transport.fallback = 'retry';
    outbox.setOnline(true);
    const m = write(outbox);
    for (let i = 0; i < 5; i++) {
      await outbox.flush();
      clock.advance(1000);
    }
    expect(transport.calls).toHaveLength(3);
    expect(messages.get(m.id).status).toBe('failed');
    expect(outbox.pendingCount()).toBe(0);
    expect(outbox.items('failed')).toHaveLength(1);

    transport.fallback = 'sent';
    expect(outbox.retry(m.id).status).toBe('pending');
    await outbox.flush();
    expect(messages.get(m.id).status).toBe('sent');
    expect(transport.calls.at(-1)?.clientMsgId).toBe(transport.calls[0].clientMsgId);
    expect(statuses).toEqual(['failed', 'pending', 'sent']);
  });

  it('fails at once on a fatal outcome', async () => {
    const { outbox, messages } = open();
    transport.script = ['fatal'];
    outbox.setOnline(true);
    const m = write(outbox);
    await outbox.flush();
    expect(messages.get(m.id).status).toBe('failed');
  });

  it('fails an item older than maxAgeMs even with attempts left', async () => {
    const { outbox, messages } = open({ maxAgeMs: 60_000, baseDelayMs: 100_000, jitter: 0 });
    transport.fallback = 'retry';
    const m = write(outbox);
    clock.advance(61_000);
    outbox.setOnline(true);
    await outbox.flush();
    expect(messages.get(m.id).status).toBe('failed');
  });

  it('does not spend attempts while offline', async () => {
    const { outbox } = open({ baseDelayMs: 10, jitter: 0, maxAttempts: 2 });
    transport.fallback = 'retry';
    outbox.setOnline(true);
    write(outbox);
    await outbox.flush();
    outbox.setOnline(false);
    clock.advance(3_600_000);
    await outbox.flush();
    expect(outbox.items()[0].attempts).toBe(1);
  });

  it('queues non-message items (receipts, document changes) alongside messages', async () => {
    const { outbox } = open();
    outbox.queue('receipt', 'rcpt-000001', { read: ['x'] }, conv);
    outbox.setOnline(true);
    await outbox.flush();
    expect(transport.calls.map((c) => [c.kind, c.messageId])).toEqual([['receipt', null]]);
  });
});
