// Counts store failures and mailbox traffic at the one place every store call passes:
// a wrapper around the MailboxStore that createRelay hands to the rest of the relay.
// Failures are counted by operation name (a fixed set), then rethrown unchanged, so
// callers keep their own error handling and the store implementations stay unaware of
// metrics. The store's own promises are handed back untouched.
import type { RelayMetrics } from './metrics.ts';
import type { AppendResult, MailboxStore } from './store/types.ts';

export function instrumentStore(store: MailboxStore, metrics: RelayMetrics): MailboxStore {
  const onResult: Partial<Record<keyof MailboxStore, (result: any) => void>> = {
    append: (results: AppendResult[]) => {
      let entries = 0;
      for (const r of results) if (!r.duplicate) entries += r.seqs.length;
      metrics.entriesAppended.inc(entries);
    },
    ack: (deleted: number) => metrics.entriesAcked.inc(deleted),
  };
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const op = String(prop);
        const count = onResult[prop as keyof MailboxStore];
        fn = (...args: unknown[]) => {
          let result: unknown;
          try {
            result = value.apply(target, args);
          } catch (err) {
            metrics.storeErrors.inc({ op });
            throw err;
          }
          if (!(result instanceof Promise)) return result;
          // Observe on a side branch and hand back the store's own promise: callers see
          // exactly the timing they would without metrics (no extra microtask hops).
          result.then(count, () => metrics.storeErrors.inc({ op }));
          return result;
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
