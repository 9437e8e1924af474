// While `parley listen` runs, it owns the profile's relay connection: the relay keeps one
// socket per device and closes the older one (4007 "replaced"), so a `parley send` that
// dialled on its own would knock the listener offline. The listener therefore serves a
// Unix socket in the profile directory (0600 by the directory's 0700), and `send` hands
// its message to it when one answers. One JSON line each way.
import { existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';

export const LISTENER_SOCKET = 'listen.sock';

export interface SendRequest {
  op: 'send';
  conversationId: string;
  text: string;
  timeoutMs: number;
}
export type ListenerReply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

/** Serves requests until closed; null where a Unix socket cannot be had (Windows, a path too long). */
export async function serveListenerSocket(profileDir: string, handle: (req: SendRequest) => Promise<ListenerReply>): Promise<Server | null> {
  if (process.platform === 'win32') return null;
  const path = join(profileDir, LISTENER_SOCKET);
  // A socket file left by a listener that was killed: nobody answers on it any more.
  if (existsSync(path) && !(await answers(path))) unlinkSync(path);
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let req: SendRequest;
      try {
        req = JSON.parse(buf.slice(0, nl));
      } catch {
        conn.end(`${JSON.stringify({ ok: false, error: { code: 'bad_request', message: 'not JSON' } })}\n`);
        return;
      }
      void handle(req).then((reply) => conn.end(`${JSON.stringify(reply)}\n`));
    });
    conn.on('error', () => undefined);
  });
  return new Promise((resolveServer) => {
    server.once('error', () => resolveServer(null)); // in use by another listener, or the path is too long
    server.listen(path, () => resolveServer(server));
  });
}

/** Whether a `parley listen` answers on this profile's socket. */
export function listenerRunning(profileDir: string): Promise<boolean> {
  const path = join(profileDir, LISTENER_SOCKET);
  return process.platform === 'win32' || !existsSync(path) ? Promise.resolve(false) : answers(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((done) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      done(true);
    });
    c.once('error', () => done(false));
  });
}

/** Hands a request to a running listener; null when none is running on this profile. */
export function callListener(profileDir: string, req: SendRequest): Promise<ListenerReply | null> {
  const path = join(profileDir, LISTENER_SOCKET);
  if (process.platform === 'win32' || !existsSync(path)) return Promise.resolve(null);
  return new Promise((done, fail) => {
    const c = connect(path);
    let connected = false;
    let buf = '';
    c.setEncoding('utf8');
    c.once('connect', () => {
      connected = true;
      c.write(`${JSON.stringify(req)}\n`);
    });
    c.on('data', (d) => (buf += d));
    c.once('end', () => {
      try {
        done(JSON.parse(buf.trim()) as ListenerReply);
      } catch {
        fail(new Error('the running `parley listen` gave no answer'));
      }
    });
    c.once('error', (err) => (connected ? fail(err) : done(null)));
  });
}
