// Serves a relay on Node: opens the configured store (embedded SQLite under the data
// directory, or MongoDB) and bus (Redis when configured, else in-process), builds the
// app with createRelay, serves HTTP with @hono/node-server and /v1/ws upgrades with the
// `ws` package directly (see below). Used by the CLI entry (./node.ts) and by the
// integration tests, so both run the same wiring.
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ServerType, serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { ERROR_CODES, HARD_LIMITS, HTTP_STATUS } from '@parley/common/protocol';
import { WebSocket, WebSocketServer } from 'ws';
import { collectDefaultMetrics } from 'prom-client';
import { type Relay, type RelayDeps, type SocketHandlers, createRelay } from './app.ts';
import type { RelaySocket } from './connection.ts';
import type { RelayConfig } from './config.ts';
import { openRedisBusFromConfig } from './bus-redis.ts';
import { createLogger } from './log.ts';
import { openStoreFromConfig } from './runtime/open-store.ts';

export interface NodeRelay {
  relay: Relay;
  server: ServerType;
  /** The bound port (useful with port 0). */
  port: number;
  /** http://host:port */
  url: string;
  /** Stops accepting connections, then shuts the relay down gracefully. */
  close(): Promise<void>;
}

/** Sockets corked in this turn of the event loop; one microtask uncorks them all. */
let corkedThisTurn: RelayWebSocket[] = [];
const uncorkAll = () => {
  const sockets = corkedThisTurn;
  corkedThisTurn = [];
  for (const ws of sockets) ws.uncorkTurn();
};

/**
 * `ws`'s WebSocket as the relay's socket, built by the WebSocketServer for each upgrade.
 * What an idle socket keeps is what W3 measures (bench/relay-bench-notes.md), so it holds
 * only fields, no per-socket closures:
 * - frames, closes and errors go straight to the relay's handlers (`emit` below): event
 *   listeners would give every socket an events object in dictionary mode (~180 bytes);
 * - frames sent in one turn (the `sent` answers of one group commit, deliver batches, the
 *   101 response and the challenge) leave in one write: the TCP socket stays corked until
 *   this turn's microtasks have run, one shared microtask for all sockets.
 */
class RelayWebSocket extends WebSocket implements RelaySocket {
  /** The relay's side, from the upgrade callback on. */
  handlers: SocketHandlers | undefined = undefined;
  /** The open sockets of this socket's server (terminated at shutdown), which it leaves on close. */
  openSockets: Set<RelayWebSocket> | undefined = undefined;
  private corked = false;

  // The WebSocketServer calls new WebSocket(null, undefined, options).
  constructor(...args: any[]) {
    super(...(args as [null]));
    // EventEmitter's constructor gives every emitter a null-prototype events object, which
    // V8 keeps in dictionary mode (~180 bytes). Nothing listens to these sockets (see emit);
    // EventEmitter creates the object again on a first listener.
    (this as unknown as { _events: object | undefined })._events = undefined;
  }

  override send(data: any, options?: any, cb?: any): void {
    const tcp = (this as unknown as { _socket: Duplex | null })._socket;
    if (!this.corked && tcp) {
      this.corked = true;
      tcp.cork();
      if (corkedThisTurn.push(this) === 1) queueMicrotask(uncorkAll);
    }
    super.send(data, options, cb);
  }

  uncorkTurn(): void {
    this.corked = false;
    (this as unknown as { _socket: Duplex | null })._socket?.uncork();
  }

  override emit(event: string | symbol, ...args: any[]): boolean {
    const h = this.handlers;
    switch (event) {
      case 'message':
        if (!h) return false;
        h.onMessage(args[1] ? args[0] : (args[0] as Buffer).toString('utf8'));
        return true;
      case 'close':
        this.openSockets?.delete(this);
        h?.onClose();
        return true;
      case 'error':
        // `ws` closes the socket after an error; 'close' follows.
        h?.onClose();
        return true;
    }
    return super.emit(event, ...args);
  }
}

/** Until `ws` takes the socket over: a socket error before the upgrade completes must not crash. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

export async function serveNode(config: RelayConfig, extra: Partial<Pick<RelayDeps, 'bus' | 'log' | 'now' | 'store'>> = {}): Promise<NodeRelay> {
  const log = extra.log ?? createLogger(config.logLevel);
  const store = extra.store ?? (await openStoreFromConfig(config, { env: process.env }));
  const bus = extra.bus ?? (await openRedisBusFromConfig(config, log).catch(async (err) => {
    await store.close();
    throw err;
  }));

  const relay = await createRelay(config, {
    ...extra,
    store,
    bus,
    log,
    clientAddress: (c) => getConnInfo(c).remote.address,
  });
  // Process metrics (RSS, CPU, event-loop lag, GC) under the same /metrics; Node-only.
  collectDefaultMetrics({ register: relay.metrics.registry, prefix: 'parley_' });

  // /v1/ws upgrades go straight to `ws`, not through the Hono app (@hono/node-ws): that
  // kept the upgrade request, a Context, a Request, two URLs and two Response/Headers alive
  // per socket for its whole life (10 KiB of the 16 per idle connection in bench W3). The
  // checks the app's middleware made for socket opens are made here with the relay's own
  // admitSocket (shutting down, per-address rate limit), with the same client address
  // (x-forwarded-for under trustProxy) and signing host (publicHost, else Host).
  // Frames beyond the protocol's hard ceiling are cut off by `ws` itself (close 1009);
  // the relay checks its configured (smaller) limit and answers too_large.
  // clientTracking off: its per-socket close listener would never hear RelayWebSocket's
  // 'close' (see emit); `open` tracks the sockets instead.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: HARD_LIMITS.maxFrameBytes, clientTracking: false, WebSocket: RelayWebSocket });
  const open = new Set<RelayWebSocket>();
  let lastHost = '';
  const refuse = (socket: Duplex, status: number, body = '', headers = '') => {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n${headers}` +
        (body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` : 'Content-Length: 0\r\n\r\n'),
    );
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroyOnError);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q < 0 ? url : url.slice(0, q)) !== '/v1/ws') {
      const body = JSON.stringify({ code: 'not_found', message: 'No such endpoint in protocol v1.' });
      return refuse(socket, HTTP_STATUS.not_found, body);
    }
    const forwarded = req.headers['x-forwarded-for'];
    const address = relay.addressOf(Array.isArray(forwarded) ? forwarded[0] : forwarded, req.socket.remoteAddress);
    const refused = relay.admitSocket(address);
    if (refused) {
      const body = JSON.stringify({ code: refused, message: ERROR_CODES[refused] });
      return refuse(socket, HTTP_STATUS[refused], body, refused === 'rate_limited' ? 'Retry-After: 1\r\n' : '');
    }
    // Every socket of one relay dials the same host, mostly: keep one copy of the string.
    const dialled = config.publicHost ?? req.headers.host ?? 'localhost';
    const host = dialled === lastHost ? lastHost : (lastHost = dialled);
    // Corked across the upgrade: the 101 response and the challenge leave in one write.
    socket.cork();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const rws = ws as RelayWebSocket;
      socket.removeListener('error', destroyOnError); // `ws` has its own now
      rws.openSockets = open;
      open.add(rws);
      rws.handlers = relay.acceptSocket(rws, address, host);
    });
    socket.uncork();
  };

  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: relay.app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  server.on('upgrade', onUpgrade);
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      // Stop accepting first; existing sockets are closed by relay.close() with 1001.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await relay.close();
      for (const ws of open) ws.terminate(); // any that ignored the close handshake
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await stopped;
    })());
  return { relay, server, port, url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`, close };
}
