import { beforeAll, describe, expect, it } from 'vitest';
import { sodiumReady } from '../sodium.ts';
import { utf8 } from '../encoding.ts';
import { createAccount } from './keys.ts';
import { checkIdentity, fingerprintHalf, formatSafetyNumber, safetyNumber } from './safety.ts';

const hex = (s: string) => Uint8Array.from((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));

beforeAll(() => sodiumReady());

describe('safety numbers', () => {
  it("matches libsignal's published displayable fingerprint vector", () => {
    // libsignal-protocol-c tests/test_fingerprint.c (also libsignal-java NumericFingerprintGeneratorTest).
    const aliceKey = hex('0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868');
    const bobKey = hex('05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b');
    const a = fingerprintHalf(aliceKey, utf8('+14152222222'));
    const b = fingerprintHalf(bobKey, utf8('+14153333333'));
    expect(a <= b ? a + b : b + a).toBe('300354477692869396892869876765458257569162576843440918079131');
  });

  it('is 60 digits, equal on both sides, and changes when a key changes', () => {
    const alice = createAccount();
    const bob = createAccount();
    const A = { userId: alice.userId, accountKey: alice.key.pub };
    const B = { userId: bob.userId, accountKey: bob.key.pub };
    const n = safetyNumber(A, B);
    expect(n).toMatch(/^\d{60}$/);
    expect(safetyNumber(B, A)).toBe(n);
    expect(formatSafetyNumber(n).split(' ')).toHaveLength(12);
    const bob2 = createAccount();
    expect(safetyNumber(A, { userId: bob.userId, accountKey: bob2.key.pub })).not.toBe(n);
  });

  it('detects a key change against the pinned identity', () => {
    const bob = createAccount();
    const first = checkIdentity(undefined, { userId: bob.userId, accountKey: bob.key.pub });
    expect(first.status).toBe('new');
    const pin = { ...first.pin, verified: true };
    expect(checkIdentity(pin, { userId: bob.userId, accountKey: bob.key.pub }).status).toBe('unchanged');
    const changed = checkIdentity(pin, { userId: bob.userId, accountKey: createAccount().key.pub });
    expect(changed.status).toBe('changed');
    expect(changed.pin.verified).toBe(false);
  });
});
