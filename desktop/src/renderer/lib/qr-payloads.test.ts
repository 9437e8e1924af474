import { describe, expect, it } from 'vitest';
import { compareSafetyCodes, readInvite, readSafetyCode, safetyDigits } from './qr-payloads.ts';

const DIGITS = '123456789012345678901234567890123456789012345678901234567890';
const ME = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const YOU = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const OTHER = 'cccccccccccccccccccccccccccccccc';
const code = (digits: string, by: string, withUser: string) => `parley://verify?n=${digits}&by=${by}&with=${withUser}`;
const OURS = code(DIGITS, ME, YOU);
const THEIRS = code(DIGITS, YOU, ME);
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
    expect(safetyDigits(code(DIGITS.slice(1), ME, YOU))).toBeNull();
    expect(safetyDigits(code(`${DIGITS}0`, ME, YOU))).toBeNull();
    expect(safetyDigits(`parley://verify?n=${DIGITS}`)).toBeNull();
    expect(safetyDigits(code(DIGITS, ME, 'short'))).toBeNull();
    expect(readSafetyCode(THEIRS)).toEqual({ digits: DIGITS, by: YOU, with: ME });
    expect(safetyDigits(INVITE)).toBeNull();
  });

  it("says match only for the same 60 digits shown on the partner's screen for us", () => {
    expect(compareSafetyCodes(OURS, THEIRS)).toBe('match');
    expect(compareSafetyCodes(OURS, ` ${THEIRS} `)).toBe('match');
    expect(compareSafetyCodes(THEIRS, OURS)).toBe('match');
  });

  it('tells a picture of our own screen apart from theirs', () => {
    expect(compareSafetyCodes(OURS, OURS)).toBe('own_code');
    expect(compareSafetyCodes(OURS, code('0'.repeat(60), ME, YOU))).toBe('own_code');
  });

  it('says mismatch for another conversation or a tampered code', () => {
    expect(compareSafetyCodes(OURS, code(`${DIGITS.slice(0, 59)}1`, YOU, ME))).toBe('mismatch');
    expect(compareSafetyCodes(OURS, code('0'.repeat(60), YOU, ME))).toBe('mismatch');
    // The right digits, but shown by someone else or for someone else: another conversation.
    expect(compareSafetyCodes(OURS, code(DIGITS, OTHER, ME))).toBe('mismatch');
    expect(compareSafetyCodes(OURS, code(DIGITS, YOU, OTHER))).toBe('mismatch');
  });

  it('never says match when our own code is malformed', () => {
    expect(compareSafetyCodes('parley://verify?n=', 'parley://verify?n=')).toBe('not_safety_code');
    expect(compareSafetyCodes('garbage', THEIRS)).toBe('mismatch');
  });

  it('tells a code that is not a safety number apart from a mismatch', () => {
    expect(compareSafetyCodes(OURS, INVITE)).toBe('not_safety_code');
    expect(compareSafetyCodes(OURS, 'https://example.com')).toBe('not_safety_code');
  });
});
