// Applies a TrayModel (shell-logic/tray-state.ts) to Electron: tray icon, title and
// tooltip, its menu, and the dock/taskbar badge.
import { Menu, Tray, app, nativeImage, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import { trayModel, type ShellPlatform, type TrayInput, type TrayModel } from '../shell-logic/tray-state.ts';

export interface TrayActions {
  open(): void;
  setMuted(muted: boolean): void;
  quit(): void;
}

export class TrayController {
  private readonly tray: Tray;
  private last: string | null = null;

  constructor(
    private readonly platform: ShellPlatform,
    private readonly iconDir: string,
    private readonly window: () => BrowserWindow | null,
    private readonly actions: TrayActions,
  ) {
    this.tray = new Tray(this.image(trayModel({ platform, unread: 0, muted: false, online: false }).icon));
    // Windows and Linux: a click on the icon opens the window; macOS shows the menu.
    if (platform !== 'darwin') this.tray.on('click', () => actions.open());
  }

  update(state: Omit<TrayInput, 'platform'>): void {
    const model = trayModel({ ...state, platform: this.platform });
    const key = JSON.stringify(model);
    if (key === this.last) return;
    this.last = key;
    this.apply(model);
  }

  destroy(): void {
    this.tray.destroy();
  }

  private apply(m: TrayModel): void {
    this.tray.setImage(this.image(m.icon));
    if (this.platform === 'darwin') this.tray.setTitle(m.title);
    this.tray.setToolTip(m.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(m.menu.map((item) => this.menuItem(item))));
    if (m.badge.kind === 'count') app.setBadgeCount(m.badge.count);
    else this.window()?.setOverlayIcon(m.badge.icon ? this.image(m.badge.icon) : null, m.badge.description);
  }

  private menuItem(item: TrayModel['menu'][number]): MenuItemConstructorOptions {
    if (!('id' in item)) return { type: 'separator' };
    switch (item.id) {
      case 'open':
        return { label: item.label, click: () => this.actions.open() };
      case 'unread':
        return { label: item.label, enabled: false };
      case 'mute':
        return { label: item.label, type: 'checkbox', checked: item.checked, click: (mi) => this.actions.setMuted(mi.checked) };
      case 'quit':
        return { label: item.label, click: () => this.actions.quit() };
    }
  }

  private image(name: string) {
    const img = nativeImage.createFromPath(join(this.iconDir, name));
    // The @2x files beside each icon are picked up by name on macOS; template images are tinted by the menu bar.
    if (name.endsWith('Template.png')) img.setTemplateImage(true);
    return img;
  }
}
