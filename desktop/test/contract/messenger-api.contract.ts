// One MessengerApi contract, run over every transport the UI can sit behind: the engine
// in-process (direct), the web host's WebSocket (api-dispatch.ts + the renderer's
// connectWebHost) and Electron's preload → IPC → main path (simulated, see
// electron-sim.ts). Each transport file opens two clients, Alice and Bob, each backed by a
// real Messenger on a real profile against one real relay on loopback; the suite then
// checks, through the client only, what the UI depends on: results are plain JSON
// identical to what the engine answers, events arrive through subscribe in order, errors
// keep their stable code, calls never cross or hang.
//
// The tests run in order and build on each other like one session of two users (accounts,
// then contacts, then messages …); that keeps one relay and two profiles per file and the
// whole suite well under a minute.
import {
  MESSENGER_API_METHODS,
  type Account,
  type Message,
  type MessengerApi,
  type MessengerEvent,
  type MessengerMethod,
} from '@parley/common/api/index';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Messenger } from '../../src/core/messenger.ts';
import { eventually, startTestRelay, type TestRelay } from '../support/harness.ts';
import { EventLog, expectPlainJson, randomUserId, rejection, within } from './contract-support.ts';

export interface ContractClients {
  alice: MessengerApi;
  bob: MessengerApi;
  /** The engines behind the two clients: what the direct transport answers is the reference. */
  engines: { alice: Messenger; bob: Messenger };
  /**
   * Alice's boundary reached past the client's own early checks (the preload validates
   * before IPC; a page that skipped it could still invoke the channel): the main-side check
   * must hold on its own. Absent when the client checks nothing itself (web host).
   */
  rawAlice?: (method: string, params: unknown) => Promise<unknown>;
  close(): Promise<void>;
}

export interface ContractOptions {
  /**
   * True for a transport that carries calls from a page the engine does not trust (the web
   * host, the preload): it must validate every call against params.ts and refuse names that
   * are not MessengerApi methods. The direct transport is the trusted in-process caller
   * (CLI, tests) whose parameters TypeScript types; by design nothing re-validates them at
   * run time, so the validation group is registered for boundaries only.
   */
  boundary: boolean;
}

/** How far a message status has come; a status event never goes back. */
const RANK = { pending: 0, sent: 1, delivered: 2, read: 3, failed: -1 } as const;

