// The installer configuration, checked without building an installer (none can be built
// here): electron-builder.yml against electron-builder's own JSON schema, then the
// targets, signing settings, Linux desktop entry, protocol and icon files it must have.
import Ajv from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const config = parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8'));
const schema = JSON.parse(readFileSync(join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8'));

// The options electron-builder itself validates with (app-builder-lib/out/util/config/
// schemaValidator.js), so this test accepts and refuses what `electron-builder` would.
// Its schema renders a few record types (linux.desktop.entry) as `typeof: function`, a
// keyword ajv ignores there; the test below checks those fields by hand.
function validator() {
  return new Ajv({ allErrors: true, verbose: true, coerceTypes: true, strict: false }).compile(schema);
}

type Target = string | { target: string; arch?: string[] };
const targetNames = (ts: Target[] | Target) => (Array.isArray(ts) ? ts : [ts]).map((t) => (typeof t === 'string' ? t : t.target));

describe('electron-builder.yml', () => {
  it("is valid against app-builder-lib's JSON schema", () => {
    const validate = validator();
    const ok = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check can fail (a wrong type and an unknown desktop-entry key are caught)', () => {
    const validate = validator();
    expect(validate({ ...config, mac: { ...config.mac, hardenedRuntime: 'yes' } })).toBe(false);
    expect(validate({ ...config, linux: { ...config.linux, desktop: { ...config.linux.desktop, entri: {} } } })).toBe(false);
    expect(validate({ ...config, win: { ...config.win, target: [{ target: 'nsis', arch: ['x64'], bogus: 1 }] } })).toBe(false);
  });

  it('names the app and its id', () => {
    expect(config.productName).toBe('Parley');
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z0-9-]+)+$/);
  });

  it('builds every installer the issue names', () => {
    expect(targetNames(config.mac.target).sort()).toEqual(['dmg', 'zip']);
    expect(targetNames(config.win.target)).toEqual(['nsis']);
    expect(targetNames(config.linux.target).sort()).toEqual(['AppImage', 'deb']);
  });

  it('macOS: hardened runtime with entitlement files that exist and allow only what Electron needs', () => {
    expect(config.mac.hardenedRuntime).toBe(true);
    for (const key of ['entitlements', 'entitlementsInherit']) {
      const file = join(root, config.mac[key]);
      expect(existsSync(file), config.mac[key]).toBe(true);
      const plist = readFileSync(file, 'utf8');
      expect(plist).toContain('com.apple.security.cs.allow-jit');
      expect(plist).not.toContain('disable-library-validation');
      expect(plist).not.toContain('allow-dyld-environment-variables');
    }
    expect(config.mac.category).toMatch(/^public\.app-category\./);
  });

  it('Linux: desktop entry with the messenger categories and the parley: scheme handler', () => {
    const entry = config.linux.desktop.entry;
    // What LinuxDesktopFile.entry's type says (name to string value), which the schema cannot.
    for (const [k, v] of Object.entries(entry)) expect(typeof v, k).toBe('string');
    expect(entry.Categories.split(';').filter(Boolean)).toEqual(['Network', 'InstantMessaging', 'Chat']);
    expect(entry.MimeType).toContain('x-scheme-handler/parley');
    expect(config.linux.mimeTypes).toContain('x-scheme-handler/parley');
    expect(config.linux.maintainer).toMatch(/<.+@.+>/);
  });

  it('registers the parley:// protocol', () => {
    expect(config.protocols.flatMap((p: { schemes: string[] }) => p.schemes)).toEqual(['parley']);
  });

  it('every icon it references exists, in the sizes each platform wants', () => {
    expect(existsSync(join(root, config.mac.icon))).toBe(true);
    expect(readFileSync(join(root, config.mac.icon)).subarray(0, 4).toString('latin1')).toBe('icns');
    for (const f of [config.win.icon, config.nsis.installerIcon, config.nsis.uninstallerIcon]) {
      expect(existsSync(join(root, f)), f).toBe(true);
      expect(readFileSync(join(root, f)).readUInt16LE(2)).toBe(1); // ICO type: icon
    }
    for (const size of [16, 32, 48, 64, 128, 256, 512, 1024]) expect(existsSync(join(root, config.linux.icon, `${size}x${size}.png`)), `${size}`).toBe(true);
    for (const r of config.extraResources as { from: string }[]) expect(existsSync(join(root, r.from)), r.from).toBe(true);
  });

  it('ships the tray icons the shell asks for', async () => {
    const { BADGE_VARIANTS } = await import('../desktop/src/shell-logic/tray-state.ts');
    const tray = join(root, 'build/tray');
    const names = ['tray.png', 'trayTemplate.png', 'trayUnreadTemplate.png', ...BADGE_VARIANTS.flatMap((v) => [`tray-badge-${v}.png`, `overlay-${v}.png`])];
    for (const n of names) {
      expect(existsSync(join(tray, n)), n).toBe(true);
      expect(existsSync(join(tray, n.replace('.png', '@2x.png'))), `${n} @2x`).toBe(true);
    }
  });

  it('rebuilds the native module for Electron and keeps it out of the asar archive', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(false);
    expect(config.asarUnpack.join(' ')).toContain('better-sqlite3');
    expect(config.extraMetadata.main).toBe('dist/electron/main.cjs');
  });
});
