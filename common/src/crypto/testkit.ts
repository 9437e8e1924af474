// Test fixtures shared by the crypto tests: users with devices, bundles as the relay would
// serve them, and a random-mutation helper for the parser fuzz tests. Not used by the library.
import { b64, randomBytes } from './bytes.ts';
import { CryptoError } from './errors.ts';
import { createAccount, createDevice, deviceKeys, generateOneTimePrekeys, type AccountSecrets, type DeviceSecrets } from './keys.ts';
import { signDeviceList } from './devicelist.ts';
import type { PrekeyBundle, SignedDeviceList } from '../protocol/schemas.ts';

export interface TestUser {
  account: AccountSecrets;
  devices: DeviceSecrets[];
  list: SignedDeviceList;
}

export function makeUser(deviceCount = 1, prekeys = 5): TestUser {
  const account = createAccount();
  const devices = Array.from({ length: deviceCount }, () => generateOneTimePrekeys(createDevice(account.userId), prekeys).device);
  const list = signDeviceList(account, devices.map((d) => ({ id: d.deviceId, signingKey: d.signing.pub })), 1);
  return { account, devices, list };
}

/** A bundle as the relay's claim would return it: one one-time prekey handed out (or none). */
export function bundleOf(d: DeviceSecrets, withOneTime = true): PrekeyBundle {
  const ids = Object.keys(d.oneTimePrekeys);
  const id = ids[0];
  return {
    device: deviceKeys(d),
    oneTimePrekey: withOneTime && id !== undefined ? { id: Number(id), key: d.oneTimePrekeys[id].pub } : null,
  };
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const untext = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Deterministic-enough mutations of a valid input: bit flips, truncation, extension, splices. */
export function mutations(valid: Uint8Array, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const m = valid.slice();
    const r = i % 5;
    if (r === 0) m[i % m.length] ^= 1 << (i % 8);
    else if (r === 1) out.push(valid.subarray(0, i % valid.length));
    else if (r === 2) out.push(new Uint8Array([...valid, ...randomBytes(1 + (i % 40))]));
    else if (r === 3) m.set(randomBytes(Math.min(8, m.length)), i % Math.max(1, m.length - 8));
    else m[i % m.length] = 0xff;
    if (r === 0 || r === 3 || r === 4) out.push(m);
  }
  for (let i = 0; i < count / 2; i++) out.push(randomBytes(i % 300));
  return out;
}

/** Runs fn and fails unless it returns or throws a CryptoError. */
export function onlyCryptoErrors(fn: () => unknown): 'ok' | string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof CryptoError) return e.code;
    throw new Error(`non-CryptoError escaped: ${String(e)}`);
  }
}

export { b64 };
