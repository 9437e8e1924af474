// Messages between the bench orchestrator (relay-bench.ts) and its load generators.

export interface W1Params {
  /** Senders log in here. */
  url: string;
  /** Recipients log in here (another relay of the same store and Redis); default: url. */
  recipientUrl?: string;
  run: string;
  pairs: number;
  payloadBytes: number;
  /** Closed loop: messages in flight per pair (used when rate is 0). */
  inFlight: number;
  /** Open loop: total messages per second across all pairs; 0 for closed loop. */
  rate: number;
  warmupMs: number;
  durationMs: number;
}

export interface W1Result {
  delivered: number;
  seconds: number;
  msgPerSecond: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  sentTotal: number;
  committedTotal: number;
  deliveredTotal: number;
  /** Entries whose seq was not the previous one + 1 (gaps or duplicates); must be 0. */
  outOfOrder: number;
  /** Open loop only: sends the schedule wanted but the per-pair ring was full. */
  skipped: number;
  errors: Record<string, number>;
}

export interface W2Params {
  /** Senders log in here. */
  url: string;
  /** The offline recipient reconnects here; default: url. */
  recipientUrl?: string;
  run: string;
  messages: number;
  senders: number;
  /** Sends in flight per sender. */
  window: number;
  payloadBytes: number;
}

export interface W2Result {
  messages: number;
  ingestSeconds: number;
  ingestMsgPerSecond: number;
  /** From starting the WebSocket open to the last entry received. */
  catchupMs: number;
  /** The login part of it (open → ready). */
  loginMs: number;
  /** deliver frames the relay sent before `ready` (counted; their entries are still read). */
  deliversBeforeReady: number;
  received: number;
  outOfOrder: number;
  errors: Record<string, number>;
}

export interface W3Params {
  url: string;
  run: string;
  from: number;
  count: number;
  /** Handshakes in flight per generator process. */
  concurrency: number;
}

export interface W3Result {
  connections: number;
  open: number;
  seconds: number;
}

export type GeneratorCommand =
  | { cmd: 'w1'; params: W1Params }
  | { cmd: 'w2'; params: W2Params }
  | { cmd: 'w3'; params: W3Params }
  | { cmd: 'continue' };

export type GeneratorMessage =
  | { evt: 'mark'; name: string }
  | { evt: 'result'; result: W1Result | W2Result | W3Result }
  | { evt: 'failed'; error: string };
