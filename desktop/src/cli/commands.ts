// The `parley` commands: each opens the engine on the profile, calls MessengerApi, and
// returns what to print (the API's own records for --json, lines for people).
import { hostname, userInfo } from 'node:os';
import type { Conversation, Message, MessageStatus, MessengerEvent } from '@parley/common/api/index';
import type { Messenger } from '../core/messenger.ts';
import { intOption, stringOption, type OptionSpec, type ParsedArgs } from './args.ts';
import { CliError, describeError, usageError } from './errors.ts';
import { callListener, listenerRunning, serveListenerSocket } from './listener-socket.ts';
import { contactLine, conversationLine, messageLine, searchLine, type Names } from './format.ts';
import { openMessenger, requireAccount } from './session.ts';

export interface CommandContext {
  profileDir: string;
  json: boolean;
  tty: boolean;
  /** One line (text) or one record (json) on stdout. */
  print(line: string): void;
  /** Progress and status for people, on stderr (never in --json output). */
  note(line: string): void;
}

/** What a command prints when it finishes: `json` under --json, `text` otherwise. */
export interface CommandResult {
  json: unknown;
  text: string[];
}

export interface Command {
  usage: string;
  summary: string;
  details?: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments: exact count, or a minimum with `rest`. */
  args: { min: number; max: number };
  run(ctx: CommandContext, args: ParsedArgs): Promise<CommandResult | void>;
}

async function withMessenger<T>(ctx: CommandContext, online: boolean, fn: (m: Messenger) => Promise<T>, create = false): Promise<T> {
  const m = await openMessenger(ctx.profileDir, { online, create });
  try {
    return await fn(m);
  } finally {
    await m.close();
  }
}

async function namesOf(m: Messenger): Promise<Names> {
  const names: Names = new Map((await m.listContacts()).map((c) => [c.userId, c.displayName]));
  const me = await m.getAccount();
  if (me) names.set(me.userId, 'me');
  return names;
}

const USER_ID = /^[a-z2-7]{32}$/;
const CONVERSATION_ID = /^(d|g):[A-Za-z0-9_-]{1,64}$/;

/**
 * A conversation named the ways people and scripts name one: its id (`d:…`, `g:…`), a
 * contact's user id, `@handle`, or a contact's or conversation's name (case-insensitive).
 */
async function resolveConversation(m: Messenger, target: string): Promise<{ id: string; title: string; peer: string | null }> {
  if (CONVERSATION_ID.test(target)) return { id: target, title: target, peer: target.startsWith('d:') ? target.slice(2) : null };
  if (USER_ID.test(target)) return { id: `d:${target}`, title: target, peer: target };
  const contacts = await m.listContacts();
  const wanted = target.replace(/^@/, '').toLowerCase();
  const byHandle = target.startsWith('@') ? contacts.filter((c) => c.handle?.toLowerCase() === wanted) : [];
  const byName = contacts.filter((c) => c.displayName.toLowerCase() === wanted);
  const people = byHandle.length ? byHandle : byName;
  if (people.length === 1) return { id: `d:${people[0].userId}`, title: people[0].displayName, peer: people[0].userId };
  const convs = people.length ? [] : (await m.listConversations({ includeArchived: true })).filter((c) => c.title.toLowerCase() === wanted);
  if (convs.length === 1) return { id: convs[0].id, title: convs[0].title, peer: convs[0].peerUserId };
  if (people.length > 1 || convs.length > 1) {
    const ids = people.length ? people.map((c) => c.userId) : convs.map((c) => c.id);
    throw new CliError('ambiguous', `"${target}" names more than one contact or conversation; use an id instead: ${ids.join(', ')}.`);
  }
  throw new CliError('not_found', `No contact or conversation is called "${target}"; see \`parley contacts\` and \`parley conversations\`.`);
}

async function resolveContact(m: Messenger, target: string): Promise<string> {
  const r = await resolveConversation(m, target);
  if (!r.peer) throw new CliError('not_found', `"${target}" is a group, not a contact.`);
  return r.peer;
}

