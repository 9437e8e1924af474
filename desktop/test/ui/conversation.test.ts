// The conversation view in real Chromium against real cores, web hosts and a relay on
// loopback: reactions (picker and chips), jumping to a search hit far back in a long
// history, the full-size image viewer (readAttachment), files dropped and pasted onto the
// conversation, and saving a received file. Every wait is for a condition, never a sleep.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator } from 'playwright-core';
import { befriend, online, startTestRelay, type TestRelay } from '../support/harness.ts';
import { launchChromium } from './support/browser.ts';
import { WebUser } from './support/web-user.ts';

const POLL = { timeout: 20_000, interval: 50 };

let relay: TestRelay;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;

beforeAll(async () => {
  browser = await launchChromium();
  relay = await startTestRelay();
  alice = await new WebUser('Alice Liddell', browser, `http://${relay.host}`).start();
  bob = await new WebUser('Bob Marley', browser, `http://${relay.host}`).start();
  // Accounts and contacts through the cores: onboarding and invites have their own tests.
  for (const u of [alice, bob]) await u.messenger.createAccount({ displayName: u.name, relayUrl: `http://${relay.host}` });
  await befriend(alice.messenger, bob.messenger);
  await Promise.all([online(alice.messenger), online(bob.messenger)]);
  await Promise.all([alice.page.reload(), bob.page.reload()]);
}, 60_000);

afterAll(async () => {
  await alice?.dispose();
  await bob?.dispose();
  await browser?.close();
  await relay?.dispose();
});

/** The reaction chip with this emoji under a message. */
function chip(message: Locator, emoji: string): Locator {
  return message.locator(`[data-testid="reaction"][data-emoji="${emoji}"]`);
}

async function pickReaction(user: WebUser, message: Locator, emoji: string, opts: { more?: boolean } = {}): Promise<void> {
  await message.hover();
  await message.getByRole('button', { name: 'React', exact: true }).click();
  const picker = user.page.getByRole('dialog', { name: 'Choose a reaction' });
  if (opts.more) {
    await picker.getByRole('button', { name: 'More reactions' }).click();
    await picker.getByRole('group', { name: 'More reactions' }).waitFor();
  }
  await picker.getByRole('button', { name: `React with ${emoji}` }).first().click();
  await picker.waitFor({ state: 'hidden' });
}

/**
 * SHA-256 (hex) of the RGBA pixels an <img> shows, drawn on a canvas in the page. (The
 * bytes behind the object URL cannot be fetched back: the UI's CSP has connect-src 'self',
 * which does not admit blob: URLs, and it is not loosened for a test. The bytes are checked
 * through the viewer's Save instead.)
 */
