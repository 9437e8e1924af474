// Test support for engine scenarios: a real relay on loopback (relay/test/support), cores
// on real SQLite profiles in temp directories, and a polling `eventually` (the engine is
// asynchronous end to end; tests wait for the state, never sleep a fixed time).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestRelay, type TestRelay } from '../../../relay/test/support/relay.ts';
import { resolveConfig } from '../../../relay/src/config.ts';
import { createLogger } from '../../../relay/src/log.ts';
import { serveNode, type NodeRelay } from '../../../relay/src/node-server.ts';
import type { MessengerEvent } from '@parley/common/api/index';
import { Messenger, type MessengerOptions } from '../../src/core/messenger.ts';

export { startTestRelay, type TestRelay };

export const FAST = {
  relay: { backoff: { baseMs: 50, maxMs: 400, jitter: 0.5 }, heartbeatMs: 2_000, sendTimeoutMs: 5_000 },
  outboxPolicy: { baseDelayMs: 50, maxDelayMs: 400 },
} satisfies Partial<MessengerOptions>;

export class Cores {
  private open: Messenger[] = [];
  private dirs: string[] = [];

  dir(): string {
    const d = mkdtempSync(join(tmpdir(), 'parley-engine-'));
    this.dirs.push(d);
    return d;
  }

  async core(profileDir = this.dir(), extra: Partial<MessengerOptions> = {}): Promise<Messenger & { events: MessengerEvent[]; dir: string }> {
    const m = (await Messenger.open({ profileDir, ...FAST, ...extra })) as Messenger & { events: MessengerEvent[]; dir: string };
    m.events = [];
    m.dir = profileDir;
    m.subscribe((e) => m.events.push(e));
    this.open.push(m);
    return m;
  }

  async user(relay: { host: string }, name: string, profileDir?: string) {
    const m = await this.core(profileDir);
    await m.createAccount({ displayName: name, relayUrl: `http://${relay.host}` });
    return m;
  }

  async closeAll(): Promise<void> {
    for (const m of this.open) await m.close();
    this.open = [];
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.dirs = [];
  }
}

export async function eventually<T>(fn: () => T | Promise<T>, what = 'condition', timeoutMs = 10_000): Promise<Exclude<T, false | null | undefined>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as Exclude<T, false | null | undefined>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Makes a and b contacts of each other through invite links. */
export async function befriend(a: Messenger, b: Messenger): Promise<void> {
  await a.addContactByInvite({ link: (await b.getInvite()).link });
  await b.addContactByInvite({ link: (await a.getInvite()).link });
}

export async function online(m: Messenger): Promise<void> {
  await eventually(async () => (await m.getConnectionStatus()).state === 'online', 'online');
}

export async function texts(m: Messenger, conversationId: string): Promise<string[]> {
  return (await m.getHistory({ conversationId })).messages.map((x) => x.body.text);
}

/** A relay that can be stopped and started again on the same port and data directory. */
export class RestartableRelay {
  private running: NodeRelay | null = null;
  port = 0;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'parley-relay-engine-'));

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const config = resolveConfig({
      port: this.port,
      host: '127.0.0.1',
      dataDir: this.dataDir,
      sqliteSynchronous: 'NORMAL',
      logLevel: 'silent',
      limits: { addressRequestsPerSecond: 0 },
    });
    this.running = await serveNode(config, { log: createLogger((process.env.PARLEY_TEST_LOG as 'debug') ?? 'silent') });
    this.port = this.running.port;
  }

  async stop(): Promise<void> {
    await this.running?.close();
    this.running = null;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
