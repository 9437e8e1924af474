// Dates, times and names as a messenger shows them, in the user's locale.
import type { Presence } from '@parley/common/api/model';

const DAY = 86_400_000;

function startOfDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function dayKey(t: number): number {
  return startOfDay(t);
}

// One formatter per style, made on first use: toLocale*String with options builds a new
// Intl.DateTimeFormat on every call, which was the largest script cost of scrolling a
// long conversation (every row shows its time).
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(name: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = formatters.get(name);
  if (!f) formatters.set(name, (f = new Intl.DateTimeFormat(undefined, options)));
  return f;
}

export function timeOfDay(t: number): string {
  return formatter('time', { hour: '2-digit', minute: '2-digit' }).format(t);
}

/** "Today", "Yesterday", "Monday", or a date: the separators between days in a conversation. */
export function dayLabel(t: number, now = Date.now()): string {
  const diff = Math.round((startOfDay(now) - startOfDay(t)) / DAY);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  if (diff > 1 && diff < 7) return formatter('weekday', { weekday: 'long' }).format(t);
  const sameYear = new Date(t).getFullYear() === new Date(now).getFullYear();
  return sameYear ? formatter('day-month', { day: 'numeric', month: 'long' }).format(t) : formatter('day-month-year', { day: 'numeric', month: 'long', year: 'numeric' }).format(t);
}

/** The time column of the conversation list: a time today, a weekday this week, a date before. */
export function listTime(t: number, now = Date.now()): string {
  const diff = Math.round((startOfDay(now) - startOfDay(t)) / DAY);
  if (diff === 0) return timeOfDay(t);
  if (diff === 1) return 'Yesterday';
  if (diff > 1 && diff < 7) return formatter('weekday-short', { weekday: 'short' }).format(t);
  return formatter('day-month-short', { day: 'numeric', month: 'short' }).format(t);
}

export function presenceLabel(p: Presence | null, now = Date.now()): string {
  if (!p) return '';
  if (p.online) return 'online';
  if (p.lastSeen === null) return '';
  const diff = Math.round((startOfDay(now) - startOfDay(p.lastSeen)) / DAY);
  if (diff === 0) return `last seen today at ${timeOfDay(p.lastSeen)}`;
  if (diff === 1) return `last seen yesterday at ${timeOfDay(p.lastSeen)}`;
  return `last seen ${new Date(p.lastSeen).toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((p) => [...p][0]?.toUpperCase() ?? '').join('') || '?';
}

/** A stable hue per user id, so an avatar keeps its colour everywhere. */
export function hueOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % 360;
}
