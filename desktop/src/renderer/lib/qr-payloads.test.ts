import { describe, expect, it } from 'vitest';
import { compareSafetyCodes, readInvite, safetyDigits } from './qr-payloads.ts';

const DIGITS = '123456789012345678901234567890123456789012345678901234567890';
const OURS = `parley://verify?n=${DIGITS}`;
const INVITE = 'parley://add?u=abcdefghijklmnopqrstuvwxyz234567&r=http%3A%2F%2F127.0.0.1%3A8787&f=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&n=Alice+Liddell';

describe('scanned QR payloads', () => {
  it('reads an invite link and the name it carries', () => {
    expect(readInvite(`  ${INVITE}\n`)).toEqual({ link: INVITE, name: 'Alice Liddell' });
    expect(readInvite(INVITE.replace('&n=Alice+Liddell', ''))?.name).toBeNull();
  });

  it('refuses text that is not a Parley invite', () => {
    for (const text of ['https://example.com/add?u=x', OURS, 'parley://add?u=x&r=y', 'hello', '', 'parley://link?c=abc']) {
      expect(readInvite(text), text).toBeNull();
    }
  });

  it('takes the 60 digits out of a safety-number code and nothing else', () => {
    expect(safetyDigits(OURS)).toBe(DIGITS);
    expect(safetyDigits(`parley://verify?n=${DIGITS.slice(1)}`)).toBeNull();
    expect(safetyDigits(`parley://verify?n=${DIGITS}0`)).toBeNull();
    expect(safetyDigits(INVITE)).toBeNull();
  });

  it('says match only for the same 60 digits', () => {
    expect(compareSafetyCodes(OURS, OURS)).toBe('match');
    expect(compareSafetyCodes(OURS, ` ${OURS} `)).toBe('match');
  });

  it('says mismatch for another conversation or a tampered code', () => {
    const tampered = `parley://verify?n=${DIGITS.slice(0, 59)}1`;
    expect(compareSafetyCodes(OURS, tampered)).toBe('mismatch');
    expect(compareSafetyCodes(OURS, `parley://verify?n=${'0'.repeat(60)}`)).toBe('mismatch');
  });

  it('never says match when our own code is malformed', () => {
    expect(compareSafetyCodes('parley://verify?n=', 'parley://verify?n=')).toBe('not_safety_code');
    expect(compareSafetyCodes('garbage', OURS)).toBe('mismatch');
  });

  it('tells a code that is not a safety number apart from a mismatch', () => {
    expect(compareSafetyCodes(OURS, INVITE)).toBe('not_safety_code');
    expect(compareSafetyCodes(OURS, 'https://example.com')).toBe('not_safety_code');
  });
});
