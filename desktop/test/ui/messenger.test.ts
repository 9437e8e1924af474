// The UI in real Chromium against real cores behind real web hosts and a real relay on
// loopback. The scenarios build on each other (Alice and Bob onboard, befriend, chat,
// type, leave a draft), as one person's session would, so the suite stays well under
// a minute and a half on a loaded machine. Every wait is for a condition, never a sleep.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { RestartableRelay } from '../support/harness.ts';
import { launchChromium } from './support/browser.ts';
import { WebUser } from './support/web-user.ts';

const POLL = { timeout: 20_000, interval: 50 };

let relay: RestartableRelay;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
let carol: WebUser | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  relay = new RestartableRelay();
  await relay.start();
  alice = await new WebUser('Alice Liddell', browser, `http://${relay.host}`).start();
  bob = await new WebUser('Bob Marley', browser, `http://${relay.host}`).start();
}, 60_000);

afterAll(async () => {
  await alice?.dispose();
  await bob?.dispose();
  await carol?.dispose();
  await browser?.close();
  await relay?.dispose();
});

describe('Parley in the browser (web host)', () => {
  it('onboards a new user: name and relay, then the empty main screen', async () => {
    await expect.poll(() => alice.page.getByLabel('Relay').inputValue(), POLL).toBe(`http://${relay.host}`);
    await alice.page.getByLabel('Your name').fill('Alice Liddell');
    await alice.screenshot('onboarding');
    await alice.page.getByRole('button', { name: 'Create account' }).click();
    await alice.page.getByText('Your messages stay yours').waitFor();
    expect((await alice.messenger.getAccount())?.displayName).toBe('Alice Liddell');
    await alice.screenshot('empty');
    await bob.onboard();
  }, 60_000);

  it('two users add each other by invite link and chat both ways; ticks go sent, delivered, read', async () => {
    await bob.addContact(await alice.inviteLink());
    await alice.addContact(await bob.inviteLink());
    await alice.composer().waitFor();
    // Bob closes the conversation (Escape), so Alice's message is delivered but not read.
    await bob.composer().click();
    await bob.page.keyboard.press('Escape');
    await bob.page.getByText('Your messages stay yours').waitFor();

    await alice.send('hello bob, are you there?');
    const sent = alice.message('hello bob, are you there?');
    await expect.poll(() => sent.getAttribute('data-status'), POLL).toBe('delivered');
    const row = bob.conversation('Alice');
    await expect.poll(() => row.getByTestId('unread-count').textContent(), POLL).toBe('1');
    await expect.poll(() => row.getByTestId('conversation-preview').textContent(), POLL).toContain('hello bob');

    await row.click();
    await bob.message('hello bob, are you there?').waitFor();
    await expect.poll(() => sent.getAttribute('data-status'), POLL).toBe('read');
    const ids = alice.events.filter((e) => e.type === 'message.added').map((e) => (e as { message: { id: string } }).message.id);
    const statuses = alice.events.filter((e) => e.type === 'message.status' && e.messageId === ids[0]).map((e) => (e as { status: string }).status);
    expect(statuses).toEqual(['sent', 'delivered', 'read']);

    await bob.send('yes! hi alice :)');
    await alice.message('yes! hi alice :)').waitFor();
    await expect.poll(() => bob.message('yes! hi alice :)').getAttribute('data-status'), POLL).toBe('read');
    await alice.screenshot('conversation-light');
  }, 60_000);

  it('replies to a message: the reply carries a quote of the original on both sides', async () => {
    const original = bob.message('hello bob, are you there?');
    await original.hover();
    await original.getByRole('button', { name: 'Reply' }).click();
    await bob.page.getByTestId('reply-bar').waitFor();
    await bob.send('replying to that');
    await bob.page.getByTestId('reply-bar').waitFor({ state: 'hidden' });
    const reply = alice.message('replying to that');
    await reply.waitFor();
    await expect.poll(() => reply.locator('.quote').textContent(), POLL).toContain('hello bob, are you there?');
    expect(await bob.message('replying to that').locator('.quote').textContent()).toContain('hello bob, are you there?');
  }, 60_000);

  it('shows the typing indicator while the peer types and clears it when they stop', async () => {
    await alice.composer().fill('let me think');
    await alice.composer().press('Space');
    const status = bob.page.getByTestId('conversation-status');
    await expect.poll(() => status.textContent(), POLL).toBe('typing…');
    await bob.screenshot('typing');
    await alice.composer().fill('');
    await alice.composer().press('Backspace');
    await expect.poll(() => status.textContent(), POLL).not.toBe('typing…');
  }, 60_000);

  it('shows the same 60-digit safety number on both sides and remembers verification', async () => {
    const open = async (u: WebUser) => {
      await u.page.getByRole('button', { name: 'Safety number' }).click();
      const digits = u.page.getByTestId('safety-number');
      await digits.waitFor();
      return (await digits.textContent())!.replace(/\s+/g, '');
    };
    const a = await open(alice);
    expect(a).toMatch(/^\d{60}$/);
    expect(await open(bob)).toBe(a);
    await alice.page.getByRole('button', { name: 'Mark as verified' }).click();
    await alice.page.getByText('✓ Verified').waitFor();
    await alice.screenshot('safety-number');
    expect((await alice.messenger.listContacts()).find((c) => c.displayName.startsWith('Bob'))?.verified).toBe(true);
    for (const u of [alice, bob]) {
      await u.page.keyboard.press('Escape');
      await u.page.getByRole('dialog').waitFor({ state: 'hidden' });
    }
    await alice.composer().waitFor();
  }, 60_000);

  it('keeps a draft across a restart of the app on the same profile', async () => {
    const conversationId = `d:${await bob.userId()}`;
    await alice.composer().fill('a draft I will finish tomorrow');
    await expect.poll(async () => (await alice.messenger.getDraft({ conversationId }))?.text, POLL).toBe('a draft I will finish tomorrow');
    await alice.restart();
    await alice.conversation('Bob').getByText('Draft').waitFor();
    await alice.conversation('Bob').click();
    await expect.poll(() => alice.composer().inputValue(), POLL).toBe('a draft I will finish tomorrow');
  }, 60_000);

  it('finds a message by a fragment inside a word', async () => {
    await alice.page.getByRole('searchbox', { name: 'Search conversations and messages' }).fill('ello');
    const hit = alice.page.getByTestId('search-hit').filter({ hasText: 'hello bob' });
    await hit.waitFor();
    expect(await hit.locator('mark').allTextContents()).toEqual(['ello']);
    await alice.screenshot('search');
  }, 60_000);

  it('works from the keyboard: Ctrl+K to search, arrows through the list, Enter opens, Escape closes', async () => {
    const { page } = alice;
    await alice.composer().click();
    await page.keyboard.press('Escape');
    await page.getByText('Your messages stay yours').waitFor();
    await page.keyboard.press('Control+K');
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("aria-label")'), POLL).toBe('Search conversations and messages');
    await page.keyboard.press('Escape'); // clears the previous query
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate('document.activeElement?.dataset.testid'), POLL).toBe('conversation');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("aria-label")'), POLL).toBe('Message');
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Enter');
    await bob.message('typed without a mouse').waitFor();
  }, 60_000);

  it('renders dark theme from settings', async () => {
    await alice.page.keyboard.press('Escape');
    await alice.page.getByRole('button', { name: 'Settings' }).click();
    await alice.page.getByRole('radiogroup', { name: 'Theme' }).getByText('Dark').click();
    await expect.poll(() => alice.page.locator('html').getAttribute('data-theme'), POLL).toBe('dark');
    await alice.screenshot('settings-dark');
    await alice.page.keyboard.press('Escape');
    await alice.conversation('Bob').click();
    await alice.message('yes! hi alice').waitFor();
    await alice.screenshot('conversation-dark');
    expect((await alice.messenger.getSettings()).theme).toBe('dark');
  }, 60_000);

  it('shows a message written while the relay is down as pending under the offline banner, and delivers it when the relay returns', async () => {
    await relay.stop();
    const banner = alice.page.getByTestId('connection-banner');
    await banner.waitFor();
    await alice.send('written on the train');
    const m = alice.message('written on the train');
    expect(await m.getAttribute('data-status')).toBe('pending');
    await expect.poll(() => banner.textContent(), POLL).toContain('1 message will be sent');
    await alice.screenshot('offline');
    await relay.start();
    await bob.message('written on the train').waitFor();
    await expect.poll(() => m.getAttribute('data-status'), POLL).toMatch(/^(delivered|read)$/);
    await banner.waitFor({ state: 'hidden' });
  }, 60_000);

  it('an attachment round trip with an image preview: the thumbnail shows at once, a click downloads the same bytes', async () => {
    // A 400×240 PNG drawn in the page, so the test carries no binary fixture.
    // (A string, so the test's Node-only tsconfig needs no DOM types.)
    const dataUrl = await alice.page.evaluate<string>(`(() => {
      const c = document.createElement('canvas');
      c.width = 400;
      c.height = 240;
      const g = c.getContext('2d');
      const grad = g.createLinearGradient(0, 0, 400, 240);
      grad.addColorStop(0, '#3b82f6');
      grad.addColorStop(1, '#f59e0b');
      g.fillStyle = grad;
      g.fillRect(0, 0, 400, 240);
      g.fillStyle = '#fff';
      g.font = 'bold 48px sans-serif';
      g.fillText('Parley', 120, 135);
      return c.toDataURL('image/png');
    })()`);
    const png = Buffer.from(dataUrl.split(',')[1]!, 'base64');
    await alice.page.getByTestId('attach-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });

    const sent = alice.page.getByTestId('attachment-image').filter({ has: alice.page.getByAltText('sunset.png') });
    await sent.waitFor();
    const received = bob.page.getByTestId('attachment-image').filter({ has: bob.page.getByAltText('sunset.png') });
    await received.waitFor();
    expect(await received.getAttribute('data-state')).toBe('remote');
    // The preview is the canvas thumbnail that travelled inside the message: at most 320 px, the original's size kept.
    const img = received.locator('img');
    await expect.poll(() => img.evaluate((el) => [(el as unknown as { naturalWidth: number }).naturalWidth, (el as unknown as { naturalHeight: number }).naturalHeight]), POLL).toEqual([320, 192]);
    const stored = (await bob.messenger.getHistory({ conversationId: `d:${await alice.userId()}` })).messages.find((m) => m.body.kind === 'attachment');
    expect(stored?.body.kind === 'attachment' && [stored.body.attachment.width, stored.body.attachment.height, stored.body.attachment.size]).toEqual([400, 240, png.length]);

    await received.click();
    await bob.page.getByTestId('attachment-full').waitFor();
    await expect.poll(() => received.getAttribute('data-state'), POLL).toBe('downloaded');
    await bob.screenshot('attachment');
    const dir = join(bob.profileDir, 'attachments');
    const saved = readdirSync(dir).find((f) => f.endsWith('sunset.png'));
    expect(saved).toBeDefined();
    expect(readFileSync(join(dir, saved!)).equals(png)).toBe(true);
    await bob.page.keyboard.press('Escape');
    await bob.page.getByRole('dialog').waitFor({ state: 'hidden' });
  }, 60_000);

  it('creates a group from contacts; the member sees it with the sender named on each message', async () => {
    await alice.page.getByRole('button', { name: 'New group' }).click();
    await alice.page.getByLabel('Group name').fill('Weekend plans');
    await alice.page.getByRole('dialog').getByText('Bob Marley').click();
    await alice.page.getByRole('button', { name: 'Create group' }).click();
    await alice.page.getByRole('dialog').waitFor({ state: 'hidden' });
    await alice.send('who brings the snacks?');
    const group = bob.conversation('Weekend plans');
    await group.click();
    const m = bob.message('who brings the snacks?');
    await m.waitFor();
    expect(await m.getByTestId('sender-name').textContent()).toBe('Alice Liddell');
    await bob.send('me!');
    await alice.message('me!').waitFor();
    await bob.screenshot('group');
  }, 60_000);

  it('a group of three: Alice adds Carol in group settings, all see messages, a rename reaches everyone, members see settings read-only', async () => {
    carol = await new WebUser('Carol Danvers', browser, `http://${relay.host}`).start();
    await carol.onboard();
    await carol.addContact(await alice.inviteLink());
    await alice.addContact(await carol.inviteLink());

    await alice.conversation('Weekend plans').click();
    await alice.page.getByRole('button', { name: 'Group settings' }).click();
    const dialog = alice.page.getByRole('dialog');
    await dialog.getByTestId('group-member').first().waitFor();
    expect(await dialog.locator('[data-testid="group-member"][data-self="true"]').getByTestId('admin-badge').count()).toBe(1);
    await dialog.getByText('Carol Danvers').click();
    await dialog.getByRole('button', { name: 'Add 1 member' }).click();
    await dialog.getByTestId('group-member').filter({ hasText: 'Carol Danvers' }).waitFor();

    await dialog.getByLabel('Group name').fill('Weekend in Lisbon');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => dialog.getByRole('button', { name: 'Rename' }).isDisabled(), POLL).toBe(true);
    await alice.screenshot('group-settings');
    await alice.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // Everyone sees the new name; all three read each other.
    await bob.conversation('Weekend in Lisbon').waitFor();
    await carol.conversation('Weekend in Lisbon').click();
    await alice.send('welcome carol!');
    await carol.message('welcome carol!').waitFor();
    await bob.message('welcome carol!').waitFor();
    await carol.send('thanks, hi both');
    await alice.message('thanks, hi both').waitFor();
    await bob.message('thanks, hi both').waitFor();
    // Carol is not Bob's contact: her message carries the name she gave herself in the group.
    expect(await bob.message('thanks, hi both').getByTestId('sender-name').textContent()).toBe('Carol Danvers');
    await expect.poll(() => bob.page.getByRole('heading', { level: 1 }).textContent(), POLL).toBe('Weekend in Lisbon');

    // A member sees the members and admins but no controls.
    await bob.page.getByRole('button', { name: 'Group settings' }).click();
    const bobs = bob.page.getByRole('dialog');
    await expect.poll(() => bobs.getByTestId('group-member').count(), POLL).toBe(3);
    await bobs.getByTestId('group-member').filter({ hasText: 'Carol Danvers' }).waitFor();
    expect(await bobs.getByTestId('group-member').filter({ hasText: 'Alice Liddell' }).getByTestId('admin-badge').count()).toBe(1);
    await bobs.getByText('Only admins can add or remove members').waitFor();
    expect(await bobs.getByRole('button', { name: /^Remove / }).count()).toBe(0);
    expect(await bobs.getByRole('button', { name: 'Make admin' }).count()).toBe(0);
    await bob.screenshot('group-settings-member');
    await bob.page.keyboard.press('Escape');
    await bobs.waitFor({ state: 'hidden' });

    // Alice makes Bob an admin: his settings now have the controls.
    await alice.page.getByRole('button', { name: 'Group settings' }).click();
    await dialog.getByTestId('group-member').filter({ hasText: 'Bob Marley' }).getByRole('button', { name: 'Make admin' }).click();
    await dialog.getByTestId('group-member').filter({ hasText: 'Bob Marley' }).getByTestId('admin-badge').waitFor();
    await alice.page.keyboard.press('Escape');
    const groupId = (await alice.messenger.listConversations({})).find((c) => c.title === 'Weekend in Lisbon')!.id;
    await expect.poll(async () => (await bob.messenger.getGroup({ conversationId: groupId })).canAdmin, POLL).toBe(true);
    await bob.page.getByRole('button', { name: 'Group settings' }).click();
    // Remove for Alice and Carol, "Remove admin" for Alice, "Make admin" for Carol.
    await expect.poll(() => bobs.getByRole('button', { name: /^Remove (?!admin)/ }).count(), POLL).toBe(2);
    expect(await bobs.getByRole('button', { name: 'Make admin' }).count()).toBe(1);
    await bob.page.keyboard.press('Escape');
    await bobs.waitFor({ state: 'hidden' });
  }, 60_000);
});
