// "Open" in the desktop app: what the main process hands to the system (shell.openPath,
// which cannot run here) is decided by prepareOpenFile against a real core with files
// received over a real relay. Only the message's own saved copy inside the profile's
// attachments folder is opened, never a program or script, and nothing before a download.
import { mkdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prepareOpenFile } from '../src/shell-logic/open-file.ts';
import { Cores, befriend, eventually, online, startTestRelay, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

const realpath = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
};

describe('opening a received file in the system app', () => {
  it('opens the saved copy of a document, refuses a script and anything not downloaded, and follows no link out of the folder', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aId = (await alice.getAccount())!.userId;
    const bId = (await bob.getAccount())!.userId;
    const send = (name: string, mime: string) => alice.sendAttachment({ conversationId: `d:${bId}`, name, mime, data: Buffer.from(`contents of ${name}`).toString('base64url') });
    const doc = await send('minutes.pdf', 'application/pdf');
    const script = await send('cleanup.sh', 'text/x-shellscript');
    await eventually(async () => (await bob.getHistory({ conversationId: `d:${aId}` })).messages.filter((m) => m.body.kind === 'attachment').length === 2, 'bob has both files');

    expect(prepareOpenFile(bob, doc.id, realpath)).toMatchObject({ ok: false, error: { code: 'attachment_not_downloaded' } });
    await bob.downloadAttachment({ messageId: doc.id });
    const opened = prepareOpenFile(bob, doc.id, realpath);
    expect(opened.ok).toBe(true);
    const attachments = realpathSync(join(bob.dir, 'attachments'));
    expect(opened.ok && opened.path.startsWith(`${attachments}/`) && opened.path.endsWith('minutes.pdf')).toBe(true);

    await bob.downloadAttachment({ messageId: script.id });
    expect(prepareOpenFile(bob, script.id, realpath)).toMatchObject({ ok: false, error: { code: 'file_refused' } });

    // The saved copy replaced by a link to a file elsewhere: not opened.
    const outside = join(bob.dir, 'elsewhere');
    mkdirSync(outside);
    rmSync(opened.ok ? opened.path : '');
    symlinkSync(join(outside), opened.ok ? opened.path : '');
    expect(prepareOpenFile(bob, doc.id, realpath)).toMatchObject({ ok: false, error: { code: 'file_refused' } });

    // Ids from the page: garbage and unknown messages.
    expect(prepareOpenFile(bob, '../../etc/passwd', realpath)).toMatchObject({ ok: false, error: { code: 'bad_params' } });
    expect(prepareOpenFile(bob, { path: '/etc/passwd' }, realpath)).toMatchObject({ ok: false, error: { code: 'bad_params' } });
    expect(prepareOpenFile(bob, `${'a'.repeat(32)}:nosuchmessage`, realpath)).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});
