// Every relay setting in one table: its flag, its environment variable, its default and
// what it does. The Node and Deno entries both read settings through `loadConfig`, and
// docs/protocol.md ("Configuration") lists the same table. Runtime-neutral: the caller
// passes argv and env in.
import { DEFAULT_LIMITS, DEFAULT_TTL_MS, HARD_LIMITS } from '@parley/common/protocol';
import type { LogLevel } from './log.ts';

export interface RelayLimits {
  maxFrameBytes: number;
  maxBodyBytes: number;
  maxBlobBytes: number;
  maxRecipients: number;
  deviceFramesPerSecond: number;
  deviceFrameBurst: number;
  addressRequestsPerSecond: number;
  addressRequestBurst: number;
  bundleFetchesPerMinute: number;
  deliveryWindow: number;
  deliveryBatch: number;
  socketHighWaterBytes: number;
  socketMaxBufferedBytes: number;
  /** Consecutive invalid frames after which a socket is closed (4006). */
  maxBadFrames: number;
  /** Users one device may watch with `presence.sub`. */
  maxPresenceSubscriptions: number;
}

export interface RelayConfig {
  port: number;
  host: string;
  dataDir: string;
  /** host[:port] clients dial; signatures bind it. Unset: the request's Host header. */
  publicHost: string | undefined;
  /** Take the client address from X-Forwarded-For (only behind a trusted proxy). */
  trustProxy: boolean;
  ttlMs: number;
  sweepIntervalMs: number;
  authTimeoutMs: number;
  /** Allowed |ts − now| of a socket login. */
  authSkewMs: number;
  /** Allowed |ts − now| of a signed HTTP request (also the replay-cache window). */
  httpSkewMs: number;
  heartbeatMs: number;
  logLevel: LogLevel;
  /** The embedded store's durability: FULL survives power loss, NORMAL only process crashes. */
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** Serve GET /metrics (Prometheus text format). */
  metrics: boolean;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** MongoDB connection string; set: the MongoDB store instead of the embedded SQLite one. */
  mongodbUrl: string | undefined;
  /** Redis URL; set: live pushes between relays go over Redis pub/sub. */
  redisUrl: string | undefined;
  /** With Redis: how often each connected device's mailbox is re-read, bounding the delay a lost pub/sub message can cause. */
  redisResyncMs: number;
  limits: RelayLimits;
}

type Kind = 'int' | 'string' | 'bool' | 'level' | 'sync';
interface Setting {
  /** Path in RelayConfig: "port" or "limits.maxFrameBytes". */
  key: string;
  flag: string;
  env: string;
  kind: Kind;
  default: number | string | boolean | undefined;
  doc: string;
}

