// Who is who: device records and signed device lists, read through a small cache so the
// send path does not hit the store for every recipient. Device records never change owner
// (a device id is the hash of its signing key), so they are cached until the device is
// removed; device lists are cached until the bus says they changed, and for at most
// LIST_MAX_AGE_MS so a lost bus message between relays cannot pin a stale list.
import type { SignedDeviceList } from '@parley/common/protocol';
import type { Bus } from './bus.ts';
import type { DeviceRecord, MailboxStore } from './store/types.ts';

const MAX_CACHED = 50_000;
const LIST_MAX_AGE_MS = 5_000;

export class Directory {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly lists = new Map<string, { list: SignedDeviceList; at: number }>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: MailboxStore,
    bus: Bus,
  ) {
    this.unsubscribe = bus.subscribe((e) => {
      if (e.type === 'device.removed') {
        this.devices.delete(e.device);
        this.lists.delete(e.user);
      } else if (e.type === 'deviceList') this.lists.delete(e.user);
    });
  }

  async device(id: string): Promise<DeviceRecord | null> {
    const hit = this.devices.get(id);
    if (hit) return hit;
    const rec = await this.store.getDevice(id);
    if (rec) {
      if (this.devices.size >= MAX_CACHED) this.devices.clear();
      this.devices.set(id, rec);
    }
    return rec;
  }

  /** Forget a device's cached record (after its keys were re-published or it was removed). */
  forgetDevice(id: string): void {
    this.devices.delete(id);
  }

  async deviceLists(users: readonly string[], now: number): Promise<Map<string, SignedDeviceList>> {
    const out = new Map<string, SignedDeviceList>();
    const missing: string[] = [];
    for (const u of users) {
      const hit = this.lists.get(u);
      if (hit && now - hit.at < LIST_MAX_AGE_MS) out.set(u, hit.list);
      else missing.push(u);
    }
    if (missing.length > 0) {
      const fetched = await this.store.getDeviceLists(missing);
      if (this.lists.size + fetched.size > MAX_CACHED) this.lists.clear();
      for (const [u, list] of fetched) {
        this.lists.set(u, { list, at: now });
        out.set(u, list);
      }
    }
    return out;
  }

  /** The devices of a list that have published their keys: the ones a sender can reach. */
  async currentDevices(list: SignedDeviceList): Promise<string[]> {
    const recs = await Promise.all(list.devices.map((d) => this.device(d.id)));
    return list.devices.filter((_, i) => recs[i]?.userId === list.userId).map((d) => d.id);
  }

  close(): void {
    this.unsubscribe();
  }
}
