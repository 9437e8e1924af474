// The storage contract of the relay. Everything the relay persists goes through a
// MailboxStore; the embedded SQLite store and the MongoDB store both implement it and
// both pass runMailboxStoreTests (./conformance.ts). The relay never talks to a database
// directly, and a store knows nothing about HTTP, sockets or runtimes.
//
// All byte values are base64url strings exactly as they came over the wire: the relay
// never decodes message payloads.
import type { DeviceKeys, OneTimePrekey, PresenceVisibility, SignedDeviceList, SignedPrekey } from '@parley/common/protocol';

/** A device as the relay knows it: its published keys and its owner. */
export interface DeviceRecord {
  userId: string;
  keys: DeviceKeys;
  createdAt: number;
}

/** What a socket login needs of the store (MailboxStore.loginState). */
export interface LoginState {
  /** The device's owner (its record's userId). */
  userId: string;
  /** The key the login signature is checked against (its record's keys.signingKey). */
  signingKey: string;
  /** lastSeq of the device's mailbox. */
  lastSeq: number;
  /** countOneTimePrekeys of the device. */
  prekeys: number;
  /** getLastSeen and getPresenceVisibility of the owner. */
  lastSeen: number | null;
  visibility: PresenceVisibility;
}

/** One ciphertext to append to one device's mailbox. */
export interface AppendItem {
  device: string;
  body: string;
}

/** One send: all its items commit together, or none do. */
export interface AppendRequest {
  /** The sending device and its client message id: the idempotency key. */
  sender: string;
  cid: string;
  items: AppendItem[];
  now: number;
  expiresAt: number;
}

export interface AppendResult {
  /** The sequence number each recipient device's mailbox gave this send. */
  seqs: { device: string; seq: number }[];
  ts: number;
  /** True when (sender, cid) was seen before: the first result is returned, nothing stored. */
  duplicate: boolean;
}

export interface MailboxEntry {
  seq: number;
  body: string;
  ts: number;
  expiresAt: number;
}

export interface BlobMeta {
  id: string;
  owner: string; // uploading device id
  size: number;
  createdAt: number;
  expiresAt: number;
}

export interface SweepResult {
  entries: number;
  blobs: number;
  dedup: number;
}

export interface MailboxStore {
  /** A short name for logs and metrics: "sqlite", "mongodb". */
  readonly kind: string;

  // ------------------------------------------------------------ accounts and devices
  /**
   * Stores a device list if its version is strictly higher than the stored one (or none
   * is stored). Returns false, storing nothing, on a rollback or replay. Atomic against
   * concurrent writers. Devices dropped from the list are NOT removed here; the relay
   * calls removeDevice for each.
   */
  putDeviceList(list: SignedDeviceList): Promise<boolean>;
  getDeviceList(userId: string): Promise<SignedDeviceList | null>;
  getDeviceLists(userIds: string[]): Promise<Map<string, SignedDeviceList>>;

  /** Creates or replaces a device's published keys. */
  putDevice(record: DeviceRecord): Promise<void>;
  getDevice(deviceId: string): Promise<DeviceRecord | null>;
  /** Deletes a device's keys, prekeys, mailbox entries and sequence counter. */
  removeDevice(deviceId: string): Promise<void>;

  /** Replaces the signed prekey of a device. */
  setSignedPrekey(deviceId: string, prekey: SignedPrekey): Promise<void>;
  /** Adds one-time prekeys (ids already present are ignored). Returns the count now held. */
  addOneTimePrekeys(deviceId: string, prekeys: OneTimePrekey[]): Promise<number>;
  /**
   * Removes and returns one one-time prekey of the device, or null when none is left.
   * Atomic: concurrent claims never return the same key twice.
   */
  claimOneTimePrekey(deviceId: string): Promise<OneTimePrekey | null>;
  countOneTimePrekeys(deviceId: string): Promise<number>;

  // ------------------------------------------------------------ handles and settings
  /** Claims a handle for a user. False when another user holds it. A user holds at most one: claiming a new one releases the old. */
  claimHandle(handle: string, userId: string): Promise<boolean>;
  releaseHandle(userId: string): Promise<void>;
  lookupHandle(handle: string): Promise<string | null>;
  handleOf(userId: string): Promise<string | null>;
  setPresenceVisibility(userId: string, visibility: PresenceVisibility): Promise<void>;
  getPresenceVisibility(userId: string): Promise<PresenceVisibility>;
  /** Last time any device of the user was seen online; null when never. */
  setLastSeen(userId: string, at: number): Promise<void>;
  getLastSeen(userId: string): Promise<number | null>;

  // ------------------------------------------------------------ mailboxes
  /**
   * Appends every request's items, each to its device's mailbox under that mailbox's next
   * gapless sequence number, and commits durably before resolving. Requests are
   * independent: results come back in request order. A request whose (sender, cid) was
   * already appended (within the dedup window, i.e. its expiry) returns the original
   * result with duplicate: true and stores nothing. Stores implement this as one
   * transaction (group commit) where they can.
   */
  append(requests: AppendRequest[]): Promise<AppendResult[]>;
  /** Entries with seq > afterSeq, ascending, at most `limit`, never any with expiresAt <= now. */
  read(deviceId: string, afterSeq: number, limit: number, now: number): Promise<MailboxEntry[]>;
  /** Deletes the device's entries with seq <= upToSeq. Returns how many were deleted. */
  ack(deviceId: string, upToSeq: number): Promise<number>;
  /** Entries currently held for the device (expired ones may still be counted until swept). */
  depth(deviceId: string): Promise<number>;
  /**
   * Entries held in all mailboxes, for the mailbox-depth gauge: cheap enough to call every
   * few seconds (no per-mailbox scan), and allowed to be approximate (expired entries not
   * yet swept; MongoDB answers from collection metadata).
   */
  totalDepth(): Promise<number>;
  /** The highest sequence number ever issued for the device's mailbox (0 when none). */
  lastSeq(deviceId: string): Promise<number>;
  /**
   * Optional: everything a socket login reads, in one read; null when the device has no
   * record. Without it the relay makes the separate calls (getDevice, lastSeq,
   * countOneTimePrekeys, getLastSeen, getPresenceVisibility), four to five reads a login.
   */
  loginState?(deviceId: string): Promise<LoginState | null>;

  // ------------------------------------------------------------ blobs
  /**
   * Streams a blob in. Rejects with BlobTooLargeError (storing nothing) once more than
   * maxBytes arrive. The id is chosen by the caller (unguessable, from the relay).
   */
  putBlob(meta: Omit<BlobMeta, 'size'>, data: ReadableStream<Uint8Array>, maxBytes: number): Promise<BlobMeta>;
  getBlobMeta(id: string, now: number): Promise<BlobMeta | null>;
  /** Streams bytes [start, end] inclusive of an unexpired blob; null when absent or expired. */
  readBlob(id: string, start: number, end: number, now: number): Promise<ReadableStream<Uint8Array> | null>;
  deleteBlob(id: string): Promise<boolean>;

  // ------------------------------------------------------------ upkeep
  /** Deletes expired entries, blobs and dedup records. */
  sweep(now: number): Promise<SweepResult>;
  /** Cheap reachability check for /healthz. */
  ping(): Promise<void>;
  /** Flushes and closes. */
  close(): Promise<void>;
}

export class BlobTooLargeError extends Error {
  readonly code = 'too_large';
  constructor(readonly limit: number) {
    super(`blob exceeds the ${limit}-byte limit`);
    this.name = 'BlobTooLargeError';
  }
}
