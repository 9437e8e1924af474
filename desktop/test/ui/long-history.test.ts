// A conversation with 100,000 messages stays responsive: the list renders only the rows
// near the viewport and pages older history in as you scroll up. The history is written
// straight into the profile's message store (encrypting 100,000 messages through a relay
// would take minutes and test nothing more about the UI).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestRelay, type TestRelay } from '../support/harness.ts';
import { launchChromium } from './support/browser.ts';
import { WebUser } from './support/web-user.ts';

const POLL = { timeout: 20_000, interval: 50 };
const COUNT = 100_000;
const PEER = 'a'.repeat(32);

let relay: TestRelay;
let browser: Browser;
let carol: WebUser;

beforeAll(async () => {
  browser = await launchChromium();
  relay = await startTestRelay();
  carol = await new WebUser('Carol', browser, `http://${relay.host}`).start();
}, 60_000);

afterAll(async () => {
  await carol?.dispose();
  await browser?.close();
  await relay?.dispose();
});

function seed(): void {
  const { profile } = carol.messenger;
  const conversationId = `d:${PEER}`;
  profile.conversations.ensureDirect(PEER, 'Archive');
  const start = Date.now() - COUNT * 60_000;
  profile.db.transaction(() => {
    for (let i = 0; i < COUNT; i++) {
      profile.messages.insertIncoming({
        conversationId,
        senderUserId: PEER,
        senderDeviceId: 'b'.repeat(16),
        clientMsgId: `seed${String(i).padStart(8, '0')}`,
        senderClock: start + i * 60_000,
        body: { kind: 'text', text: i % 7 === 0 ? `message #${i}, a longer one that wraps onto a second line in the bubble so rows differ in height` : `message #${i}` },
      });
    }
  })();
  // Read already: opening it must not queue 100,000 read receipts to a peer that does not exist.
  profile.conversations.raiseReadClock(conversationId, profile.messages.newestClock(conversationId));
}

describe('a conversation with 100,000 messages', () => {
  it('opens at the newest message with a few dozen rows in the DOM and pages older history in on scroll', async () => {
    await carol.onboard();
    seed();
    await carol.page.reload();
    await carol.conversation('Archive').click();
    await carol.message(`message #${COUNT - 1}`).waitFor();
    const rows = carol.page.getByTestId('message');
    expect(await rows.count()).toBeLessThan(80);

    const list = carol.page.getByTestId('message-list');
    await list.focus();
    const target = carol.message(`message #${COUNT - 350}`);
    await expect
      .poll(async () => {
        await carol.page.keyboard.press('Home');
        return target.count();
      }, POLL)
      .toBeGreaterThan(0);
    expect(await rows.count()).toBeLessThan(80);
    await carol.screenshot('long-history');
  }, 90_000);
});
