// The relay's internal notification bus. The hub routes every cross-connection signal
// through it — "device X's mailbox grew", "ephemeral frame for device X", "user U's
// presence changed", "device X was removed or logged in elsewhere" — so several relays
// sharing one store can exchange them over Redis pub/sub later. The mailbox in the store
// stays the source of truth: a lost `mailbox` event only delays delivery until the
// device's next sync or ack, it never loses an entry.
import type { PresenceVisibility } from '@parley/common/protocol';

export type BusEvent =
  /**
   * New entries were committed to this device's mailbox; `seq`, when known, is the highest
   * of them (a socket already past it has nothing to read).
   */
  | { type: 'mailbox'; device: string; seq?: number }
  /** An ephemeral frame for this device; delivered only if it is connected somewhere. */
  | { type: 'eph'; device: string; body: string }
  /** A user's online state, last-seen or visibility changed. */
  | { type: 'presence'; user: string; online: boolean; lastSeen: number | null; visibility: PresenceVisibility }
  /** The device was dropped from its user's device list: close its sockets. */
  | { type: 'device.removed'; device: string; user: string }
  /** The user's device list changed: drop cached copies. */
  | { type: 'deviceList'; user: string }
  /** The device authenticated a new socket (`connection` is its id): older sockets close. */
  | { type: 'login'; device: string; connection: string }
  /** The device's one-time prekeys fell below the low-water mark. */
  | { type: 'prekeys.low'; device: string; remaining: number };

export type BusHandler = (event: BusEvent) => void;

export interface Bus {
  /**
   * Delivers to every subscriber of every relay sharing the bus that has an interest in
   * the event, including this one. A bus spanning relays may route a device's events only
   * to relays that follow the device (see followDevice).
   */
  publish(event: BusEvent): void;
  /** Returns an unsubscribe function. */
  subscribe(handler: BusHandler): () => void;
  /**
   * The hub attached a socket of `device` (of `user`) on this relay: route the device's
   * events here, and count the user as online on this relay. Resolves once events for the
   * device reach this relay. Optional: a single-process bus sees every event anyway.
   */
  followDevice?(device: string, user: string): Promise<void>;
  /** The device's socket on this relay is gone. */
  unfollowDevice?(device: string, user: string): void;
  /** Whether `user` has a device connected to another relay sharing the bus. */
  onlineElsewhere?(user: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The default: one process, synchronous delivery. */
export class InProcessBus implements Bus {
  private readonly handlers = new Set<BusHandler>();

  publish(event: BusEvent): void {
    for (const h of this.handlers) h(event);
  }

  subscribe(handler: BusHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
