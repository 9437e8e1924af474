// The bus for many relays: the hub's events travel between relay processes over Redis
// pub/sub, so devices connected to different relays get each other's messages, receipts,
// typing and presence in real time. See docs/self-hosting.md, "Many relays (Redis)".
//
// Channels. Per-message events (mailbox, eph, login, prekeys.low) go to one channel per
// device, `<prefix>:d:<device>`, and a relay subscribes to it only while that device has
// a socket there: a relay receives the traffic of its own devices, not the whole
// deployment's. Rare events every relay needs (presence, deviceList, device.removed: they
// also invalidate caches) go to one broadcast channel, `<prefix>:all`.
//
// Events are also delivered in-process at once, so a relay serves its own devices with no
// Redis round trip, and keeps doing so while Redis is down. Messages carry the sender's
// relay id and a relay skips its own.
//
// Lost messages. Pub/sub is at-most-once: a message published while a relay was
// disconnected is gone. The mailbox in the store stays the source of truth, so this bus
// (1) pumps every followed device when (re)subscribed, and (2) re-reads every followed
// mailbox every `resyncMs` — a lost push delays delivery by at most that, never loses it.
//
// Presence across relays. A user is online when any relay has one of their devices. Each
// relay adds its id to the set `<prefix>:online:<user>` when the user's first device
// attaches here, and keeps a liveness key `<prefix>:relay:<id>` alive. When the user's
// last device here leaves, one Lua script removes this relay from the set, counts the
// members that are still alive, and publishes "offline" only if none is: atomically, so
// two relays losing the user's last devices at once cannot both stay silent, and an
// "offline" can never overtake the "online" of a relay that attached meanwhile.
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import type { Bus, BusEvent, BusHandler } from './bus.ts';
import { type Logger, errorFields } from './log.ts';

export interface RedisBusOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  log: Logger;
  /** Re-read every followed mailbox this often (ms); 0 disables. */
  resyncMs: number;
  /** Prefix of channels and keys, so deployments can share one Redis. Default "parley". */
  prefix?: string;
  /** How long a relay counts as alive without refreshing its liveness key. Default 15 s. */
  livenessMs?: number;
}

/** What travels on a channel: the publishing relay and the event. */
interface Envelope {
  o: string;
  e: BusEvent;
}

// KEYS[1] = online set of a user. ARGV = relay id, liveness key prefix, leaving ("1"/"0"),
// channel, message. Removes this relay when leaving, drops members whose liveness key
// expired (crashed relays), and publishes the message when no live member remains.
const LEAVE_OR_COUNT = `
local me, alive, leaving = ARGV[1], ARGV[2], ARGV[3]
if leaving == '1' then redis.call('SREM', KEYS[1], me) end
local n = 0
for _, r in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if r ~= me then
    if redis.call('EXISTS', alive .. r) == 1 then n = n + 1 else redis.call('SREM', KEYS[1], r) end
  end
end
if leaving == '1' and n == 0 then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return n`;

const RECONNECT_MAX_MS = 2_000;
/** Retries of the first connection (about 1.5 s in all) before the relay refuses to start. */
const STARTUP_RETRIES = 5;

type RedisClient = ReturnType<typeof createClient>;

interface ChannelState {
  want: boolean;
  have: boolean;
  busy: boolean;
  /** Resolved once `have` equals `want`. */
  settled: (() => void)[];
}

/** The longest a login waits for its device's subscription before going ahead without. */
const SUBSCRIBE_WAIT_MS = 1_000;

export class RedisBus implements Bus {
  readonly relayId = randomUUID();
  private readonly handlers = new Set<BusHandler>();
  private readonly prefix: string;
  private readonly livenessMs: number;
  /** Devices with a socket on this relay, and their user. */
  private readonly devices = new Map<string, string>();
  /** Users with at least one device on this relay → how many. */
  private readonly localUsers = new Map<string, number>();
  /** Users whose departure could not be written to Redis; retried on reconnect. */
  private readonly pendingLeaves = new Set<string>();
  /** Per device channel: whether it should be subscribed, is, and whether a command is in flight. */
  private readonly channels = new Map<string, ChannelState>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private presenceChain: Promise<void> = Promise.resolve();
  private closed = false;
  private everDisconnected = false;
  /** Pushes that could not be published (Redis down); for logs and tests. */
  dropped = 0;

  private constructor(
    private readonly pub: RedisClient,
    private readonly sub: RedisClient,
    private readonly options: RedisBusOptions,
  ) {
    this.prefix = options.prefix ?? 'parley';
    this.livenessMs = options.livenessMs ?? 15_000;
  }

