import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding.ts';
import { sodium, sodiumReady } from '../sodium.ts';
import {
  checkDeviceList,
  deviceIdFromSigningKey,
  deviceListSigningInput,
  userIdFromAccountKey,
  verifyEd25519,
  wsAuthSigningInput,
  type DeviceListBody,
} from './identity.ts';
import { SignedDeviceList } from './schemas.ts';

beforeAll(async () => {
  await sodiumReady();
});

function makeAccount() {
  const account = sodium().crypto_sign_keypair();
  const devices = [sodium().crypto_sign_keypair(), sodium().crypto_sign_keypair()];
  const body: DeviceListBody = {
    userId: userIdFromAccountKey(account.publicKey),
    accountKey: toBase64Url(account.publicKey),
    version: 3,
    issuedAt: 1_763_900_000_000,
    devices: devices.map((d) => ({ id: deviceIdFromSigningKey(d.publicKey), signingKey: toBase64Url(d.publicKey) })),
  };
  const sig = toBase64Url(sodium().crypto_sign_detached(deviceListSigningInput(body), account.privateKey));
  return { account, devices, list: { ...body, sig } };
}

describe('ids', () => {
  it('derives a 32-character user id and a 16-character device id, stable and schema-valid', () => {
    const { list, account } = makeAccount();
    expect(list.userId).toMatch(/^[a-z2-7]{32}$/);
    expect(userIdFromAccountKey(account.publicKey)).toBe(list.userId);
    for (const d of list.devices) expect(d.id).toMatch(/^[a-z2-7]{16}$/);
    expect(SignedDeviceList.safeParse(list).success).toBe(true);
  });

  it('gives different keys different ids, and user and device ids are domain-separated', () => {
    const key = sodium().crypto_sign_keypair().publicKey;
    expect(userIdFromAccountKey(key).slice(0, 16)).not.toBe(deviceIdFromSigningKey(key));
    expect(userIdFromAccountKey(sodium().crypto_sign_keypair().publicKey)).not.toBe(userIdFromAccountKey(key));
  });
});

describe('device lists', () => {
  it('accepts a correctly signed list regardless of device order', () => {
    const { list } = makeAccount();
    expect(checkDeviceList(list)).toBeNull();
    expect(checkDeviceList({ ...list, devices: [...list.devices].reverse() })).toBeNull();
  });

  it('rejects forged, tampered, rolled-back and mismatched lists', () => {
    const { list, devices } = makeAccount();
    const other = makeAccount();
    expect(checkDeviceList({ ...list, version: 4 })).toBe('bad_signature');
    expect(checkDeviceList({ ...list, sig: other.list.sig })).toBe('bad_signature');
    expect(checkDeviceList({ ...list, devices: list.devices.slice(1) })).toBe('bad_signature');
    expect(checkDeviceList({ ...list, userId: other.list.userId })).toBe('wrong_user');
    expect(checkDeviceList({ ...list, devices: [{ ...list.devices[0], id: other.list.devices[0].id }, list.devices[1]] })).toBe('device_id_mismatch');
    expect(checkDeviceList({ ...list, devices: [list.devices[0], list.devices[0]] })).toBe('duplicate_device');
    expect(checkDeviceList(list, 3)).toBe('rollback');
    expect(checkDeviceList(list, 7)).toBe('rollback');
    expect(checkDeviceList(list, 2)).toBeNull();
    expect(devices.length).toBe(2);
  });

  it('never throws on garbage keys or signatures', () => {
    const { list } = makeAccount();
    expect(checkDeviceList({ ...list, accountKey: '!!!' })).toBe('bad_signature');
    expect(checkDeviceList({ ...list, sig: 'AAAA' })).toBe('bad_signature');
    expect(verifyEd25519('AAAA', new Uint8Array(3), 'BBBB')).toBe(false);
  });
});

describe('signing inputs', () => {
  it('bind the relay, nonce, device and time into the login signature', () => {
    const kp = sodium().crypto_sign_keypair();
    const input = wsAuthSigningInput('relay.example:443', 'bm9uY2U', 'abcdefghijklmnop', 1000);
    const sig = toBase64Url(sodium().crypto_sign_detached(input, kp.privateKey));
    const pk = toBase64Url(kp.publicKey);
    expect(verifyEd25519(pk, input, sig)).toBe(true);
    expect(verifyEd25519(pk, wsAuthSigningInput('evil.example:443', 'bm9uY2U', 'abcdefghijklmnop', 1000), sig)).toBe(false);
    expect(verifyEd25519(pk, wsAuthSigningInput('relay.example:443', 'b3RoZXI', 'abcdefghijklmnop', 1000), sig)).toBe(false);
    expect(verifyEd25519(pk, wsAuthSigningInput('relay.example:443', 'bm9uY2U', 'abcdefghijklmnop', 1001), sig)).toBe(false);
    expect(fromBase64Url(sig).length).toBe(64);
  });
});
