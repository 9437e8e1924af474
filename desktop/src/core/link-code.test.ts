import { sodiumReady } from '@parley/common/crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatLinkCode, parseLinkCode, verificationWords, type LinkOffer } from './link-code.ts';

const offer: LinkOffer = {
  relayUrl: 'https://relay.example:8443',
  mailboxUserId: 'a'.repeat(32),
  signingKey: 'B'.repeat(43),
  deviceName: 'Work laptop & co',
  expiresAt: 1_800_000_000_000,
};

beforeAll(() => sodiumReady());

describe('link codes', () => {
  it('verification words are always five real words (regression: a 62-word list left gaps)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const words = verificationWords({ mailboxUserId: offer.mailboxUserId, signingKey: `${String(i).padStart(4, '0')}${'C'.repeat(39)}` }).split(' ');
      expect(words).toHaveLength(5);
      for (const w of words) expect(w).toMatch(/^[a-z]+$/);
      words.forEach((w) => seen.add(w));
    }
    expect(seen.size).toBe(64);
  });

  it('round-trips through the parley://link form, names included', () => {
    const code = formatLinkCode(offer);
    expect(code.startsWith('parley://link?')).toBe(true);
    expect(parseLinkCode(`  ${code}\n`)).toEqual(offer);
  });

  it('refuses other links and damaged fields with bad_invite', () => {
    expect(() => parseLinkCode('parley://add?u=x')).toThrow(expect.objectContaining({ code: 'bad_invite' }));
    for (const [k, v] of [['u', 'short'], ['k', 'not a key'], ['r', 'ftp://x'], ['x', 'soon']]) {
      const q = new URL(formatLinkCode(offer).replace('parley://link', 'http://x/')).searchParams;
      q.set(k, v);
      expect(() => parseLinkCode(`parley://link?${q.toString()}`)).toThrow(expect.objectContaining({ code: 'bad_invite' }));
    }
  });

  it('verification words depend on both keys and only on them', () => {
    const words = verificationWords(offer);
    expect(words.split(' ')).toHaveLength(5);
    expect(verificationWords({ ...offer, deviceName: 'other', expiresAt: 1 } as LinkOffer)).toBe(words);
    expect(verificationWords({ ...offer, mailboxUserId: 'b'.repeat(32) })).not.toBe(words);
    expect(verificationWords({ ...offer, signingKey: 'C'.repeat(43) })).not.toBe(words);
  });
});
