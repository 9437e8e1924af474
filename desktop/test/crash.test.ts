import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cores, befriend, eventually, online, startTestRelay, texts, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

const script = join(import.meta.dirname, 'support', 'core-process.ts');

/** Runs a core in a child process until it SIGKILLs itself at `kill`; fails if it never gets there. */
function runUntilKilled(args: { dir: string; kill: string; send?: { conversationId: string; text: string } }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // only this child, by its own handle
      reject(new Error(`the core never reached ${args.kill}; stderr: ${stderr}`));
    }, 20_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`core exited with ${code}/${signal}: ${stderr}`));
    });
  });
}

describe('crashes never lose or duplicate messages', () => {
  it('a core killed before committing, then after committing but before acknowledging, shows every message exactly once', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await online(alice);
    const bobDir = bob.dir;
    await bob.close();
    const bobId = (await alice.listContacts())[0].userId;
    for (let i = 0; i < 3; i++) await alice.sendText({ conversationId: `d:${bobId}`, text: `m${i}` });
    await eventually(async () => (await alice.getConnectionStatus()).pendingCount === 0, 'sent');

    await runUntilKilled({ dir: bobDir, kill: 'beforeCommit' }); // received, not stored
    await runUntilKilled({ dir: bobDir, kill: 'afterCommit' }); // stored, not acknowledged

    const again = await cores.core(bobDir);
    const bToA = `d:${(await alice.getAccount())!.userId}`;
    await eventually(async () => (await texts(again, bToA)).length >= 3, 'messages present');
    await alice.sendText({ conversationId: `d:${bobId}`, text: 'm3' });
    await eventually(async () => (await texts(again, bToA)).includes('m3'), 'later message');
    expect(await texts(again, bToA)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(again.events.filter((e) => e.type === 'message.added').length).toBe(1); // only m3 was new to this run
    // The delivered receipts were queued with the commit, so they still go out.
    await eventually(async () => (await alice.getHistory({ conversationId: `d:${bobId}` })).messages.every((m) => m.status === 'delivered'), 'delivered');
  });

  it('a sender killed after the relay stored its message but before recording it resends with the same id, shown once', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aliceDir = alice.dir;
    const bobId = (await bob.getAccount())!.userId;
    const bToA = `d:${(await alice.getAccount())!.userId}`;
    await alice.close();

    await runUntilKilled({ dir: aliceDir, kill: 'afterSent', send: { conversationId: `d:${bobId}`, text: 'exactly once' } });
    await eventually(async () => (await texts(bob, bToA)).includes('exactly once'), 'bob got it');
    const revived = await cores.core(aliceDir);
    // The outbox still holds it (the crash came before bookkeeping): the retry is deduplicated by the relay.
    await eventually(async () => (await revived.getConnectionStatus()).pendingCount === 0, 'outbox drained');
    await eventually(async () => (await revived.getHistory({ conversationId: `d:${bobId}` })).messages[0]?.status === 'delivered', 'delivered');
    await revived.sendText({ conversationId: `d:${bobId}`, text: 'next' });
    await eventually(async () => (await texts(bob, bToA)).includes('next'), 'next');
    expect(await texts(bob, bToA)).toEqual(['exactly once', 'next']);
  });
});
