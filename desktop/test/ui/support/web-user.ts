// One person in a browser test: a real Messenger on a real profile, served by a real web
// host, driven through a Chromium page. `restart()` closes page, host and core and opens
// them again on the same profile (what quitting and relaunching the app does).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { MessengerEvent } from '@parley/common/api/index';
import { Messenger } from '../../../src/core/messenger.ts';
import { UI_DIST, startWebHost, type WebHost } from '../../../src/web-host/server.ts';
import { FAST } from '../../support/harness.ts';

export const SCREENSHOTS = join(import.meta.dirname, '..', '__screenshots__');

export class WebUser {
  readonly profileDir = mkdtempSync(join(tmpdir(), 'parley-ui-'));
  messenger!: Messenger;
  host!: WebHost;
  context!: BrowserContext;
  page!: Page;
  /** Every event the core emitted since the last start. */
  events: MessengerEvent[] = [];

  constructor(
    readonly name: string,
    private readonly browser: Browser,
    private readonly relayUrl: string,
  ) {}

  async start(): Promise<this> {
    this.messenger = await Messenger.open({ profileDir: this.profileDir, ...FAST });
    this.events = [];
    this.messenger.subscribe((e) => this.events.push(e));
    this.host = await startWebHost({ api: this.messenger, staticDir: UI_DIST, defaultRelayUrl: this.relayUrl });
    this.context = await this.browser.newContext({ viewport: { width: 1180, height: 760 }, colorScheme: 'light' });
    this.page = await this.context.newPage();
    this.page.setDefaultTimeout(20_000);
    await this.page.goto(this.host.url);
    return this;
  }

  async stop(): Promise<void> {
    await this.context?.close();
    await this.host?.close();
    if (this.messenger) {
      // Workaround for a core defect: Messenger.close() leaves the TypingSender's stop timer
      // running, and it fires on the closed database (uncaught "database connection is not
      // open"). Stopping typing everywhere first clears those timers.
      for (const c of await this.messenger.listConversations({ includeArchived: true })) await this.messenger.setTyping({ conversationId: c.id, typing: false });
      await this.messenger.close();
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.profileDir, { recursive: true, force: true });
  }

  async userId(): Promise<string> {
    return (await this.messenger.getAccount())!.userId;
  }

  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  }

  // ---- UI steps, written the way a person would do them

  async onboard(): Promise<void> {
    await this.page.getByLabel('Your name').fill(this.name);
    await this.page.getByRole('button', { name: 'Create account' }).click();
    await this.page.getByRole('button', { name: 'Add contact' }).waitFor();
  }

  async inviteLink(): Promise<string> {
    await this.page.getByRole('button', { name: 'Add contact' }).click();
    const field = this.page.getByTestId('my-invite-link');
    await expect.poll(() => field.inputValue(), { timeout: 20_000 }).toMatch(/^parley:\/\//);
    const link = await field.inputValue();
    await this.page.keyboard.press('Escape');
    await this.page.getByRole('dialog').waitFor({ state: 'hidden' });
    return link;
  }

  async addContact(link: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Add contact' }).click();
    await this.page.getByLabel('Their invite link').fill(link);
    await this.page.getByRole('dialog').getByRole('button', { name: 'Add contact' }).click();
    await this.page.getByRole('dialog').waitFor({ state: 'hidden' });
  }

  conversation(title: string) {
    return this.page.getByTestId('conversation').filter({ hasText: title });
  }

  composer() {
    return this.page.getByRole('textbox', { name: 'Message' });
  }

  message(text: string) {
    return this.page.getByTestId('message').filter({ hasText: text });
  }

  async send(text: string): Promise<void> {
    await this.composer().fill(text);
    await this.composer().press('Enter');
    await this.message(text).waitFor();
  }
}
