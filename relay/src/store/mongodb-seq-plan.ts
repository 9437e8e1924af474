// Planning one append call: which requests are retries, how many sequence numbers each
// recipient mailbox must reserve, and which seq each item gets once the counters moved.
// Pure, so the numbering is tested without a server; mongodb-mailbox.ts runs it inside
// the transaction that bumps the counters and inserts the entries.
import type { AppendRequest, AppendResult } from './types.ts';

/** What an earlier, committed send under the same (sender, cid) returned. */
export interface StoredSend {
  seqs: { device: string; seq: number }[];
  ts: number;
}

export type AppendOutcome =
  /** Seen before this call: answer with the stored result. */
  | { kind: 'stored'; result: AppendResult }
  /** Repeats an earlier request of this same call: answer with that request's result. */
  | { kind: 'repeat'; of: number }
  /** New: gets sequence numbers. */
  | { kind: 'fresh' };

export interface AppendPlan {
  outcomes: AppendOutcome[];
  /** Sequence numbers to reserve per recipient device, over all fresh requests: one counter bump each. */
  reserve: Map<string, number>;
}

export function dedupKey(sender: string, cid: string): string {
  return `${sender}\n${cid}`; // neither field can hold a newline (protocol schemas)
}

/**
 * Classifies each request. `stored` answers for (sender, cid) pairs already committed and
 * still inside their dedup window.
 */
export function planAppend(requests: AppendRequest[], stored: (request: AppendRequest) => StoredSend | undefined): AppendPlan {
  const outcomes: AppendOutcome[] = [];
  const reserve = new Map<string, number>();
  const firstInCall = new Map<string, number>();
  requests.forEach((request, index) => {
    const key = dedupKey(request.sender, request.cid);
    const earlier = firstInCall.get(key);
    if (earlier !== undefined) {
      outcomes.push({ kind: 'repeat', of: earlier });
      return;
    }
    firstInCall.set(key, index);
    const previous = stored(request);
    if (previous) {
      outcomes.push({ kind: 'stored', result: { seqs: previous.seqs.map((s) => ({ ...s })), ts: previous.ts, duplicate: true } });
      return;
    }
    outcomes.push({ kind: 'fresh' });
    for (const item of request.items) reserve.set(item.device, (reserve.get(item.device) ?? 0) + 1);
  });
  return { outcomes, reserve };
}

export interface PlannedEntry {
  device: string;
  seq: number;
  body: string;
  ts: number;
  expiresAt: number;
}

export interface PlannedSend {
  sender: string;
  cid: string;
  seqs: { device: string; seq: number }[];
  ts: number;
  expiresAt: number;
}

export interface AssignedAppend {
  results: AppendResult[];
  entries: PlannedEntry[];
  sends: PlannedSend[];
}

/**
 * Numbers the fresh items. `counters` holds each device's counter AFTER its bump by
 * plan.reserve, so the reserved range is (counter - reserved, counter]; seqs are handed
 * out in request order, then item order, and every reserved seq is used exactly once.
 */
export function assignSeqs(requests: AppendRequest[], plan: AppendPlan, counters: Map<string, number>): AssignedAppend {
  const next = new Map<string, number>();
  for (const [device, count] of plan.reserve) {
    const last = counters.get(device);
    if (last === undefined || !Number.isSafeInteger(last) || last < count) {
      throw new Error(`counter for device ${device} is ${String(last)} after reserving ${count} seqs`);
    }
    next.set(device, last - count + 1);
  }
  const results: AppendResult[] = [];
  const entries: PlannedEntry[] = [];
  const sends: PlannedSend[] = [];
  plan.outcomes.forEach((outcome, index) => {
    if (outcome.kind === 'stored') {
      results.push(outcome.result);
      return;
    }
    if (outcome.kind === 'repeat') {
      const first = results[outcome.of];
      results.push({ seqs: first.seqs.map((s) => ({ ...s })), ts: first.ts, duplicate: true });
      return;
    }
    const request = requests[index];
    const seqs = request.items.map((item) => {
      const seq = next.get(item.device)!;
      next.set(item.device, seq + 1);
      entries.push({ device: item.device, seq, body: item.body, ts: request.now, expiresAt: request.expiresAt });
      return { device: item.device, seq };
    });
    results.push({ seqs, ts: request.now, duplicate: false });
    sends.push({ sender: request.sender, cid: request.cid, seqs: seqs.map((s) => ({ ...s })), ts: request.now, expiresAt: request.expiresAt });
  });
  for (const [device, count] of plan.reserve) {
    if (next.get(device) !== counters.get(device)! + 1) throw new Error(`device ${device}: ${count} seqs reserved but not all used`);
  }
  return { results, entries, sends };
}
