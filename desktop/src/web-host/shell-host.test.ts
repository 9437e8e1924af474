// The host's own logic (which page, bursts, intents) with the core's answers given as
// plain data: the core's side of notifications is covered by notifications.test.ts in a
// browser against real cores; here a burst must be exact, which a relay cannot make.
import type { Conversation, Message, MessengerApi, MessengerEvent, Settings, ShellHostFrame } from '@parley/common/api/index';
import { describe, expect, it } from 'vitest';
import { WebShellHost } from './shell-host.ts';

const settings = { notificationPrivacy: 'name_and_message', notificationsMuted: false } as Settings;
const conv = (id: string): Conversation =>
  ({ id, kind: 'direct', title: id, peerUserId: null, unreadCount: 1, lastMessage: null, typing: [], presence: null, pinned: false, muted: false, archived: false, hasDraft: false, updatedAt: 0 }) as Conversation;
const msg = (conversationId: string, text: string): Message =>
  ({ id: `${text}`, conversationId, senderUserId: 'b'.repeat(32), senderName: 'Bob', senderDeviceId: 'd', outgoing: false, body: { kind: 'text', text }, replyTo: null, sentAt: 1, receivedAt: 1, status: 'delivered', receipts: [], reactions: [], cursor: 'x' }) as Message;

function host() {
  let emit: (e: MessengerEvent) => void = () => undefined;
  let reads = 0;
  const api = {
    subscribe: (l: (e: MessengerEvent) => void) => ((emit = l), () => undefined),
    getSettings: async () => (reads++, settings),
    listConversations: async () => [conv('d:bob'), conv('d:eve')],
    listContacts: async () => [],
  } as unknown as MessengerApi;
  const shell = new WebShellHost(api);
  const page = (frames: ShellHostFrame[]) => ({ send: (f: ShellHostFrame) => void frames.push(f) });
  return { shell, page, emit: (m: Message) => emit({ type: 'message.added', message: m }), reads: () => reads };
}

const bodies = (frames: ShellHostFrame[]) => frames.flatMap((f) => (f.type === 'notify' ? [`${f.notification.tag} ${f.notification.body}`] : []));

describe('web shell host', () => {
  it('decides a burst in one batch and sends only the newest notification per conversation', async () => {
    const { shell, page, emit, reads } = host();
    const frames: ShellHostFrame[] = [];
    shell.attach(page(frames));
    emit(msg('d:bob', 'one'));
    emit(msg('d:bob', 'two'));
    emit(msg('d:eve', 'three'));
    emit(msg('d:bob', 'four'));
    await expect.poll(() => bodies(frames)).toEqual(['parley:d:bob one', 'parley:d:eve three', 'parley:d:bob four']);
    // The first message is decided alone; the three that arrived meanwhile together.
    expect(reads()).toBe(2);
  });

  it('sends a notification to the focused page, else the one that reported last', async () => {
    const { shell, page, emit } = host();
    const a: ShellHostFrame[] = [];
    const b: ShellHostFrame[] = [];
    const pa = page(a);
    const pb = page(b);
    shell.attach(pa);
    shell.attach(pb);
    shell.receive(pa, { t: 'shell', type: 'state', openConversationId: null, focused: true });
    shell.receive(pb, { t: 'shell', type: 'state', openConversationId: null, focused: false });
    emit(msg('d:bob', 'to a'));
    await expect.poll(() => bodies(a)).toEqual(['parley:d:bob to a']);
    shell.receive(pa, { t: 'shell', type: 'state', openConversationId: null, focused: false });
    emit(msg('d:bob', 'to a again'));
    await expect.poll(() => bodies(a)).toHaveLength(2);
    shell.receive(pb, { t: 'shell', type: 'ready' });
    emit(msg('d:bob', 'to b'));
    await expect.poll(() => bodies(b)).toEqual(['parley:d:bob to b']);
    expect(bodies(a)).toHaveLength(2);
  });
});
