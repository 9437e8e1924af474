// The pieces of one relay instance that its HTTP routes, connections and hub share.
import type { Bus } from './bus.ts';
import type { RelayConfig } from './config.ts';
import type { Directory } from './directory.ts';
import type { GroupCommit } from './group-commit.ts';
import type { Hub } from './hub.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import type { KeyedRateLimiter } from './rate-limit.ts';
import type { MailboxStore } from './store/types.ts';

export interface RelayContext {
  readonly config: RelayConfig;
  readonly store: MailboxStore;
  readonly bus: Bus;
  readonly log: Logger;
  readonly metrics: RelayMetrics;
  readonly directory: Directory;
  readonly commits: GroupCommit;
  readonly hub: Hub;
  /** Frames per device (WebSocket). */
  readonly deviceFrames: KeyedRateLimiter;
  /** HTTP requests and socket opens per client address. */
  readonly addressRequests: KeyedRateLimiter;
  /** Prekey-bundle fetches per requesting device. */
  readonly bundleFetches: KeyedRateLimiter;
  now(): number;
  /** Cryptographically random bytes (WebCrypto: runtime-neutral). */
  randomBytes(n: number): Uint8Array;
  shuttingDown: boolean;
}