  /** Connects both clients (publisher and subscriber); fails if Redis cannot be reached. */
  static async open(options: RedisBusOptions): Promise<RedisBus> {
    let started = false;
    const socket = {
      connectTimeout: 5_000,
      // At start-up, a few quick retries and then a clear error (a relay told to use Redis
      // must not come up silently without it); once running, retry for ever.
      reconnectStrategy: (retries: number, cause: Error) =>
        !started && retries >= STARTUP_RETRIES ? cause : Math.min(50 * 2 ** retries, RECONNECT_MAX_MS),
    };
    // While disconnected, commands fail at once instead of queueing without bound: a
    // push is only a hint, and the resync after reconnecting covers what was dropped.
    const pub: RedisClient = createClient({ url: options.url, socket, disableOfflineQueue: true });
    const sub: RedisClient = pub.duplicate();
    const bus = new RedisBus(pub, sub, options);
    for (const [name, client] of [['publisher', pub], ['subscriber', sub]] as const) {
      client.on('error', (err: unknown) => bus.onClientError(name, err));
      client.on('ready', () => bus.onReady(name));
    }
    try {
      await pub.connect();
      await sub.connect();
    } catch (err) {
      await Promise.allSettled([pub.destroy(), sub.destroy()]);
      throw new Error(`cannot reach Redis at ${redact(options.url)}: ${(err as Error).message}`);
    }
    started = true;
    await sub.subscribe(bus.broadcastChannel, bus.onMessage);
    await bus.refreshLiveness();
    bus.timers.push(setInterval(() => void bus.refreshLiveness(), Math.max(1_000, Math.floor(bus.livenessMs / 3))));
    if (options.resyncMs > 0) bus.timers.push(setInterval(() => bus.resync(), options.resyncMs));
    return bus;
  }

  get connected(): boolean {
    return this.pub.isReady && this.sub.isReady;
  }

  publish(event: BusEvent): void {
    if (this.closed) return;
    if (event.type === 'presence' && !event.online && !this.localUsers.has(event.user)) {
      this.publishDeparture(event);
      return;
    }
    this.deliver(event);
    this.send(this.channelOf(event), event);
  }

