// Reconnect delays: exponential from `baseMs`, capped at `maxMs`, with a random fraction
// taken off so that clients dropped together by a relay restart do not return together.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** 0 = no jitter; 0.5 = the delay lies in [d/2, d]. */
  jitter: number;
}

export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000, jitter: 0.5 };

/** Delay before reconnect attempt `attempt` (0 for the first retry after a drop). */
export function reconnectDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const d = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(d * (1 - policy.jitter * random()));
}
