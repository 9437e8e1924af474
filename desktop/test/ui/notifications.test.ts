// Notifications in the browser, honouring the core's notification policy: real relay, two
// real cores behind real web hosts, Chromium with the notifications permission. The web
// host decides each incoming message's notification with the same code as Electron's
// Notifier and the page shows it with `new Notification(title, { body, tag })`; an init
// script wraps window.Notification to record what was shown (the real one is still
// constructed) and keeps the instance, whose onclick the test calls as a click would.
//
// "Not focused" is simulated by dispatching a `blur` event on the page's window: headless
// Chromium keeps every page focused, and the page tracks focus from focus/blur events, so
// this is exactly what it sees when another window comes to the front. Each test waits
// until the host has the page's report (host.shellState()) before Bob writes.
//
// Negative cases ("shows nothing") cannot wait for an absence: after Alice's core has the
// message, the test switches back to a level that notifies and has Bob write again; the
// host decides messages in arrival order, so exactly one new notification, for the second
// message, proves the first was not shown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { NotificationPrivacy } from '@parley/common/api/index';
import { RestartableRelay } from '../support/harness.ts';
import { launchChromium } from './support/browser.ts';
import { WebUser } from './support/web-user.ts';

const POLL = { timeout: 20_000, interval: 50 };

type Shown = { title: string; body: string; tag: string };

let relay: RestartableRelay;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
let bobLink: string;
/** Alice's conversation with Bob, and Bob's with Alice. */
let aliceConv: string;
let bobConv: string;

// The test's TypeScript has no DOM types, so page code is written as strings.
/** Runs in the page before its scripts: records each notification and still shows the real one. */
const RECORD_NOTIFICATIONS = `(() => {
  const Real = window.Notification;
  window.__shown = [];
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.__shown.push({ title, body: options?.body ?? '', tag: options?.tag ?? '', instance: this });
    }
  };
})()`;

const shown = (): Promise<Shown[]> => alice.page.evaluate<Shown[]>('window.__shown.map(({ title, body, tag }) => ({ title, body, tag }))');
const windowEvent = (type: 'focus' | 'blur') => alice.page.evaluate(`window.dispatchEvent(new Event('${type}'))`);

async function bobWrites(text: string): Promise<void> {
  await bob.messenger.sendText({ conversationId: bobConv, text });
  await expect.poll(() => alice.events.some((e) => e.type === 'message.added' && e.message.body.kind === 'text' && e.message.body.text === text), POLL).toBe(true);
}

async function setPrivacy(level: NotificationPrivacy): Promise<void> {
  await alice.page.getByRole('button', { name: 'Settings' }).click();
  await alice.page.getByLabel('Notifications show').selectOption(level);
  await expect.poll(async () => (await alice.messenger.getSettings()).notificationPrivacy, POLL).toBe(level);
  await alice.page.keyboard.press('Escape');
  await alice.page.getByRole('dialog').waitFor({ state: 'hidden' });
}

/** After a message that must not notify: the next one (at a level that notifies) is the only new notification. */
async function expectNothingShownFor(silentText: string, before: number): Promise<void> {
  const sentinel = `after "${silentText}"`;
  await bobWrites(sentinel);
  await expect.poll(async () => (await shown()).slice(before).map((n) => n.body), POLL).toEqual([sentinel]);
}

async function closeConversation(): Promise<void> {
  await alice.composer().click();
  await alice.page.keyboard.press('Escape');
  await alice.page.getByText('Your messages stay yours').waitFor();
  await expect.poll(() => alice.host.shellState().openConversationId, POLL).toBeNull();
}

beforeAll(async () => {
  browser = await launchChromium();
  relay = new RestartableRelay();
  await relay.start();
  alice = await new WebUser('Alice Liddell', browser, `http://${relay.host}`).start();
  bob = await new WebUser('Bob Marley', browser, `http://${relay.host}`).start();
  await alice.context.addInitScript({ content: RECORD_NOTIFICATIONS });
  await alice.page.reload();
}, 60_000);

afterAll(async () => {
  await alice?.dispose();
  await bob?.dispose();
  await browser?.close();
  await relay?.dispose();
});

