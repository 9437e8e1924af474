// Presence and "last seen", with the privacy users expect:
// - who may see mine: everyone, my contacts, or nobody;
// - reciprocity (as in WhatsApp): hiding my last seen also hides everyone else's from me,
//   though "online now" is still shown;
// - the relay only knows 'everyone' or 'nobody' (it must not learn contact lists), so
//   'contacts' is published to the relay as 'nobody' and sent to contacts as ephemeral E2E
//   presence instead.
import type { LastSeenVisibility, Presence } from '@parley/common/api/index';

export type RelayPresenceVisibility = 'everyone' | 'nobody';

export const relayVisibility = (mine: LastSeenVisibility): RelayPresenceVisibility => (mine === 'everyone' ? 'everyone' : 'nobody');

/** Whether to send my presence (as ephemeral E2E frames) to this peer. */
export function sharePresenceWith(mine: LastSeenVisibility, peerIsContact: boolean): boolean {
  return mine === 'everyone' || (mine === 'contacts' && peerIsContact);
}

/** What this user may see of a peer's presence, given their own setting. */
export function visiblePresence(p: Presence, mine: LastSeenVisibility): Presence {
  return mine === 'nobody' ? { ...p, lastSeen: null } : p;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * A short English label for the conversation header: "online", "last seen just now",
 * "last seen 5 min ago", "last seen today at 14:05", "last seen yesterday at 09:12",
 * "last seen 3 Mar", "last seen 3 Mar 2023". Calendar days are taken in `timeZone`.
 */
export function formatPresence(p: Presence | null, now: number, timeZone?: string): string | null {
  if (!p) return null;
  if (p.online) return 'online';
  if (p.lastSeen === null) return null;
  const ago = Math.max(0, now - p.lastSeen);
  if (ago < MINUTE) return 'last seen just now';
  if (ago < HOUR) return `last seen ${Math.floor(ago / MINUTE)} min ago`;
  const day = (t: number) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(t);
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(p.lastSeen);
  if (day(p.lastSeen) === day(now)) return `last seen today at ${time}`;
  if (day(p.lastSeen) === day(now - 24 * HOUR)) return `last seen yesterday at ${time}`;
  const sameYear = day(p.lastSeen).slice(0, 4) === day(now).slice(0, 4);
  const date = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short', year: sameYear ? undefined : 'numeric' }).format(p.lastSeen);
  return `last seen ${date}`;
}
