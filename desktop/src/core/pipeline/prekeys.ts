// Keeps this device's prekeys stocked on the relay: when the relay reports fewer one-time
// prekeys than PREKEY_LOW_WATER (at login, or with `prekeys.low`), a batch is generated,
// its private halves are sealed into the profile FIRST, and only then uploaded; the signed
// prekey is rotated with the batch once it is older than SIGNED_PREKEY_MAX_AGE_MS (the
// previous ones stay, so initial messages already in flight still open).
import {
  currentSignedPrekey,
  generateOneTimePrekeys,
  rotateSignedPrekey,
  signedPrekeyPublic,
} from '@parley/common/crypto';
import { PREKEY_LOW_WATER } from '@parley/common/protocol';
import type { CryptoStore } from '../crypto-store.ts';
import type { CoreLog } from '../net/log.ts';
import type { RelayHttp } from '../net/relay-http.ts';

export const PREKEY_BATCH = 100;
export const SIGNED_PREKEY_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

export class PrekeyKeeper {
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: CryptoStore,
    private readonly http: RelayHttp,
    private readonly now: () => number,
    private readonly log: CoreLog,
  ) {}

  /** Tops up when `remaining` (as the relay reported it) is below the low-water mark or the signed prekey is old. */
  check(remaining: number): Promise<void> {
    this.running ??= this.topUp(remaining).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async topUp(remaining: number): Promise<void> {
    const device = this.store.requireDevice();
    const rotate = this.now() - currentSignedPrekey(device).createdAt > SIGNED_PREKEY_MAX_AGE_MS;
    if (remaining >= PREKEY_LOW_WATER && !rotate) return;
    const count = remaining >= PREKEY_LOW_WATER ? 0 : PREKEY_BATCH;
    let next = rotate ? rotateSignedPrekey(device, this.now()) : device;
    const gen = generateOneTimePrekeys(next, count);
    next = gen.device;
    // Read-modify-write in one transaction: a decrypt may have consumed a prekey meanwhile.
    this.store.atomic(() => {
      const latest = this.store.requireDevice();
      this.store.setDevice({ ...latest, oneTimePrekeys: { ...latest.oneTimePrekeys, ...pick(next.oneTimePrekeys, gen.prekeys.map((p) => String(p.id))) }, signedPrekeys: next.signedPrekeys, nextPrekeyId: next.nextPrekeyId });
    });
    try {
      const res = await this.http.replenishPrekeys(gen.prekeys, rotate ? signedPrekeyPublic(next) : undefined);
      this.log.info('prekeys.uploaded', { added: gen.prekeys.length, rotated: rotate, remaining: res.oneTimePrekeys });
    } catch (err) {
      this.log.warn('prekeys.upload_failed', { error: String((err as Error).message ?? err) });
    }
  }
}

function pick<T>(record: Record<string, T>, keys: string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of keys) out[k] = record[k];
  return out;
}
