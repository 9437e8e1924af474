// The web host: the built UI and MessengerApi for a browser on this machine only.
//
//   GET /?token=…          the UI (vite build output), plus its static assets
//   WS  /api?token=…       ApiWireFrames: calls in, results and pushed events out;
//                          shell frames (t:'shell') both ways: see shell-host.ts
//
// Listens on 127.0.0.1 only. A random 256-bit token in the URL gates the API (compared in
// constant time); the WebSocket must come from the host's own origin (a page on another
// site cannot drive it even if it guesses the port) and the Host header must name the
// loopback address (no DNS rebinding). Parameters are validated in api-dispatch.ts.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiWireFrame, MessengerApi, ShellHostFrame, ShellIntent } from '@parley/common/api/index';
import { dispatchFrame } from './api-dispatch.ts';
import { isShellFrame } from './shell-frames.ts';
import { WebShellHost } from './shell-host.ts';

/** Where `npm run build:ui -w desktop` (vite) writes the UI. */
export const UI_DIST = join(import.meta.dirname, '..', '..', 'dist', 'renderer');

export interface WebHostOptions {
  api: MessengerApi;
  /** The vite build output (index.html and assets/). */
  staticDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default relay URL offered by onboarding (passed to the UI in the URL). */
  defaultRelayUrl?: string;
  /** Fixed token (tests); random otherwise. */
  token?: string;
  /** Where the host reports refused links and failed notifications (nothing by default). */
  log?: (msg: string) => void;
}

export interface WebHost {
  /** The URL to open: http://127.0.0.1:PORT/?token=… */
  url: string;
  port: number;
  token: string;
  /** Opens a parley:// link in the page (add-contact flow, or the refusal as a toast); kept until a page listens. */
  openLink(url: string): ShellIntent;
  /** What the pages reported of the user's attention (the notification decision reads this). */
  shellState(): { windowFocused: boolean; openConversationId: string | null; pages: number };
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

// The same policy the Electron window uses in spirit: our own scripts only, no eval,
// images from data:/blob: for previews, the WebSocket back to ourselves.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Frames larger than this are refused by `ws` (attachments go as base64 in sendAttachment). */
const MAX_FRAME = 32 * 1024 * 1024;

export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  // timingSafeEqual needs equal lengths; compare against ourselves so the time does not depend on the guess.
  return a.length === b.length ? timingSafeEqual(a, b) : (timingSafeEqual(a, a), false);
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  if (!existsSync(join(opts.staticDir, 'index.html'))) {
    throw new Error(`The UI is not built: ${join(opts.staticDir, 'index.html')} is missing. Run \`npm run build:ui -w desktop\` first.`);
  }
  const token = opts.token ?? randomBytes(32).toString('base64url');
  let port = 0;
  const ownHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  const server = createServer((req, res) => {
    if (!ownHosts().has(req.headers.host ?? '')) return plain(res, 421, 'Misdirected request');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed');
    serveStatic(opts.staticDir, req, res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const ok =
      url.pathname === '/api' &&
      ownHosts().has(req.headers.host ?? '') &&
      (origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`) &&
      tokenMatches(token, url.searchParams.get('token'));
    if (!ok) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  const shell = new WebShellHost(opts.api, opts.log);

  function attach(ws: WebSocket): void {
    const send = (f: ApiWireFrame | ShellHostFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(f));
    };
    const unsubscribe = opts.api.subscribe((event) => send({ t: 'event', event }));
    const page = { send };
    const detach = shell.attach(page);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (isShellFrame(frame)) shell.receive(page, frame);
      else void dispatchFrame(opts.api, frame).then((r) => r && send(r));
    });
    ws.on('close', () => {
      unsubscribe();
      detach();
    });
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const query = new URLSearchParams({ token });
  if (opts.defaultRelayUrl) query.set('relay', opts.defaultRelayUrl);
  return {
    url: `http://127.0.0.1:${port}/?${query}`,
    port,
    token,
    openLink: (url) => shell.openLink(url),
    shellState: () => shell.state(),
    async close() {
      shell.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
  const rel = pathname === '/' ? 'index.html' : normalize(pathname).replace(/^[/\\]+/, '');
  const file = join(root, rel);
  if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return plain(res, 404, 'Not found');
  const headers: Record<string, string> = {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // index.html carries no secret itself, but the page URL does: never cache it.
    'cache-control': rel === 'index.html' ? 'no-store' : 'public, max-age=31536000, immutable',
  };
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}
