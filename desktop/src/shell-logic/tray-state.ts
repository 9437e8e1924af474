// What the tray, the dock and the taskbar show for a number of unread messages: pure, so
// every platform's branch is tested here and the Electron side only applies it.
//   macOS    monochrome template icon (the menu bar tints it), the count as the tray
//            title, the count on the dock icon (app.setBadgeCount);
//   Windows  a tray icon with the count drawn in (pre-rendered badge variants), and an
//            overlay icon on the taskbar button (setBadgeCount does nothing there);
//   Linux    the same badge icons in the tray, and the Unity launcher count
//            (app.setBadgeCount; ignored by desktops without the launcher API).
import type { Conversation } from '@parley/common/api/index';

export type ShellPlatform = 'darwin' | 'win32' | 'linux';

/** Badge variants pre-rendered by scripts/make-icons.ts: 1..9, then "9+". */
export const BADGE_VARIANTS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '9plus'] as const;
export type BadgeVariant = (typeof BADGE_VARIANTS)[number];

export type TrayMenuItem =
  | { id: 'open'; type: 'normal'; label: string }
  | { id: 'mute'; type: 'checkbox'; label: string; checked: boolean }
  | { id: 'unread'; type: 'normal'; label: string; enabled: false }
  | { id: 'quit'; type: 'normal'; label: string }
  | { type: 'separator' };

export type BadgeAction =
  /** app.setBadgeCount(count); 0 clears it. */
  | { kind: 'count'; count: number }
  /** BrowserWindow.setOverlayIcon(icon or null, description). */
  | { kind: 'overlay'; icon: string | null; description: string };

export interface TrayModel {
  /** File name under the tray icon folder (resources/tray). */
  icon: string;
  /** Text beside the icon; macOS only (empty elsewhere). */
  title: string;
  tooltip: string;
  menu: TrayMenuItem[];
  badge: BadgeAction;
}

export interface TrayInput {
  platform: ShellPlatform;
  unread: number;
  muted: boolean;
  online: boolean;
}

/** Unread messages that count for the badge: muted conversations do not ring and do not count. */
export function unreadTotal(conversations: readonly Pick<Conversation, 'unreadCount' | 'muted'>[]): number {
  let total = 0;
  for (const c of conversations) if (!c.muted && c.unreadCount > 0) total += c.unreadCount;
  return total;
}

export function badgeVariant(unread: number): BadgeVariant | null {
  if (!(unread > 0)) return null;
  return unread > 9 ? '9plus' : (String(Math.floor(unread)) as BadgeVariant);
}

export function unreadPhrase(unread: number): string {
  return unread === 1 ? '1 unread message' : `${unread} unread messages`;
}

export function trayModel(s: TrayInput): TrayModel {
  const unread = Math.max(0, Math.floor(s.unread));
  const variant = badgeVariant(unread);
  const status = [unread > 0 ? unreadPhrase(unread) : null, s.muted ? 'notifications muted' : null, s.online ? null : 'offline'].filter(Boolean);
  const tooltip = status.length ? `Parley — ${status.join(', ')}` : 'Parley';

  const menu: TrayMenuItem[] = [{ id: 'open', type: 'normal', label: 'Open Parley' }];
  if (unread > 0) menu.push({ id: 'unread', type: 'normal', label: unreadPhrase(unread), enabled: false });
  menu.push(
    { id: 'mute', type: 'checkbox', label: 'Mute notifications', checked: s.muted },
    { type: 'separator' },
    { id: 'quit', type: 'normal', label: 'Quit Parley' },
  );

  if (s.platform === 'darwin') {
    return {
      icon: unread > 0 ? 'trayUnreadTemplate.png' : 'trayTemplate.png',
      title: unread > 0 ? (unread > 99 ? '99+' : String(unread)) : '',
      tooltip,
      menu,
      badge: { kind: 'count', count: unread },
    };
  }
  const icon = variant ? `tray-badge-${variant}.png` : 'tray.png';
  const badge: BadgeAction =
    s.platform === 'win32'
      ? { kind: 'overlay', icon: variant ? `overlay-${variant}.png` : null, description: unread > 0 ? unreadPhrase(unread) : '' }
      : { kind: 'count', count: unread };
  return { icon, title: '', tooltip, menu, badge };
}
