// The hub knows which devices are connected to this relay and reacts to bus events:
// it wakes a device's delivery pump when its mailbox grew, forwards ephemeral frames,
// tracks presence (online = any device of the user connected; last seen = when the last
// one left) and closes sockets that were replaced or whose device was removed.
// Runtime-neutral: it only uses setInterval and the Connection abstraction.
import { CLOSE_CODES, type PresenceVisibility } from '@parley/common/protocol';
import { toBase64Url } from '@parley/common/encoding';
import type { BusEvent } from './bus.ts';
import type { Connection } from './connection.ts';
import type { RelayContext } from './context.ts';
import { errorFields } from './log.ts';

interface PresenceState {
  online: boolean;
  lastSeen: number | null;
  visibility: PresenceVisibility;
}

const MAX_PRESENCE_CACHE = 100_000;

/** A user's presence settings as a login read them (LoginState): no store read needed. */
export type KnownPresence = Pick<PresenceState, 'lastSeen' | 'visibility'>;

export class Hub {
  /** Every open socket, authenticated or not. */
  readonly sockets = new Set<Connection>();
  /** Names this relay among relays sharing a bus (connection ids start with it). */
  readonly instance: string;
  private serials = 0;
  private readonly byDevice = new Map<string, Connection>();
  /** A user's connected sockets: an array, as users have a few devices (a Set costs ~150 bytes more each). */
  private readonly byUser = new Map<string, Connection[]>();
  /** Watched user → connections subscribed to its presence. */
  private readonly watchers = new Map<string, Set<Connection>>();
  private readonly presence = new Map<string, PresenceState>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: ReturnType<typeof setInterval>;

  constructor(private readonly ctx: RelayContext) {
    this.instance = toBase64Url(ctx.randomBytes(9));
    this.unsubscribe = ctx.bus.subscribe((e) => this.onEvent(e));
    this.heartbeat = setInterval(() => this.beat(), ctx.config.heartbeatMs);
  }

  get connectedDevices(): number {
    return this.byDevice.size;
  }

  connection(device: string): Connection | undefined {
    return this.byDevice.get(device);
  }

  /** A number for a new socket, unique on this relay. */
  nextSerial(): number {
    return ++this.serials;
  }

  /**
   * Called once a socket authenticated. Replaces any older socket of the same device.
   * `presence` is the user's settings when the login already read them.
   */
  async attach(conn: Connection, presence?: KnownPresence): Promise<void> {
    const device = conn.device!;
    const user = conn.user!;
    const old = this.byDevice.get(device);
    this.byDevice.set(device, conn);
    if (old) old.close(CLOSE_CODES.replaced, 'replaced', 'A newer socket of this device logged in.');
    else if (this.ctx.bus.followDevice) {
      // Before `ready`: from then on, pushes and typing for the device must reach this relay.
      await this.ctx.bus.followDevice(device, user);
      if (this.byDevice.get(device) !== conn) return; // closed or replaced meanwhile
    }
    this.ctx.bus.publish({ type: 'login', device, connection: conn.id });
    const devices = this.byUser.get(user);
    const cameOnline = !devices || devices.length === 0;
    // `[conn]`, not push onto []: a pushed-to array reserves room for 17.
    if (!devices) this.byUser.set(user, [conn]);
    else if (!devices.includes(conn)) devices.push(conn);
    const state = await this.presenceOf(user, presence);
    if (cameOnline) this.ctx.bus.publish({ type: 'presence', user, online: true, lastSeen: state.lastSeen, visibility: state.visibility });
  }

  /** Called when a socket closed, authenticated or not. */
  detach(conn: Connection): void {
    this.sockets.delete(conn);
    this.unwatchAll(conn);
    if (!conn.device) return;
    const user = conn.user!;
    if (this.byDevice.get(conn.device) === conn) {
      this.byDevice.delete(conn.device);
      this.ctx.bus.unfollowDevice?.(conn.device, user);
    }
    // A socket replaced by a newer one of its device leaves byUser too, or the user
    // would never be seen going offline.
    const devices = this.byUser.get(user);
    const at = devices ? devices.indexOf(conn) : -1;
    if (at < 0) return;
    devices!.splice(at, 1);
    if (devices!.length === 0) {
      this.byUser.delete(user);
      const now = this.ctx.now();
      const visibility = this.presence.get(user)?.visibility ?? 'everyone';
      this.ctx.store.setLastSeen(user, now).catch((err) => this.ctx.log.error('presence.lastSeen_failed', errorFields(err)));
      this.ctx.bus.publish({ type: 'presence', user, online: false, lastSeen: now, visibility });
    }
  }

