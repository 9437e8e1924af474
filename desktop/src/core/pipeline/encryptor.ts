// Outgoing pairwise encryption: one plaintext to every device of the recipients (and of
// our own user, so our other devices see what we sent), through common/crypto's fanOut.
// Devices without a session get one from a claimed prekey bundle; devices on a list that
// never published keys (the relay returns no bundle for them) are left out, which is
// also how the relay counts a user's current device set. Updated sessions are persisted
// before the ciphertexts leave, so a crash never reuses a message key.
import { fanOut, type SignedDeviceList } from '@parley/common/crypto';
import type { PrekeyBundle } from '@parley/common/protocol';
import type { CryptoStore } from '../crypto-store.ts';
import type { RelayHttp } from '../net/relay-http.ts';
import type { DeviceDirectory } from './directory.ts';

export interface Encrypted {
  to: { d: string; b: string }[];
  check: string[];
}

export class Encryptor {
  /** Devices the relay had no bundle for (listed but unpublished), by user. */
  private unpublished = new Map<string, Set<string>>();

  constructor(
    private readonly store: CryptoStore,
    private readonly http: RelayHttp,
    private readonly directory: DeviceDirectory,
  ) {}

  async encrypt(users: string[], plaintext: Uint8Array, opts: { includeOwn: boolean }): Promise<Encrypted> {
    const self = this.store.requireDevice();
    const userIds = [...new Set([...(opts.includeOwn ? [self.userId] : []), ...users])];
    for (const u of userIds) await this.directory.get(u);
    const bundles: Record<string, PrekeyBundle> = {};
    for (let round = 0; round < 3; round++) {
      const lists = userIds.map((u) => this.effective(this.directory.known(u)!));
      const ids = lists.flatMap((l) => l.devices.map((d) => d.id));
      const r = fanOut({ self: this.store.requireDevice(), plaintext, lists, sessions: this.store.sessions(ids), bundles });
      if (r.missing.length === 0) {
        this.store.atomic(() => {
          for (const { d } of r.to) this.store.setSession(d, r.sessions[d]);
        });
        return { to: r.to, check: r.check };
      }
      await this.claim(lists, new Set(r.missing), bundles);
    }
    throw new Error('could not obtain prekey bundles for every recipient device');
  }

  /** Whether a claim found no keys for this device (listed but never published). */
  isUnpublished(userId: string, deviceId: string): boolean {
    return this.unpublished.get(userId)?.has(deviceId) ?? false;
  }

  /** Drops a device's "unpublished" mark (a new list or a stale refusal may name it again). */
  forget(userId: string): void {
    this.unpublished.delete(userId);
  }

  private effective(list: SignedDeviceList): SignedDeviceList {
    const gone = this.unpublished.get(list.userId);
    return gone?.size ? { ...list, devices: list.devices.filter((d) => !gone.has(d.id)) } : list;
  }

  private async claim(lists: SignedDeviceList[], missing: Set<string>, bundles: Record<string, PrekeyBundle>): Promise<void> {
    for (const list of lists) {
      const want = list.devices.filter((d) => missing.has(d.id)).map((d) => d.id);
      if (want.length === 0) continue;
      const res = await this.http.claimBundles(list.userId, want);
      this.directory.accept(res.deviceList, list.userId);
      for (const b of res.bundles) bundles[b.device.id] = b;
      const got = new Set(res.bundles.map((b) => b.device.id));
      for (const id of want) {
        if (got.has(id)) continue;
        const set = this.unpublished.get(list.userId) ?? new Set<string>();
        set.add(id);
        this.unpublished.set(list.userId, set);
      }
    }
  }
}