const json: OptionSpec = { value: false, help: 'print JSON (NDJSON for listen) for scripts' };
const common = { json };

export const COMMANDS: Record<string, Command> = {
  init: {
    usage: 'init --relay URL [--name "Display name"] [--handle h]',
    summary: 'create an account on this profile',
    details: 'Generates the account and device keys, registers the device on the relay, and keeps everything in the profile directory (secrets sealed under <profile>/secret.key, mode 0600).',
    options: {
      ...common,
      relay: { value: true, placeholder: 'URL', help: 'relay address, e.g. https://relay.example.org or http://127.0.0.1:8787' },
      name: { value: true, placeholder: 'NAME', help: 'display name shown to contacts (default: your login name)' },
      handle: { value: true, placeholder: 'HANDLE', help: 'register @handle on the relay (3-32 of a-z 0-9 _)' },
    },
    args: { min: 0, max: 0 },
    async run(ctx, a) {
      const relayUrl = stringOption(a, 'relay');
      if (!relayUrl) throw usageError('init needs --relay URL.');
      const handle = stringOption(a, 'handle')?.replace(/^@/, '');
      const displayName = stringOption(a, 'name') ?? handle ?? safeLoginName();
      const account = await withMessenger(ctx, false, (m) => m.createAccount({ relayUrl, displayName, ...(handle ? { handle } : {}) }), true);
      return {
        json: account,
        text: [`Created ${account.displayName}${account.handle ? ` (@${account.handle})` : ''} on ${account.relayUrl}`, `user id ${account.userId}`, `profile ${ctx.profileDir}`],
      };
    },
  },
  invite: {
    usage: 'invite',
    summary: 'print your invite link and its QR payload',
    details: 'Give the link to a contact; they run `parley add <link>`. The QR payload is the same link, for rendering as a QR code.',
    options: { ...common },
    args: { min: 0, max: 0 },
    async run(ctx) {
      const invite = await withMessenger(ctx, false, async (m) => {
        await requireAccount(m, ctx.profileDir);
        return m.getInvite();
      });
      return { json: invite, text: [invite.link, `QR payload: ${invite.qrPayload}`] };
    },
  },
  add: {
    usage: 'add <invite-link> [--name NAME]',
    summary: 'add a contact from their parley:// invite link',
    options: { ...common, name: { value: true, placeholder: 'NAME', help: 'your name for the contact (default: the name in the link)' } },
    args: { min: 1, max: 1 },
    async run(ctx, a) {
      const name = stringOption(a, 'name');
      const contact = await withMessenger(ctx, false, async (m) => {
        await requireAccount(m, ctx.profileDir);
        return m.addContactByInvite({ link: a.positionals[0], ...(name ? { displayName: name } : {}) });
      });
      return { json: contact, text: [`Added ${contactLine(contact)}`, `Compare safety numbers with \`parley safety-number ${contact.userId}\`.`] };
    },
  },
  contacts: {
    usage: 'contacts',
    summary: 'list contacts',
    options: { ...common },
    args: { min: 0, max: 0 },
    async run(ctx) {
      const contacts = await withMessenger(ctx, false, async (m) => {
        await requireAccount(m, ctx.profileDir);
        return m.listContacts();
      });
      return { json: contacts, text: contacts.length ? contacts.map(contactLine) : ['No contacts yet; add one with `parley add <invite-link>`.'] };
    },
  },
  send: {
    usage: 'send <contact|conversation> <text…> [--timeout SECONDS]',
    summary: 'send a message and wait until the relay has stored it',
    details:
      'The contact is a name, @handle, user id or conversation id. Exits 0 once the relay acknowledged the message (status sent), 1 otherwise; a message not acknowledged in time stays queued in the profile and goes out on the next `send` or `listen`. While `parley listen` runs on the same profile, the message goes out through it (the relay keeps one connection per device).',
    options: { ...common, timeout: { value: true, placeholder: 'SECONDS', help: 'how long to wait for the relay (default 30)' } },
    args: { min: 2, max: Infinity },
    async run(ctx, a) {
      const timeoutMs = (intOption(a, 'timeout', { min: 1, max: 3600 }) ?? 30) * 1000;
      const text = a.positionals.slice(1).join(' ');
      const target = await withMessenger(ctx, false, async (m) => {
        await requireAccount(m, ctx.profileDir);
        return resolveConversation(m, a.positionals[0]);
      });
      // A running `parley listen` holds the relay connection: hand the message to it.
      const reply = await callListener(ctx.profileDir, { op: 'send', conversationId: target.id, text, timeoutMs });
      if (reply && !reply.ok) throw new CliError(reply.error.code, reply.error.message);
      const sent = reply ? (reply.value as Message) : await withMessenger(ctx, true, (m) => sendAndWait(m, target.id, text, timeoutMs));
      return { json: sent, text: [`${sent.status}: ${messageLine(sent, new Map())}`] };
    },
  },
  listen: {
    usage: 'listen [--json]',
    summary: 'stay connected and print incoming messages until Ctrl+C',
    details:
      'Text mode prints one line per message. With --json every engine event is one JSON line (NDJSON): {"type":"message.added","message":{…}}, "message.status", "conversation.updated", "connection", "key.changed", "typing", "presence".',
    options: { ...common },
    args: { min: 0, max: 0 },
    async run(ctx) {
      if (await listenerRunning(ctx.profileDir)) {
        throw new CliError('profile_busy', `Another \`parley listen\` is running on ${ctx.profileDir}; the relay keeps one connection per device, so stop that one first.`);
      }
      const m = await openMessenger(ctx.profileDir, { online: true });
      try {
        await requireAccount(m, ctx.profileDir);
      } catch (err) {
        await m.close();
        throw err;
      }
      const names = await namesOf(m);
      const titles = new Map<string, string>((await m.listConversations({ includeArchived: true })).map((c) => [c.id, c.title]));
      m.subscribe((e) => {
        if (ctx.json) return ctx.print(JSON.stringify(e));
        if (e.type === 'conversation.updated') titles.set(e.conversation.id, e.conversation.title);
        else if (e.type === 'message.added' && !e.message.outgoing) ctx.print(messageLine(e.message, names, { conversation: titles.get(e.message.conversationId) ?? e.message.conversationId }));
        else if (e.type === 'connection') ctx.note(`connection: ${e.status.state}${e.status.lastError ? ` (${e.status.lastError})` : ''}`);
        else if (e.type === 'key.changed') ctx.print(`WARNING: the keys of ${names.get(e.userId) ?? e.userId} changed; compare safety numbers again.`);
      });
      const server = await serveListenerSocket(ctx.profileDir, async (req) => {
        try {
          return { ok: true, value: await sendAndWait(m, req.conversationId, req.text, req.timeoutMs) };
        } catch (err) {
          const { code, message } = describeError(err);
          return { ok: false, error: { code, message } };
        }
      });
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await new Promise((r) => (server ? server.close(r) : r(undefined))); // also removes the socket file
      await m.close();
    },
  },
  conversations: {
    usage: 'conversations [--archived]',
    summary: 'list conversations with unread counts',
    options: { ...common, archived: { value: false, help: 'include archived conversations' } },
    args: { min: 0, max: 0 },
    async run(ctx, a) {
      const list: Conversation[] = await withMessenger(ctx, false, async (m) => {
        await requireAccount(m, ctx.profileDir);
        return m.listConversations({ includeArchived: a.options.has('archived') });
      });
      return { json: list, text: list.length ? list.map(conversationLine) : ['No conversations yet.'] };
    },
  },
  history: {
    usage: 'history <contact|conversation> [--limit N]',
    summary: 'print the latest messages of a conversation, oldest first',
    options: { ...common, limit: { value: true, placeholder: 'N', help: 'how many messages (1-500, default 50)' } },
    args: { min: 1, max: 1 },
    async run(ctx, a) {
      const limit = intOption(a, 'limit', { min: 1, max: 500 }) ?? 50;
      return withMessenger(ctx, false, async (m) => {
        await requireAccount(m, ctx.profileDir);
        const target = await resolveConversation(m, a.positionals[0]);
        const page = await m.getHistory({ conversationId: target.id, limit });
        const names = await namesOf(m);
        return { json: page, text: page.messages.length ? page.messages.map((x) => messageLine(x, names)) : ['No messages.'] };
      });
    },
  },
  search: {
    usage: 'search <text…> [--in CONVERSATION] [--limit N]',
    summary: 'search all messages (fragments inside words match too) and print snippets',
    options: {
      ...common,
      in: { value: true, placeholder: 'CONVERSATION', help: 'only this contact or conversation' },
      limit: { value: true, placeholder: 'N', help: 'how many hits (1-200, default 50)' },
    },
    args: { min: 1, max: Infinity },
    async run(ctx, a) {
      const query = a.positionals.join(' ');
      const limit = intOption(a, 'limit', { min: 1, max: 200 });
      const within = stringOption(a, 'in');
      return withMessenger(ctx, false, async (m) => {
        await requireAccount(m, ctx.profileDir);
        const conversationId = within ? (await resolveConversation(m, within)).id : undefined;
        const hits = await m.search({ query, ...(conversationId ? { conversationId } : {}), ...(limit ? { limit } : {}) });
        const names = await namesOf(m);
        return { json: hits, text: hits.length ? hits.map((h) => searchLine(h, names, ctx.tty)) : ['No matches.'] };
      });
    },
  },
  'safety-number': {
    usage: 'safety-number <contact>',
    summary: "print the 60-digit safety number to compare with a contact's",
    options: { ...common },
    args: { min: 1, max: 1 },
    async run(ctx, a) {
      return withMessenger(ctx, false, async (m) => {
        await requireAccount(m, ctx.profileDir);
        const sn = await m.getSafetyNumber({ userId: await resolveContact(m, a.positionals[0]) });
        return { json: sn, text: [sn.digits, sn.verified ? 'verified' : 'not verified yet: compare it with your contact in person or on a call'] };
      });
    },
  },
};

