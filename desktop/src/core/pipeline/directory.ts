// Who holds which devices: the verified, pinned device list of every user we talk to
// (ourselves included). Lists come from the relay (fetched, in bundle claims, or with a
// `stale_devices` refusal); each is verified against the account key and against the
// pinned version, so a relay can neither forge a list nor roll one back to re-add a
// removed device. A list that adds a device to a known user is reported, so the engine
// can warn that someone new can read that conversation.
import { CryptoError, verifyDeviceList, type SignedDeviceList } from '@parley/common/crypto';
import type { CryptoStore } from '../crypto-store.ts';
import type { RelayHttp } from '../net/relay-http.ts';

export interface DeviceListChange {
  userId: string;
  /** Null when this is the first list seen for the user. */
  previousVersion: number | null;
  version: number;
  added: string[];
  removed: string[];
}

export class DeviceDirectory {
  constructor(
    private readonly store: CryptoStore,
    private readonly http: RelayHttp,
    private readonly onChange: (change: DeviceListChange) => void,
  ) {}

  known(userId: string): SignedDeviceList | null {
    return this.store.deviceList(userId)?.list ?? null;
  }

  /** The pinned list, fetched from the relay the first time. */
  async get(userId: string): Promise<SignedDeviceList> {
    return this.known(userId) ?? (await this.refresh(userId));
  }

  /** Fetches the relay's current list and adopts it if newer. */
  async refresh(userId: string): Promise<SignedDeviceList> {
    const fetched = await this.http.getDeviceList(userId);
    this.accept(fetched, userId);
    return this.known(userId)!;
  }

  /**
   * Verifies a list and adopts it when newer than the pin. The same list again is a
   * no-op (null); an older or conflicting one throws CryptoError('rollback').
   */
  accept(input: unknown, expectedUserId?: string): DeviceListChange | null {
    const parsed = input as { userId?: unknown };
    const userId = expectedUserId ?? (typeof parsed?.userId === 'string' ? parsed.userId : undefined);
    if (!userId) throw new CryptoError('malformed', 'a device list without a user id');
    const stored = this.store.deviceList(userId);
    if (stored && (input as SignedDeviceList).version === stored.pin.version && (input as SignedDeviceList).sig === stored.pin.sig) return null;
    const { list, pin } = verifyDeviceList(input, { expectedUserId: userId, pin: stored?.pin });
    this.store.setDeviceList(userId, { list, pin });
    const before = new Set(stored?.list.devices.map((d) => d.id) ?? []);
    const after = new Set(list.devices.map((d) => d.id));
    const change: DeviceListChange = {
      userId,
      previousVersion: stored?.pin.version ?? null,
      version: list.version,
      added: [...after].filter((id) => !before.has(id)),
      removed: [...before].filter((id) => !after.has(id)),
    };
    this.onChange(change);
    return change;
  }

  /** Whether a device (id and signing key) is on the user's pinned list. */
  isListed(userId: string, deviceId: string, signingKey: string): boolean {
    return !!this.known(userId)?.devices.some((d) => d.id === deviceId && d.signingKey === signingKey);
  }
}
