// Accounts and keys: publishing a device, device lists, prekey bundles, prekey upkeep.
// Every write is authorised twice: the account key signs the device list (verified with
// checkDeviceList) and a device signs the HTTP request (verified in ./signature.ts).
import {
  ClaimBundlesRequest,
  type ClaimBundlesResponse,
  type DeviceListProblem,
  type DeviceKeys,
  PREKEY_LOW_WATER,
  type PrekeyBundle,
  ProtocolError,
  PublishDeviceRequest,
  ReplenishPrekeysRequest,
  type SignedDeviceList,
  type SignedPrekey,
  UpdateDeviceListRequest,
  UserId,
  checkDeviceList,
  identityKeySigningInput,
  signedPrekeySigningInput,
  verifyEd25519,
} from '@parley/common/protocol';
import { Hono } from 'hono';
import type { RelayContext } from '../context.ts';
import { parseJson, readBodyBytes } from './body.ts';
import { type ReplayCache, requireDevice, sha256B64, verifySignedRequest } from './signature.ts';

const LIST_PROBLEM: Record<DeviceListProblem, [ProtocolError['code'], string]> = {
  bad_signature: ['bad_signature', 'The device list signature does not verify with its account key.'],
  wrong_user: ['bad_request', 'The account key does not hash to the user id.'],
  duplicate_device: ['bad_request', 'The device list names a device twice.'],
  device_id_mismatch: ['bad_request', 'A device id does not match its signing key.'],
  rollback: ['rollback', 'A device list with this version or newer is already published.'],
};

function checkList(list: SignedDeviceList, pinned?: number): void {
  const problem = checkDeviceList(list, pinned);
  if (problem) throw new ProtocolError(...LIST_PROBLEM[problem]);
}

const sameList = (a: SignedDeviceList, b: SignedDeviceList) =>
  a.version === b.version && a.sig === b.sig && a.accountKey === b.accountKey && a.issuedAt === b.issuedAt && JSON.stringify(a.devices) === JSON.stringify(b.devices);

function checkSignedPrekey(deviceId: string, signingKey: string, spk: SignedPrekey): void {
  if (!verifyEd25519(signingKey, signedPrekeySigningInput(deviceId, spk.id, spk.key), spk.sig)) {
    throw new ProtocolError('bad_signature', 'The signed prekey signature does not verify with the device signing key.');
  }
}

function checkDeviceKeys(keys: DeviceKeys): void {
  if (!verifyEd25519(keys.signingKey, identityKeySigningInput(keys.id, keys.identityKey), keys.identityKeySig)) {
    throw new ProtocolError('bad_signature', 'The identity key signature does not verify with the device signing key.');
  }
  checkSignedPrekey(keys.id, keys.signingKey, keys.signedPrekey);
}

/**
 * Stores a newer list and removes the devices it dropped (keys, prekeys, mailbox), closing
 * their sockets. The caller has checked the list against the stored version.
 */
async function adoptList(ctx: RelayContext, list: SignedDeviceList, previous: SignedDeviceList | null): Promise<void> {
  if (!(await ctx.store.putDeviceList(list))) throw new ProtocolError('rollback', 'A device list with this version or newer was published meanwhile.');
  ctx.bus.publish({ type: 'deviceList', user: list.userId });
  const kept = new Set(list.devices.map((d) => d.id));
  for (const d of previous?.devices ?? []) {
    if (kept.has(d.id)) continue;
    await ctx.store.removeDevice(d.id);
    ctx.directory.forgetDevice(d.id);
    ctx.bus.publish({ type: 'device.removed', device: d.id, user: list.userId });
    ctx.log.info('device.removed', { device: d.id, user: list.userId });
  }
}

