// QR codes in real Chromium against real cores and a real relay: the codes on screen are
// read back from their pixels (a screenshot decoded in Node with pngjs + jsqr, never from
// an attribute), and the codes the users scan are PNG files rendered here from uqr's
// matrix, handed over the way a person would: "Choose image…", a paste, a drop, or the
// camera (Chromium's fake capture device playing a Y4M file of the code).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { encode } from 'uqr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestartableRelay } from '../support/harness.ts';
import { CHROMIUM, launchChromium } from './support/browser.ts';
import { WebUser } from './support/web-user.ts';

const POLL = { timeout: 20_000, interval: 50 };
const files = mkdtempSync(join(tmpdir(), 'parley-qr-'));

let relay: RestartableRelay;
let browser: Browser;
let cameraBrowser: Browser | undefined;
let alice: WebUser;
let bob: WebUser;
let carol: WebUser | undefined;

/** uqr's matrix of `text` (level M, quiet zone 4) as a PNG, `scale` pixels per module. */
function qrPng(text: string, scale = 8): Buffer {
  const { data, size } = encode(text, { ecc: 'M', border: 4 });
  const png = new PNG({ width: size * scale, height: size * scale });
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const v = data[Math.floor(y / scale)][Math.floor(x / scale)] ? 0 : 255;
      png.data.set([v, v, v, 255], (y * png.width + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

/** A picture with no QR code in it: soft grey stripes. */
function plainPng(): Buffer {
  const png = new PNG({ width: 240, height: 160 });
  for (let i = 0; i < png.width * png.height; i++) {
    const v = 150 + (Math.floor(i / png.width / 20) % 2) * 60;
    png.data.set([v, v, v + 20, 255], i * 4);
  }
  return PNG.sync.write(png);
}

function pngFile(name: string, bytes: Buffer): string {
  const path = join(files, name);
  writeFileSync(path, bytes);
  return path;
}

/** The text of the QR code in a PNG (a screenshot), or null; `darkOnLight` refuses to read an inverted code. */
function decodePng(bytes: Buffer, opts: { darkOnLight?: boolean } = {}): string | null {
  const png = PNG.sync.read(bytes);
  const pixels = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length);
  return jsQR(pixels, png.width, png.height, { inversionAttempts: opts.darkOnLight ? 'dontInvert' : 'attemptBoth' })?.data ?? null;
}

/** Reads the QR code an element shows from its pixels on screen. */
async function readQrOnScreen(qr: Locator): Promise<string | null> {
  return decodePng(await qr.screenshot());
}

/** Hands an image to a QR scan box the way the clipboard or a drag would: a File built in the page. */
async function giveImage(target: Locator, how: 'paste' | 'drop', bytes: Buffer): Promise<void> {
  // The target is focused as a person would (click into it / Tab), then the event is fired in
  // the page. Page code is a string expression: the test's TypeScript has no DOM types.
  await target.focus();
  await target.page().evaluate(`(() => {
    const data = Uint8Array.from(atob(${JSON.stringify(bytes.toString('base64'))}), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], 'code.png', { type: 'image/png' }));
    const init = { bubbles: true, cancelable: true };
    document.activeElement.dispatchEvent(${how === 'paste' ? "new ClipboardEvent('paste', { ...init, clipboardData: transfer })" : "new DragEvent('drop', { ...init, dataTransfer: transfer })"});
  })()`);
}

function dialog(page: Page) {
  return page.getByRole('dialog');
}

async function openAddContact(u: WebUser): Promise<Locator> {
  await u.page.getByRole('button', { name: 'Add contact' }).click();
  const d = dialog(u.page);
  await d.waitFor();
  return d;
}

async function closeDialog(u: WebUser): Promise<void> {
  await u.page.keyboard.press('Escape');
  await dialog(u.page).waitFor({ state: 'hidden' });
}

async function openSafetyNumber(u: WebUser): Promise<Locator> {
  await u.page.getByRole('button', { name: 'Safety number' }).click();
  await u.page.getByTestId('safety-number').waitFor();
  return dialog(u.page);
}

beforeAll(async () => {
  browser = await launchChromium();
  relay = new RestartableRelay();
  await relay.start();
  alice = await new WebUser('Alice Liddell', browser, `http://${relay.host}`).start();
  bob = await new WebUser('Bob Marley', browser, `http://${relay.host}`).start();
  await alice.onboard();
  await bob.onboard();
}, 60_000);

afterAll(async () => {
  await alice?.dispose();
  await bob?.dispose();
  await carol?.dispose();
  await browser?.close();
  await cameraBrowser?.close();
  await relay?.dispose();
  rmSync(files, { recursive: true, force: true });
});

describe('QR codes', () => {
  it("shows Alice's invite as a QR code that reads, from its pixels, as her invite link (dark on white in the dark theme too)", async () => {
    const d = await openAddContact(alice);
    const field = alice.page.getByTestId('my-invite-link');
    await expect.poll(() => field.inputValue(), POLL).toMatch(/^parley:\/\/add\?/);
    const link = await field.inputValue();
    expect(link).toBe((await alice.messenger.getInvite()).link);
    const qr = d.getByRole('img', { name: 'Your invite QR code' });
    expect(await readQrOnScreen(qr)).toBe(link);
    await d.getByText('Scan with Parley on another computer').waitFor();
    await alice.screenshot('add-contact-qr');
    // In the dark theme the code stays dark modules on white: scanners need that contrast.
    await alice.page.emulateMedia({ colorScheme: 'dark' });
    try {
      await expect.poll(() => alice.page.evaluate('getComputedStyle(document.querySelector("dialog")).backgroundColor'), POLL).not.toBe('rgb(255, 255, 255)');
      expect(decodePng(await qr.screenshot(), { darkOnLight: true })).toBe(link);
    } finally {
      await alice.page.emulateMedia({ colorScheme: 'light' });
    }
    await closeDialog(alice);
  }, 60_000);

  it('says so when a picture holds no QR code, or a QR code that is not an invite, and adds nothing', async () => {
    const d = await openAddContact(bob);
    const choose = d.getByLabel('Choose image…');
    await choose.setInputFiles(pngFile('plain.png', plainPng()));
    await expect.poll(() => d.getByRole('alert').textContent(), POLL).toContain('No QR code found in that image');
    await choose.setInputFiles(pngFile('website.png', qrPng('https://example.com/add?u=alice')));
    await expect.poll(() => d.getByRole('alert').textContent(), POLL).toContain('not a Parley invite');
    expect(await d.getByLabel('Their invite link').inputValue()).toBe('');
    expect(await d.getByRole('button', { name: 'Add contact' }).isDisabled()).toBe(true);
    // Without a camera (headless Chromium has none) "Use camera" explains instead of failing silently.
    await d.getByRole('button', { name: 'Use camera' }).click();
    await expect.poll(() => d.getByRole('alert').textContent(), POLL).toMatch(/Camera access was denied|No camera was found/);
    await closeDialog(bob);
    expect(await bob.messenger.listContacts()).toEqual([]);
  }, 60_000);

  it("Bob adds Alice by choosing a picture of her invite QR code; Alice adds Bob by pasting his; they chat", async () => {
    const aliceLink = (await alice.messenger.getInvite()).link;
    let d = await openAddContact(bob);
    await d.getByLabel('Choose image…').setInputFiles(pngFile('alice-invite.png', qrPng(aliceLink)));
    await expect.poll(() => d.getByLabel('Their invite link').inputValue(), POLL).toBe(aliceLink);
    await d.getByRole('status').filter({ hasText: "Read Alice Liddell's invite from the QR code" }).waitFor();
    await d.getByRole('button', { name: 'Add contact' }).click();
    await d.waitFor({ state: 'hidden' });
    await bob.conversation('Alice Liddell').waitFor();
    expect((await bob.messenger.listContacts()).map((c) => c.displayName)).toEqual(['Alice Liddell']);

    const bobLink = (await bob.messenger.getInvite()).link;
    d = await openAddContact(alice);
    // Pasted with the cursor still in the link field (where the dialog puts it), not in the scan box.
    await giveImage(d.getByLabel('Their invite link'), 'paste', qrPng(bobLink, 5));
    await expect.poll(() => d.getByLabel('Their invite link').inputValue(), POLL).toBe(bobLink);
    await d.getByRole('button', { name: 'Add contact' }).click();
    await d.waitFor({ state: 'hidden' });
    await alice.conversation('Bob Marley').waitFor();

    await bob.send('scanned you in');
    await alice.message('scanned you in').waitFor();
    await alice.send('and I pasted yours');
    await bob.message('and I pasted yours').waitFor();
  }, 60_000);

  it("compares safety numbers by QR: Bob's code matches and verifies; her own screen, a tampered code and an invite never verify", async () => {
    const mine = await openSafetyNumber(alice);
    const theirs = await openSafetyNumber(bob);
    const digits = (await mine.getByTestId('safety-number').textContent())!.replace(/\s+/g, '');
    expect(digits).toMatch(/^\d{60}$/);
    // Each screen's code, read from its pixels, carries the same 60 digits and says whose screen it is.
    const aliceId = (await alice.messenger.getAccount())!.userId;
    const bobId = (await bob.messenger.getAccount())!.userId;
    const alicePayload = await readQrOnScreen(mine.getByRole('img', { name: 'Safety number QR code' }));
    expect(alicePayload).toBe(`parley://verify?n=${digits}&by=${aliceId}&with=${bobId}`);
    const bobScreen = await theirs.getByRole('img', { name: 'Safety number QR code' }).screenshot();
    expect(decodePng(bobScreen)).toBe(`parley://verify?n=${digits}&by=${bobId}&with=${aliceId}`);
    await closeDialog(bob);

    // A picture of Alice's own screen is not Bob's code: said plainly, nothing verified.
    const aliceScreen = await mine.getByRole('img', { name: 'Safety number QR code' }).screenshot();
    await mine.getByRole('button', { name: 'Scan their code' }).click();
    await mine.getByLabel('Choose image…').setInputFiles(pngFile('alice-own-safety.png', aliceScreen));
    await expect.poll(() => mine.getByRole('alert').last().textContent(), POLL).toContain('That is your own code');
    expect((await alice.messenger.listContacts())[0].verified).toBe(false);

    // Alice scans Bob's screen (the screenshot of his code) with "Choose image…" (the scanner is still open).
    await mine.getByLabel('Choose image…').setInputFiles(pngFile('bob-safety.png', bobScreen));
    await mine.getByText('Safety numbers match').waitFor();
    await mine.getByText('✓ Verified').waitFor();
    await expect.poll(async () => (await alice.messenger.listContacts())[0].verified, POLL).toBe(true);
    await alice.screenshot('safety-number-qr');

    // A code with one digit changed, dropped on the scan box: no match, and not verified.
    await mine.getByRole('button', { name: 'Clear verification' }).click();
    await mine.getByText('Not verified yet').waitFor();
    const tampered = `parley://verify?n=${digits.slice(0, 30)}${(Number(digits[30]) + 1) % 10}${digits.slice(31)}&by=${bobId}&with=${aliceId}`;
    await mine.getByRole('button', { name: 'Scan their code' }).click();
    await giveImage(mine.getByRole('group', { name: 'Scan their code' }), 'drop', qrPng(tampered));
    await mine.getByText('These numbers do not match — do not mark verified').waitFor();
    await mine.getByText('Not verified yet').waitFor();
    expect((await alice.messenger.listContacts())[0].verified).toBe(false);

    // An invite code is not a safety number: said plainly, still not verified.
    await mine.getByRole('button', { name: 'Scan their code' }).click();
    await mine.getByLabel('Choose image…').setInputFiles(pngFile('invite-not-safety.png', qrPng((await bob.messenger.getInvite()).link)));
    await expect.poll(() => mine.getByRole('alert').last().textContent(), POLL).toContain('not a Parley safety number');
    expect((await alice.messenger.listContacts())[0].verified).toBe(false);
    await closeDialog(alice);
  }, 60_000);

  it("reads an invite QR code from the camera (Chromium's fake camera shows Alice's code)", async () => {
    const aliceLink = (await alice.messenger.getInvite()).link;
    cameraBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${pngFile('camera.y4m', y4mOfQr(aliceLink))}`,
      ],
    });
    carol = await new WebUser('Carol Danvers', cameraBrowser, `http://${relay.host}`).start();
    await carol.onboard();
    const d = await openAddContact(carol);
    await d.getByRole('button', { name: 'Use camera' }).click();
    await expect.poll(() => d.getByLabel('Their invite link').inputValue(), POLL).toBe(aliceLink);
    // The camera is let go once the code is read.
    await d.getByLabel('Camera preview').waitFor({ state: 'detached' });
    await d.getByRole('button', { name: 'Use camera' }).waitFor();
    await d.getByRole('button', { name: 'Add contact' }).click();
    await d.waitFor({ state: 'hidden' });
    await carol.conversation('Alice Liddell').waitFor();
  }, 60_000);
});

/**
 * One 640×480 frame of YUV4MPEG2 (4:2:0) with the QR code of `text` in the middle, dark
 * on white: what Chromium's fake capture device plays, looping, as the camera picture.
 */
function y4mOfQr(text: string): Buffer {
  const width = 640;
  const height = 480;
  const { data, size } = encode(text, { ecc: 'M', border: 4 });
  const scale = Math.floor(400 / size);
  const left = Math.floor((width - size * scale) / 2);
  const top = Math.floor((height - size * scale) / 2);
  const luma = Buffer.alloc(width * height, 235);
  for (let y = 0; y < size * scale; y++) {
    for (let x = 0; x < size * scale; x++) {
      if (data[Math.floor(y / scale)][Math.floor(x / scale)]) luma[(top + y) * width + left + x] = 16;
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\nFRAME\n`), luma, chroma]);
}