const L = DEFAULT_LIMITS;
export const SETTINGS: Setting[] = [
  { key: 'port', flag: '--port', env: 'PARLEY_PORT', kind: 'int', default: 8787, doc: 'TCP port to listen on (0 picks a free one).' },
  { key: 'host', flag: '--host', env: 'PARLEY_HOST', kind: 'string', default: '127.0.0.1', doc: 'Address to bind; 0.0.0.0 to accept remote clients.' },
  { key: 'dataDir', flag: '--data-dir', env: 'PARLEY_DATA_DIR', kind: 'string', default: './data', doc: 'Directory of the embedded store (relay.db) and blobs.' },
  { key: 'publicHost', flag: '--public-host', env: 'PARLEY_PUBLIC_HOST', kind: 'string', default: undefined, doc: 'host[:port] clients dial, bound into every signature; default: the Host header.' },
  { key: 'trustProxy', flag: '--trust-proxy', env: 'PARLEY_TRUST_PROXY', kind: 'bool', default: false, doc: 'Rate-limit by the first X-Forwarded-For address instead of the socket peer.' },
  { key: 'ttlMs', flag: '--ttl-ms', env: 'PARLEY_TTL_MS', kind: 'int', default: DEFAULT_TTL_MS, doc: 'Lifetime of mailbox entries, blobs and dedup records (30 days).' },
  { key: 'sweepIntervalMs', flag: '--sweep-interval-ms', env: 'PARLEY_SWEEP_INTERVAL_MS', kind: 'int', default: 60_000, doc: 'How often expired entries and blobs are deleted.' },
  { key: 'authTimeoutMs', flag: '--auth-timeout-ms', env: 'PARLEY_AUTH_TIMEOUT_MS', kind: 'int', default: 10_000, doc: 'Life of a socket challenge; no valid auth by then closes the socket (4002).' },
  { key: 'authSkewMs', flag: '--auth-skew-ms', env: 'PARLEY_AUTH_SKEW_MS', kind: 'int', default: 60_000, doc: 'Allowed clock difference of a socket login.' },
  { key: 'httpSkewMs', flag: '--http-skew-ms', env: 'PARLEY_HTTP_SKEW_MS', kind: 'int', default: 300_000, doc: 'Allowed clock difference of a signed HTTP request.' },
  { key: 'heartbeatMs', flag: '--heartbeat-ms', env: 'PARLEY_HEARTBEAT_MS', kind: 'int', default: 30_000, doc: 'Ping interval; a socket silent for two intervals is closed (4003).' },
  { key: 'logLevel', flag: '--log-level', env: 'PARLEY_LOG_LEVEL', kind: 'level', default: 'info', doc: 'debug, info, warn, error or silent.' },
  { key: 'sqliteSynchronous', flag: '--sqlite-synchronous', env: 'PARLEY_SQLITE_SYNCHRONOUS', kind: 'sync', default: 'FULL', doc: 'Embedded store durability: FULL (survives power loss) or NORMAL (survives crashes).' },
  { key: 'metrics', flag: '--metrics', env: 'PARLEY_METRICS', kind: 'bool', default: true, doc: 'Serve GET /metrics in Prometheus text format (aggregate counts only, no ids).' },
  { key: 'metricsToken', flag: '--metrics-token', env: 'PARLEY_METRICS_TOKEN', kind: 'string', default: undefined, doc: 'Bearer token GET /metrics requires; unset: open (block /metrics at the proxy). Prefer the env var: flags show in `ps`.' },
  { key: 'mongodbUrl', flag: '--mongodb-url', env: 'PARLEY_MONGODB_URL', kind: 'string', default: undefined, doc: 'MongoDB connection string (replica set); set: use the MongoDB store. PARLEY_MONGODB_DB, _W and _JOURNAL tune it (docs/self-hosting.md).' },
  { key: 'redisUrl', flag: '--redis-url', env: 'PARLEY_REDIS_URL', kind: 'string', default: undefined, doc: 'redis://host:port; set: relays sharing one store push to each other over Redis pub/sub.' },
  { key: 'redisResyncMs', flag: '--redis-resync-ms', env: 'PARLEY_REDIS_RESYNC_MS', kind: 'int', default: 10_000, doc: 'With Redis: re-read every connected mailbox this often, so a lost pub/sub message delays delivery by at most this long.' },
  { key: 'limits.maxFrameBytes', flag: '--max-frame-bytes', env: 'PARLEY_MAX_FRAME_BYTES', kind: 'int', default: L.maxFrameBytes, doc: `Largest WebSocket frame (hard ceiling ${HARD_LIMITS.maxFrameBytes}).` },
  { key: 'limits.maxBodyBytes', flag: '--max-body-bytes', env: 'PARLEY_MAX_BODY_BYTES', kind: 'int', default: L.maxBodyBytes, doc: 'Largest JSON request body.' },
  { key: 'limits.maxBlobBytes', flag: '--max-blob-bytes', env: 'PARLEY_MAX_BLOB_BYTES', kind: 'int', default: L.maxBlobBytes, doc: 'Largest blob upload (100 MiB).' },
  { key: 'limits.maxRecipients', flag: '--max-recipients', env: 'PARLEY_MAX_RECIPIENTS', kind: 'int', default: L.maxRecipients, doc: `Recipient devices of one send after fan-out (hard ceiling ${HARD_LIMITS.maxRecipients}).` },
  { key: 'limits.deviceFramesPerSecond', flag: '--device-frames-per-second', env: 'PARLEY_DEVICE_FRAMES_PER_SECOND', kind: 'int', default: L.deviceFramesPerSecond, doc: 'Frames per second per device (token-bucket refill; 0 disables).' },
  { key: 'limits.deviceFrameBurst', flag: '--device-frame-burst', env: 'PARLEY_DEVICE_FRAME_BURST', kind: 'int', default: L.deviceFrameBurst, doc: 'Burst of frames per device.' },
  { key: 'limits.addressRequestsPerSecond', flag: '--address-requests-per-second', env: 'PARLEY_ADDRESS_REQUESTS_PER_SECOND', kind: 'int', default: L.addressRequestsPerSecond, doc: 'HTTP requests and socket opens per second per client address (0 disables).' },
  { key: 'limits.addressRequestBurst', flag: '--address-request-burst', env: 'PARLEY_ADDRESS_REQUEST_BURST', kind: 'int', default: L.addressRequestBurst, doc: 'Burst of requests per client address.' },
  { key: 'limits.bundleFetchesPerMinute', flag: '--bundle-fetches-per-minute', env: 'PARLEY_BUNDLE_FETCHES_PER_MINUTE', kind: 'int', default: L.bundleFetchesPerMinute, doc: 'Prekey-bundle fetches per minute per requesting device (also the burst).' },
  { key: 'limits.deliveryWindow', flag: '--delivery-window', env: 'PARLEY_DELIVERY_WINDOW', kind: 'int', default: L.deliveryWindow, doc: 'Entries delivered but not yet acknowledged on one socket.' },
  { key: 'limits.deliveryBatch', flag: '--delivery-batch', env: 'PARLEY_DELIVERY_BATCH', kind: 'int', default: L.deliveryBatch, doc: 'Entries per deliver frame.' },
  { key: 'limits.socketHighWaterBytes', flag: '--socket-high-water-bytes', env: 'PARLEY_SOCKET_HIGH_WATER_BYTES', kind: 'int', default: L.socketHighWaterBytes, doc: 'Outgoing socket buffer at which delivery pauses.' },
  { key: 'limits.socketMaxBufferedBytes', flag: '--socket-max-buffered-bytes', env: 'PARLEY_SOCKET_MAX_BUFFERED_BYTES', kind: 'int', default: L.socketMaxBufferedBytes, doc: 'Outgoing socket buffer at which the socket is dropped (4004).' },
  { key: 'limits.maxBadFrames', flag: '--max-bad-frames', env: 'PARLEY_MAX_BAD_FRAMES', kind: 'int', default: 10, doc: 'Consecutive invalid frames before the socket is closed (4006).' },
  { key: 'limits.maxPresenceSubscriptions', flag: '--max-presence-subscriptions', env: 'PARLEY_MAX_PRESENCE_SUBSCRIPTIONS', kind: 'int', default: HARD_LIMITS.maxUsers, doc: 'Users one device may watch for presence.' },
];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseValue(s: Setting, raw: string): number | string | boolean {
  switch (s.kind) {
    case 'int': {
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${s.flag}/${s.env}: expected a non-negative integer, got "${raw}"`);
      return n;
    }
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new ConfigError(`${s.flag}/${s.env}: expected true or false, got "${raw}"`);
    case 'level':
      if (!['debug', 'info', 'warn', 'error', 'silent'].includes(raw)) throw new ConfigError(`${s.flag}/${s.env}: unknown log level "${raw}"`);
      return raw;
    case 'sync':
      if (raw !== 'FULL' && raw !== 'NORMAL') throw new ConfigError(`${s.flag}/${s.env}: expected FULL or NORMAL, got "${raw}"`);
      return raw;
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, tail] = path.split('.', 2) as [string, string | undefined];
  if (tail === undefined) target[head] = value;
  else setPath((target[head] ??= {}) as Record<string, unknown>, tail, value);
}

export type ConfigOverrides = Partial<Omit<RelayConfig, 'limits'>> & { limits?: Partial<RelayLimits> };

/** The defaults with `overrides` applied; limits clamped to the protocol's hard ceilings. */
export function resolveConfig(overrides: ConfigOverrides = {}): RelayConfig {
  const base: Record<string, unknown> = {};
  for (const s of SETTINGS) setPath(base, s.key, s.default);
  const cfg = { ...base, ...overrides, limits: { ...(base.limits as RelayLimits), ...overrides.limits } } as RelayConfig;
  cfg.limits.maxFrameBytes = Math.min(cfg.limits.maxFrameBytes, HARD_LIMITS.maxFrameBytes);
  cfg.limits.maxRecipients = Math.min(cfg.limits.maxRecipients, HARD_LIMITS.maxRecipients);
  cfg.limits.maxPresenceSubscriptions = Math.min(cfg.limits.maxPresenceSubscriptions, HARD_LIMITS.maxUsers);
  return cfg;
}

/** Reads flags (`--port 9000` or `--port=9000`; a bare boolean flag means true), then env, then defaults. */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>): RelayConfig {
  const fromFlags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new ConfigError(usage());
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const s = SETTINGS.find((x) => x.flag === flag);
    if (!s) throw new ConfigError(`unknown option ${flag}\n\n${usage()}`);
    if (eq > 0) fromFlags.set(flag, arg.slice(eq + 1));
    else if (s.kind === 'bool' && (argv[i + 1] === undefined || argv[i + 1].startsWith('--'))) fromFlags.set(flag, 'true');
    else if (argv[i + 1] === undefined) throw new ConfigError(`${flag} needs a value`);
    else fromFlags.set(flag, argv[++i]);
  }
  const overrides: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const raw = fromFlags.get(s.flag) ?? env[s.env];
    if (raw !== undefined && raw !== '') setPath(overrides, s.key, parseValue(s, raw));
  }
  return resolveConfig(overrides as ConfigOverrides);
}

export function usage(): string {
  const rows = SETTINGS.map((s) => `  ${s.flag.padEnd(32)} ${s.env.padEnd(36)} default ${s.default ?? '(unset)'}\n      ${s.doc}`);
  return `Usage: npm run relay -- [options]\n\n${rows.join('\n')}`;
}
