// Attachments end to end on a real relay: encrypt + upload, the `attachment` message,
// ranged download with the hash checked before decryption (messenger-attachments.ts).
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cores, befriend, eventually, online, startTestRelay, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

/** Every file under a directory (the relay's blob files). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('attachments', () => {
  it('round trip between two users: bytes identical, thumbnail inside the message; a tampered blob is rejected and the message kept', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aId = (await alice.getAccount())!.userId;
    const bId = (await bob.getAccount())!.userId;

    // 2.5 MiB: the download takes several ranged requests.
    const bytes = randomBytes(2.5 * 1024 * 1024);
    const thumbnail = randomBytes(600).toString('base64url');
    const sent = await alice.sendAttachment({ conversationId: `d:${bId}`, name: 'photo.jpg', mime: 'image/jpeg', data: bytes.toString('base64url'), caption: 'the view', thumbnail, width: 64, height: 48 });
    expect(sent.body).toMatchObject({ kind: 'attachment', text: 'the view', attachment: { name: 'photo.jpg', state: 'downloaded' } });

    const got = await eventually(async () => (await bob.getHistory({ conversationId: `d:${aId}` })).messages.find((m) => m.id === sent.id), 'bob gets the message');
    expect(got.body).toMatchObject({ kind: 'attachment', text: 'the view', attachment: { name: 'photo.jpg', mime: 'image/jpeg', size: bytes.length, thumbnail, width: 64, height: 48, state: 'remote' } });

    const done = await bob.downloadAttachment({ messageId: sent.id });
    expect(done.body.kind === 'attachment' && done.body.attachment.state).toBe('downloaded');
    const saved = filesUnder(join(bob.dir, 'attachments'));
    expect(saved).toHaveLength(1);
    expect(Buffer.compare(readFileSync(saved[0]), bytes)).toBe(0);
    // A second call is answered from the saved file.
    expect((await bob.downloadAttachment({ messageId: sent.id })).body).toMatchObject({ attachment: { state: 'downloaded' } });

    // A relay that alters the stored ciphertext: the hash check refuses it, nothing is saved.
    const before = new Set(filesUnder(join(relay.dataDir, 'blobs')));
    const second = await alice.sendAttachment({ conversationId: `d:${bId}`, name: 'notes.txt', mime: 'text/plain', data: Buffer.from('secret notes').toString('base64url') });
    const blobFile = filesUnder(join(relay.dataDir, 'blobs')).find((f) => !before.has(f) && statSync(f).size > 0)!;
    const stored = readFileSync(blobFile);
    stored[stored.length - 5] ^= 0xff;
    writeFileSync(blobFile, stored);
    await eventually(async () => (await bob.getHistory({ conversationId: `d:${aId}` })).messages.some((m) => m.id === second.id), 'second message arrives');
    await expect(bob.downloadAttachment({ messageId: second.id })).rejects.toMatchObject({ code: 'attachment_damaged' });
    const kept = (await bob.getHistory({ conversationId: `d:${aId}` })).messages.find((m) => m.id === second.id)!;
    expect(kept.body).toMatchObject({ kind: 'attachment', attachment: { state: 'failed' } });
    expect(filesUnder(join(bob.dir, 'attachments')).filter((f) => f.includes('notes'))).toHaveLength(0);
  });
});

describe('attachment downloads', () => {
  it('resume from a partial file, and a truncated blob is refused as damaged', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aId = (await alice.getAccount())!.userId;
    const bId = (await bob.getAccount())!.userId;
    const blobs = join(relay.dataDir, 'blobs');
    const newBlob = (before: Set<string>) => filesUnder(blobs).find((f) => !before.has(f) && statSync(f).size > 0)!;

    const bytes = randomBytes(1.5 * 1024 * 1024);
    let before = new Set(filesUnder(blobs));
    const sent = await alice.sendAttachment({ conversationId: `d:${bId}`, name: 'big.bin', mime: 'application/octet-stream', data: bytes.toString('base64url') });
    const ciphertext = readFileSync(newBlob(before));
    await eventually(async () => (await bob.getHistory({ conversationId: `d:${aId}` })).messages.some((m) => m.id === sent.id), 'message arrives');
    // An earlier run stopped after 1 MiB: the download continues from there.
    const blobId = (sent.body as { attachment: { id: string } }).attachment.id;
    mkdirSync(join(bob.dir, 'attachments'), { recursive: true });
    writeFileSync(join(bob.dir, 'attachments', `${blobId}.part`), ciphertext.subarray(0, 1 << 20));
    await bob.downloadAttachment({ messageId: sent.id });
    const saved = filesUnder(join(bob.dir, 'attachments'));
    expect(saved.map((f) => f.endsWith('.part'))).toEqual([false]);
    expect(Buffer.compare(readFileSync(saved[0]), bytes)).toBe(0);

    before = new Set(filesUnder(blobs));
    const cut = await alice.sendAttachment({ conversationId: `d:${bId}`, name: 'cut.bin', mime: 'application/octet-stream', data: randomBytes(200_000).toString('base64url') });
    // A relay that lost the end of the file (its record says the shorter size too).
    const file = newBlob(before);
    truncateSync(file, statSync(file).size - 1000);
    const db = new Database(join(relay.dataDir, 'relay.db'));
    db.prepare(`UPDATE blobs SET size = size - 1000 WHERE id = ?`).run((cut.body as { attachment: { id: string } }).attachment.id);
    db.close();
    await eventually(async () => (await bob.getHistory({ conversationId: `d:${aId}` })).messages.some((m) => m.id === cut.id), 'second message arrives');
    await expect(bob.downloadAttachment({ messageId: cut.id })).rejects.toMatchObject({ code: 'attachment_damaged' });
    expect((await bob.getHistory({ conversationId: `d:${aId}` })).messages.find((m) => m.id === cut.id)!.body).toMatchObject({ attachment: { state: 'failed' } });
  });
});