/** Sends a text and resolves once the relay acknowledged it (status past pending). */
async function sendAndWait(m: Messenger, conversationId: string, text: string, timeoutMs: number): Promise<Message> {
  const statuses: MessengerEvent[] = [];
  const off = m.subscribe((e) => e.type === 'message.status' && statuses.push(e));
  try {
    const message = await m.sendText({ conversationId, text });
    return { ...message, status: await waitForStatus(m, message.id, statuses, timeoutMs) };
  } finally {
    off();
  }
}

/** Resolves with the first status past pending; rejects on failed or after the timeout. */
function waitForStatus(m: Messenger, messageId: string, seen: MessengerEvent[], timeoutMs: number): Promise<MessageStatus> {
  const verdict = (e: MessengerEvent) => (e.type === 'message.status' && e.messageId === messageId ? e.status : null);
  return new Promise((resolveStatus, reject) => {
    let off = () => undefined as unknown;
    const timer = setTimeout(() => {
      off();
      reject(new CliError('timeout', `The relay did not acknowledge the message within ${timeoutMs / 1000} s; it stays queued and goes out on the next \`parley send\` or \`parley listen\`.`));
    }, timeoutMs);
    const check = (e: MessengerEvent) => {
      const s = verdict(e);
      if (!s || s === 'pending') return;
      clearTimeout(timer);
      off();
      if (s === 'failed') reject(new CliError('send_failed', 'The relay refused the message (it is marked failed in the profile).'));
      else resolveStatus(s);
    };
    off = m.subscribe(check);
    for (const e of seen) check(e);
  });
}

function safeLoginName(): string {
  try {
    return userInfo().username || hostname();
  } catch {
    return hostname();
  }
}
