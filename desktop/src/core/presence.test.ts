import { describe, expect, it } from 'vitest';
import { formatPresence, relayVisibility, sharePresenceWith, visiblePresence } from './presence.ts';

const now = Date.UTC(2025, 5, 15, 15, 0); // 15 Jun 2025 15:00 UTC
const seen = (lastSeen: number | null, online = false) => ({ userId: 'bob', online, lastSeen });

describe('presence formatting', () => {
  const table: [string, ReturnType<typeof seen> | null, string | null][] = [
    ['online', seen(now - 10 * 60_000, true), 'online'],
    ['just now', seen(now - 30_000), 'last seen just now'],
    ['minutes', seen(now - 5 * 60_000), 'last seen 5 min ago'],
    ['today', seen(Date.UTC(2025, 5, 15, 9, 5)), 'last seen today at 09:05'],
    ['yesterday', seen(Date.UTC(2025, 5, 14, 22, 30)), 'last seen yesterday at 22:30'],
    ['this year', seen(Date.UTC(2025, 2, 3, 12)), 'last seen 3 Mar'],
    ['an earlier year', seen(Date.UTC(2023, 2, 3, 12)), 'last seen 3 Mar 2023'],
    ['hidden', seen(null), null],
    ['unknown', null, null],
  ];
  for (const [name, p, expected] of table) it(name, () => expect(formatPresence(p, now, 'UTC')).toBe(expected));

  it('takes calendar days in the given time zone', () => {
    // 02:00 UTC on the 15th is still the evening of the 14th in New York
    const t = seen(Date.UTC(2025, 5, 15, 2, 0));
    expect(formatPresence(t, now, 'UTC')).toBe('last seen today at 02:00');
    expect(formatPresence(t, now, 'America/New_York')).toBe('last seen yesterday at 22:00');
  });
});

describe('presence privacy', () => {
  it('shares with everyone, contacts only, or nobody', () => {
    expect(sharePresenceWith('everyone', false)).toBe(true);
    expect(sharePresenceWith('contacts', true)).toBe(true);
    expect(sharePresenceWith('contacts', false)).toBe(false);
    expect(sharePresenceWith('nobody', true)).toBe(false);
  });

  it('never tells the relay about contacts: contacts-only is "nobody" there', () => {
    expect(relayVisibility('everyone')).toBe('everyone');
    expect(relayVisibility('contacts')).toBe('nobody');
    expect(relayVisibility('nobody')).toBe('nobody');
  });

  it('hiding my last seen hides others from me, but not their being online', () => {
    expect(visiblePresence(seen(123), 'nobody')).toEqual(seen(null));
    expect(visiblePresence(seen(123, true), 'nobody').online).toBe(true);
    expect(visiblePresence(seen(123), 'contacts')).toEqual(seen(123));
  });
});
