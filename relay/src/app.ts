// createRelay: the whole relay as one runtime-neutral Hono app. A runtime entry
// (./node.ts, a Deno entry) opens a store, supplies its WebSocket upgrade helper and a
// way to learn the client address, and serves `app.fetch`. Nothing here imports node:*.
import { CLOSE_CODES, ProtocolError } from '@parley/common/protocol';
import { sodiumReady } from '@parley/common/sodium';
import { type Context, Hono } from 'hono';
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import { type Bus, InProcessBus } from './bus.ts';
import type { RelayConfig } from './config.ts';
import { Connection, type RelaySocket } from './connection.ts';
import type { RelayContext } from './context.ts';
import { Directory } from './directory.ts';
import { GroupCommit } from './group-commit.ts';
import { blobRoutes } from './http/blobs.ts';
import { deviceRoutes } from './http/devices.ts';
import { handleRoutes } from './http/handles.ts';
import { httpMetrics, opsRoutes } from './http/ops.ts';
import { problemResponse } from './http/problem.ts';
import { ReplayCache, relayHostOf } from './http/signature.ts';
import { Hub } from './hub.ts';
import { type Logger, createLogger, errorFields } from './log.ts';
import { MailboxDepthSampler, RelayMetrics } from './metrics.ts';
import { instrumentStore } from './metrics-store.ts';
import { KeyedRateLimiter } from './rate-limit.ts';
import type { MailboxStore } from './store/types.ts';

export interface RelayDeps {
  /** The store; the relay owns it from now on and closes it in `close()`. */
  store: MailboxStore;
  /**
   * The runtime's WebSocket helper (`hono/deno`'s) for GET /v1/ws through the app. Absent
   * when the runtime entry serves upgrades itself with admitSocket/acceptSocket (Node).
   */
  upgradeWebSocket?: UpgradeWebSocket<any>;
  /** The peer address of a request (`getConnInfo(c).remote.address` of the runtime's conninfo helper). */
  clientAddress: (c: Context) => string | undefined;
  /** Default: an in-process bus (one relay). */
  bus?: Bus;
  log?: Logger;
  /** Default: Date.now. */
  now?: () => number;
}

export interface Relay {
  /** Mount or serve with `app.fetch`. The WebSocket endpoint is GET /v1/ws. */
  app: Hono;
  hub: Hub;
  context: RelayContext;
  /** The Prometheus registry behind GET /metrics (a runtime entry may add process metrics to it). */
  metrics: RelayMetrics;
  /** Runs one TTL sweep now (the sweeper also runs every sweepIntervalMs). */
  sweep(): Promise<void>;
  /**
   * Graceful shutdown: refuse new requests and sockets, close every socket with 1001
   * after a `shutting_down` error frame, wait for pending commits, close bus and store.
   */
  close(): Promise<void>;
  /**
   * For a runtime entry that serves /v1/ws upgrades itself: the checks an upgrade passes
   * before it opens (the same as every HTTP request's): null when admitted, else the
   * problem code to refuse it with.
   */
  admitSocket(address: string): 'shutting_down' | 'rate_limited' | null;
  /** Runs the relay's connection on an opened socket; the entry forwards its events to the handlers. */
  acceptSocket(socket: RelaySocket, address: string, host: string): SocketHandlers;
  /** The client address from x-forwarded-for (with trustProxy) or the peer address. */
  addressOf(forwardedFor: string | undefined, peer: string | undefined): string;
}

/** What a runtime entry forwards from a socket (the relay's Connection is one). */
export interface SocketHandlers {
  /** A text frame as a string; anything else is refused as a binary frame. */
  onMessage(data: unknown): void;
  onClose(): void;
}

/** Hono's WSContext over the runtime's WebSocket (`raw`, the WHATWG one on Deno) as a RelaySocket. */
class ContextSocket implements RelaySocket {
  constructor(
    private readonly ws: WSContext,
    private readonly raw: { bufferedAmount?: number } | undefined,
  ) {}

