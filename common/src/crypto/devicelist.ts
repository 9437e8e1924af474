// Device lists: the account key signs a versioned list of the user's devices. Clients pin
// the highest version they have accepted and refuse anything older, or a different list
// under the same version (equivocation), so a relay cannot re-add a removed device by
// replaying an old list.
import { SignedDeviceList } from '../protocol/schemas.ts';
import { checkDeviceList, deviceListSigningInput, type DeviceListBody } from '../protocol/identity.ts';
import { b64, unb64 } from './bytes.ts';
import { signEd25519 } from './dh.ts';
import { CryptoError } from './errors.ts';
import type { AccountSecrets } from './keys.ts';

export type { SignedDeviceList };

/** What a client remembers about a user's device list. JSON-safe. */
export interface DeviceListPin {
  v: 1;
  userId: string;
  accountKey: string;
  version: number;
  sig: string;
}

export function signDeviceList(
  account: AccountSecrets,
  devices: { id: string; signingKey: string }[],
  version: number,
  issuedAt = Date.now(),
): SignedDeviceList {
  const body: DeviceListBody = { userId: account.userId, accountKey: account.key.pub, version, issuedAt, devices };
  const sig = b64(signEd25519(unb64(account.key.priv, 64, 'bad_state'), deviceListSigningInput(body)));
  return { ...body, devices: devices.map((d) => ({ id: d.id, signingKey: d.signingKey })), sig };
}

/**
 * Verifies a signed device list (schema, user id, device ids, signature) and, against a
 * pin, rejects an older version (`rollback`) or a different list at the pinned version.
 * `expectedUserId` guards against a relay answering with another user's (valid) list.
 * Returns the list and the pin to store.
 */
export function verifyDeviceList(
  input: unknown,
  opts: { expectedUserId?: string; pin?: DeviceListPin } = {},
): { list: SignedDeviceList; pin: DeviceListPin } {
  const parsed = SignedDeviceList.safeParse(input);
  if (!parsed.success) throw new CryptoError('malformed', 'device list does not match the SignedDeviceList schema');
  const list = parsed.data;
  if (opts.expectedUserId !== undefined && list.userId !== opts.expectedUserId) {
    throw new CryptoError('wrong_user', 'the device list belongs to another user');
  }
  const problem = checkDeviceList(list);
  if (problem) throw new CryptoError(problem);
  const pin = opts.pin;
  if (pin) {
    if (pin.userId !== list.userId || pin.accountKey !== list.accountKey) {
      throw new CryptoError('wrong_user', 'the device list is signed by a different account key than the pinned one');
    }
    if (list.version < pin.version) throw new CryptoError('rollback', `device list version ${list.version} is older than pinned ${pin.version}`);
    if (list.version === pin.version && list.sig !== pin.sig) {
      throw new CryptoError('rollback', `a different device list was already accepted at version ${pin.version}`);
    }
  }
  return { list, pin: { v: 1, userId: list.userId, accountKey: list.accountKey, version: list.version, sig: list.sig } };
}
