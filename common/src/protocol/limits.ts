// Protocol-level bounds. The relay enforces its configured values (which default to
// these); the schemas enforce the hard ceilings so no frame can be unbounded.

export const PROTOCOL_VERSION = 'v1';

export const HARD_LIMITS = {
  /** Largest WebSocket frame any relay accepts, whatever its configuration. */
  maxFrameBytes: 1024 * 1024,
  /** Largest ciphertext for one recipient device in a send (base64url characters). */
  maxPayloadChars: 256 * 1024,
  /** Recipient devices in one send. */
  maxRecipients: 2048,
  /** Users named in one send's `check` or `fanout`, or one presence subscription. */
  maxUsers: 1024,
  /** Devices on one account's device list. */
  maxDevices: 16,
  /** One-time prekeys uploaded in one request. */
  maxPrekeyBatch: 200,
  /** Client message ids. */
  maxClientIdChars: 64,
} as const;

export const DEFAULT_LIMITS = {
  maxFrameBytes: 256 * 1024,
  maxBodyBytes: 256 * 1024,
  maxBlobBytes: 100 * 1024 * 1024,
  maxRecipients: 1024,
  /** Frames per second per device (token bucket refill) and its burst. */
  deviceFramesPerSecond: 500,
  deviceFrameBurst: 1000,
  /** HTTP requests and socket opens per second per client address, and burst. */
  addressRequestsPerSecond: 50,
  addressRequestBurst: 200,
  /** Prekey-bundle fetches per minute per requesting device. */
  bundleFetchesPerMinute: 120,
  /** Entries delivered but not yet acknowledged on one socket. */
  deliveryWindow: 2000,
  /** Entries per `deliver` frame. */
  deliveryBatch: 500,
  /** A socket's outgoing buffer beyond which delivery pauses, and beyond which the socket is dropped. */
  socketHighWaterBytes: 1024 * 1024,
  socketMaxBufferedBytes: 16 * 1024 * 1024,
} as const;

export const DEFAULT_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** One-time prekeys below which the relay tells the owner to replenish. */
export const PREKEY_LOW_WATER = 20;
