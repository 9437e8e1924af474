// Device linking in the browser: "I already have Parley" on a fresh profile, approved from
// Settings → Linked devices on the first device, against real cores, web hosts and a real
// relay on loopback. The scenarios build on each other: Alice chats with Bob on her first
// device, links a second one by typing its code (after a wrong code and an approval
// refused while the relay is down), both devices then carry the conversation both ways, a
// third links by a picture of its QR code, and finally the second device is unlinked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { RestartableRelay } from '../support/harness.ts';
import { launchChromium } from './support/browser.ts';
import { WebUser } from './support/web-user.ts';

const POLL = { timeout: 20_000, interval: 50 };

let relay: RestartableRelay;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
let laptop: WebUser;
let tablet: WebUser;

beforeAll(async () => {
  browser = await launchChromium();
  relay = new RestartableRelay();
  await relay.start();
  alice = await new WebUser('Alice Liddell', browser, `http://${relay.host}`).start();
  bob = await new WebUser('Bob Marley', browser, `http://${relay.host}`).start();
  laptop = await new WebUser('Alice Liddell', browser, `http://${relay.host}`).start();
  tablet = await new WebUser('Alice Liddell', browser, `http://${relay.host}`).start();
}, 60_000);

afterAll(async () => {
  await alice?.dispose();
  await bob?.dispose();
  await laptop?.dispose();
  await tablet?.dispose();
  await browser?.close();
  await relay?.dispose();
});

const settings = (page: Page) => page.getByRole('dialog', { name: 'Settings' });
const linkDialog = (page: Page) => page.getByRole('dialog', { name: 'Link a new device' });
const deviceList = (page: Page) => settings(page).getByRole('list', { name: 'Linked devices' }).getByRole('listitem');

async function openLinkDialog(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await settings(page).getByRole('button', { name: 'Link a new device' }).click();
  await linkDialog(page).getByLabel('Link code').waitFor();
}

async function enterCode(page: Page, code: string): Promise<void> {
  await linkDialog(page).getByLabel('Link code').fill(code);
  await linkDialog(page).getByRole('button', { name: 'Continue' }).click();
}