describe('notification policy honoured (web host)', () => {
  it('Alice and Bob become contacts; Alice leaves the conversation', async () => {
    await alice.onboard();
    await bob.onboard();
    bobLink = await bob.inviteLink();
    await bob.addContact(await alice.inviteLink());
    await alice.addContact(bobLink);
    aliceConv = (await alice.messenger.listConversations({}))[0]!.id;
    bobConv = (await bob.messenger.listConversations({}))[0]!.id;
    await closeConversation();
  }, 60_000);

  it('asks the browser for permission from the "Enable desktop notifications" switch in Settings', async () => {
    await alice.page.getByRole('button', { name: 'Settings' }).click();
    const enable = alice.page.getByRole('switch', { name: 'Enable desktop notifications' });
    expect(await enable.isChecked()).toBe(false);
    expect(await enable.isEnabled()).toBe(true);
    await alice.screenshot('notification-settings');
    // The person answers "Allow" in the browser's prompt.
    await alice.context.grantPermissions(['notifications'], { origin: new URL(alice.host.url).origin });
    await enable.click();
    await expect.poll(() => alice.page.getByTestId('notification-permission').textContent(), POLL).toContain('On for this browser');
    await enable.waitFor({ state: 'detached' });
    await alice.page.keyboard.press('Escape');
    await alice.page.getByRole('dialog').waitFor({ state: 'hidden' });
  }, 60_000);

  it('name and message: a message from Bob while his conversation is not open shows his name and the text', async () => {
    await bobWrites('are we still on for lunch?');
    await expect.poll(shown, POLL).toEqual([{ title: 'Bob Marley', body: 'are we still on for lunch?', tag: `parley:${aliceConv}` }]);
    await expect.poll(() => alice.page.title(), POLL).toBe('(1) Parley');
  }, 60_000);

  it('name only: shows who wrote, not what', async () => {
    await setPrivacy('name');
    const before = (await shown()).length;
    await bobWrites('the secret is in the garden');
    await expect.poll(async () => (await shown()).slice(before), POLL).toEqual([{ title: 'Bob Marley', body: 'New message', tag: `parley:${aliceConv}` }]);
    expect(JSON.stringify(await shown())).not.toContain('garden');
  }, 60_000);

  it('count: shows neither the name nor the text, only how many are unread', async () => {
    await setPrivacy('count');
    const before = (await shown()).length;
    await bobWrites('count me in');
    await expect.poll(async () => (await shown()).slice(before), POLL).toEqual([{ title: 'Parley', body: '3 new messages', tag: 'parley:count' }]);
  }, 60_000);

  it('off: shows nothing', async () => {
    await setPrivacy('off');
    const before = (await shown()).length;
    await bobWrites('nobody hears this');
    await setPrivacy('name_and_message');
    await expectNothingShownFor('nobody hears this', before);
  }, 60_000);

  it('a muted conversation shows nothing', async () => {
    await alice.conversation('Bob').click();
    await alice.page.getByRole('button', { name: 'Mute', exact: true }).click();
    await expect.poll(async () => (await alice.messenger.listConversations({})).find((c) => c.id === aliceConv)?.muted, POLL).toBe(true);
    await closeConversation();
    const before = (await shown()).length;
    await bobWrites('muted chatter');
    await alice.conversation('Bob').click();
    await alice.page.getByRole('button', { name: 'Unmute' }).click();
    await expect.poll(async () => (await alice.messenger.listConversations({})).find((c) => c.id === aliceConv)?.muted, POLL).toBe(false);
    await closeConversation();
    await expectNothingShownFor('muted chatter', before);
  }, 60_000);

  it('the conversation open in the focused page shows nothing; behind another window it notifies', async () => {
    await alice.conversation('Bob').click();
    await windowEvent('focus');
    await expect.poll(() => alice.host.shellState(), POLL).toEqual({ windowFocused: true, openConversationId: aliceConv, pages: 1 });
    const before = (await shown()).length;
    await bobWrites('you are reading this');
    await alice.message('you are reading this').waitFor();

    await windowEvent('blur');
    await expect.poll(() => alice.host.shellState().windowFocused, POLL).toBe(false);
    await expectNothingShownFor('you are reading this', before);
    await windowEvent('focus');
  }, 60_000);

  it('clicking a notification opens its conversation', async () => {
    await closeConversation();
    await alice.page.evaluate(`(() => {
      const last = window.__shown.at(-1).instance;
      last.onclick.call(last, new Event('click'));
    })()`);
    await alice.composer().waitFor();
    await alice.message('after "you are reading this"').waitFor();
    await expect.poll(() => alice.host.shellState().openConversationId, POLL).toBe(aliceConv);
  }, 60_000);
});

describe('parley:// links reach the page through the web host', () => {
  it('a link opened before the page is there opens Add contact pre-filled once it loads; a bad link is refused with a toast', async () => {
    await alice.page.close();
    await expect.poll(() => alice.host.shellState().pages, POLL).toBe(0);
    const intent = alice.host.openLink(bobLink);
    expect(intent).toMatchObject({ type: 'add-contact', name: 'Bob Marley' });
    alice.page = await alice.context.newPage();
    await alice.page.goto(alice.host.url);
    const dialog = alice.page.getByRole('dialog', { name: 'Add a contact' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Their invite link').inputValue()).toBe(intent.type === 'add-contact' ? intent.link : '');
    await alice.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    expect(alice.host.openLink('parley://pay?to=mallory')).toMatchObject({ type: 'link-refused' });
    await alice.page.getByRole('status').filter({ hasText: 'Parley only opens invite links' }).waitFor();
  }, 60_000);
});
