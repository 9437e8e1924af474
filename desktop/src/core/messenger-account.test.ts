// The account-change exchange between own devices without a relay: each device's queued
// contents are handed to the others by hand, so lost messages and termination can be pinned.
import { afterEach, describe, expect, it } from 'vitest';
import { sodiumReady } from '@parley/common/crypto';
import { AccountSync } from './messenger-account.ts';
import type { Content } from './pipeline/content.ts';
import { openProfile, type LocalProfile } from './profile.ts';
import { openKeyFileBox } from './secrets/key-file-box.ts';
import { tempProfile } from './testing/temp-profile.ts';

const user = 'u'.repeat(32);
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Device {
  id: string;
  sync: AccountSync;
  profile: LocalProfile;
  outbox: Extract<Content, { kind: 'account-change' }>[];
}

async function device(id: string): Promise<Device> {
  await sodiumReady();
  const t = tempProfile();
  const profile = openProfile(t.dir, await openKeyFileBox(t.dir));
  cleanups.push(() => {
    profile.close();
    t.cleanup();
  });
  const d = { id, profile, outbox: [] } as unknown as Device;
  d.sync = new AccountSync(
    {
      profile,
      self: () => ({ userId: user, deviceId: id }),
      now: () => 1_000,
      queue: (body) => d.outbox.push({ v: 1, id: `m${d.outbox.length}xxxxxxxx`, at: 1, conv: { t: 'd', peer: user }, kind: 'account-change', ...body }),
      hasOtherDevices: () => true,
      applyContact: () => undefined,
      conversationView: () => null,
      emit: () => undefined,
    },
    60_000,
  );
  return d;
}

/** Delivers everything queued until nobody has anything to say; returns the number of contents. */
function settle(devices: Device[], drop = new Set<number>()): number {
  let n = 0;
  for (let round = 0; round < 20; round++) {
    const moving = devices.flatMap((d) => d.outbox.splice(0).map((c) => ({ from: d, c })));
    if (moving.length === 0) return n;
    for (const { from, c } of moving) {
      if (drop.has(n++)) continue;
      for (const to of devices) if (to !== from) to.profile.db.transaction(() => to.sync.applyRemote({ senderUserId: user, senderDeviceId: from.id, content: c }))();
    }
  }
  throw new Error('the exchange did not end');
}

describe('account-change exchange', () => {
  it('a lost change is repaired by the next start\'s hello, and the exchange ends', async () => {
    const a = await device('aaaaaaaaaaaaaaaa');
    const b = await device('bbbbbbbbbbbbbbbb');
    a.sync.setDraft('d:x', 'first', null);
    a.sync.flush();
    settle([a, b], new Set([0])); // the only content is lost
    expect(b.profile.drafts.get('d:x')).toBeNull();
    a.sync.connected(); // a's next start
    expect(settle([a, b])).toBeLessThanOrEqual(3);
    expect(b.profile.drafts.get('d:x')?.text).toBe('first');
  });

  it('concurrent edits from three devices converge with a bounded number of contents', async () => {
    const ds = await Promise.all(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb', 'cccccccccccccccc'].map(device));
    ds[0].sync.setDraft('d:x', 'Hello', null);
    ds[0].sync.flush();
    settle(ds);
    ds[0].sync.setDraft('d:x', 'Oh, Hello', null);
    ds[1].sync.setDraft('d:x', 'Hello world', null);
    ds[2].profile.conversations.ensureDirect('x', 'X');
    ds[2].sync.setFlags('d:x', { pinned: true });
    for (const d of ds) d.sync.flush();
    expect(settle(ds)).toBeLessThan(20);
    for (const d of ds) expect(d.profile.drafts.get('d:x')?.text).toBe('Oh, Hello world');
    // The flag reached the others too (their conversation row is created on the way).
    for (const d of ds) expect(d.profile.conversations.row('d:x').pinned).toBe(1);
  });
});
