// The `parley` CLI as a user or a bot runs it: separate processes on real profiles,
// against a real relay on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from './support/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'desktop/src/cli/parley.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, env: { ...process.env, PARLEY_PROFILE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function parley(...args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = start(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function ok(...args: string[]): Promise<unknown> {
  const r = await parley(...args, '--json');
  if (r.code !== 0) throw new Error(`parley ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A long-running `listen --json`: its NDJSON events as they arrive. */
function listen(profile: string) {
  const child = start(['--profile', profile, 'listen', '--json']);
  const events: { type: string; [k: string]: unknown }[] = [];
  let buffered = '';
  child.stdout!.on('data', (d) => {
    buffered += d;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line) events.push(JSON.parse(line));
  });
  const exited = new Promise<number | null>((r) => child.on('close', r));
  return { child, events, exited };
}

async function until<T>(fn: () => T, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let relay: TestRelay;
let dir: string;

beforeAll(async () => {
  relay = await startTestRelay();
  dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
});
afterAll(async () => {
  await relay.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('parley CLI', () => {
  it('two profiles exchange invites; a sent message reaches a listener, shows as unread and is found by a fragment inside a word; send beside listen shares its connection', async () => {
    const a = join(dir, 'alice');
    const b = join(dir, 'bob');
    const url = `http://${relay.host}`;
    const [alice, bob] = (await Promise.all([ok('--profile', a, 'init', '--relay', url, '--name', 'Alice'), ok('--profile', b, 'init', '--relay', url, '--name', 'Bob')])) as { userId: string }[];
    const [inviteA, inviteB] = (await Promise.all([ok('--profile', a, 'invite'), ok('--profile', b, 'invite')])) as { link: string; qrPayload: string }[];
    expect(inviteA.link).toMatch(/^parley:\/\/add\?/);
    expect(inviteA.qrPayload).toBe(inviteA.link);
    await Promise.all([ok('--profile', a, 'add', inviteB.link), ok('--profile', b, 'add', inviteA.link)]);
    expect(((await ok('--profile', a, 'contacts')) as { userId: string; displayName: string }[]).map((c) => [c.userId, c.displayName])).toEqual([[bob.userId, 'Bob']]);

    const listener = listen(b);
    try {
      await until(() => listener.events.some((e) => e.type === 'connection' && (e.status as { state: string }).state === 'online'), 'bob online');
      const sent = (await ok('--profile', a, 'send', 'Bob', 'the weather is wonderful today')) as { id: string; status: string };
      expect(['sent', 'delivered']).toContain(sent.status);

      const added = await until(() => listener.events.find((e) => e.type === 'message.added'), 'bob receives');
      expect(added.message).toMatchObject({ id: sent.id, senderUserId: alice.userId, outgoing: false, body: { kind: 'text', text: 'the weather is wonderful today' } });

      // Read-only commands run beside the listener without taking its relay connection.
      const [convs, hits, text, history, historyText] = (await Promise.all([
        ok('--profile', b, 'conversations'),
        ok('--profile', b, 'search', 'onderf'),
        parley('--profile', b, 'search', 'onderf'),
        ok('--profile', b, 'history', 'Alice', '--limit', '5'),
        parley('--profile', b, 'history', 'Alice'),
      ])) as [{ id: string; title: string; unreadCount: number }[], { messageId: string; snippet: { text: string; match: boolean }[] }[], Run, { messages: { id: string }[] }, Run];
      expect(convs).toMatchObject([{ id: `d:${alice.userId}`, title: 'Alice', unreadCount: 1 }]);
      expect(hits.map((h) => h.messageId)).toEqual([sent.id]);
      expect(hits[0].snippet.filter((p) => p.match).map((p) => p.text)).toEqual(['onderf']);
      expect(text.stdout).toContain('Alice | Alice: the weather is w[onderf]ul today');
      expect(history.messages.map((m) => m.id)).toEqual([sent.id]);
      expect(historyText.stdout).toContain('Alice: the weather is wonderful today');

      // While B listens, B's own `send` goes out through the listener's connection instead
      // of replacing it, and a second listener on the profile is refused.
      const reply = (await ok('--profile', b, 'send', 'Alice', 'thanks!')) as { id: string; status: string; outgoing: boolean };
      expect(reply).toMatchObject({ status: 'sent', outgoing: true });
      expect(listener.events.some((e) => e.type === 'message.added' && (e.message as { id: string }).id === reply.id)).toBe(true);
      const second = await parley('--profile', b, 'listen', '--json');
      expect(second.code).toBe(1);
      expect(JSON.parse(second.stderr).error.code).toBe('profile_busy');
      expect(listener.events.some((e) => e.type === 'connection' && (e.status as { state: string }).state === 'offline')).toBe(false);

      const [snA, snB] = (await Promise.all([ok('--profile', a, 'safety-number', 'Bob'), ok('--profile', b, 'safety-number', alice.userId)])) as { digits: string }[];
      expect(snA.digits).toMatch(/^(\d{5} ){11}\d{5}$/);
      expect(snA.digits).toBe(snB.digits);
    } finally {
      listener.child.kill('SIGINT');
    }
    expect(await listener.exited).toBe(0); // Ctrl+C closes cleanly
  }, 120_000); // about 17 CLI processes, each starting Node and tsx: 15-20 s on a quiet 2-core machine, twice that when it is busy

  it('rejects bad arguments with a clear message and exit code 2', async () => {
    const [unknown, missing, badLimit, badOption, noAccount] = await Promise.all([
      parley('frobnicate'),
      parley('--profile', join(dir, 'x'), 'send', 'Bob', '--json'),
      parley('--profile', join(dir, 'x'), 'history', 'Bob', '--limit', 'lots'),
      parley('init', '--relya', 'http://x'),
      // Not a usage error: a valid command on a profile with no account exits 1 with its own code.
      parley('--profile', join(dir, 'empty'), 'contacts', '--json'),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stderr)).toEqual({ error: { code: 'usage', message: expect.stringContaining('Usage: parley send') } });
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit must be a whole number');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('Unknown option --relya');
    expect(noAccount.code).toBe(1);
    expect(JSON.parse(noAccount.stderr).error.code).toBe('no_account');

    const help = await parley('send', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: parley send <contact|conversation> <text…>');
  });
});
