import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, appAssetPath, contentSecurityPolicy, mimeTypeOf, navigationDecision, newWindowDecision, permissionAllowed, secureWebPreferences } from './window-security.ts';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split('; ').map((d) => {
    const [k, ...v] = d.split(' ');
    return [k, v] as [string, string[]];
  }));
}

describe('window security', () => {
  it('webPreferences: isolated, sandboxed, no Node, web security on, no webview', () => {
    const p = secureWebPreferences('/app/preload.cjs', { devTools: false });
    expect(p).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
  });

  it('CSP: self only, no eval or inline script, nothing framed, no plugins, no network from the page', () => {
    const d = directives(contentSecurityPolicy());
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('connect-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'none'"]);
    expect(contentSecurityPolicy()).not.toMatch(/unsafe-eval|\*/);
  });

  it('CSP: connect-src adds only the origins given (a relay), and a dev server only when asked', () => {
    const d = directives(contentSecurityPolicy({ connectSources: ['wss://relay.example.org/v1/ws'] }));
    expect(d.get('connect-src')).toEqual(["'self'", 'wss://relay.example.org']);
    const dev = directives(contentSecurityPolicy({ devServer: 'http://127.0.0.1:5173/' }));
    expect(dev.get('script-src')).toEqual(["'self'", 'http://127.0.0.1:5173']);
    expect(dev.get('connect-src')).toEqual(["'self'", 'http://127.0.0.1:5173', 'ws://127.0.0.1:5173']);
    expect(() => contentSecurityPolicy({ connectSources: ["'unsafe-inline'"] })).toThrow();
    expect(() => contentSecurityPolicy({ connectSources: ['javascript:alert(1)'] })).toThrow();
  });

  it("navigation: the app's own pages only; web links to the browser; other schemes refused", () => {
    expect(navigationDecision(`${APP_ORIGIN}/index.html#/c/d:x`)).toEqual({ action: 'allow' });
    expect(navigationDecision('https://example.org/a?b')).toEqual({ action: 'open-external', url: 'https://example.org/a?b' });
    expect(navigationDecision('http://example.org/')).toEqual({ action: 'open-external', url: 'http://example.org/' });
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'app://evil/index.html', 'smb://host/share', 'data:text/html,hi', 'parley://add?u=x', 'not a url']) {
      expect(navigationDecision(bad).action, bad).toBe('deny');
    }
    expect(navigationDecision('https://bank.example@evil.example/').action).toBe('deny');
  });

  it('new windows: never; web links to the browser', () => {
    expect(newWindowDecision(`${APP_ORIGIN}/index.html`).action).toBe('deny');
    expect(newWindowDecision('https://example.org/')).toEqual({ action: 'open-external', url: 'https://example.org/' });
    expect(newWindowDecision('file:///C:/Windows/system32/calc.exe').action).toBe('deny');
  });

  it("permissions: clipboard write and the camera for the app's own page only", () => {
    expect(permissionAllowed('clipboard-sanitized-write', `${APP_ORIGIN}/index.html`)).toBe(true);
    expect(permissionAllowed('media', `${APP_ORIGIN}/index.html`, { mediaTypes: ['video'] })).toBe(true);
    expect(permissionAllowed('media', `${APP_ORIGIN}/index.html`, { mediaTypes: ['video', 'audio'] })).toBe(false);
    expect(permissionAllowed('media', `${APP_ORIGIN}/index.html`, {})).toBe(false);
    for (const p of ['notifications', 'geolocation', 'openExternal', 'midi', 'pointerLock', 'display-capture']) expect(permissionAllowed(p, `${APP_ORIGIN}/`)).toBe(false);
    expect(permissionAllowed('clipboard-sanitized-write', 'https://example.org/')).toBe(false);
  });

  it('app:// assets: maps paths under the UI folder and refuses traversal', () => {
    expect(appAssetPath(`${APP_ORIGIN}/`)).toBe('index.html');
    expect(appAssetPath(`${APP_ORIGIN}/assets/index-abc.js?v=1`)).toBe('assets/index-abc.js');
    // The URL parser resolves dot segments first: what is left stays inside the folder.
    expect(appAssetPath(`${APP_ORIGIN}/%2e%2e/%2e%2e/etc/passwd`)).toBe('etc/passwd');
    expect(appAssetPath(`${APP_ORIGIN}/assets/..%2f..%2fsecret.key`)).toBeNull();
    expect(appAssetPath(`${APP_ORIGIN}/a%5c..%5cb`)).toBeNull();
    expect(appAssetPath(`${APP_ORIGIN}/a%00.js`)).toBeNull();
    expect(appAssetPath(`${APP_ORIGIN}/%E0%A4%A`)).toBeNull();
    expect(appAssetPath('app://other/index.html')).toBeNull();
    expect(mimeTypeOf('assets/x.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeOf('x.unknown')).toBe('application/octet-stream');
  });
});
