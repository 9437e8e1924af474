// Serves a relay on Node: opens the configured store (embedded SQLite under the data
// directory, or MongoDB) and bus (Redis when configured, else in-process), builds the
// app with createRelay, serves HTTP with @hono/node-server and /v1/ws upgrades with the
// relay's own WebSocket framing (./node-websocket.ts, see below). Used by the CLI entry (./node.ts) and by the
// integration tests, so both run the same wiring.
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ServerType, serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { ERROR_CODES, HARD_LIMITS, HTTP_STATUS } from '@parley/common/protocol';
import { collectDefaultMetrics } from 'prom-client';
import { type Relay, type RelayDeps, createRelay } from './app.ts';
import { WireSocket, endRefused, handshake } from './node-websocket.ts';
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

/** Until the WireSocket takes the socket over: a socket error before the upgrade completes must not crash. */
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

  // /v1/ws upgrades are served here, not through the Hono app (@hono/node-ws): that kept
  // the upgrade request, a Context, a Request, two URLs and two Response/Headers alive per
  // socket for its whole life (10 KiB of the 16 per idle connection in bench W3), and `ws`
  // itself kept ~2.5 KiB more (WebSocket, Receiver, Sender, closures; see node-websocket.ts).
  // The checks the app's middleware made for socket opens are made here with the relay's
  // own admitSocket (shutting down, per-address rate limit), with the same client address
  // (x-forwarded-for under trustProxy) and signing host (publicHost, else Host).
  // Frames beyond the protocol's hard ceiling are cut off by the framing itself (close
  // 1009); the relay checks its configured (smaller) limit and answers too_large.
  const open = new Set<WireSocket>();
  /** Sockets whose upgrade was refused, until they close (a shutdown drops them at once). */
  const refusedSockets = new Set<Duplex>();
  let lastHost = '';
  const refuse = (socket: Duplex, status: number, body = '', headers = '') => {
    refusedSockets.add(socket);
    socket.once('close', () => refusedSockets.delete(socket));
    endRefused(
      socket,
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
    const shake = handshake(req);
    if ('refused' in shake) return refuse(socket, HTTP_STATUS.bad_request, JSON.stringify({ code: 'bad_request', message: shake.refused }), shake.headers);
    if (!socket.readable || !socket.writable) return socket.destroy(); // the client already left
    socket.removeListener('error', destroyOnError); // the WireSocket has its own
    const tcp = socket as Duplex & { setTimeout?: (ms: number) => void; setNoDelay?: (on: boolean) => void };
    tcp.setTimeout?.(0);
    tcp.setNoDelay?.(true);
    // Corked across the upgrade: the 101 response and the challenge leave in one write.
    socket.cork();
    socket.write(shake.response);
    const ws = new WireSocket(socket, HARD_LIMITS.maxFrameBytes, open);
    ws.handlers = relay.acceptSocket(ws, address, host);
    ws.start(head);
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
      for (const socket of refusedSockets) socket.destroy(); // refused upgrades not yet ended by their client
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await stopped;
    })());
  return { relay, server, port, url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`, close };
}