  /** Replaces the set of users a connection watches, then tells it their presence now. */
  async watch(conn: Connection, users: readonly string[]): Promise<void> {
    this.unwatchAll(conn);
    const unique = [...new Set(users)];
    if (unique.length === 0) return;
    const watching = (conn.watching ??= new Set());
    for (const u of unique) {
      let set = this.watchers.get(u);
      if (!set) this.watchers.set(u, (set = new Set()));
      set.add(conn);
      watching.add(u);
    }
    await Promise.all(unique.map((u) => this.presenceOf(u)));
    // Only what the connection still watches: another presence.sub may have replaced the list.
    for (const u of unique) if (conn.watching?.has(u)) this.sendPresence(conn, u);
  }

  async setVisibility(user: string, visibility: PresenceVisibility): Promise<void> {
    await this.ctx.store.setPresenceVisibility(user, visibility);
    const state = await this.presenceOf(user);
    this.ctx.bus.publish({ type: 'presence', user, online: state.online, lastSeen: state.lastSeen, visibility });
  }

  /** Closes every socket with 1001 and a `shutting_down` error frame. */
  closeAll(): void {
    clearInterval(this.heartbeat);
    for (const conn of [...this.sockets]) conn.close(CLOSE_CODES.goingAway, 'shutting down', undefined, 'shutting_down');
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
  }

  private async presenceOf(user: string, known?: KnownPresence): Promise<PresenceState> {
    const hit = this.presence.get(user);
    if (hit) return hit;
    const [lastSeen, visibility, elsewhere] = await Promise.all([
      known ? known.lastSeen : this.ctx.store.getLastSeen(user),
      known ? known.visibility : this.ctx.store.getPresenceVisibility(user),
      // Relays sharing a bus: the user may be connected to another one.
      (this.byUser.get(user)?.length ?? 0) === 0 && this.ctx.bus.onlineElsewhere ? this.ctx.bus.onlineElsewhere(user) : false,
    ]);
    const state = { online: (this.byUser.get(user)?.length ?? 0) > 0 || elsewhere, lastSeen, visibility };
    if (this.presence.size >= MAX_PRESENCE_CACHE) this.presence.clear();
    // A bus event may have filled the cache while we read the store; it is newer.
    return this.presence.get(user) ?? (this.presence.set(user, state), state);
  }

  /** What `conn` may see of `user`: hidden when either side chose visibility 'nobody'. */
  private sendPresence(conn: Connection, user: string): void {
    const target = this.presence.get(user);
    const own = this.presence.get(conn.user!)?.visibility ?? 'everyone';
    const hidden = !target || target.visibility === 'nobody' || own === 'nobody';
    conn.send({ t: 'presence', u: user, online: hidden ? false : target.online, lastSeen: hidden ? null : target.lastSeen });
  }

  private unwatchAll(conn: Connection): void {
    if (!conn.watching) return;
    for (const u of conn.watching) {
      const set = this.watchers.get(u);
      set?.delete(conn);
      if (set && set.size === 0) this.watchers.delete(u);
    }
    conn.watching = undefined;
  }

  private onEvent(e: BusEvent): void {
    switch (e.type) {
      case 'mailbox':
        this.byDevice.get(e.device)?.pump(e.seq);
        break;
      case 'eph':
        this.byDevice.get(e.device)?.send({ t: 'eph', b: e.body });
        break;
      case 'prekeys.low':
        this.byDevice.get(e.device)?.send({ t: 'prekeys.low', remaining: e.remaining });
        break;
      case 'login': {
        const conn = this.byDevice.get(e.device);
        if (conn && conn.id !== e.connection) conn.close(CLOSE_CODES.replaced, 'replaced', 'A newer socket of this device logged in.');
        break;
      }
      case 'device.removed':
        this.byDevice.get(e.device)?.close(CLOSE_CODES.deviceRemoved, 'device removed', 'This device was removed from its device list.', 'forbidden');
        break;
      case 'presence': {
        const before = this.presence.get(e.user);
        // Relays sharing a bus each announce a user their first device attached to: the
        // second announcement changes nothing, and watchers need not hear it again.
        if (before && before.online === e.online && before.lastSeen === e.lastSeen && before.visibility === e.visibility) break;
        this.presence.set(e.user, { online: e.online, lastSeen: e.lastSeen, visibility: e.visibility });
        for (const conn of this.watchers.get(e.user) ?? []) this.sendPresence(conn, e.user);
        // Reciprocity: a user who hides now sees everyone hidden, and the reverse.
        if (before && before.visibility !== e.visibility) {
          // A copy: a send may close a slow socket, which leaves byUser.
          for (const conn of [...(this.byUser.get(e.user) ?? [])]) for (const u of conn.watching ?? []) this.sendPresence(conn, u);
        }
        break;
      }
      case 'deviceList':
        break;
    }
  }

  private beat(): void {
    const now = this.ctx.now();
    const silentLimit = 2 * this.ctx.config.heartbeatMs;
    for (const conn of [...this.sockets]) {
      if (now - conn.lastHeard > silentLimit) conn.close(CLOSE_CODES.heartbeatTimeout, 'heartbeat timeout');
      else conn.send({ t: 'ping' });
    }
  }
}