describe('linking a second device in the browser', () => {
  it('Alice chats with Bob on her first device', async () => {
    await alice.onboard();
    await bob.onboard();
    await bob.addContact(await alice.inviteLink());
    await alice.addContact(await bob.inviteLink());
    await alice.send('hi Bob, this is from my desktop');
    await bob.conversation('Alice').click();
    await bob.message('hi Bob, this is from my desktop').waitFor();
    await bob.send('hello Alice!');
    await alice.message('hello Alice!').waitFor();
  }, 60_000);

  it('"I already have Parley" shows a code with words and expiry; Cancel returns to the first screen and the code can no longer be approved', async () => {
    const page = laptop.page;
    await page.getByRole('button', { name: 'I already have Parley' }).click();
    await expect.poll(() => page.getByLabel('This device’s name').inputValue(), POLL).toBe('Linux computer');
    await page.getByRole('button', { name: 'Get a link code' }).click();
    await page.getByTestId('link-code').waitFor();
    await expect.poll(() => page.getByTestId('link-expiry').textContent(), POLL).toMatch(/Expires in (9:\d\d|10:00)/);
    expect(await page.getByTestId('link-words').textContent()).toMatch(/^[a-z]+( [a-z]+){4}$/);
    await page.getByText('Settings → Linked devices → Link a new device').waitFor();
    const code = (await page.getByTestId('link-code').getAttribute('data-code'))!;
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    expect(await laptop.messenger.getAccount()).toBeNull();

    // Cancel told the core (cancelDeviceLink): the code's mailbox on the relay is retired…
    const mailbox = new URL(code.replace('parley://', 'http://x/')).searchParams.get('u');
    const mailboxVersion = async () => ((await (await fetch(`http://${relay.host}/v1/users/${mailbox}/device-list`)).json()) as { version: number }).version;
    await expect.poll(mailboxVersion, POLL).toBe(2);
    // …so approving that code on the first device links nothing, and says why.
    await openLinkDialog(alice.page);
    await enterCode(alice.page, code);
    await linkDialog(alice.page).getByTestId('link-request').waitFor();
    await linkDialog(alice.page).getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => linkDialog(alice.page).getByRole('alert').textContent(), POLL).toContain('the new device cancelled it');
    expect(await alice.messenger.listDevices()).toHaveLength(1);
    expect(await laptop.messenger.getAccount()).toBeNull();
    await alice.page.keyboard.press('Escape');
    await linkDialog(alice.page).waitFor({ state: 'hidden' });
    await alice.page.keyboard.press('Escape');
    await settings(alice.page).waitFor({ state: 'hidden' });
  }, 60_000);

  it('an expired code says so and "Get a new code" shows a fresh one', async () => {
    // A second window on the laptop's host, with the page's clock under the test's control.
    const context = await browser.newContext({ viewport: { width: 1180, height: 760 } });
    try {
      await context.clock.install();
      const page = await context.newPage();
      await page.goto(laptop.host.url);
      await page.getByRole('button', { name: 'I already have Parley' }).click();
      await page.getByRole('button', { name: 'Get a link code' }).click();
      const first = await page.getByTestId('link-code').getAttribute('data-code');
      await context.clock.fastForward('10:01');
      await page.getByText('This code has expired.').waitFor();
      expect(await page.getByTestId('link-code').count()).toBe(0);
      // Back to the core's time (the page's clock was the only one moved), then a new code.
      await context.clock.setSystemTime(Date.now());
      await page.getByRole('button', { name: 'Get a new code' }).click();
      await expect.poll(() => page.getByTestId('link-code').getAttribute('data-code'), POLL).not.toBe(first);
      await expect.poll(() => page.getByTestId('link-expiry').textContent(), POLL).toMatch(/Expires in (9:\d\d|10:00)/);
      // The old code was cancelled, not just hidden: its mailbox is retired on the relay.
      const mailbox = new URL(first!.replace('parley://', 'http://x/')).searchParams.get('u');
      expect(((await (await fetch(`http://${relay.host}/v1/users/${mailbox}/device-list`)).json()) as { version: number }).version).toBe(2);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('a wrong code on the first device is a clear error and approves nothing', async () => {
    await openLinkDialog(alice.page);
    await enterCode(alice.page, 'hello there');
    await expect.poll(() => linkDialog(alice.page).getByRole('alert').textContent(), POLL).toContain('not a Parley link code');
    await enterCode(alice.page, 'parley://link?r=http%3A%2F%2F127.0.0.1%3A1&u=abc&k=xyz&n=Evil&x=1');
    await expect.poll(() => linkDialog(alice.page).getByRole('alert').textContent(), POLL).toContain('damaged');
    expect(await linkDialog(alice.page).getByTestId('link-request').count()).toBe(0);
    expect(await alice.messenger.listDevices()).toHaveLength(1);
  }, 60_000);

  it('the code typed on the first device shows the same words; approved, the new device is linked to Alice with her history', async () => {
    const page = laptop.page;
    await page.getByRole('button', { name: 'I already have Parley' }).click();
    await page.getByLabel('This device’s name').fill('Alice’s laptop');
    await page.getByRole('button', { name: 'Get a link code' }).click();
    const shown = page.getByTestId('link-code');
    await shown.waitFor();
    await laptop.screenshot('link-new-device');
    // Read the way a person would: the groups as displayed, typed with their spaces.
    const groups = await shown.locator('span').allTextContents();
    const wordsOnLaptop = await page.getByTestId('link-words').textContent();

    await enterCode(alice.page, groups.join(' '));
    const request = linkDialog(alice.page).getByTestId('link-request');
    await request.waitFor();
    expect(await linkDialog(alice.page).getByTestId('link-request-device').textContent()).toBe('Alice’s laptop');
    expect(await linkDialog(alice.page).getByTestId('link-request-words').textContent()).toBe(wordsOnLaptop);
    await linkDialog(alice.page).getByText('Do these words match the ones on your new device?').waitFor();
    await alice.screenshot('link-approve');

    // While the relay is down approving is held back with a sentence; with the relay back it works.
    const approve = linkDialog(alice.page).getByRole('button', { name: 'Approve' });
    await relay.stop();
    await linkDialog(alice.page).getByText('Parley is not connected to your relay.').waitFor();
    expect(await approve.isDisabled()).toBe(true);
    expect(await laptop.messenger.getAccount()).toBeNull();
    await relay.start();
    await expect.poll(() => approve.isEnabled(), POLL).toBe(true);
    await approve.click();
    await linkDialog(alice.page).waitFor({ state: 'hidden' });

    await page.getByRole('heading', { name: 'Linked to Alice Liddell' }).waitFor();
    await page.getByRole('button', { name: 'Start messaging' }).click();
    await laptop.conversation('Bob').click();
    await laptop.message('hi Bob, this is from my desktop').waitFor();
    await laptop.message('hello Alice!').waitFor();
    expect((await laptop.messenger.getAccount())?.userId).toBe(await alice.userId());

    await expect.poll(() => deviceList(alice.page).allTextContents(), POLL).toEqual([expect.stringContaining('In use now'), expect.stringContaining('Alice’s laptop')]);
    await alice.page.keyboard.press('Escape');
    await settings(alice.page).waitFor({ state: 'hidden' });
  }, 90_000);

  it('after linking, Bob reaches both devices and the laptop speaks for Alice', async () => {
    await bob.send('do both of your devices get this?');
    await alice.message('do both of your devices get this?').waitFor();
    await laptop.message('do both of your devices get this?').waitFor();

    await laptop.send('yes, written on my laptop');
    await bob.message('yes, written on my laptop').waitFor();
    const onDesktop = alice.message('yes, written on my laptop');
    await onDesktop.waitFor();
    expect(await onDesktop.evaluate((el) => el.classList.contains('out'))).toBe(true);
    expect(await bob.message('yes, written on my laptop').evaluate((el) => el.classList.contains('out'))).toBe(false);
  }, 60_000);

  it('a third device links by a picture of its QR code, scanned on the first device, even with its window reloaded meanwhile', async () => {
    const page = tablet.page;
    await page.getByRole('button', { name: 'I already have Parley' }).click();
    await page.getByLabel('This device’s name').fill('Alice’s tablet');
    await page.getByRole('button', { name: 'Get a link code' }).click();
    const qr = page.getByRole('img', { name: 'Link code as a QR code' });
    await qr.waitFor();
    const png = await qr.screenshot();
    const words = await page.getByTestId('link-words').textContent();
    // The window is reloaded while the code is out: the core keeps listening, and the
    // first screen shows the link when it completes.
    await page.reload();
    await page.getByRole('button', { name: 'Create account' }).waitFor();

    await openLinkDialog(alice.page);
    await linkDialog(alice.page).getByLabel('Choose image…').setInputFiles({ name: 'link-code.png', mimeType: 'image/png', buffer: png });
    await linkDialog(alice.page).getByTestId('link-request').waitFor();
    expect(await linkDialog(alice.page).getByTestId('link-request-device').textContent()).toBe('Alice’s tablet');
    expect(await linkDialog(alice.page).getByTestId('link-request-words').textContent()).toBe(words);
    await linkDialog(alice.page).getByRole('button', { name: 'Approve' }).click();
    await linkDialog(alice.page).waitFor({ state: 'hidden' });

    await page.getByRole('heading', { name: 'Linked to Alice Liddell' }).waitFor();
    await page.getByRole('button', { name: 'Start messaging' }).click();
    await tablet.conversation('Bob').click();
    await tablet.message('yes, written on my laptop').waitFor();
  }, 60_000);

  it('all devices are listed; unlinking the laptop removes it, and the laptop says it was removed', async () => {
    await expect.poll(() => deviceList(alice.page).allTextContents(), POLL).toEqual([
      expect.stringContaining('In use now'),
      expect.stringContaining('Alice’s laptop'),
      expect.stringContaining('Alice’s tablet'),
    ]);
    alice.page.once('dialog', (d) => void d.accept());
    await settings(alice.page).getByRole('button', { name: 'Unlink Alice’s laptop' }).click();
    await expect.poll(() => deviceList(alice.page).count(), POLL).toBe(2);
    expect((await alice.messenger.listDevices()).map((d) => d.name)).not.toContain('Alice’s laptop');

    const banner = laptop.page.getByTestId('connection-banner');
    await expect.poll(() => banner.textContent(), POLL).toContain('This device was removed from the account.');
  }, 60_000);
});
