// The relay's Prometheus metrics (prom-client), one registry per relay instance so two
// relays in one process (tests) never share counters. Labels are small fixed sets
// (results, reasons, route patterns, close codes): never device, user or message ids,
// so a scrape cannot leak who talks to whom and cardinality stays bounded.
//
// prom-client's metric types use only `util` from Node's built-ins, which Deno's npm
// compatibility provides; process metrics (collectDefaultMetrics) are Node-only and are
// switched on by the Node entry (node-server.ts), not here.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the gauges read when scraped; supplied by createRelay. */
export interface MetricsSources {
  sockets(): number;
  devices(): number;
  /** Entries held in all mailboxes; may be sampled (see MailboxDepthSampler). */
  mailboxDepth(): Promise<number | null>;
}

/** Outcomes of a socket login. */
export type LoginResult = 'ok' | 'auth_failed' | 'auth_expired' | 'timeout' | 'error';
/** Outcomes of a `send` frame. */
export type SendOutcome = 'stored' | 'duplicate' | 'refused' | 'error';
export type RateLimitScope = 'device_frames' | 'address_requests' | 'bundle_fetches';

export class RelayMetrics {
  readonly registry = new Registry();
  readonly logins: Counter<'result'>;
  readonly sends: Counter<'outcome'>;
  /** Mailbox entries written: one per recipient device of a stored send. */
  readonly entriesAppended: Counter;
  /** Entries written to sockets in `deliver` frames (redeliveries after a reconnect count again). */
  readonly entriesDelivered: Counter;
  /** Entries deleted because their device acknowledged them. */
  readonly entriesAcked: Counter;
  /** From the `send` frame's arrival to its `sent` frame: validation, group commit, fsync. */
  readonly sendLatency: Histogram;
  readonly storeErrors: Counter<'op'>;
  readonly rateLimited: Counter<'scope'>;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  /** Sockets the relay closed, by close code (4004 = slow consumer). */
  readonly socketCloses: Counter<'code'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    new Gauge({ name: 'parley_connections_open', help: 'Open WebSocket connections, authenticated or not.', registers, collect() { this.set(sources.sockets()); } });
    new Gauge({ name: 'parley_devices_connected', help: 'Devices with an authenticated socket on this relay.', registers, collect() { this.set(sources.devices()); } });
    new Gauge({
      name: 'parley_mailbox_depth',
      help: 'Entries held in all mailboxes of the store (sampled at most every 15 s; includes expired entries not yet swept).',
      registers,
      async collect() {
        const depth = await sources.mailboxDepth();
        if (depth !== null) this.set(depth);
      },
    });
    this.logins = new Counter({ name: 'parley_logins_total', help: 'Socket logins by result.', labelNames: ['result'], registers });
    this.sends = new Counter({ name: 'parley_sends_total', help: 'Send frames by outcome (refused: validation, unknown or stale recipients, rate limit).', labelNames: ['outcome'], registers });
    this.entriesAppended = new Counter({ name: 'parley_messages_in_total', help: 'Mailbox entries appended (one per recipient device of a stored send).', registers });
    this.entriesDelivered = new Counter({ name: 'parley_messages_out_total', help: 'Mailbox entries written to sockets in deliver frames.', registers });
    this.entriesAcked = new Counter({ name: 'parley_messages_acked_total', help: 'Mailbox entries deleted after their device acknowledged them.', registers });
    this.sendLatency = new Histogram({
      name: 'parley_send_latency_seconds',
      help: 'Time from a send frame received to its sent acknowledgement (durable commit included).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.storeErrors = new Counter({ name: 'parley_store_errors_total', help: 'Store operations that failed, by operation.', labelNames: ['op'], registers });
    this.rateLimited = new Counter({ name: 'parley_rate_limited_total', help: 'Requests or frames refused by a rate limit, by limit.', labelNames: ['scope'], registers });
    this.httpRequests = new Counter({ name: 'parley_http_requests_total', help: 'HTTP requests by route pattern, method and status.', labelNames: ['route', 'method', 'status'], registers });
    this.socketCloses = new Counter({ name: 'parley_socket_closes_total', help: 'Sockets closed by the relay, by close code.', labelNames: ['code'], registers });
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * Total mailbox depth for the gauge without scanning on every scrape: a scrape within
 * `minIntervalMs` of the last sample reuses it, and concurrent scrapes share one read.
 */
export class MailboxDepthSampler {
  private value: number | null = null;
  private at = -Infinity;
  private reading: Promise<number | null> | null = null;

  constructor(
    private readonly read: () => Promise<number>,
    private readonly now: () => number,
    private readonly minIntervalMs = 15_000,
  ) {}

  sample(): Promise<number | null> {
    if (this.now() - this.at < this.minIntervalMs) return Promise.resolve(this.value);
    return (this.reading ??= Promise.resolve()
      .then(this.read)
      .then((v) => {
        this.value = v;
        return v;
      })
      .catch(() => this.value) // counted as a store error by the instrumented store
      .finally(() => {
        this.at = this.now();
        this.reading = null;
      }));
  }
}