  send(data: string): void {
    this.ws.send(data);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  get bufferedAmount(): number {
    return this.raw?.bufferedAmount ?? 0;
  }
}

export async function createRelay(config: RelayConfig, deps: RelayDeps): Promise<Relay> {
  await sodiumReady();
  const bus = deps.bus ?? new InProcessBus();
  const log = deps.log ?? createLogger(config.logLevel);
  const now = deps.now ?? Date.now;
  const L = config.limits;
  // The gauges read the hub and the store lazily, at scrape time.
  let hub: Hub | undefined;
  // Read through the instrumented store (below), so a failing count is a counted store error.
  const depth = new MailboxDepthSampler(() => store.totalDepth(), now);
  const metrics = new RelayMetrics({
    sockets: () => hub?.sockets.size ?? 0,
    devices: () => hub?.connectedDevices ?? 0,
    mailboxDepth: () => depth.sample(),
  });
  const store = instrumentStore(deps.store, metrics);
  const refused = (scope: 'device_frames' | 'address_requests' | 'bundle_fetches') => () => metrics.rateLimited.inc({ scope });

  const ctx = {
    config,
    store,
    bus,
    log,
    metrics,
    directory: new Directory(store, bus),
    commits: new GroupCommit(store, bus),
    deviceFrames: new KeyedRateLimiter(L.deviceFramesPerSecond, L.deviceFrameBurst, undefined, refused('device_frames')),
    addressRequests: new KeyedRateLimiter(L.addressRequestsPerSecond, L.addressRequestBurst, undefined, refused('address_requests')),
    bundleFetches: new KeyedRateLimiter(L.bundleFetchesPerMinute / 60, L.bundleFetchesPerMinute, undefined, refused('bundle_fetches')),
    now,
    // WebCrypto (Node, Deno, browsers) in one call: libsodium's JS randombytes_buf asks
    // the host for 4 bytes at a time, ~90 µs of every socket login in the relay bench.
    randomBytes: (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
    shuttingDown: false,
  } as Omit<RelayContext, 'hub'> as RelayContext;
  hub = (ctx as { hub: Hub }).hub = new Hub(ctx);
  ctx.commits.offerLocal = (device, entries) => ctx.hub.connection(device)?.offer(entries);
  const replay = new ReplayCache(2 * config.httpSkewMs);

  const addressOf = (forwardedFor: string | undefined, peer: string | undefined): string => {
    if (config.trustProxy) {
      const forwarded = forwardedFor?.split(',')[0]?.trim();
      if (forwarded) return forwarded;
    }
    return peer ?? 'unknown';
  };
  const clientAddress = (c: Context): string => addressOf(c.req.header('x-forwarded-for'), deps.clientAddress(c));

  const app = new Hono();
  app.onError((err) => {
    if (err instanceof ProtocolError) return problemResponse(err.code, err.message, err.details);
    log.error('http.internal', errorFields(err));
    return problemResponse('internal');
  });
  app.notFound(() => problemResponse('not_found', 'No such endpoint in protocol v1.'));

  app.use('*', httpMetrics(ctx, metrics));
  // Before the address rate limit: a supervisor or Prometheus polling from one address
  // must never be throttled into reporting the relay down.
  app.route('/', opsRoutes(ctx, metrics));
  app.use('*', async (c, next) => {
    if (ctx.shuttingDown) return problemResponse('shutting_down');
    if (!ctx.addressRequests.take(clientAddress(c), now())) return problemResponse('rate_limited', undefined, undefined, { 'retry-after': '1' });
    await next();
  });

  app.get('/v1/health', async (c) => {
    try {
      await store.ping();
    } catch (err) {
      log.error('health.store_unreachable', errorFields(err));
      return problemResponse('internal', 'The store is unreachable.');
    }
    return c.json({ ok: true, protocol: 'v1', store: store.kind, devicesConnected: ctx.hub.connectedDevices });
  });

  /** The per-address check an upgrade passes before it opens (the HTTP middleware's, for any runtime). */
  const admitSocket = (address: string): 'shutting_down' | 'rate_limited' | null => {
    if (ctx.shuttingDown) return 'shutting_down';
    if (!ctx.addressRequests.take(address, now())) return 'rate_limited';
    return null;
  };

  // The Connection is the handlers object itself (it guards against a crashing frame): an
  // idle socket should keep nothing else alive.
  const acceptSocket = (socket: RelaySocket, address: string, host: string): SocketHandlers => {
    const conn = new Connection(ctx, socket, address, host);
    if (ctx.shuttingDown) conn.close(CLOSE_CODES.goingAway, 'shutting down', undefined, 'shutting_down');
    else conn.open();
    return conn;
  };

  if (deps.upgradeWebSocket) app.get(
    '/v1/ws',
    deps.upgradeWebSocket((c) => {
      const address = clientAddress(c);
      const host = relayHostOf(ctx, c);
      let handlers: SocketHandlers | undefined;
      return {
        onOpen(_evt, ws) {
          handlers = acceptSocket(new ContextSocket(ws, ws.raw as { bufferedAmount?: number } | undefined), address, host);
        },
        onMessage(evt) {
          handlers?.onMessage(evt.data);
        },
        onClose() {
          handlers?.onClose();
        },
        onError() {
          handlers?.onClose();
        },
      };
    }),
  );

  const v1 = new Hono();
  v1.route('/', deviceRoutes(ctx, replay));
  v1.route('/', handleRoutes(ctx, replay));
  v1.route('/', blobRoutes(ctx, replay));
  app.route('/v1', v1);

  let sweeping: Promise<void> | null = null;
  const sweep = (): Promise<void> =>
    (sweeping ??= store
      .sweep(now())
      .then((r) => {
        if (r.entries || r.blobs || r.dedup) log.info('sweep', { entries: r.entries, blobs: r.blobs, dedup: r.dedup });
      })
      .catch((err) => log.error('sweep.failed', errorFields(err)))
      .finally(() => {
        sweeping = null;
      }));
  const sweeper = setInterval(() => void sweep(), config.sweepIntervalMs);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      ctx.shuttingDown = true;
      clearInterval(sweeper);
      ctx.hub.closeAll();
      await ctx.commits.flush();
      await sweeping;
      ctx.hub.close();
      ctx.directory.close();
      await bus.close();
      await store.close();
      log.info('relay.closed');
    })());

  log.info('relay.created', { store: store.kind, ttlMs: config.ttlMs });
  return { app, hub: ctx.hub, context: ctx, metrics, sweep, close, admitSocket, acceptSocket, addressOf };
}