export function deviceRoutes(ctx: RelayContext, replay: ReplayCache): Hono {
  const app = new Hono();
  const { limits } = ctx.config;

  // Publish (register) a device. Signed by the NEW device, whose key is in the body.
  app.post('/devices', async (c) => {
    const bytes = await readBodyBytes(c, limits.maxBodyBytes);
    const body = parseJson(bytes, PublishDeviceRequest);
    const { deviceList: list, device } = body;
    await verifySignedRequest(ctx, replay, c, sha256B64(bytes), async (id) => (id === device.id ? device.signingKey : null));
    const entry = list.devices.find((d) => d.id === device.id);
    if (!entry || entry.signingKey !== device.signingKey) throw new ProtocolError('forbidden', 'The device list must contain the device being published, with its signing key.');
    checkDeviceKeys(device);
    checkList(list);
    const stored = await ctx.store.getDeviceList(list.userId);
    if (stored && list.version < stored.version) checkList(list, stored.version);
    if (stored && list.version === stored.version && !sameList(list, stored)) {
      throw new ProtocolError('rollback', 'A different device list with this version is already published.');
    }
    const existing = await ctx.store.getDevice(device.id);
    if (existing && existing.userId !== list.userId) throw new ProtocolError('forbidden', 'This device belongs to another user.');
    if (!stored || list.version > stored.version) await adoptList(ctx, list, stored);
    await ctx.store.putDevice({ userId: list.userId, keys: device, createdAt: existing?.createdAt ?? ctx.now() });
    ctx.directory.forgetDevice(device.id);
    const oneTimePrekeys = await ctx.store.addOneTimePrekeys(device.id, body.oneTimePrekeys);
    ctx.log.info('device.published', { device: device.id, user: list.userId, version: list.version });
    return c.json({ userId: list.userId, deviceId: device.id, oneTimePrekeys }, existing ? 200 : 201);
  });

  app.get('/users/:userId/device-list', async (c) => {
    const userId = UserId.safeParse(c.req.param('userId'));
    if (!userId.success) throw new ProtocolError('bad_request', 'Not a user id.');
    const list = await ctx.store.getDeviceList(userId.data);
    if (!list) throw new ProtocolError('unknown_user');
    return c.json(list);
  });

  // A newer list (linking or unlinking devices), signed by a registered device of the user.
  app.put('/users/:userId/device-list', async (c) => {
    const bytes = await readBodyBytes(c, limits.maxBodyBytes);
    const { deviceList: list } = parseJson(bytes, UpdateDeviceListRequest);
    const signer = await requireDevice(ctx, replay, c, sha256B64(bytes));
    if (list.userId !== c.req.param('userId')) throw new ProtocolError('bad_request', 'The list is for another user than the path names.');
    if (signer.userId !== list.userId) throw new ProtocolError('forbidden', "Only the user's own devices may publish its device list.");
    const stored = await ctx.store.getDeviceList(list.userId);
    checkList(list, stored?.version);
    await adoptList(ctx, list, stored);
    return c.json(list);
  });

  // Claims one one-time prekey per device of the user (atomically, in the store).
  app.post('/users/:userId/bundles', async (c) => {
    const bytes = await readBodyBytes(c, limits.maxBodyBytes);
    const body = bytes.length === 0 ? {} : parseJson(bytes, ClaimBundlesRequest);
    const requester = await requireDevice(ctx, replay, c, sha256B64(bytes));
    if (!ctx.bundleFetches.take(requester.keys.id, ctx.now())) {
      throw new ProtocolError('rate_limited', `At most ${limits.bundleFetchesPerMinute} bundle fetches per minute per device.`);
    }
    const userId = UserId.safeParse(c.req.param('userId'));
    if (!userId.success) throw new ProtocolError('bad_request', 'Not a user id.');
    const list = await ctx.store.getDeviceList(userId.data);
    if (!list) throw new ProtocolError('unknown_user');
    const listed = new Set(list.devices.map((d) => d.id));
    const wanted = body.devices ?? list.devices.map((d) => d.id);
    const notListed = wanted.find((d) => !listed.has(d));
    if (notListed) throw new ProtocolError('unknown_device', `Device ${notListed} is not on the user's device list.`);
    const bundles: PrekeyBundle[] = [];
    for (const id of new Set(wanted)) {
      const record = await ctx.store.getDevice(id);
      if (!record) continue; // listed but not yet published: nothing to encrypt to
      const oneTimePrekey = await ctx.store.claimOneTimePrekey(id);
      bundles.push({ device: record.keys, oneTimePrekey });
      const remaining = await ctx.store.countOneTimePrekeys(id);
      if (remaining < PREKEY_LOW_WATER) ctx.bus.publish({ type: 'prekeys.low', device: id, remaining });
    }
    const response: ClaimBundlesResponse = { deviceList: list, bundles };
    return c.json(response);
  });

  app.get('/prekeys', async (c) => {
    const device = await requireDevice(ctx, replay, c, sha256B64(new Uint8Array(0)));
    const oneTimePrekeys = await ctx.store.countOneTimePrekeys(device.keys.id);
    return c.json({ oneTimePrekeys, signedPrekeyId: device.keys.signedPrekey.id });
  });

  app.post('/prekeys', async (c) => {
    const bytes = await readBodyBytes(c, limits.maxBodyBytes);
    const body = parseJson(bytes, ReplenishPrekeysRequest);
    const device = await requireDevice(ctx, replay, c, sha256B64(bytes));
    const id = device.keys.id;
    let signedPrekeyId = device.keys.signedPrekey.id;
    if (body.signedPrekey) {
      checkSignedPrekey(id, device.keys.signingKey, body.signedPrekey);
      await ctx.store.setSignedPrekey(id, body.signedPrekey);
      ctx.directory.forgetDevice(id);
      signedPrekeyId = body.signedPrekey.id;
    }
    const oneTimePrekeys = await ctx.store.addOneTimePrekeys(id, body.oneTimePrekeys);
    return c.json({ oneTimePrekeys, signedPrekeyId });
  });

  return app;
}
