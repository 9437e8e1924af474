// Seeded randomness for the bad-input fuzz test: a small PRNG (mulberry32) and the
// random strings, numbers and JSON values the frame and request generators mutate with.
// The same seed gives the same inputs, so a failure is reproducible from its seed.

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 't', 'cid', 'to', 'd', 'b', 'upTo', 'n', ''];

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  float(): number {
    return this.u32() / 2 ** 32;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** Length skewed towards small values, occasionally up to `max`. */
  length(max: number): number {
    const r = this.float();
    if (r < 0.6) return this.int(Math.min(16, max + 1));
    if (r < 0.9) return this.int(Math.min(256, max + 1));
    return this.int(max + 1);
  }

  b64url(chars: number): string {
    let s = '';
    for (let i = 0; i < chars; i++) s += B64URL[this.u32() & 63];
    return s;
  }

  /** Any UTF-16 code units, lone surrogates and control characters included. */
  anyString(max = 64): string {
    const n = this.length(max);
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = this.float();
      s += String.fromCharCode(r < 0.5 ? 32 + this.int(95) : r < 0.7 ? this.int(32) : r < 0.85 ? 0xd800 + this.int(0x800) : this.int(0x10000));
    }
    return s;
  }

  /** Numbers at and beyond every boundary the schemas draw. */
  nastyNumber(): number {
    return this.pick([
      0, -0, -1, 1, 0.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 32 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_SAFE_INTEGER, Number.MAX_VALUE,
      Number.MIN_VALUE, 8.64e15, 8.64e15 + 1, 1e21, -1e21, 1e308, this.u32(), -this.u32(), this.float() * 1e6,
    ]);
  }

  nastyKey(): string {
    return this.chance(0.5) ? this.pick(NASTY_KEYS) : this.anyString(12);
  }

  /** A random JSON value, nested up to `depth`. */
  json(depth = 3): unknown {
    const r = this.int(depth > 0 ? 9 : 6);
    switch (r) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.nastyNumber();
      case 3:
        return this.anyString();
      case 4:
        return this.b64url(this.length(200));
      case 5:
        return this.int(1000);
      case 6:
      case 7: {
        const o: Record<string, unknown> = {};
        const n = this.length(8);
        for (let i = 0; i < n; i++) Object.defineProperty(o, this.nastyKey(), { value: this.json(depth - 1), enumerable: true, configurable: true, writable: true });
        return o;
      }
      default:
        return Array.from({ length: this.length(8) }, () => this.json(depth - 1));
    }
  }
}

/** A seed from the environment (PARLEY_FUZZ_SEED) or a fresh one. */
/** The seed CI uses; 2418748322 once overflowed the generator itself (fixed in mutate()). */
const CI_SEED = 2418748322;

export function fuzzSeed(): number {
  const env = process.env.PARLEY_FUZZ_SEED;
  if (env && /^\d+$/.test(env)) return Number(env) >>> 0;
  // CI runs one fixed seed so a landing is reproducible; developers' runs explore new
  // seeds each time (a failing one is printed, and becomes a regression seed here).
  if (process.env.CI) return CI_SEED;
  return (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0;
}
