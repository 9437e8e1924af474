// The window's security settings, kept as data so they are pinned by tests rather than
// scattered through main.ts (Electron's security checklist, items 2-4, 7, 11-15):
//   - the renderer has no Node, runs sandboxed and context-isolated; only the preload
//     reaches IPC, and it exposes MessengerApi and nothing else;
//   - the UI is served from the app's own scheme (app://parley/), never file://, so
//     'self' in the CSP means exactly the bundled files;
//   - the renderer talks to nothing on the network: the core (main process) holds the
//     relay connection, so connect-src is 'self' unless a dev server needs more;
//   - it never navigates away and never opens windows; http(s) links go to the browser.

export const APP_SCHEME = 'app';
export const APP_HOST = 'parley';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** Structurally Electron's WebPreferences (the fields set), so this file needs no Electron. */
export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  navigateOnDragDrop: false;
  safeDialogs: true;
  spellcheck: boolean;
  devTools: boolean;
}

export function secureWebPreferences(preloadPath: string, opts: { devTools: boolean }): SecureWebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    // A file dropped outside the composer's drop zone must not replace the app with it.
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: true,
    devTools: opts.devTools,
  };
}

export interface CspOptions {
  /** Extra origins the renderer itself may connect to (none in the packaged app: the core in main holds the relay connection). */
  connectSources?: readonly string[];
  /** A vite dev server origin (http://127.0.0.1:5173) during development: scripts and HMR from there. */
  devServer?: string | null;
}

function origin(url: string): string {
  const u = new URL(url);
  if (!/^(https?|wss?):$/.test(u.protocol)) throw new Error(`A CSP source must be an http(s) or ws(s) URL, not ${u.protocol}`);
  return u.origin;
}

export function contentSecurityPolicy(opts: CspOptions = {}): string {
  const dev = opts.devServer ? origin(opts.devServer) : null;
  const devWs = dev ? dev.replace(/^http/, 'ws') : null;
  const connect = ["'self'", ...(opts.connectSources ?? []).map(origin), ...(dev ? [dev, devWs!] : [])];
  const directives: [string, string[]][] = [
    ['default-src', ["'self'"]],
    // No 'unsafe-eval' and no 'unsafe-inline' for scripts, ever (not even in development).
    ['script-src', ["'self'", ...(dev ? [dev] : [])]],
    // Svelte sets style attributes for layout (virtual list offsets); styles cannot run code.
    ['style-src', ["'self'", "'unsafe-inline'", ...(dev ? [dev] : [])]],
    // Thumbnails travel inside messages as data: URLs; downloaded images are shown as blob: URLs.
    ['img-src', ["'self'", 'data:', 'blob:']],
    ['media-src', ["'self'", 'blob:']],
    ['font-src', ["'self'", 'data:']],
    ['connect-src', connect],
    ['worker-src', ["'self'", 'blob:']],
    ['object-src', ["'none'"]],
    ['frame-src', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
  ];
  return directives.map(([k, v]) => `${k} ${[...new Set(v)].join(' ')}`).join('; ');
}

export type NavigationDecision =
  | { action: 'allow' }
  | { action: 'open-external'; url: string }
  | { action: 'deny'; reason: string };

/** will-navigate / will-redirect: stay on the app's own pages; web links go to the browser; anything else is refused. */
export function navigationDecision(target: string, appOrigin: string = APP_ORIGIN): NavigationDecision {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { action: 'deny', reason: 'not a URL' };
  }
  if (`${url.protocol}//${url.host}` === appOrigin) return { action: 'allow' };
  return externalLinkDecision(url);
}

/** setWindowOpenHandler: never a new Electron window; web links go to the browser. */
export function newWindowDecision(target: string): Exclude<NavigationDecision, { action: 'allow' }> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { action: 'deny', reason: 'not a URL' };
  }
  return externalLinkDecision(url);
}

function externalLinkDecision(url: URL): Exclude<NavigationDecision, { action: 'allow' }> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { action: 'deny', reason: `the ${url.protocol} scheme is not opened from Parley` };
  // A link with credentials is a phishing shape (https://bank.com@evil.example/).
  if (url.username || url.password) return { action: 'deny', reason: 'links with a user name or password are not opened' };
  return { action: 'open-external', url: url.href };
}

/**
 * Renderer permission requests (session.setPermissionRequestHandler). Notifications are
 * shown by the main process, so the page needs none of them; only writing to the
 * clipboard (copy an invite link) and the camera (scan a QR code) from the app's own page.
 */
export function permissionAllowed(permission: string, requestingUrl: string, details: { mediaTypes?: readonly string[] } = {}, appOrigin: string = APP_ORIGIN): boolean {
  let from: string;
  try {
    const u = new URL(requestingUrl);
    from = `${u.protocol}//${u.host}`;
  } catch {
    return false;
  }
  if (from !== appOrigin) return false;
  if (permission === 'clipboard-sanitized-write') return true;
  if (permission === 'media') return (details.mediaTypes ?? []).length > 0 && (details.mediaTypes ?? []).every((t) => t === 'video');
  return false;
}

/**
 * Maps an app:// request to a file under the UI's folder, or null (404). Decoded `..`
 * segments, backslashes and NULs are refused, so a request never leaves the folder.
 */
export function appAssetPath(requestUrl: string, appOrigin: string = APP_ORIGIN): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (`${url.protocol}//${url.host}` !== appOrigin) return null;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (path === '/' || path === '') path = '/index.html';
  if (/[\\\0]/.test(path)) return null;
  const segments = path.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.')) return null;
  return segments.join('/');
}

const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  map: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  woff: 'font/woff',
  wasm: 'application/wasm',
};

export function mimeTypeOf(path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
  return MIME[ext] ?? 'application/octet-stream';
}
