import { beforeAll, describe, expect, it } from 'vitest';
import { sodiumReady } from '../sodium.ts';
import { checkDeviceList, DeviceKeys, PrekeyBundle, SignedDeviceList } from '../protocol/index.ts';
import { b64 } from './bytes.ts';
import { signDeviceList, verifyDeviceList } from './devicelist.ts';
import { CryptoError } from './errors.ts';
import { createAccount, createDevice, deviceKeys, generateOneTimePrekeys, rotateSignedPrekey, verifyDeviceKeys, verifyPrekeyBundle } from './keys.ts';
import { parseAccountSecrets, parseDeviceListPin, parseDeviceSecrets } from './state.ts';
import { bundleOf, makeUser, onlyCryptoErrors } from './testkit.ts';

beforeAll(() => sodiumReady());

/** The CryptoError code fn throws, or 'ok'; anything else fails the test. */
const code = onlyCryptoErrors;

describe('device keys', () => {
  it('produces keys the relay schema and signing inputs accept', () => {
    const account = createAccount();
    const dev = createDevice(account.userId);
    const pub = deviceKeys(dev);
    expect(DeviceKeys.safeParse(pub).success).toBe(true);
    expect(verifyDeviceKeys(pub)).toEqual(pub);
    const { device, prekeys } = generateOneTimePrekeys(dev, 3);
    expect(new Set(prekeys.map((p) => p.id)).size).toBe(3);
    expect(Object.keys(device.oneTimePrekeys)).toHaveLength(3);
    expect(PrekeyBundle.safeParse(bundleOf(device)).success).toBe(true);
  });

  it('rejects a bad signed-prekey signature and a bad identity-key signature', () => {
    const dev = createDevice(createAccount().userId);
    const pub = deviceKeys(dev);
    const other = deviceKeys(createDevice(createAccount().userId));
    expect(code(() => verifyDeviceKeys({ ...pub, signedPrekey: { ...pub.signedPrekey, sig: other.signedPrekey.sig } }))).toBe('bad_signature');
    expect(code(() => verifyDeviceKeys({ ...pub, signedPrekey: { ...pub.signedPrekey, key: other.signedPrekey.key } }))).toBe('bad_signature');
    expect(code(() => verifyDeviceKeys({ ...pub, identityKey: other.identityKey }))).toBe('bad_signature');
    expect(code(() => verifyDeviceKeys({ ...pub, id: other.id }))).toBe('device_id_mismatch');
    expect(code(() => verifyDeviceKeys({ ...pub, extra: 1 }))).toBe('malformed');
  });

  it('rejects a device that is not on the verified device list', () => {
    const u = makeUser(1);
    const stranger = createDevice(u.account.userId);
    expect(code(() => verifyDeviceKeys(deviceKeys(stranger), u.list))).toBe('unknown_device');
    expect(code(() => verifyPrekeyBundle(bundleOf(u.devices[0]), u.list))).toBe('ok');
  });

  it('keeps the previous signed prekeys after rotation, up to three', () => {
    let dev = createDevice(createAccount().userId);
    for (let i = 0; i < 4; i++) dev = rotateSignedPrekey(dev);
    expect(dev.signedPrekeys).toHaveLength(3);
    expect(verifyDeviceKeys(deviceKeys(dev)).signedPrekey.id).toBe(dev.signedPrekeys[2].id);
  });

  it('round-trips account and device state through JSON', () => {
    const account = createAccount();
    const dev = generateOneTimePrekeys(createDevice(account.userId), 2).device;
    expect(parseAccountSecrets(JSON.stringify(account))).toEqual(account);
    expect(parseDeviceSecrets(JSON.stringify(dev))).toEqual(dev);
    expect(code(() => parseDeviceSecrets({ ...dev, v: 2 }))).toBe('unsupported_version');
    expect(code(() => parseDeviceSecrets({ ...dev, identity: { pub: 'x', priv: 'y' } }))).toBe('bad_state');
  });
});

describe('device lists', () => {
  it('signs lists the shared checkDeviceList accepts', () => {
    const u = makeUser(3);
    expect(SignedDeviceList.safeParse(u.list).success).toBe(true);
    expect(checkDeviceList(u.list)).toBeNull();
    const { list, pin } = verifyDeviceList(u.list, { expectedUserId: u.account.userId });
    expect(list.devices).toHaveLength(3);
    expect(parseDeviceListPin(JSON.parse(JSON.stringify(pin)))).toEqual(pin);
  });

  it('rejects forged, unsigned and wrong-user lists', () => {
    const u = makeUser(2);
    const mallory = createAccount();
    const forged = signDeviceList(mallory, u.list.devices, 5);
    expect(code(() => verifyDeviceList({ ...forged, userId: u.account.userId }))).toBe('wrong_user');
    expect(code(() => verifyDeviceList({ ...forged, userId: u.account.userId, accountKey: u.account.key.pub }))).toBe('bad_signature');
    expect(code(() => verifyDeviceList({ ...u.list, version: 2 }))).toBe('bad_signature');
    const { sig: _sig, ...unsigned } = u.list;
    expect(code(() => verifyDeviceList(unsigned))).toBe('malformed');
    expect(code(() => verifyDeviceList({ ...u.list, sig: b64(new Uint8Array(64)) }))).toBe('bad_signature');
    expect(code(() => verifyDeviceList(u.list, { expectedUserId: mallory.userId }))).toBe('wrong_user');
    expect(code(() => verifyDeviceList({ ...u.list, devices: [u.list.devices[0], u.list.devices[0]] }))).toBe('duplicate_device');
  });

  it('pins the highest version and rejects rollbacks and same-version equivocation', () => {
    const u = makeUser(2);
    const v1 = u.list;
    const v2 = signDeviceList(u.account, [v1.devices[0]], 2);
    const { pin } = verifyDeviceList(v2);
    expect(code(() => verifyDeviceList(v1, { pin }))).toBe('rollback');
    expect(code(() => verifyDeviceList(v2, { pin }))).toBe('ok'); // the same list again is fine
    const v2b = signDeviceList(u.account, v1.devices, 2, v2.issuedAt + 1);
    expect(code(() => verifyDeviceList(v2b, { pin }))).toBe('rollback');
    const v3 = signDeviceList(u.account, v1.devices, 3);
    expect(verifyDeviceList(v3, { pin }).pin.version).toBe(3);
    const otherPin = verifyDeviceList(makeUser(1).list).pin;
    expect(code(() => verifyDeviceList(v3, { pin: otherPin }))).toBe('wrong_user');
  });
});