function pixelSha256(img: Locator): Promise<string> {
  // Typed loosely: the test's tsconfig has no DOM types.
  type Canvas = { width: number; height: number; getContext(kind: '2d'): { drawImage(i: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
  return img.evaluate(async (el) => {
    const image = el as unknown as { naturalWidth: number; naturalHeight: number };
    const c = (globalThis as unknown as { document: { createElement(tag: 'canvas'): Canvas } }).document.createElement('canvas');
    c.width = image.naturalWidth;
    c.height = image.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(image, 0, 0);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', g.getImageData(0, 0, c.width, c.height).data));
    return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  });
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('the conversation view', () => {
  it('reactions: one per person, chips with counts and names, switching and removing', async () => {
    await bob.messenger.sendText({ conversationId: `d:${await alice.userId()}`, text: 'lunch at noon?' });
    await alice.conversation('Bob').click();
    await bob.conversation('Alice').click();
    const atAlice = alice.message('lunch at noon?');
    const atBob = bob.message('lunch at noon?');
    await Promise.all([atAlice.waitFor(), atBob.waitFor()]);

    await pickReaction(alice, atAlice, '👍');
    await expect.poll(() => chip(atBob, '👍').getAttribute('data-count'), POLL).toBe('1');
    expect(await chip(atBob, '👍').getAttribute('title')).toBe('Alice Liddell');
    expect(await chip(atBob, '👍').getAttribute('aria-pressed')).toBe('false');
    expect(await chip(atAlice, '👍').getAttribute('aria-pressed')).toBe('true');

    // Bob clicks Alice's chip: the same reaction from him.
    await chip(atBob, '👍').click();
    await expect.poll(() => chip(atBob, '👍').getAttribute('data-count'), POLL).toBe('2');
    await expect.poll(() => chip(atAlice, '👍').getAttribute('data-count'), POLL).toBe('2');
    expect(await chip(atBob, '👍').getAttribute('title')).toBe('You, Alice Liddell');
    expect(await chip(atBob, '👍').getAttribute('aria-pressed')).toBe('true');

    // Alice picks ❤️ from the full grid: it replaces her 👍 (one reaction per person).
    await atAlice.hover();
    await atAlice.getByRole('button', { name: 'React', exact: true }).click();
    const picker = alice.page.getByRole('dialog', { name: 'Choose a reaction' });
    await picker.getByRole('button', { name: 'More reactions' }).click();
    await picker.getByRole('group', { name: 'More reactions' }).waitFor();
    await alice.screenshot('reactions');
    await picker.getByRole('button', { name: 'React with ❤️' }).first().click();
    await picker.waitFor({ state: 'hidden' });
    for (const m of [atAlice, atBob]) {
      await expect.poll(() => chip(m, '❤️').getAttribute('data-count'), POLL).toBe('1');
      await expect.poll(() => chip(m, '👍').getAttribute('data-count'), POLL).toBe('1');
    }
    expect(await chip(atBob, '👍').getAttribute('title')).toBe('You');
    expect(await chip(atBob, '❤️').getAttribute('title')).toBe('Alice Liddell');

    // Clicking her own chip removes her reaction, on both sides.
    await chip(atAlice, '❤️').click();
    for (const m of [atAlice, atBob]) await expect.poll(() => chip(m, '❤️').count(), POLL).toBe(0);
    expect(await chip(atAlice, '👍').getAttribute('aria-pressed')).toBe('false');

    // From the keyboard: the React action takes focus (as Tab reaches it), Enter opens the
    // picker on 👍, arrows move to 😂, Enter picks; it replaces Bob's 👍.
    await atBob.getByRole('button', { name: 'React', exact: true }).focus();
    await bob.page.keyboard.press('Enter');
    const bobPicker = bob.page.getByRole('dialog', { name: 'Choose a reaction' });
    await expect.poll(() => bob.page.evaluate('document.activeElement?.getAttribute("aria-label")'), POLL).toBe('React with 👍');
    await bob.page.keyboard.press('ArrowRight');
    await bob.page.keyboard.press('ArrowRight');
    await bob.page.keyboard.press('Enter');
    await bobPicker.waitFor({ state: 'hidden' });
    await expect.poll(() => chip(atAlice, '😂').getAttribute('title'), POLL).toBe('Bob Marley');
    await expect.poll(() => chip(atAlice, '👍').count(), POLL).toBe(0);
  }, 60_000);

  it('a search hit deep in a long history opens scrolled to the message, highlighted; newer pages follow and "jump to the newest" returns', async () => {
    // 3,000 messages written straight into Alice's store (as long-history.test.ts does);
    // the search word is only in an old one.
    const COUNT = 3_000;
    const OLD = 140;
    const peer = 'a'.repeat(32);
    const { profile } = alice.messenger;
    profile.conversations.ensureDirect(peer, 'Archive');
    const start = Date.now() - COUNT * 60_000;
    profile.db.transaction(() => {
      for (let i = 0; i < COUNT; i++) {
        profile.messages.insertIncoming({
          conversationId: `d:${peer}`,
          senderUserId: peer,
          senderDeviceId: 'b'.repeat(16),
          clientMsgId: `seed${String(i).padStart(8, '0')}`,
          senderClock: start + i * 60_000,
          body: { kind: 'text', text: i === OLD ? 'the zeppelin leaves from the old hangar at dawn' : i % 9 === 0 ? `archive line ${i}, a longer line that wraps onto a second line so rows differ in height` : `archive line ${i}` },
        });
      }
    })();
    // Read already: opening it must not queue receipts to a peer that does not exist.
    profile.conversations.raiseReadClock(`d:${peer}`, profile.messages.newestClock(`d:${peer}`));
    const { page } = alice;
    await page.reload();
    await alice.conversation('Bob').waitFor();

    await page.getByRole('searchbox', { name: 'Search conversations and messages' }).fill('zeppelin');
    await page.getByTestId('search-hit').filter({ hasText: 'zeppelin' }).click();
    const target = alice.message('the zeppelin leaves');
    await target.waitFor();
    const list = page.getByTestId('message-list');
    // Highlighted (checked first: the glow lasts about 2 s), and in the viewport, not merely in the DOM.
    await expect.poll(() => target.getAttribute('data-highlighted'), POLL).toBe('true');
    await expect
      .poll(async () => {
        const [t, l] = [await target.boundingBox(), await list.boundingBox()];
        return !!t && !!l && t.y >= l.y && t.y + t.height <= l.y + l.height;
      }, POLL)
      .toBe(true);
    await page.getByTestId('search-hit').first().waitFor(); // the results stay while you read
    await alice.screenshot('search-jump');
    await expect.poll(() => target.getAttribute('data-highlighted'), POLL).toBeNull();
    expect(await page.getByTestId('message').count()).toBeLessThan(80);

    // Scrolling down pages newer messages in, all the way to the newest.
    const newest = alice.message(`archive line ${COUNT - 1}`);
    await list.focus();
    await expect
      .poll(async () => {
        await page.keyboard.press('End');
        return newest.count();
      }, { timeout: 45_000, interval: 100 })
      .toBeGreaterThan(0);
    expect(await page.getByTestId('message').count()).toBeLessThan(80);

    // Back to the hit, then the round ↓ button returns to the newest page.
    await page.getByTestId('search-hit').filter({ hasText: 'zeppelin' }).click();
    await expect.poll(() => target.getAttribute('data-highlighted'), POLL).toBe('true');
    await page.getByRole('button', { name: 'Jump to the newest message' }).click();
    await newest.waitFor();
    await expect.poll(async () => (await newest.boundingBox()) !== null, POLL).toBe(true);
    await page.getByRole('button', { name: 'Jump to the newest message' }).waitFor({ state: 'hidden' });
    await page.getByRole('searchbox', { name: 'Search conversations and messages' }).fill('');
  }, 90_000);

  it('shows a received image full size: the original pixels, not the thumbnail, and Save gives its exact bytes', async () => {
    const png = new PNG({ width: 900, height: 600 });
    for (let y = 0; y < 600; y++) {
      for (let x = 0; x < 900; x++) {
        const i = (y * 900 + x) * 4;
        png.data[i] = (x * 255) / 900;
        png.data[i + 1] = (y * 255) / 600;
        png.data[i + 2] = (x ^ y) & 0xff;
        png.data[i + 3] = 255;
      }
    }
    const bytes = PNG.sync.write(png);
    await alice.conversation('Bob').click();
    await bob.conversation('Alice').click();
    await bob.page.getByTestId('attach-input').setInputFiles({ name: 'harbour.png', mimeType: 'image/png', buffer: bytes });

    const preview = alice.page.getByRole('button', { name: 'Open image harbour.png' });
    await preview.click();
    const viewer = alice.page.getByRole('dialog', { name: 'harbour.png' });
    const full = viewer.locator('[data-testid="attachment-full"][data-full="true"]');
    await expect.poll(() => full.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth), POLL).toBe(900);
    expect(await full.evaluate((el) => (el as unknown as { naturalHeight: number }).naturalHeight)).toBe(600);
    expect(await pixelSha256(full)).toBe(sha256(png.data));
    await expect.poll(() => alice.page.getByTestId('image-dimensions').textContent(), POLL).toContain('900 × 600');
    await alice.screenshot('image-viewer');
    // The viewer's Save hands over exactly the bytes Bob sent.
    const [download] = await Promise.all([alice.page.waitForEvent('download'), viewer.getByRole('button', { name: 'Save harbour.png' }).click()]);
    expect(download.suggestedFilename()).toBe('harbour.png');
    expect(sha256(readFileSync(await download.path()))).toBe(sha256(bytes));
    await alice.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'hidden' });

    // The sender's own copy opens full size too (read back from its profile).
    await bob.page.getByRole('button', { name: 'Open image harbour.png' }).click();
    const own = bob.page.getByRole('dialog', { name: 'harbour.png' }).locator('[data-testid="attachment-full"][data-full="true"]');
    await expect.poll(() => own.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth), POLL).toBe(900);
    expect(await pixelSha256(own)).toBe(sha256(png.data));
    await bob.page.keyboard.press('Escape');
    await bob.page.getByRole('dialog').waitFor({ state: 'hidden' });
  }, 60_000);

  it('sends a file dropped on the conversation and one pasted into the composer', async () => {
    const bId = await bob.userId();
    // Files built in the page, handed over as a real DragEvent / ClipboardEvent would carry them.
    // (Strings, so the test's Node-only tsconfig needs no DOM types.)
    await alice.page.evaluate(`(() => {
      const file = new File([new Uint8Array(5000).map((_, i) => i % 251)], 'dropped-notes.txt', { type: 'text/plain' });
      const dt = new DataTransfer();
      dt.items.add(file);
      const list = document.querySelector('section[aria-label^="Conversation with"] [data-testid="message-list"]');
      list.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      list.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await alice.page.evaluate(`(() => {
      const file = new File([new Uint8Array(12345).map((_, i) => (i * 7) % 256)], 'pasted-data.bin', { type: 'application/octet-stream' });
      const dt = new DataTransfer();
      dt.items.add(file);
      document.querySelector('[data-testid="composer"]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    })()`);
    for (const [name, size] of [['dropped-notes.txt', 5_000], ['pasted-data.bin', 12_345]] as const) {
      await bob.page.getByTestId('attachment-file').filter({ hasText: name }).waitFor();
      const got = (await bob.messenger.getHistory({ conversationId: `d:${await alice.userId()}` })).messages.find((m) => m.body.kind === 'attachment' && m.body.attachment.name === name);
      expect(got?.body.kind === 'attachment' && got.body.attachment.size).toBe(size);
    }
    expect((await alice.messenger.getHistory({ conversationId: `d:${bId}` })).messages.filter((m) => m.outgoing && m.body.kind === 'attachment').length).toBe(2);
  }, 60_000);

  it('saves a received file: Save downloads it first, then hands the same bytes to the browser', async () => {
    const expected = Buffer.from(Array.from({ length: 12_345 }, (_, i) => (i * 7) % 256));
    const file = bob.page.getByTestId('attachment-file').filter({ hasText: 'pasted-data.bin' });
    expect(await file.getAttribute('data-state')).toBe('remote');
    // A browser cannot hand a file to the system's apps: no "Open" here (the desktop app has one).
    expect(await file.getByRole('button', { name: 'Open pasted-data.bin' }).count()).toBe(0);
    const [download] = await Promise.all([bob.page.waitForEvent('download'), file.getByRole('button', { name: 'Save pasted-data.bin' }).click()]);
    expect(download.suggestedFilename()).toBe('pasted-data.bin');
    const path = await download.path();
    expect(readFileSync(path).equals(expected)).toBe(true);
    await expect.poll(() => file.getAttribute('data-state'), POLL).toBe('downloaded');
  }, 60_000);

  it('saves a received file larger than one readAttachment answer (25 MiB, read in parts) with its exact bytes', async () => {
    // Sent through Alice's core (the composer takes files up to 20 MiB; the CLI and other clients send up to the relay's 100 MiB).
    const bytes = Buffer.alloc(25 * 1024 * 1024 + 12_345);
    for (let i = 0; i < bytes.length; i++) bytes[i] = ((i * 2654435761) >>> 13) & 0xff;
    await alice.messenger.sendAttachment({ conversationId: `d:${await bob.userId()}`, name: 'survey.tar', mime: 'application/x-tar', data: bytes.toString('base64url') });
    await bob.conversation('Alice').click();
    const file = bob.page.getByTestId('attachment-file').filter({ hasText: 'survey.tar' });
    await file.waitFor();
    const [download] = await Promise.all([bob.page.waitForEvent('download', { timeout: 60_000 }), file.getByRole('button', { name: 'Save survey.tar' }).click()]);
    expect(download.suggestedFilename()).toBe('survey.tar');
    const saved = readFileSync(await download.path());
    expect(saved.length).toBe(bytes.length);
    expect(sha256(saved)).toBe(sha256(bytes));
  }, 120_000);
});
