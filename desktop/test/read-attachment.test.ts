// readAttachment: the bytes of a saved attachment for the full-size viewer and "Save",
// against a real relay and real profiles (messenger-attachments.ts). Only saved files are
// read, a file changed on disk since is refused, and the answer is bounded in size.
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_READ_ATTACHMENT_BYTES } from '@parley/common/api/index';
import { Cores, befriend, eventually, online, startTestRelay, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

async function pair() {
  const alice = await cores.user(relay, 'Alice');
  const bob = await cores.user(relay, 'Bob');
  await befriend(alice, bob);
  await Promise.all([online(alice), online(bob)]);
  return { alice, bob, aId: (await alice.getAccount())!.userId, bId: (await bob.getAccount())!.userId };
}

describe('readAttachment', () => {
  it('returns the bytes of a downloaded file and of our own sent copy, and nothing before the download', async () => {
    const { alice, bob, aId, bId } = await pair();
    const bytes = randomBytes(300 * 1024);
    const sent = await alice.sendAttachment({ conversationId: `d:${bId}`, name: 'report.pdf', mime: 'application/pdf', data: bytes.toString('base64url') });

    const own = await alice.readAttachment({ messageId: sent.id });
    expect({ ...own, data: undefined }).toEqual({ name: 'report.pdf', mime: 'application/pdf', size: bytes.length, offset: 0, data: undefined });
    expect(Buffer.from(own.data, 'base64url').equals(bytes)).toBe(true);

    await eventually(async () => (await bob.getHistory({ conversationId: `d:${aId}` })).messages.some((m) => m.id === sent.id), 'bob gets the message');
    await expect(bob.readAttachment({ messageId: sent.id })).rejects.toMatchObject({ code: 'attachment_not_downloaded' });
    await bob.downloadAttachment({ messageId: sent.id });
    const got = await bob.readAttachment({ messageId: sent.id });
    expect(got).toMatchObject({ name: 'report.pdf', mime: 'application/pdf', size: bytes.length });
    expect(Buffer.from(got.data, 'base64url').equals(bytes)).toBe(true);
  });

  it('refuses a saved file that was truncated or deleted (attachment_missing); downloading again repairs it', async () => {
    const { alice, bob, aId, bId } = await pair();
    const bytes = randomBytes(64 * 1024);
    const sent = await alice.sendAttachment({ conversationId: `d:${bId}`, name: 'notes.txt', mime: 'text/plain', data: bytes.toString('base64url') });
    await eventually(async () => (await bob.getHistory({ conversationId: `d:${aId}` })).messages.some((m) => m.id === sent.id), 'bob gets the message');
    await bob.downloadAttachment({ messageId: sent.id });
    const dir = join(bob.dir, 'attachments');
    const saved = join(dir, readdirSync(dir).find((f) => f.endsWith('notes.txt'))!);

    truncateSync(saved, 1000);
    await expect(bob.readAttachment({ messageId: sent.id })).rejects.toMatchObject({ code: 'attachment_missing' });
    await bob.downloadAttachment({ messageId: sent.id }); // a copy of the wrong size is fetched again
    expect(Buffer.from((await bob.readAttachment({ messageId: sent.id })).data, 'base64url').equals(bytes)).toBe(true);

    rmSync(saved);
    await expect(bob.readAttachment({ messageId: sent.id })).rejects.toMatchObject({ code: 'attachment_missing' });
    await bob.downloadAttachment({ messageId: sent.id });
    expect(Buffer.from((await bob.readAttachment({ messageId: sent.id })).data, 'base64url').equals(bytes)).toBe(true);
  });

  it('refuses unknown messages, messages without a file, and files over the bound', async () => {
    const { alice, bId } = await pair();
    await expect(alice.readAttachment({ messageId: `${'a'.repeat(32)}:nosuchmessage` })).rejects.toMatchObject({ code: 'not_found' });
    const text = await alice.sendText({ conversationId: `d:${bId}`, text: 'no file here' });
    await expect(alice.readAttachment({ messageId: text.id })).rejects.toMatchObject({ code: 'not_found' });

    // One byte over: the answer would not fit a web-host frame once base64url-encoded.
    const big = Buffer.alloc(MAX_READ_ATTACHMENT_BYTES + 1, 7);
    const sent = await alice.sendAttachment({ conversationId: `d:${bId}`, name: 'huge.bin', mime: 'application/octet-stream', data: big.toString('base64url') });
    await expect(alice.readAttachment({ messageId: sent.id })).rejects.toMatchObject({ code: 'attachment_too_large' });
  }, 30_000);

  it('reads a file of any size in parts: offset and length give those bytes, the whole size, and refuse an offset past the end', async () => {
    const { alice, bob, aId, bId } = await pair();
    const bytes = randomBytes(MAX_READ_ATTACHMENT_BYTES + 3 * 1024 * 1024 + 17);
    const sent = await alice.sendAttachment({ conversationId: `d:${bId}`, name: 'archive.zip', mime: 'application/zip', data: bytes.toString('base64url') });
    await eventually(async () => (await bob.getHistory({ conversationId: `d:${aId}` })).messages.some((m) => m.id === sent.id), 'bob gets the message');
    await bob.downloadAttachment({ messageId: sent.id });
    await expect(bob.readAttachment({ messageId: sent.id })).rejects.toMatchObject({ code: 'attachment_too_large' });

    const PART = 7 * 1024 * 1024;
    const parts: Buffer[] = [];
    for (let offset = 0; offset < bytes.length; offset += PART) {
      const got = await bob.readAttachment({ messageId: sent.id, offset, length: PART });
      expect({ name: got.name, size: got.size, offset: got.offset }).toEqual({ name: 'archive.zip', size: bytes.length, offset });
      parts.push(Buffer.from(got.data, 'base64url'));
    }
    expect(parts.at(-1)!.length).toBe(bytes.length % PART); // the last part is what is left, not PART
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    // An offset alone reads up to the bound from there; past the end is refused.
    const tail = await bob.readAttachment({ messageId: sent.id, offset: bytes.length - 5 });
    expect(Buffer.from(tail.data, 'base64url').equals(bytes.subarray(bytes.length - 5))).toBe(true);
    await expect(bob.readAttachment({ messageId: sent.id, offset: bytes.length })).rejects.toMatchObject({ code: 'bad_params' });
    // A part is bounded like a whole-file answer.
    await expect(bob.readAttachment({ messageId: sent.id, offset: 0, length: MAX_READ_ATTACHMENT_BYTES + 1 })).rejects.toMatchObject({ code: 'bad_params' });
  }, 60_000);
});