  subscribe(handler: BusHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Resolves once the device's channel is subscribed (or Redis is unreachable). */
  followDevice(device: string, user: string): Promise<void> {
    if (this.devices.has(device)) return Promise.resolve();
    this.devices.set(device, user);
    const n = this.localUsers.get(user) ?? 0;
    this.localUsers.set(user, n + 1);
    if (n === 0) {
      this.pendingLeaves.delete(user);
      // Issued before the hub publishes "online" on this same connection, so another
      // relay's departure script either counts this relay or runs before it joined.
      this.command(() => this.pub.sAdd(this.onlineKey(user), this.relayId));
    }
    return this.setSubscribed(device, true);
  }

  unfollowDevice(device: string, user: string): void {
    if (this.devices.get(device) !== user) return;
    this.devices.delete(device);
    const n = this.localUsers.get(user) ?? 1;
    if (n <= 1) this.localUsers.delete(user);
    else this.localUsers.set(user, n - 1);
    void this.setSubscribed(device, false);
  }

  async onlineElsewhere(user: string): Promise<boolean> {
    if (!this.pub.isReady) return false;
    try {
      const n = await this.pub.eval(LEAVE_OR_COUNT, { keys: [this.onlineKey(user)], arguments: [this.relayId, this.aliveKeyPrefix, '0', '', ''] });
      return Number(n) > 0;
    } catch (err) {
      this.options.log.warn('bus.redis_failed', { op: 'presence.count', ...errorFields(err) });
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.presenceChain;
    this.handlers.clear();
    if (this.pub.isReady) await this.pub.del(this.aliveKey).catch(() => {});
    await Promise.allSettled([this.sub.close(), this.pub.close()]);
  }

  // ------------------------------------------------------------------ internals

  private get broadcastChannel(): string {
    return `${this.prefix}:all`;
  }

  private deviceChannel(device: string): string {
    return `${this.prefix}:d:${device}`;
  }

  private onlineKey(user: string): string {
    return `${this.prefix}:online:${user}`;
  }

  private get aliveKeyPrefix(): string {
    return `${this.prefix}:relay:`;
  }

  private get aliveKey(): string {
    return this.aliveKeyPrefix + this.relayId;
  }

  private channelOf(event: BusEvent): string {
    switch (event.type) {
      case 'mailbox':
      case 'eph':
      case 'login':
      case 'prekeys.low':
        return this.deviceChannel(event.device);
      default:
        return this.broadcastChannel;
    }
  }

  private deliver(event: BusEvent): void {
    for (const h of this.handlers) {
      try {
        h(event);
      } catch (err) {
        this.options.log.error('bus.handler_failed', { type: event.type, ...errorFields(err) });
      }
    }
  }

  private send(channel: string, event: BusEvent): void {
    if (!this.pub.isReady) {
      this.dropped++;
      return;
    }
    const message: Envelope = { o: this.relayId, e: event };
    this.pub.publish(channel, JSON.stringify(message)).catch(() => this.dropped++);
  }

  /** Arrow function: one listener instance for every channel, so it can be removed again. */
  private readonly onMessage = (message: string): void => {
    let env: Envelope;
    try {
      env = JSON.parse(message) as Envelope;
    } catch {
      return;
    }
    if (env.o === this.relayId || !env.e || typeof env.e.type !== 'string') return;
    this.deliver(env.e);
  };

  /**
   * The user's last device here left. Presence events are processed in order, and the
   * departure is published (by the script, atomically) only if no other live relay has
   * the user; then this relay's own hub hears it too.
   */
  private publishDeparture(event: Extract<BusEvent, { type: 'presence' }>): void {
    this.presenceChain = this.presenceChain.then(async () => {
      const user = event.user;
      if (!this.pub.isReady) {
        this.pendingLeaves.add(user);
        this.dropped++;
        this.deliver(event);
        return;
      }
      let others: number;
      try {
        const message: Envelope = { o: this.relayId, e: event };
        others = Number(
          await this.pub.eval(LEAVE_OR_COUNT, {
            keys: [this.onlineKey(user)],
            arguments: [this.relayId, this.aliveKeyPrefix, '1', this.broadcastChannel, JSON.stringify(message)],
          }),
        );
      } catch (err) {
        this.options.log.warn('bus.redis_failed', { op: 'presence.leave', ...errorFields(err) });
        this.pendingLeaves.add(user);
        others = 0;
      }
      // Still online on another relay, or back here meanwhile: nothing changed for watchers.
      if (others > 0 || this.localUsers.has(user)) return;
      this.deliver(event);
    });
  }

  private setSubscribed(device: string, want: boolean): Promise<void> {
    const state: ChannelState = this.channels.get(device) ?? { want, have: false, busy: false, settled: [] };
    state.want = want;
    this.channels.set(device, state);
    if (!this.sub.isReady) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
      state.settled.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.reconcile(device);
    return done;
  }

  /**
   * One SUBSCRIBE or UNSUBSCRIBE in flight per device channel: a device that leaves and
   * comes back at once must not have its new subscription undone by the old unsubscribe.
   */
  private reconcile(device: string): void {
    const state = this.channels.get(device);
    if (!state || state.busy || !this.sub.isReady) return;
    if (state.want === state.have) {
      for (const resolve of state.settled.splice(0)) resolve();
      if (!state.want) this.channels.delete(device);
      return;
    }
    const want = state.want;
    const channel = this.deviceChannel(device);
    state.busy = true;
    (want ? this.sub.subscribe(channel, this.onMessage) : this.sub.unsubscribe(channel, this.onMessage))
      .then(
        () => {
          state.have = want;
          // A push published between the device's first read and this subscription
          // taking effect was missed: read once more now.
          if (want) this.deliver({ type: 'mailbox', device });
        },
        () => {}, // disconnected: onReady reconciles again
      )
      .finally(() => {
        state.busy = false;
        this.reconcile(device);
      });
  }

  /** A wake-up for every followed device: each pump re-reads its mailbox. */
  private resync(): void {
    for (const device of this.devices.keys()) this.deliver({ type: 'mailbox', device });
  }

  private async refreshLiveness(): Promise<void> {
    if (!this.pub.isReady) return;
    await this.pub.set(this.aliveKey, '1', { PX: this.livenessMs }).catch(() => {});
  }

  private command(run: () => Promise<unknown>): void {
    if (!this.pub.isReady) return; // re-applied by onReady
    run().catch((err) => this.options.log.warn('bus.redis_failed', errorFields(err)));
  }

  private onClientError(name: string, err: unknown): void {
    if (this.closed) return;
    if (!this.everDisconnected) this.options.log.warn('bus.redis_disconnected', { client: name, ...errorFields(err) });
    this.everDisconnected = true;
  }

  /**
   * After a reconnect: restore this relay's state in Redis, then catch up from the store
   * (pushes published meanwhile are lost). node-redis has resubscribed the channels it
   * knew before it reports ready; devices followed while down are subscribed here.
   */
  private onReady(name: 'publisher' | 'subscriber'): void {
    if (this.closed || !this.everDisconnected) return; // the first connect is open()'s
    if (name === 'publisher') {
      void this.refreshLiveness();
      for (const user of this.localUsers.keys()) this.command(() => this.pub.sAdd(this.onlineKey(user), this.relayId));
      for (const user of [...this.pendingLeaves]) {
        this.pendingLeaves.delete(user);
        if (!this.localUsers.has(user)) this.command(() => this.pub.sRem(this.onlineKey(user), this.relayId));
      }
      this.resync();
    } else {
      // node-redis resubscribed every channel it had; subscribe what changed while down.
      for (const [device, state] of this.channels) {
        state.have = !state.want; // unknown: re-issue (subscribing a subscribed channel is a no-op)
        this.reconcile(device);
      }
      this.sub.subscribe(this.broadcastChannel, this.onMessage).then(
        () => this.resync(),
        () => {},
      );
    }
    if (this.connected) {
      this.options.log.info('bus.redis_reconnected', { devices: this.devices.size });
      this.everDisconnected = false;
    }
  }
}

/** Opens the Redis bus when the config names a Redis URL; otherwise undefined (in-process bus). */
export async function openRedisBusFromConfig(config: { redisUrl: string | undefined; redisResyncMs: number }, log: Logger): Promise<RedisBus | undefined> {
  if (!config.redisUrl) return undefined;
  return RedisBus.open({ url: config.redisUrl, resyncMs: config.redisResyncMs, log });
}

function redact(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
