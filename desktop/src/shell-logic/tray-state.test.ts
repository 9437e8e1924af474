import { describe, expect, it } from 'vitest';
import { badgeVariant, trayModel, unreadTotal } from './tray-state.ts';

const base = { unread: 0, muted: false, online: true } as const;

describe('tray state', () => {
  it('counts unread messages of unmuted conversations only', () => {
    expect(unreadTotal([{ unreadCount: 3, muted: false }, { unreadCount: 5, muted: true }, { unreadCount: 0, muted: false }])).toBe(3);
    expect(unreadTotal([])).toBe(0);
  });

  it('picks badge variants 1..9 then 9+', () => {
    expect(badgeVariant(0)).toBeNull();
    expect(badgeVariant(1)).toBe('1');
    expect(badgeVariant(9)).toBe('9');
    expect(badgeVariant(10)).toBe('9plus');
    expect(badgeVariant(Number.NaN)).toBeNull();
  });

  it('macOS: template icon, count as the tray title and on the dock', () => {
    expect(trayModel({ ...base, platform: 'darwin' })).toMatchObject({ icon: 'trayTemplate.png', title: '', tooltip: 'Parley', badge: { kind: 'count', count: 0 } });
    expect(trayModel({ ...base, platform: 'darwin', unread: 3 })).toMatchObject({ icon: 'trayUnreadTemplate.png', title: '3', badge: { kind: 'count', count: 3 } });
    expect(trayModel({ ...base, platform: 'darwin', unread: 250 }).title).toBe('99+');
  });

  it('Windows: badge icon in the tray and an overlay on the taskbar button', () => {
    expect(trayModel({ ...base, platform: 'win32', unread: 4 })).toMatchObject({
      icon: 'tray-badge-4.png',
      title: '',
      badge: { kind: 'overlay', icon: 'overlay-4.png', description: '4 unread messages' },
    });
    expect(trayModel({ ...base, platform: 'win32' }).badge).toEqual({ kind: 'overlay', icon: null, description: '' });
    expect(trayModel({ ...base, platform: 'win32', unread: 12 }).icon).toBe('tray-badge-9plus.png');
  });

  it('Linux: badge icon in the tray and the launcher count', () => {
    expect(trayModel({ ...base, platform: 'linux', unread: 1 })).toMatchObject({ icon: 'tray-badge-1.png', badge: { kind: 'count', count: 1 } });
    expect(trayModel({ ...base, platform: 'linux' })).toMatchObject({ icon: 'tray.png', badge: { kind: 'count', count: 0 } });
  });

  it('tooltip names unread, mute and offline states', () => {
    expect(trayModel({ platform: 'linux', unread: 1, muted: true, online: false }).tooltip).toBe('Parley — 1 unread message, notifications muted, offline');
    expect(trayModel({ ...base, platform: 'linux', unread: 2 }).tooltip).toBe('Parley — 2 unread messages');
  });

  it('menu: open, unread line when there is one, mute toggle reflecting the setting, quit', () => {
    const menu = trayModel({ ...base, platform: 'win32', unread: 2, muted: true }).menu;
    expect(menu).toEqual([
      { id: 'open', type: 'normal', label: 'Open Parley' },
      { id: 'unread', type: 'normal', label: '2 unread messages', enabled: false },
      { id: 'mute', type: 'checkbox', label: 'Mute notifications', checked: true },
      { type: 'separator' },
      { id: 'quit', type: 'normal', label: 'Quit Parley' },
    ]);
    expect(trayModel({ ...base, platform: 'linux' }).menu.map((i) => ('id' in i ? i.id : '-'))).toEqual(['open', 'mute', '-', 'quit']);
  });
});