export function runMessengerApiContract(name: string, open: (relay: TestRelay) => Promise<ContractClients>, options: ContractOptions): void {
  describe(`MessengerApi contract: ${name}`, () => {
    let relay: TestRelay;
    let c: ContractClients;
    let alice: MessengerApi;
    let bob: MessengerApi;
    let aliceLog: EventLog;
    let bobLog: EventLog;
    let me: { alice: Account; bob: Account };
    let direct: string; // Alice's conversation with Bob
    let toAlice: string; // Bob's conversation with Alice
    let paged: Message[] = [];
    let groupId = ''; // the group Alice made (she is a member, Bob left it)
    let cancelledCode = ''; // a link code Alice showed and cancelled before she had an account

    beforeAll(async () => {
      relay = await startTestRelay();
      c = await open(relay);
      ({ alice, bob } = c);
      aliceLog = new EventLog(alice);
      bobLog = new EventLog(bob);
    });
    afterAll(async () => {
      aliceLog?.off();
      bobLog?.off();
      await c?.close();
      await relay?.dispose();
    });

    it('getAccount is null before onboarding; createAccount returns the account getAccount then answers', async () => {
      expect(await alice.getAccount({})).toBeNull();
      const relayUrl = `http://${relay.host}`;
      // A relay URL that is not http(s) or ws(s) is bad_params at every boundary and in the
      // engine alike (regression: ftp:// passed zod's url() and failed later as internal).
      for (const bad of [`ftp://${relay.host}`, 'file:///etc/passwd', 'javascript:alert(1)', 'http://']) {
        expect((await rejection(alice.createAccount({ displayName: 'Alice', relayUrl: bad }), `createAccount with ${bad}`)).code, bad).toBe('bad_params');
        expect((await rejection(alice.startDeviceLink({ deviceName: 'Laptop', relayUrl: bad }), `startDeviceLink with ${bad}`)).code, bad).toBe('bad_params');
      }
      expect(await alice.getAccount({})).toBeNull();
      // "I already have Parley", then Cancel: the code is given up (approved later below).
      const shown = await alice.startDeviceLink({ deviceName: 'Cancelled laptop', relayUrl });
      expectPlainJson(shown, 'startDeviceLink');
      expect(await alice.cancelDeviceLink({})).toBeUndefined();
      expect(await alice.cancelDeviceLink({}), 'nothing pending: still fine').toBeUndefined();
      cancelledCode = shown.code;
      const [a, b] = await Promise.all([alice.createAccount({ displayName: 'Alice', relayUrl }), bob.createAccount({ displayName: 'Bob', relayUrl })]);
      expectPlainJson(a, 'createAccount');
      expect(a).toMatchObject({ displayName: 'Alice', handle: null, relayUrl });
      expect(a.userId).toMatch(/^[a-z2-7]{32}$/);
      expect(await alice.getAccount({})).toStrictEqual(a);
      expect(await bob.getAccount({})).toStrictEqual(b);
      expect(await alice.getAccount({})).toStrictEqual(await c.engines.alice.getAccount());
      const again = await rejection(alice.createAccount({ displayName: 'Alice', relayUrl }), 'a second createAccount');
      expect(again.code).toBe('account_exists');
      me = { alice: a, bob: b };
      direct = `d:${b.userId}`;
      toAlice = `d:${a.userId}`;
      await eventually(async () => (await alice.getConnectionStatus({})).state === 'online' && (await bob.getConnectionStatus({})).state === 'online', 'both online');
      expectPlainJson(await alice.getConnectionStatus({}), 'getConnectionStatus');
    });

    it('invite links add each other as contacts both ways, with a conversation each', async () => {
      const invite = await alice.getInvite({});
      expectPlainJson(invite, 'getInvite');
      expect(invite.link).toMatch(/^parley:\/\/add\?/);
      const contact = await bob.addContactByInvite({ link: invite.link });
      expectPlainJson(contact, 'addContactByInvite');
      expect(contact).toMatchObject({ userId: me.alice.userId, displayName: 'Alice', verified: false, keyChangedAt: null });
      const back = await alice.addContactByInvite({ link: (await bob.getInvite({})).link });
      expect(back.userId).toBe(me.bob.userId);
      expect((await alice.listContacts({})).map((x) => x.userId)).toEqual([me.bob.userId]);
      expect(await bob.listContacts({})).toStrictEqual(await c.engines.bob.listContacts());
      await aliceLog.waitFor('conversation.updated for the new contact', (e) => e.type === 'conversation.updated' && e.conversation.id === direct);
      const conversations = await alice.listConversations({});
      expectPlainJson(conversations, 'listConversations');
      expect(conversations.find((x) => x.id === direct)).toMatchObject({ kind: 'direct', title: 'Bob', peerUserId: me.bob.userId });
      const safety = await alice.getSafetyNumber({ userId: me.bob.userId });
      expectPlainJson(safety, 'getSafetyNumber');
      expect(safety.digits).toBe((await bob.getSafetyNumber({ userId: me.alice.userId })).digits);
    });

    it('sendText returns the pending message as plain JSON; message.added, conversation.updated and message.status sent → delivered → read arrive in order', async () => {
      const from = aliceLog.events.length;
      const sent = await alice.sendText({ conversationId: direct, text: 'Hello Bob 👋' });
      expectPlainJson(sent, 'sendText');
      expect(sent).toMatchObject({ conversationId: direct, senderUserId: me.alice.userId, outgoing: true, body: { kind: 'text', text: 'Hello Bob 👋' }, replyTo: null, reactions: [] });
      expect(['pending', 'sent']).toContain(sent.status);

      const added = await aliceLog.waitFor('message.added', (e) => e.type === 'message.added' && e.message.id === sent.id, from);
      const updated = await aliceLog.waitFor('conversation.updated with it as last message', (e) => e.type === 'conversation.updated' && e.conversation.lastMessage?.id === sent.id, from);
      expect(added).toBeLessThan(updated);
      const addedEvent = aliceLog.events[added] as Extract<MessengerEvent, { type: 'message.added' }>;
      expect(addedEvent.message.id).toBe(sent.id);
      expect(addedEvent.message.body).toStrictEqual(sent.body);

      // Bob receives it; his delivery receipt moves it to delivered before he reads it.
      const incoming = await bobLog.waitFor('Bob: message.added', (e) => e.type === 'message.added' && e.message.id === sent.id);
      const got = (bobLog.events[incoming] as Extract<MessengerEvent, { type: 'message.added' }>).message;
      expect(got).toMatchObject({ outgoing: false, body: { kind: 'text', text: 'Hello Bob 👋' }, senderUserId: me.alice.userId });
      await bobLog.waitFor('Bob: unread conversation', (e) => e.type === 'conversation.updated' && e.conversation.id === toAlice && e.conversation.unreadCount === 1);
      await aliceLog.waitFor('delivered', (e) => e.type === 'message.status' && e.messageId === sent.id && e.status === 'delivered', from);

      await expect(bob.markRead({ conversationId: toAlice })).resolves.toBeUndefined();
      await aliceLog.waitFor('read', (e) => e.type === 'message.status' && e.messageId === sent.id && e.status === 'read', from);
      expect((await bob.listConversations({})).find((x) => x.id === toAlice)!.unreadCount).toBe(0);

      const statuses = aliceLog.events.slice(from).flatMap((e) => (e.type === 'message.status' && e.messageId === sent.id ? [e] : []));
      for (const e of statuses) expectPlainJson(e, 'message.status event');
      const ranks = statuses.map((e) => RANK[e.status]);
      expect(ranks, `statuses in order: ${statuses.map((e) => e.status).join(' → ')}`).toEqual([...ranks].sort((x, y) => x - y));
      expect(statuses.at(-1)!.status).toBe('read');
      expect(statuses.findIndex((e) => e.status === 'delivered')).toBeGreaterThan(-1);
      expect(aliceLog.index((e) => e.type === 'message.status' && e.messageId === sent.id, from)).toBeGreaterThan(added);
      for (const e of aliceLog.events.slice(from)) expectPlainJson(e, `event ${e.type}`);

      // Settled: the transport's history is exactly the engine's.
      const history = await alice.getHistory({ conversationId: direct });
      expectPlainJson(history, 'getHistory');
      expect(history).toStrictEqual(await c.engines.alice.getHistory({ conversationId: direct }));
      expect(history.messages.at(-1)).toMatchObject({ id: sent.id, status: 'read' });
    });

    it('unsubscribe stops events to that listener while the others keep theirs', async () => {
      const late: MessengerEvent[] = [];
      const off = bob.subscribe((e) => late.push(e));
      off();
      const from = bobLog.events.length;
      const sent = await alice.sendText({ conversationId: direct, text: 'are you there?' });
      await bobLog.waitFor('Bob still hears through his other listener', (e) => e.type === 'message.added' && e.message.id === sent.id, from);
      expect(late).toEqual([]);
    });

    it('a method declared void resolves to undefined, as in-process (regression: the web host and the IPC handler answered null)', async () => {
      expect(await alice.markRead({ conversationId: direct })).toBeUndefined();
      expect(await alice.setTyping({ conversationId: direct, typing: false })).toBeUndefined();
      expect(await c.engines.alice.markRead({ conversationId: direct })).toBeUndefined();
      // …while a method that answers null still answers null.
      expect(await alice.getDraft({ conversationId: `d:${randomUserId()}` })).toBeNull();
    });

    it('a listener that throws does not stop the other listeners, nor later events', async () => {
      // The transports report a broken listener on the console; keep the test output clean.
      const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      const seen: string[] = [];
      const offThrowing = bob.subscribe(() => {
        throw new Error('a broken listener');
      });
      const offSeen = bob.subscribe((e) => seen.push(e.type));
      try {
        const from = bobLog.events.length;
        const first = await alice.sendText({ conversationId: direct, text: 'one' });
        await bobLog.waitFor('first message', (e) => e.type === 'message.added' && e.message.id === first.id, from);
        const second = await alice.sendText({ conversationId: direct, text: 'two' });
        await bobLog.waitFor('second message', (e) => e.type === 'message.added' && e.message.id === second.id, from);
        expect(seen.filter((t) => t === 'message.added').length).toBe(2);
      } finally {
        offThrowing();
        offSeen();
        quiet.mockRestore();
      }
    });

    it('text at the length limit, with characters JSON and IPC must escape, arrives unchanged on both sides', async () => {
      const awkward = 'nul\u0000 line\u2028sep para\u2029 quote" back\\slash </script> 👩‍👩‍👧 עברית \uFEFF tab\t';
      const text = awkward + 'x'.repeat(64 * 1024 - awkward.length);
      expect(text.length).toBe(64 * 1024);
      const sent = await alice.sendText({ conversationId: direct, text });
      expect(sent.body).toStrictEqual({ kind: 'text', text });
      const got = await eventually(async () => (await bob.getHistory({ conversationId: toAlice, limit: 5 })).messages.find((m) => m.id === sent.id), 'Bob gets the long message');
      expect(got.body).toStrictEqual({ kind: 'text', text });
    });

    it('getHistory pages backwards and forwards with cursors, without gaps or overlaps', async () => {
      for (let i = 1; i <= 7; i++) await alice.sendText({ conversationId: direct, text: `page ${i} of seven` });
      const all = (await alice.getHistory({ conversationId: direct, limit: 500 })).messages;
      expect(all.length).toBeGreaterThanOrEqual(9);
      const pages: string[][] = [];
      let page = await alice.getHistory({ conversationId: direct, limit: 3 });
      expectPlainJson(page, 'a page');
      pages.unshift(page.messages.map((m) => m.id));
      while (page.hasMore) {
        page = await alice.getHistory({ conversationId: direct, limit: 3, before: page.messages[0].cursor });
        pages.unshift(page.messages.map((m) => m.id));
        expect(pages.length).toBeLessThan(10);
      }
      expect(pages.flat()).toEqual(all.map((m) => m.id));
      expect(pages.at(-1)).toEqual(all.slice(-3).map((m) => m.id));
      const after = await alice.getHistory({ conversationId: direct, after: all[0].cursor, limit: 3 });
      expect(after.messages.map((m) => m.id)).toEqual(all.slice(1, 4).map((m) => m.id));
      expect(after.hasMore).toBe(true);
      const tail = await alice.getHistory({ conversationId: direct, after: all.at(-2)!.cursor });
      expect(tail).toMatchObject({ hasMore: false });
      expect(tail.messages.map((m) => m.id)).toEqual([all.at(-1)!.id]);
      paged = all;
      // Bob gets all of them; reading up to one message leaves the rest unread.
      await eventually(async () => (await bob.getHistory({ conversationId: toAlice, limit: 500 })).messages.length === all.length, 'Bob has every message');
      await bob.markRead({ conversationId: toAlice, upTo: all.at(-3)!.id });
      expect((await bob.listConversations({})).find((x) => x.id === toAlice)!.unreadCount).toBe(2);
      await bob.markRead({ conversationId: toAlice });
      expect((await bob.listConversations({})).find((x) => x.id === toAlice)!.unreadCount).toBe(0);
    });

    it('drafts: null until set, then the saved draft, with draft.changed and hasDraft', async () => {
      expect(await alice.getDraft({ conversationId: direct })).toBeNull();
      const from = aliceLog.events.length;
      const draft = await alice.setDraft({ conversationId: direct, text: 'half a thought', replyTo: paged[1].id });
      expectPlainJson(draft, 'setDraft');
      expect(draft).toMatchObject({ conversationId: direct, text: 'half a thought', replyTo: paged[1].id });
      expect(await alice.getDraft({ conversationId: direct })).toStrictEqual(draft);
      await aliceLog.waitFor('draft.changed', (e) => e.type === 'draft.changed' && e.draft.text === 'half a thought', from);
      expect((await alice.listConversations({})).find((x) => x.id === direct)!.hasDraft).toBe(true);
      const plain = await alice.setDraft({ conversationId: direct, text: 'no reply' });
      expect(plain.replyTo).toBeNull();
    });

    it('search finds a fragment inside a word, with snippet parts and a cursor, as the engine does', async () => {
      const sent = await alice.sendText({ conversationId: direct, text: 'the zebrafish crossing' });
      const hits = await alice.search({ query: 'brafi' });
      expectPlainJson(hits, 'search');
      expect(hits.map((h) => h.messageId)).toEqual([sent.id]);
      expect(hits[0]).toMatchObject({ conversationId: direct, senderUserId: me.alice.userId, conversationTitle: 'Bob' });
      expect(hits[0].snippet.map((p) => p.text).join('')).toContain('zebrafish');
      expect(hits[0].snippet.some((p) => p.match && /brafi/i.test(p.text))).toBe(true);
      expect(await alice.search({ query: 'brafi', conversationId: direct, limit: 5 })).toStrictEqual(await c.engines.alice.search({ query: 'brafi', conversationId: direct, limit: 5 }));
      expect(await alice.search({ query: 'nothing like this' })).toEqual([]);
    });

    it('settings round trip', async () => {
      const before = await alice.getSettings({});
      expectPlainJson(before, 'getSettings');
      const changed = await alice.updateSettings({ theme: 'dark', notificationPrivacy: 'count', typingIndicators: false });
      expectPlainJson(changed, 'updateSettings');
      expect(changed).toStrictEqual({ ...before, theme: 'dark', notificationPrivacy: 'count', typingIndicators: false });
      expect(await alice.getSettings({})).toStrictEqual(changed);
      expect(await alice.updateSettings(before)).toStrictEqual(before);
    });

    it('setConversationFlags and setTyping', async () => {
      const pinned = await alice.setConversationFlags({ conversationId: direct, pinned: true });
      expectPlainJson(pinned, 'setConversationFlags');
      expect(pinned).toMatchObject({ id: direct, pinned: true, muted: false, archived: false });
      expect((await alice.setConversationFlags({ conversationId: direct, pinned: false })).pinned).toBe(false);
      const from = bobLog.events.length;
      await expect(alice.setTyping({ conversationId: direct, typing: true })).resolves.toBeUndefined();
      await bobLog.waitFor('typing', (e) => e.type === 'typing' && e.userId === me.alice.userId && e.typing, from);
      await alice.setTyping({ conversationId: direct, typing: false });
      await bobLog.waitFor('typing stops', (e) => e.type === 'typing' && e.userId === me.alice.userId && !e.typing, from);
    });

    it('groups: create, rename, and the member sees the new name', async () => {
      const group = await alice.createGroup({ name: 'Trip', members: [me.bob.userId] });
      groupId = group.id;
      expectPlainJson(group, 'createGroup');
      expect(group).toMatchObject({ kind: 'group', title: 'Trip', peerUserId: null });
      expect(group.id).toMatch(/^g:/);
      const info = await alice.getGroup({ conversationId: group.id });
      expectPlainJson(info, 'getGroup');
      expect(info).toMatchObject({ conversationId: group.id, name: 'Trip', canAdmin: true, left: false });
      expect(info.members.map((m) => m.userId).sort()).toEqual([me.alice.userId, me.bob.userId].sort());
      const renamed = await alice.renameGroup({ conversationId: group.id, name: 'Trip 2026' });
      expectPlainJson(renamed, 'renameGroup');
      expect(renamed.name).toBe('Trip 2026');
      await bobLog.waitFor('Bob sees the group renamed', (e) => e.type === 'conversation.updated' && e.conversation.id === group.id && e.conversation.title === 'Trip 2026');
      expect(await bob.getGroup({ conversationId: group.id })).toMatchObject({ name: 'Trip 2026', canAdmin: false });
      const hello = await alice.sendText({ conversationId: group.id, text: 'packing list?' });
      await bobLog.waitFor('Bob gets the group message', (e) => e.type === 'message.added' && e.message.id === hello.id);

      const promoted = await alice.setGroupRole({ conversationId: group.id, userId: me.bob.userId, role: 'admin' });
      expectPlainJson(promoted, 'setGroupRole');
      expect(promoted.members.find((m) => m.userId === me.bob.userId)!.role).toBe('admin');
      await eventually(async () => (await bob.getGroup({ conversationId: group.id })).canAdmin, 'Bob becomes an admin');
      const removed = await bob.removeGroupMember({ conversationId: group.id, userId: me.alice.userId });
      expectPlainJson(removed, 'removeGroupMember');
      expect(removed.members.map((m) => m.userId)).toEqual([me.bob.userId]);
      await eventually(async () => (await alice.getGroup({ conversationId: group.id })).left, 'Alice sees she was removed');
      const back = await bob.addGroupMembers({ conversationId: group.id, userIds: [me.alice.userId] });
      expectPlainJson(back, 'addGroupMembers');
      expect(back.members.map((m) => m.userId).sort()).toEqual([me.alice.userId, me.bob.userId].sort());
      await eventually(async () => !(await alice.getGroup({ conversationId: group.id })).left, 'Alice is back');
      expect(await bob.leaveGroup({ conversationId: group.id })).toBeUndefined();
      expect(await bob.getGroup({ conversationId: group.id })).toMatchObject({ left: true });
      await eventually(async () => (await alice.getGroup({ conversationId: group.id })).members.length === 1, 'Alice sees Bob leave');
    });

    it('a link code cancelled on the new device cannot be approved later: link_expired, no device added', async () => {
      const request = await bob.inspectLinkCode({ code: cancelledCode });
      expect(request.deviceName).toBe('Cancelled laptop');
      expect((await rejection(bob.approveLink({ requestId: request.requestId }), 'approveLink of a cancelled code')).code).toBe('link_expired');
      expect((await bob.listDevices({})).map((d) => d.id)).toEqual([me.bob.deviceId]);
      expect(await alice.getAccount({})).toStrictEqual(me.alice);
      expect(await alice.cancelDeviceLink({}), 'with an account and nothing pending').toBeUndefined();
    });

    it('devices and verification: one current device; a contact marked verified stays verified', async () => {
      const devices = await alice.listDevices({});
      expectPlainJson(devices, 'listDevices');
      expect(devices).toEqual([expect.objectContaining({ id: me.alice.deviceId, current: true })]);
      const verified = await alice.setContactVerified({ userId: me.bob.userId, verified: true });
      expectPlainJson(verified, 'setContactVerified');
      expect(verified).toMatchObject({ userId: me.bob.userId, verified: true });
      expect((await alice.getSafetyNumber({ userId: me.bob.userId })).verified).toBe(true);
      expect((await alice.setContactVerified({ userId: me.bob.userId, verified: false })).verified).toBe(false);
    });

    it('react adds and removes a reaction, and the other side gets message.updated', async () => {
      const target = paged[2];
      const reacted = await alice.react({ messageId: target.id, emoji: '🎉' });
      expectPlainJson(reacted, 'react');
      expect(reacted.reactions).toEqual([{ emoji: '🎉', userIds: [me.alice.userId] }]);
      await bobLog.waitFor('Bob sees the reaction', (e) => e.type === 'message.updated' && e.message.id === target.id && e.message.reactions.some((r) => r.emoji === '🎉'));
      const removed = await alice.react({ messageId: target.id, emoji: null });
      expect(removed.reactions).toEqual([]);
      await bobLog.waitFor('Bob sees it removed', (e) => e.type === 'message.updated' && e.message.id === target.id && e.message.reactions.length === 0);
    });

    it('attachments: sendAttachment with data, the other side downloads it and reads the bytes back', async () => {
      const bytes = randomBytes(3000);
      const sent = await alice.sendAttachment({ conversationId: direct, name: 'notes.bin', mime: 'application/octet-stream', data: bytes.toString('base64url'), caption: 'the file' });
      expectPlainJson(sent, 'sendAttachment');
      expect(sent.body).toMatchObject({ kind: 'attachment', text: 'the file', attachment: { name: 'notes.bin', size: 3000, state: 'downloaded', thumbnail: null } });
      const remote = await eventually(async () => (await bob.getHistory({ conversationId: toAlice })).messages.find((m) => m.id === sent.id), 'Bob gets the attachment message');
      expect(remote.body).toMatchObject({ kind: 'attachment', attachment: { size: 3000, state: 'remote' } });
      expect(await rejection(bob.readAttachment({ messageId: sent.id }), 'readAttachment before the download')).toMatchObject({ code: 'attachment_not_downloaded' });
      const done = await bob.downloadAttachment({ messageId: sent.id });
      expectPlainJson(done, 'downloadAttachment');
      expect(done.body).toMatchObject({ kind: 'attachment', attachment: { name: 'notes.bin', size: 3000, state: 'downloaded' } });
      const read = await bob.readAttachment({ messageId: sent.id });
      expectPlainJson(read, 'readAttachment');
      expect(read).toEqual({ name: 'notes.bin', mime: 'application/octet-stream', size: 3000, offset: 0, data: bytes.toString('base64url') });
      // A part of it, and an offset past the end refused with its code, across the transport.
      expect(await bob.readAttachment({ messageId: sent.id, offset: 1000, length: 500 })).toEqual({ name: 'notes.bin', mime: 'application/octet-stream', size: 3000, offset: 1000, data: bytes.subarray(1000, 1500).toString('base64url') });
      expect(await rejection(bob.readAttachment({ messageId: sent.id, offset: 3000 }), 'readAttachment past the end')).toMatchObject({ code: 'bad_params' });
      expect(await rejection(bob.readAttachment({ messageId: sent.id, offset: -1 }), 'readAttachment at a negative offset')).toMatchObject({ code: 'bad_params' });
    });

    it('an engine error keeps its code and sentence across the transport', async () => {
      const unknown = randomUserId();
      const cases: Array<[string, (api: MessengerApi) => Promise<unknown>]> = [
        ['getSafetyNumber of a stranger', (api) => api.getSafetyNumber({ userId: unknown })],
        ['setContactVerified of a stranger', (api) => api.setContactVerified({ userId: unknown, verified: true })],
        ['getGroup of no group', (api) => api.getGroup({ conversationId: 'g:nosuchgroup' })],
        ['renameGroup of a direct conversation', (api) => api.renameGroup({ conversationId: direct, name: 'x' })],
        ['setConversationFlags of no conversation', (api) => api.setConversationFlags({ conversationId: `d:${unknown}`, muted: true })],
        ['a second createAccount', (api) => api.createAccount({ displayName: 'Again', relayUrl: `http://${relay.host}` })],
        ['addContactByInvite of garbage', (api) => api.addContactByInvite({ link: 'parley://add?u=nope' })],
        ['addContactByInvite of ones own link', async (api) => api.addContactByInvite({ link: (await api.getInvite({})).link })],
        ['startDeviceLink on a profile with an account', (api) => api.startDeviceLink({ deviceName: 'Laptop', relayUrl: `http://${relay.host}` })],
        ['inspectLinkCode of garbage', (api) => api.inspectLinkCode({ code: 'not a code' })],
        ['approveLink of no request', (api) => api.approveLink({ requestId: 'nope' })],
        ['unlinkDevice of no device', (api) => api.unlinkDevice({ deviceId: 'abcdefghijklmnop' })],
        ['react to no message', (api) => api.react({ messageId: `${unknown}:abcdefgh`, emoji: '👍' })],
        ['downloadAttachment of a text message', (api) => api.downloadAttachment({ messageId: paged[0].id })],
        ['markRead of no conversation', (api) => api.markRead({ conversationId: `d:${unknown}` })],
        ['sendText to no group', (api) => api.sendText({ conversationId: 'g:nosuchgroup', text: 'x' })],
        ['leaveGroup of no group', (api) => api.leaveGroup({ conversationId: 'g:nosuchgroup' })],
        ['getHistory with a cursor that is not one', (api) => api.getHistory({ conversationId: direct, before: 'not-a-cursor' })],
      ];
      for (const [what, run] of cases) {
        const viaEngine = await rejection(run(c.engines.alice), `${what} (engine)`);
        const viaTransport = await rejection(run(alice), what);
        expect(viaTransport, what).toStrictEqual(viaEngine);
        expect(viaTransport.code, what).not.toBe('internal');
      }
    });

    it('a call naming nothing (or out of reach) is refused with a stable code and changes nothing', async () => {
      const stranger = randomUserId();
      const groupMessage = (await alice.getHistory({ conversationId: groupId, limit: 1 })).messages[0];
      expect(groupMessage, 'the group has a message').toBeDefined();
      // What the user can see: the conversation list, contacts, settings, drafts and history.
      const state = async () => ({
        conversations: (await alice.listConversations({ includeArchived: true })).map((x) => ({ id: x.id, title: x.title, last: x.lastMessage?.id ?? null, unread: x.unreadCount, draft: x.hasDraft, flags: [x.pinned, x.muted, x.archived] })),
        contacts: await alice.listContacts({}),
        settings: await alice.getSettings({}),
        drafts: [await alice.getDraft({ conversationId: direct }), await alice.getDraft({ conversationId: `d:${stranger}` })],
        history: (await alice.getHistory({ conversationId: direct, limit: 500 })).messages.map((m) => m.id),
        group: await alice.getGroup({ conversationId: groupId }),
      });
      const before = await state();
      const cases: Array<[string, (api: MessengerApi) => Promise<unknown>, string]> = [
        ['openDirect of someone who is not a contact', (api) => api.openDirect({ userId: stranger }), 'not_found'],
        ['openDirect with oneself', (api) => api.openDirect({ userId: me.alice.userId }), 'not_found'],
        ['setDraft in no conversation', (api) => api.setDraft({ conversationId: `d:${stranger}`, text: 'lost words' }), 'not_found'],
        ['setDraft in no group', (api) => api.setDraft({ conversationId: 'g:nosuchgroup', text: 'lost words' }), 'not_found'],
        ['setDraft replying to a message of another conversation', (api) => api.setDraft({ conversationId: direct, text: 'x', replyTo: groupMessage.id }), 'not_found'],
        ['sendText replying to no message', (api) => api.sendText({ conversationId: direct, text: 'x', replyTo: `${stranger}:abcdefgh` }), 'not_found'],
        ['sendText replying to a message of another conversation', (api) => api.sendText({ conversationId: direct, text: 'x', replyTo: groupMessage.id }), 'not_found'],
        ['setTyping in no conversation', (api) => api.setTyping({ conversationId: `d:${stranger}`, typing: true }), 'not_found'],
        ['markRead up to a message of another conversation', (api) => api.markRead({ conversationId: direct, upTo: groupMessage.id }), 'not_found'],
        ['getSafetyNumber with oneself', (api) => api.getSafetyNumber({ userId: me.alice.userId }), 'not_found'],
        ['updateSettings with an ftp relay URL', (api) => api.updateSettings({ relayUrl: `ftp://${relay.host}` }), 'bad_params'],
        ['updateSettings with a javascript: relay URL', (api) => api.updateSettings({ relayUrl: 'javascript:alert(1)' }), 'bad_params'],
      ];
      for (const [what, run, code] of cases) {
        const viaTransport = await rejection(run(alice), what);
        expect(viaTransport.code, what).toBe(code);
        const viaEngine = await rejection(run(c.engines.alice), `${what} (engine)`);
        expect(viaEngine.code, `${what} (engine)`).toBe(code);
        // Same sentence, except where a boundary's schema refuses first (its sentence names the field).
        if (code !== 'bad_params') expect(viaTransport, what).toStrictEqual(viaEngine);
      }
      expect(await state()).toStrictEqual(before);
      expect(before.conversations.some((x) => x.id === `d:${stranger}`)).toBe(false);
      // …while openDirect of a contact still opens (and a relay URL of another form is fine).
      expect((await alice.openDirect({ userId: me.bob.userId })).id).toBe(direct);
      const s = await alice.getSettings({});
      expect((await alice.updateSettings({ relayUrl: s.relayUrl.replace(/^http/, 'ws') })).relayUrl).toBe(s.relayUrl.replace(/^http/, 'ws'));
      expect(await alice.updateSettings({ relayUrl: s.relayUrl })).toStrictEqual(s);
    });

    it('50 interleaved calls each resolve (or reject) with their own answer', async () => {
      const all = (await alice.getHistory({ conversationId: direct, limit: 500 })).messages;
      const strangers = Array.from({ length: 50 }, () => randomUserId());
      const calls = Array.from({ length: 50 }, (_, i) => {
        switch (i % 5) {
          case 0:
            return { expect: { count: 1 + (i % 4) }, run: alice.getHistory({ conversationId: direct, limit: 1 + (i % 4) }) };
          case 1:
            return { expect: { userId: me.bob.userId }, run: alice.getSafetyNumber({ userId: me.bob.userId }) };
          case 2:
            return { expect: { code: 'not_found' }, run: alice.getSafetyNumber({ userId: strangers[i] }) };
          case 3: {
            const k = i % (all.length - 1);
            return { expect: { first: all[k + 1].id }, run: alice.getHistory({ conversationId: direct, after: all[k].cursor, limit: 1 }) };
          }
          default:
            return { expect: { code: 'not_found', group: `g:nosuch${i}` }, run: alice.getGroup({ conversationId: `g:nosuch${i}` }) };
        }
      });
      const settled = await within(Promise.allSettled(calls.map((x) => x.run)), 20_000, '50 interleaved calls');
      settled.forEach((r, i) => {
        const want = calls[i].expect as { count?: number; userId?: string; code?: string; first?: string };
        if (want.code) {
          expect(r.status, `call ${i}`).toBe('rejected');
          expect((r as PromiseRejectedResult).reason, `call ${i}`).toMatchObject({ code: want.code });
          return;
        }
        expect(r.status, `call ${i}`).toBe('fulfilled');
        const v = (r as PromiseFulfilledResult<unknown>).value as { messages?: Message[]; userId?: string };
        if (want.count !== undefined) expect(v.messages!.length, `call ${i}`).toBe(want.count);
        if (want.userId) expect(v.userId, `call ${i}`).toBe(want.userId);
        if (want.first) expect(v.messages![0].id, `call ${i}`).toBe(want.first);
      });
    });

    it('every event either client received in this session was plain JSON', () => {
      const all = [...aliceLog.events, ...bobLog.events];
      for (const type of ['message.added', 'message.updated', 'message.status', 'conversation.updated', 'typing', 'draft.changed', 'connection']) {
        expect(all.some((e) => e.type === type), `saw a ${type} event`).toBe(true);
      }
      for (const e of all) expectPlainJson(e, `event ${e.type}`);
    });

    if (options.boundary) {
      it('bad parameters: bad_params naming the field (wrong type, unknown key, too long, missing), and nothing reaches the engine', async () => {
        const before = (await c.engines.alice.getHistory({ conversationId: direct, limit: 500 })).messages.length;
        const api = alice as unknown as Record<MessengerMethod, (p: unknown) => Promise<unknown>>;
        const cases: Array<[string, Promise<unknown>, string]> = [
          ['wrong type', api.sendText({ conversationId: 42, text: 'x' }), 'conversationId'],
          ['wrong type (boolean)', api.setContactVerified({ userId: me.bob.userId, verified: 'yes' }), 'verified'],
          ['unknown key', api.sendText({ conversationId: direct, text: 'x', sneaky: true }), 'sneaky'],
          ['unknown key on a method without parameters', api.getAccount({ userId: me.bob.userId }), 'userId'],
          ['too long', api.sendText({ conversationId: direct, text: 'x'.repeat(64 * 1024 + 1) }), 'text'],
          ['too long (name)', api.renameGroup({ conversationId: 'g:abc', name: 'n'.repeat(65) }), 'name'],
          ['missing', api.createGroup({ name: 'No members' }), 'members'],
          ['missing (all)', api.setDraft({}), 'conversationId'],
          ['out of range', api.getHistory({ conversationId: direct, limit: 501 }), 'limit'],
          ['not one of', api.updateSettings({ theme: 'neon' }), 'theme'],
        ];
        for (const [what, p, field] of cases) {
          const err = await rejection(p, what);
          expect(err.code, what).toBe('bad_params');
          expect(err.message, `${what} names ${field}`).toContain(field);
        }
        expect((await c.engines.alice.getHistory({ conversationId: direct, limit: 500 })).messages.length).toBe(before);
        expect((await c.engines.alice.getSettings()).theme).not.toBe('neon');
      });

      it('every method given garbage parameters answers a stable code at once (never a hang, never a stack)', async () => {
        const api = alice as unknown as Record<MessengerMethod, (p: unknown) => Promise<unknown>>;
        const garbage: unknown[] = [{ '\u0000': [1, { x: null }], constructor: 'x' }, 'a string', 42, [1, 2, 3], true];
        expect(MESSENGER_API_METHODS.length).toBeGreaterThan(30);
        for (const method of MESSENGER_API_METHODS) {
          expect(typeof api[method], method).toBe('function');
          for (const g of garbage) {
            const err = await within(rejection(api[method](g), `${method}(${JSON.stringify(g)})`), 5_000, method);
            expect(err.code, `${method}(${JSON.stringify(g)})`).toBe('bad_params');
            if (!c.rawAlice) continue;
            const raw = await within(rejection(c.rawAlice(method, g), `raw ${method}(${JSON.stringify(g)})`), 5_000, method);
            expect(raw.code, `raw ${method}(${JSON.stringify(g)})`).toBe('bad_params');
          }
        }
      });

      it('a page cannot make the engine read a file: sendAttachment with a path is refused, nothing is sent', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'parley-contract-secret-'));
        const secret = join(dir, 'id_ed25519');
        writeFileSync(secret, 'PRIVATE KEY');
        try {
          const before = (await c.engines.alice.getHistory({ conversationId: direct, limit: 500 })).messages.length;
          const params = { conversationId: direct, name: 'id_ed25519', mime: 'text/plain', path: secret };
          const err = await rejection(alice.sendAttachment(params), 'sendAttachment with a path');
          expect(err.code).toBe('bad_params');
          expect(err.message).toContain('path');
          if (c.rawAlice) expect(await rejection(c.rawAlice('sendAttachment', params), 'raw sendAttachment with a path')).toMatchObject({ code: 'bad_params' });
          expect((await c.engines.alice.getHistory({ conversationId: direct, limit: 500 })).messages.length).toBe(before);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('a name that is not a MessengerApi method is refused, including the engine methods kept off the API', async () => {
        const api = alice as unknown as Record<string, unknown>;
        const names = ['notAMethod', 'exportAccountForLink', 'joinAccount', 'close', 'emit', 'constructor', 'hasOwnProperty', '__proto__', 'subscribe'];
        for (const name of c.rawAlice ? names : []) {
          const err = await within(rejection(c.rawAlice!(name, {}), `raw ${name}`), 5_000, name);
          expect(err.code, name).toBe('bad_params');
        }
        for (const name of ['notAMethod', 'exportAccountForLink', 'joinAccount', 'close', 'emit', 'constructor', 'hasOwnProperty', '__proto__']) {
          const fn = api[name];
          // A plain object inherits Object.prototype's functions; calling those reaches nothing.
          if (typeof fn !== 'function' || fn === (Object.prototype as Record<string, unknown>)[name]) continue;
          const err = await within(rejection((fn as (p: unknown) => Promise<unknown>).call(alice, {}), name), 5_000, name);
          expect(err.code, name).toBe('bad_params');
          expect(err.message, name).toMatch(/unknown method/i);
        }
        expect(await alice.getAccount({})).toStrictEqual(me.alice);
      });
    }
  });
}
