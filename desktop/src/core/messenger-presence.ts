// Presence for "last seen: my contacts": the relay only knows everyone / nobody and must
// not learn contact lists, so such a user is "nobody" on the relay and tells contacts
// end to end instead, as sealed ephemeral `presence` frames (never stored, like typing).
// docs/desktop-core.md, "Presence to contacts".
//
// - At `ready`, a device whose user shares presence with contacts (setting everyone or
//   contacts) sends {online, ask} to its contacts' devices; a contact that shares with us
//   answers once (ask: false). So whichever side connects last, both learn of each other.
// - While online with "contacts", it repeats the ask every `refreshMs`: that keeps its own
//   state fresh at its contacts and refreshes theirs here (a "contacts" user is hidden
//   from everyone by the relay — reciprocity — so contacts who chose "everyone" reach it
//   through these answers too).
// - At close it sends {online: false, lastSeen: now}. A device that vanished without that
//   (crash, lost network) stops refreshing: its "online" expires after `ttlMs`, and shows
//   as last seen at its last frame.
// - Received frames count only from contacts (the relay frames are for contacts too), per
//   device: a user is online while any of their devices is.
import type { LastSeenVisibility, Presence } from '@parley/common/api/index';
import type { Clock } from './clock.ts';
import { sharePresenceWith } from './presence.ts';

export interface PresenceTimings {
  refreshMs: number;
  ttlMs: number;
}

export const PRESENCE_TIMINGS: PresenceTimings = { refreshMs: 60_000, ttlMs: 150_000 };

export interface PresenceFrame {
  online: boolean;
  lastSeen: number | null;
  ask: boolean;
}

export interface ContactPresenceHost {
  clock: Clock;
  setting(): LastSeenVisibility;
  isContact(userId: string): boolean;
  contacts(): string[];
  /** Seals the frame to these users' devices we hold sessions with (never claims prekeys). */
  send(users: string[], frame: PresenceFrame): void;
  /** What is shown for a user changed (merged with the relay's last frame). */
  changed(presence: Presence): void;
}

interface DeviceState {
  online: boolean;
  lastSeen: number | null;
  at: number;
}

export class ContactPresence {
  private readonly seen = new Map<string, Map<string, DeviceState>>();
  private readonly relayFrames = new Map<string, Presence>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly t: PresenceTimings;

  constructor(
    private readonly host: ContactPresenceHost,
    timings: Partial<PresenceTimings> = {},
  ) {
    this.t = { ...PRESENCE_TIMINGS, ...timings };
  }

  /** The relay connection is ready: announce ourselves and ask contacts for theirs. */
  connected(): void {
    this.stopTimer();
    if (!this.shares()) return;
    this.announce(true);
    this.timer = setInterval(() => this.tick(), this.t.refreshMs);
    this.timer.unref?.();
  }

  /** Closing: tell contacts we went, so they need not wait for the expiry. */
  closing(): void {
    this.stopTimer();
    if (this.shares()) this.host.send(this.host.contacts(), { online: false, lastSeen: this.host.clock.now(), ask: false });
  }

  /** The setting changed while connected. */
  settingChanged(): void {
    if (this.shares()) return this.connected();
    // Now "nobody": contacts forget us as online, and learn no last-seen time.
    this.stopTimer();
    this.host.send(this.host.contacts(), { online: false, lastSeen: null, ask: false });
  }

  received(userId: string, deviceId: string, frame: PresenceFrame): void {
    if (!this.host.isContact(userId)) return;
    const now = this.host.clock.now();
    const devices = this.seen.get(userId) ?? new Map<string, DeviceState>();
    devices.set(deviceId, { online: frame.online, lastSeen: frame.online ? now : frame.lastSeen, at: now });
    this.seen.set(userId, devices);
    this.host.changed(this.view(userId));
    if (frame.ask && this.shares() && sharePresenceWith(this.host.setting(), true)) {
      this.host.send([userId], { online: true, lastSeen: null, ask: false });
    }
  }

  /**
   * What this module knows of a user, or null when it knows nothing: online while any
   * device's last frame said so within the expiry; otherwise last seen at the latest
   * moment any device was known online.
   */
  state(userId: string): Presence | null {
    const devices = this.seen.get(userId);
    if (!devices || devices.size === 0) return null;
    const now = this.host.clock.now();
    let online = false;
    let lastSeen: number | null = null;
    for (const d of devices.values()) {
      if (d.online && now - d.at < this.t.ttlMs) online = true;
      const last = d.online ? d.at : d.lastSeen;
      if (last !== null && (lastSeen === null || last > lastSeen)) lastSeen = last;
    }
    return { userId, online, lastSeen };
  }

  /** A presence frame from the relay: returns what to show (see view). */
  relayFrame(relay: Presence): Presence {
    this.relayFrames.set(relay.userId, relay);
    return this.view(relay.userId);
  }

  /** The relay wins when it shows anything; a hidden (or missing) relay frame defers to ours. */
  view(userId: string): Presence {
    const relay = this.relayFrames.get(userId) ?? { userId, online: false, lastSeen: null };
    const mine = this.state(userId);
    if (!mine || relay.online || relay.lastSeen !== null) return relay;
    return mine;
  }

  stop(): void {
    this.stopTimer();
  }

  private shares(): boolean {
    return this.host.setting() !== 'nobody';
  }

  private announce(ask: boolean): void {
    const contacts = this.host.contacts();
    if (contacts.length) this.host.send(contacts, { online: true, lastSeen: null, ask });
  }

  private tick(): void {
    if (this.host.setting() === 'contacts') this.announce(true);
    // Devices that went quiet: their "online" expired; show them as last seen.
    const now = this.host.clock.now();
    for (const [userId, devices] of this.seen) {
      for (const d of devices.values()) {
        if (d.online && now - d.at >= this.t.ttlMs && now - d.at < this.t.ttlMs + this.t.refreshMs) this.host.changed(this.view(userId));
      }
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
