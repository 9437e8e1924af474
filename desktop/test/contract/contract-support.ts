// What the MessengerApi contract checks each answer with: an event log per client, the
// plain-JSON rule, the shape of a rejection the UI sees, and a bound on waiting.
import { API_ERROR_CODES, type MessengerApi, type MessengerEvent } from '@parley/common/api/index';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { eventually } from '../support/harness.ts';

/** Holds every event one client's subscribe delivered, in arrival order. */
export class EventLog {
  readonly events: MessengerEvent[] = [];
  readonly off: () => void;
  constructor(api: MessengerApi) {
    this.off = api.subscribe((e) => this.events.push(e));
  }
  index(pred: (e: MessengerEvent) => boolean, from = 0): number {
    return this.events.findIndex((e, i) => i >= from && pred(e));
  }
  async waitFor(what: string, pred: (e: MessengerEvent) => boolean, from = 0): Promise<number> {
    return (await eventually(() => this.index(pred, from) + 1, what)) - 1;
  }
}

/** A value the UI gets must survive JSON and structured cloning unchanged (no Dates, bytes, undefined-vs-null drift, class instances). */
export function expectPlainJson(value: unknown, what: string): void {
  expect(value, `${what} is a value`).not.toBeUndefined();
  expect(JSON.parse(JSON.stringify(value)), `${what} survives a JSON round trip unchanged`).toStrictEqual(value);
  expect(structuredClone(value), `${what} survives structuredClone unchanged`).toStrictEqual(value);
}

/** What a rejected call gives the UI: the code it branches on and a sentence for people, never a stack. */
export async function rejection(p: Promise<unknown>, what: string): Promise<{ code: string; message: string }> {
  const outcome = await p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`${what}: expected a rejection, got ${JSON.stringify(outcome.value)?.slice(0, 200)}`);
  const err = outcome.error as { code?: unknown; message?: unknown };
  expect(err, `${what} rejects with an Error`).toBeInstanceOf(Error);
  expect(Object.keys(API_ERROR_CODES), `${what}: a stable code`).toContain(err.code);
  expect(typeof err.message, `${what}: a message`).toBe('string');
  expect(err.message as string, `${what}: no stack trace in the message`).not.toMatch(/\n\s+at |\.ts:\d+|node:internal/);
  return { code: err.code as string, message: err.message as string };
}

/** Rejects instead of hanging: a transport that never answers fails the test with the method named. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms))).finally(() => clearTimeout(timer))]);
}

export function randomUserId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(randomBytes(32), (b) => alphabet[b % 32]).join('');
}
