import { describe, expect, it } from 'vitest';
import { type StoredSend, assignSeqs, dedupKey, planAppend } from './mongodb-seq-plan.ts';
import type { AppendRequest } from './types.ts';

const req = (sender: string, cid: string, devices: string[], now = 1000): AppendRequest => ({
  sender,
  cid,
  items: devices.map((device, i) => ({ device, body: `${cid}-${i}` })),
  now,
  expiresAt: now + 500,
});
const none = () => undefined;

describe('MongoDB append planning', () => {
  it('bumps each device counter once per call, by the number of items it receives', () => {
    const plan = planAppend([req('s', 'c1', ['a', 'b']), req('s', 'c2', ['a']), req('t', 'c3', ['b', 'a', 'a'])], none);
    expect(Object.fromEntries(plan.reserve)).toEqual({ a: 4, b: 2 });
    expect(plan.outcomes.map((o) => o.kind)).toEqual(['fresh', 'fresh', 'fresh']);
  });

  it('numbers fresh items from each reserved range in request order, then item order', () => {
    const requests = [req('s', 'c1', ['a', 'b']), req('s', 'c2', ['a']), req('t', 'c3', ['b', 'a', 'a'])];
    const plan = planAppend(requests, none);
    // a was at 10 and moved to 14; b was at 0 and moved to 2.
    const { results, entries, sends } = assignSeqs(requests, plan, new Map([['a', 14], ['b', 2]]));
    expect(results.map((r) => r.seqs)).toEqual([
      [{ device: 'a', seq: 11 }, { device: 'b', seq: 1 }],
      [{ device: 'a', seq: 12 }],
      [{ device: 'b', seq: 2 }, { device: 'a', seq: 13 }, { device: 'a', seq: 14 }],
    ]);
    expect(entries.filter((e) => e.device === 'a').map((e) => [e.seq, e.body])).toEqual([
      [11, 'c1-0'],
      [12, 'c2-0'],
      [13, 'c3-1'],
      [14, 'c3-2'],
    ]);
    expect(entries.every((e) => e.ts === 1000 && e.expiresAt === 1500)).toBe(true);
    expect(sends.map((s) => [s.sender, s.cid, s.seqs.length])).toEqual([
      ['s', 'c1', 2],
      ['s', 'c2', 1],
      ['t', 'c3', 3],
    ]);
  });

  it('answers a stored (sender, cid) with its first result and reserves nothing for it', () => {
    const stored: StoredSend = { seqs: [{ device: 'a', seq: 7 }], ts: 900 };
    const requests = [req('s', 'old', ['a']), req('s', 'new', ['a'])];
    const plan = planAppend(requests, (r) => (r.cid === 'old' ? stored : undefined));
    expect(Object.fromEntries(plan.reserve)).toEqual({ a: 1 });
    const { results, entries, sends } = assignSeqs(requests, plan, new Map([['a', 8]]));
    expect(results).toEqual([
      { seqs: [{ device: 'a', seq: 7 }], ts: 900, duplicate: true },
      { seqs: [{ device: 'a', seq: 8 }], ts: 1000, duplicate: false },
    ]);
    expect(entries).toHaveLength(1);
    expect(sends.map((s) => s.cid)).toEqual(['new']);
  });

  it('answers a repeat inside one call with the first request’s seqs, storing it once', () => {
    const first = req('s', 'c', ['a', 'b']);
    const requests = [first, req('x', 'other', ['a']), { ...first, now: 2000 }];
    const plan = planAppend(requests, none);
    expect(plan.outcomes[2]).toEqual({ kind: 'repeat', of: 0 });
    expect(Object.fromEntries(plan.reserve)).toEqual({ a: 2, b: 1 });
    const { results, entries } = assignSeqs(requests, plan, new Map([['a', 2], ['b', 1]]));
    expect(results[2]).toEqual({ ...results[0], duplicate: true });
    expect(results[0].duplicate).toBe(false);
    expect(entries).toHaveLength(3);
  });

  it('keys idempotency on sender and client id together', () => {
    const plan = planAppend([req('s', 'c', ['a']), req('t', 'c', ['a'])], none);
    expect(plan.outcomes.map((o) => o.kind)).toEqual(['fresh', 'fresh']);
    expect(dedupKey('s', 'c')).not.toBe(dedupKey('t', 'c'));
  });

  it('plans nothing to reserve when every request is a retry', () => {
    const stored: StoredSend = { seqs: [{ device: 'a', seq: 1 }], ts: 5 };
    const requests = [req('s', 'c', ['a'])];
    const plan = planAppend(requests, () => stored);
    expect(plan.reserve.size).toBe(0);
    expect(assignSeqs(requests, plan, new Map()).entries).toEqual([]);
  });

  it('refuses counters that cannot hold the reserved range, rather than number wrongly', () => {
    const requests = [req('s', 'c', ['a', 'a', 'a'])];
    const plan = planAppend(requests, none);
    expect(() => assignSeqs(requests, plan, new Map())).toThrow(/counter for device a/);
    expect(() => assignSeqs(requests, plan, new Map([['a', 2]]))).toThrow(/counter for device a/);
  });
});
