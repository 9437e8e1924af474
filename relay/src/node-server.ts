// Serves a relay on Node: opens the configured store (embedded SQLite under the data
// directory, or MongoDB) and bus (Redis when configured, else in-process), builds the
// app with createRelay, and wires @hono/node-server + @hono/node-ws. Used by
// the CLI entry (./node.ts) and by the integration tests, so both run the same wiring.
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createNodeWebSocket } from '@hono/node-ws';
import { HARD_LIMITS } from '@parley/common/protocol';
import { Hono } from 'hono';
import { collectDefaultMetrics } from 'prom-client';
import { type Relay, type RelayDeps, createRelay } from './app.ts';
import type { RelayConfig } from './config.ts';
import { openRedisBusFromConfig } from './bus-redis.ts';
import { createLogger } from './log.ts';
import { openStoreFromConfig } from './runtime/open-store.ts';

// @hono/node-ws reports a socket error (a text frame that is not UTF-8: 1007; a frame
// above maxPayload: 1009) with `new ErrorEvent(...)`, a global Node has only from 22 on.
// On Node 20 that constructor throws: the relay's onError never runs and a stack trace
// goes to stderr for every such frame (found by the fuzz test). A minimal stand-in:
if (typeof (globalThis as { ErrorEvent?: unknown }).ErrorEvent === 'undefined') {
  (globalThis as { ErrorEvent?: unknown }).ErrorEvent = class ErrorEvent extends Event {
    readonly error: unknown;
    readonly message: string;
    constructor(type: string, init: { error?: unknown; message?: string } = {}) {
      super(type);
      this.error = init.error;
      this.message = init.message ?? (init.error instanceof Error ? init.error.message : '');
    }
  };
}

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

export async function serveNode(config: RelayConfig, extra: Partial<Pick<RelayDeps, 'bus' | 'log' | 'now' | 'store'>> = {}): Promise<NodeRelay> {
  const log = extra.log ?? createLogger(config.logLevel);
  const store = extra.store ?? (await openStoreFromConfig(config, { env: process.env }));
  const bus = extra.bus ?? (await openRedisBusFromConfig(config, log).catch(async (err) => {
    await store.close();
    throw err;
  }));

  // createNodeWebSocket needs the app that handles upgrades before the relay exists; a
  // shell app forwards everything (same env, which carries the Node request) to the relay's.
  const shell = new Hono();
  const nodeWs = createNodeWebSocket({ app: shell });
  // Frames beyond the protocol's hard ceiling are cut off by `ws` itself (close 1009);
  // the relay checks its configured (smaller) limit and answers too_large.
  (nodeWs.wss.options as { maxPayload?: number }).maxPayload = HARD_LIMITS.maxFrameBytes;
  const relay = await createRelay(config, {
    ...extra,
    store,
    bus,
    log,
    upgradeWebSocket: nodeWs.upgradeWebSocket,
    clientAddress: (c) => getConnInfo(c).remote.address,
  });
  shell.all('*', (c) => relay.app.fetch(c.req.raw, c.env));
  // Process metrics (RSS, CPU, event-loop lag, GC) under the same /metrics; Node-only.
  collectDefaultMetrics({ register: relay.metrics.registry, prefix: 'parley_' });

  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: shell.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  nodeWs.injectWebSocket(server);
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      // Stop accepting first; existing sockets are closed by relay.close() with 1001.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await relay.close();
      for (const ws of nodeWs.wss.clients) ws.terminate(); // any that ignored the close handshake
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await stopped;
    })());
  return { relay, server, port, url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`, close };
}
