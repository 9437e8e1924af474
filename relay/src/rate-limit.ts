// Token buckets: a steady refill rate with a burst allowance, kept per key (a device id
// or a client address) in a bounded map so a flood of distinct keys cannot grow memory
// without bound.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if available. */
  take(now: number, cost = 1): boolean {
    this.refill(now);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** True once the bucket has refilled completely (it can be forgotten). */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    const elapsed = (now - this.last) / 1000;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perSecond);
      this.last = now;
    }
  }
}

export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
    /** Called on every refusal (the relay counts them in its metrics). */
    private readonly onRefused?: () => void,
  ) {}

  take(key: string, now: number): boolean {
    if (this.perSecond <= 0) return true; // 0 disables the limit
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      bucket = new TokenBucket(this.perSecond, this.burst, now);
      this.buckets.set(key, bucket);
    }
    if (bucket.take(now)) return true;
    this.onRefused?.();
    return false;
  }

  /** Forgets buckets that have refilled (their state equals a fresh bucket's). */
  prune(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.full(now)) this.buckets.delete(key);
    // Still full of busy keys: drop the oldest rather than grow without bound.
    if (this.buckets.size >= this.maxKeys) {
      let drop = this.buckets.size - this.maxKeys + 1;
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}
