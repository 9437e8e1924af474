// Group commit: sends arriving in the same event-loop turn (and while an append is in
// flight) are written with ONE store.append call, i.e. one transaction and one fsync.
// Each sender is answered only after that append resolved, so a `sent` frame always
// means "durably committed". Afterwards every touched mailbox is announced once on the
// bus, and the connections' delivery pumps read the new entries from the store.
import type { Bus } from './bus.ts';
import type { AppendRequest, AppendResult, MailboxEntry, MailboxStore } from './store/types.ts';

interface Pending {
  request: AppendRequest;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const nextTurn: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

/** Most requests per append: bounds one transaction's length (and its latency). */
const MAX_BATCH = 2_000;

export class GroupCommit {
  /** Set once the hub exists: hands a device's freshly committed entries to its local socket. */
  offerLocal: ((device: string, entries: MailboxEntry[]) => void) | null = null;
  /** Appends completed so far: a login that saw none complete since its read needs no catch-up read. */
  completed = 0;
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly store: MailboxStore,
    private readonly bus: Bus,
  ) {}

  append(request: AppendRequest): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything queued so far is committed (used on shutdown). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight || this.scheduled) {
      if (this.inFlight) await this.inFlight;
      else if (this.queue.length > 0) await this.run();
      else await new Promise<void>((r) => nextTurn(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    nextTurn(() => {
      this.scheduled = false;
      if (!this.inFlight) void this.run();
    });
  }

  private run(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return Promise.resolve();
    this.inFlight = this.commit(batch).finally(() => {
      this.inFlight = null;
      if (this.queue.length > 0) this.schedule();
    });
    return this.inFlight;
  }

  private async commit(batch: Pending[]): Promise<void> {
    let results: AppendResult[];
    try {
      results = await this.store.append(batch.map((p) => p.request));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    } finally {
      this.completed++;
    }
    // What each mailbox just received, in seq order: a caught-up socket on this relay is
    // sent it as is (offerLocal) instead of reading it back from the store.
    const fresh = new Map<string, MailboxEntry[]>();
    for (let i = 0; i < batch.length; i++) {
      batch[i].resolve(results[i]);
      const r = results[i];
      if (r.duplicate) continue;
      const { items, expiresAt } = batch[i].request;
      for (let j = 0; j < r.seqs.length; j++) {
        const { device, seq } = r.seqs[j];
        const body = items[j]?.device === device ? items[j].body : items.find((it) => it.device === device)!.body;
        let list = fresh.get(device);
        if (!list) fresh.set(device, (list = []));
        list.push({ seq, body, ts: r.ts, expiresAt });
      }
    }
    for (const [device, entries] of fresh) {
      this.offerLocal?.(device, entries);
      this.bus.publish({ type: 'mailbox', device, seq: entries[entries.length - 1].seq });
    }
  }
}
