// Attachments end to end on a real relay: encrypt + upload, the `attachment` message,
// ranged download with the hash checked before decryption (messenger-attachments.ts).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
