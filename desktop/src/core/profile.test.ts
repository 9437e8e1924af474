import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openProfile } from './profile.ts';
import { openKeyFileBox } from './secrets/key-file-box.ts';
import { ManualClock } from './testing/manual-clock.ts';
import { tempProfile } from './testing/temp-profile.ts';

let tmp: ReturnType<typeof tempProfile>;
beforeEach(() => {
  tmp = tempProfile();
});
afterEach(() => tmp.cleanup());

describe('a local profile', () => {
  it('keeps conversations, messages, drafts and secrets across a restart, offline', async () => {
    const clock = new ManualClock();
    let p = openProfile(tmp.dir, await openKeyFileBox(tmp.dir), clock);
    const bob = 'b'.repeat(32);
    p.conversations.ensureDirect(bob, 'Bob');
    p.messages.insertIncoming({ conversationId: `d:${bob}`, senderUserId: bob, senderDeviceId: 'd', clientMsgId: 'first-msg-1', senderClock: 1, body: { kind: 'text', text: 'restartable' } });
    p.drafts.set(`d:${bob}`, 'reply later', null, clock.now());
    p.secrets.putJson('identity', { seed: 'x' });
    p.close();

    p = openProfile(tmp.dir, await openKeyFileBox(tmp.dir), clock);
    expect(p.conversations.list()[0]).toMatchObject({ title: 'Bob', unreadCount: 1, hasDraft: true });
    expect(p.search('start')[0].snippet.map((s) => s.text).join('')).toBe('restartable');
    expect(p.secrets.getJson('identity')).toEqual({ seed: 'x' });
    p.close();
  });
});
