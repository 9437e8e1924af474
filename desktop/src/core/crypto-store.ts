// Persistent crypto state, every piece sealed by the host's SecretBox (SecretStore):
//   account             the account identity key (Ed25519), on every device of the account
//   device              this device's keys: signing, X25519 identity, signed and one-time prekeys
//   session:<device>    pairwise session record with a peer device
//   list:<user>         the highest verified signed device list of a user, with its pin
//   identity:<user>     the account key pinned for a contact (trust on first use)
//   sk-own:<group>      this device's sender key in a group
//   sk-recv:<group>     the sender keys received in a group
// Device lists and identity pins are not secret, but sealing them makes them tamper-evident
// in the database as well, and keeps all crypto state behind one interface.
//
// Every write goes to SQLite synchronously, so callers can group a decrypt's session
// update with the message it produced in ONE transaction (atomic()). A small cache avoids
// re-opening hot records; it is dropped whenever a transaction rolls back.
//
// batch(): inside one transaction, session records are kept in memory and sealed once
// each, at the end of the batch but still INSIDE the transaction, so they commit together
// with the messages they decrypted (and before the relay cursor moves and the ack goes
// out); a rolled-back entry restores the pending set to a mark() taken before it.
import {
  parseAccountSecrets,
  parseDeviceListPin,
  parseDeviceSecrets,
  parseGroupReceiverState,
  parseIdentityPin,
  parseOwnSenderKey,
  parseSessionRecord,
  type AccountSecrets,
  type DeviceListPin,
  type DeviceSecrets,
  type GroupReceiverState,
  type IdentityPin,
  type OwnSenderKey,
  type SessionRecord,
  type SignedDeviceList,
} from '@parley/common/crypto';
import { SignedDeviceList as SignedDeviceListSchema } from '@parley/common/protocol';
import { fromBase64Url, toBase64Url } from '@parley/common/encoding';
import { sodium } from '@parley/common/sodium';
import type { Db } from './db/database.ts';
import type { DeviceSigner } from './net/relay-client.ts';
import type { SecretStore } from './secrets/secret-store.ts';

export interface StoredDeviceList {
  list: SignedDeviceList;
  pin: DeviceListPin;
}

export type PendingMark = ReadonlyMap<string, unknown>;

export class CryptoStore {
  private cache = new Map<string, unknown>();
  /** Session records written during batch() and not yet sealed to SQLite. */
  private pending: Map<string, unknown> | null = null;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretStore,
  ) {}

  /** Runs fn in one SQLite transaction (nested calls join the outer one). */
  atomic<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      this.cache.clear();
      throw err;
    }
  }

  /**
   * Runs fn in one transaction in which session writes are deferred: each touched session
   * is sealed once, after fn and before the transaction commits. If fn throws, nothing of
   * it is written (the transaction rolls back and the pending records are dropped).
   */
  batch<T>(fn: () => T): T {
    if (this.pending) return fn();
    return this.atomic(() => {
      this.pending = new Map();
      try {
        const out = fn();
        for (const [name, value] of this.pending) this.secrets.putJson(name, value);
        return out;
      } catch (err) {
        this.cache.clear();
        throw err;
      } finally {
        this.pending = null;
      }
    });
  }

  /** The deferred writes so far (in batch()): pass to dropCache when a savepoint rolls back. */
  mark(): PendingMark {
    return new Map(this.pending ?? []);
  }

  /**
   * Forgets cached records: call when a savepoint that wrote some of them rolled back.
   * In batch(), pass the mark() taken before the savepoint: deferred writes made since
   * are discarded too.
   */
  dropCache(mark?: PendingMark): void {
    this.cache.clear();
    if (this.pending) {
      this.pending = new Map(mark ?? []);
      for (const [name, value] of this.pending) this.cache.set(name, value);
    }
  }

  private read<T>(name: string, parse: (x: unknown) => T): T | null {
    if (this.cache.has(name)) return this.cache.get(name) as T;
    const raw = this.secrets.getJson<unknown>(name);
    const value = raw === null ? null : parse(raw);
    if (value !== null) this.cache.set(name, value);
    return value;
  }

  private write(name: string, value: unknown): void {
    if (this.pending && name.startsWith('session:')) this.pending.set(name, value);
    else this.secrets.putJson(name, value);
    this.cache.set(name, value);
  }

  account(): AccountSecrets | null {
    return this.read('account', parseAccountSecrets);
  }
  setAccount(a: AccountSecrets): void {
    this.write('account', a);
  }

  device(): DeviceSecrets | null {
    return this.read('device', parseDeviceSecrets);
  }
  requireDevice(): DeviceSecrets {
    const d = this.device();
    if (!d) throw new Error('this profile has no device keys');
    return d;
  }
  setDevice(d: DeviceSecrets): void {
    this.write('device', d);
  }

  /** Signs with this device's Ed25519 key (socket login, HTTP requests). */
  signer(): DeviceSigner {
    const d = this.requireDevice();
    const priv = fromBase64Url(d.signing.priv);
    return { deviceId: d.deviceId, sign: (m) => toBase64Url(sodium().crypto_sign_detached(m, priv)) };
  }

  session(deviceId: string): SessionRecord | null {
    return this.read(`session:${deviceId}`, parseSessionRecord);
  }
  sessions(deviceIds: Iterable<string>): Record<string, SessionRecord> {
    const out: Record<string, SessionRecord> = {};
    for (const id of deviceIds) {
      const s = this.session(id);
      if (s) out[id] = s;
    }
    return out;
  }
  setSession(deviceId: string, record: SessionRecord): void {
    this.write(`session:${deviceId}`, record);
  }

  deviceList(userId: string): StoredDeviceList | null {
    return this.read(`list:${userId}`, (x) => {
      const o = x as { list: unknown; pin: unknown };
      return { list: SignedDeviceListSchema.parse(o.list), pin: parseDeviceListPin(o.pin) };
    });
  }
  setDeviceList(userId: string, value: StoredDeviceList): void {
    this.write(`list:${userId}`, value);
  }

  identityPin(userId: string): IdentityPin | null {
    return this.read(`identity:${userId}`, parseIdentityPin);
  }
  setIdentityPin(pin: IdentityPin): void {
    this.write(`identity:${pin.userId}`, pin);
  }

  ownSenderKey(groupId: string): OwnSenderKey | null {
    return this.read(`sk-own:${groupId}`, parseOwnSenderKey);
  }
  setOwnSenderKey(key: OwnSenderKey): void {
    this.write(`sk-own:${key.groupId}`, key);
  }
  groupReceiver(groupId: string): GroupReceiverState | null {
    return this.read(`sk-recv:${groupId}`, parseGroupReceiverState);
  }
  setGroupReceiver(state: GroupReceiverState): void {
    this.write(`sk-recv:${state.groupId}`, state);
  }
}
