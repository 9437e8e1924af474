// Group commit: append calls that arrive while a transaction is in flight wait and then go
// together in the next one. On MongoDB two transactions that bump the same mailbox counter
// conflict and one of them starts over (with backoff), so letting a relay's own appends
// race each other would burn round trips exactly when it is busiest. With this, one relay
// has at most one append transaction open; conflicts remain only between relays.
// Runtime-neutral and free of MongoDB, so it is tested without a server.

export interface GroupCommitOptions<Item> {
  /** How much one item costs (default 1): merging stops before a run would exceed maxWeight. */
  weigh?: (item: Item) => number;
  /** Merged runs stay at or under this weight; one caller's batch is never split, even when heavier. */
  maxWeight: number;
}

interface Waiting<Item, Result> {
  items: Item[];
  resolve: (results: Result[]) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<Item, Result> {
  private queue: Waiting<Item, Result>[] = [];
  private running: Promise<void> | null = null;

  /** `commit` gets the items of one or more callers and returns one result per item, in order. */
  constructor(
    private readonly commit: (items: Item[]) => Promise<Result[]>,
    private readonly options: GroupCommitOptions<Item> = { maxWeight: 1000 },
  ) {}

  submit(items: Item[]): Promise<Result[]> {
    return new Promise<Result[]>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves once everything submitted so far has been committed or refused. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        await this.commitGroup(group);
      }
    } finally {
      this.running = null;
    }
  }

  private takeGroup(): Waiting<Item, Result>[] {
    const weigh = this.options.weigh ?? (() => 1);
    const weight = (w: Waiting<Item, Result>) => w.items.reduce((sum, item) => sum + weigh(item), 0);
    const group = [this.queue.shift()!];
    let total = weight(group[0]);
    while (this.queue.length > 0 && total + weight(this.queue[0]) <= this.options.maxWeight) {
      const next = this.queue.shift()!;
      total += weight(next);
      group.push(next);
    }
    return group;
  }

  private async commitGroup(group: Waiting<Item, Result>[]): Promise<void> {
    try {
      const results = await this.commit(group.flatMap((w) => w.items));
      let at = 0;
      for (const w of group) {
        w.resolve(results.slice(at, at + w.items.length));
        at += w.items.length;
      }
    } catch (err) {
      if (group.length === 1) {
        group[0].reject(err);
        return;
      }
      // One caller's bad request must not fail the others: commit each on its own, so
      // each caller gets its own answer.
      for (const w of group) {
        try {
          w.resolve(await this.commit(w.items));
        } catch (own) {
          w.reject(own);
        }
      }
    }
  }
}
