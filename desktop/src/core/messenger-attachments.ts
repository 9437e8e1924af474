// Attachments: encrypt with a fresh key (common/crypto/attachment.ts: secretstream chunks,
// BLAKE2b-256 of the ciphertext), upload the ciphertext as a relay blob, and send the
// blob id, key, hash, size, name, type and (for images) a thumbnail inside an ordinary
// end-to-end `attachment` message. Receivers download on demand: ranged and resumable
// (a `.part` file grows by MiB ranges), hash checked before decryption, the plaintext
// saved under <profile>/attachments and recorded in the `attachments` table.
//
// Thumbnails are made by the caller (the UI draws one on a canvas; the core has no image
// codec and takes no native dependency), passed as `thumbnail` with `width`/`height`.
import { ApiError, MAX_READ_ATTACHMENT_BYTES, type AttachmentData, type Message, type MessageBody } from '@parley/common/api/index';
import { CryptoError, ciphertextLength, decryptAttachment, encryptAttachment } from '@parley/common/crypto';
import { fromBase64Url, toBase64Url } from '@parley/common/encoding';
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Content } from './pipeline/content.ts';
import type { RelayHttp } from './net/relay-http.ts';
import { RelayHttpError } from './net/relay-http.ts';
import type { LocalProfile } from './profile.ts';

type AttachmentContent = Extract<Content, { kind: 'attachment' }>;

/** Bytes fetched per ranged request while downloading. */
export const DOWNLOAD_RANGE = 1 << 20;
/** Thumbnail bytes carried inside a message. */
export const MAX_THUMBNAIL_BYTES = 48 * 1024;

interface AttachmentRow {
  id: string;
  message_id: number;
  name: string;
  mime: string;
  size: number;
  blob_id: string | null;
  file_key: string | null;
  sha256: string | null;
  local_path: string | null;
  state: string;
}

/** The MessageBody an attachment content is shown as before it is downloaded. */
export function attachmentBody(c: AttachmentContent, state: 'remote' | 'downloaded' = 'remote'): MessageBody {
  return {
    kind: 'attachment',
    text: c.text,
    attachment: { id: c.file.blob, name: c.file.name, mime: c.file.mime, size: c.file.size, thumbnail: c.file.thumb ?? null, width: c.file.w ?? null, height: c.file.h ?? null, state },
  };
}

/** Records the attachment of a stored message (inside the receive transaction). `localPath`: the sender's own copy. */
export function recordAttachment(profile: LocalProfile, messageId: string, c: AttachmentContent, localPath: string | null = null): void {
  profile.db
    .prepare(
      `INSERT INTO attachments (id, message_id, name, mime, size, blob_id, file_key, sha256, thumbnail, width, height, local_path, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    .run(
      c.file.blob,
      profile.messages.rowIdOf(messageId),
      c.file.name,
      c.file.mime,
      c.file.size,
      c.file.blob,
      c.file.key,
      c.file.hash,
      c.file.thumb ? fromBase64Url(c.file.thumb) : null,
      c.file.w ?? null,
      c.file.h ?? null,
      localPath,
      localPath ? 'downloaded' : 'remote',
    );
}

export interface AttachmentDeps {
  profile: LocalProfile;
  http(): RelayHttp | null;
  relayUrl(): string;
  /** Stores and queues a message (direct or group) carrying this content. */
  queue(conversationId: string, content: Omit<AttachmentContent, 'at'>, body: MessageBody, replyTo: string | null): Message;
  newId(): string;
  emitUpdated(m: Message): void;
}

export interface SendAttachmentParams {
  conversationId: string;
  name: string;
  mime: string;
  data?: string;
  path?: string;
  caption?: string;
  replyTo?: string;
  thumbnail?: string;
  width?: number;
  height?: number;
}

export class Attachments {
  private downloads = new Map<string, Promise<Message>>();

  constructor(private readonly d: AttachmentDeps) {}

  private dir(): string {
    const dir = join(this.d.profile.dir, 'attachments');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Encrypts and uploads now (needs the relay), then queues the message like any other. */
  async send(p: SendAttachmentParams): Promise<Message> {
    const http = this.d.http();
    if (!http) throw new ApiError('offline');
    let data: Uint8Array;
    try {
      data = p.data !== undefined ? fromBase64Url(p.data) : new Uint8Array(readFileSync(p.path!));
    } catch (err) {
      throw new ApiError('bad_params', `The file could not be read: ${(err as Error).message}`);
    }
    if (p.thumbnail && fromBase64Url(p.thumbnail).length > MAX_THUMBNAIL_BYTES) {
      throw new ApiError('bad_params', `A thumbnail may be at most ${MAX_THUMBNAIL_BYTES / 1024} KiB; make it smaller.`);
    }
    const enc = encryptAttachment(data);
    let blob: string;
    try {
      blob = (await http.uploadBlob(enc.ciphertext)).id;
    } catch (err) {
      if (err instanceof RelayHttpError && err.code === 'offline') throw new ApiError('offline', err.message);
      throw new ApiError('attachment_unavailable', `The relay did not take the file: ${(err as Error).message}`);
    }
    const file: AttachmentContent['file'] = { blob, relay: this.d.relayUrl(), key: enc.key, hash: enc.digest, size: enc.size, name: p.name, mime: p.mime };
    if (p.thumbnail) file.thumb = p.thumbnail;
    if (p.width) file.w = p.width;
    if (p.height) file.h = p.height;
    const content = { v: 1, id: this.d.newId(), conv: { t: 'd', peer: 'x' }, kind: 'attachment', text: p.caption ?? '', replyTo: p.replyTo ?? null, file } as const;
    const conv = p.conversationId.startsWith('g:') ? ({ t: 'g', id: p.conversationId.slice(2) } as const) : ({ t: 'd', peer: p.conversationId.slice(2) } as const);
    const full = { ...content, conv } as Omit<AttachmentContent, 'at'>;
    // The sender keeps its plaintext: saved like a downloaded file.
    const localPath = join(this.dir(), `${blob}-${safeName(p.name)}`);
    writeFileSync(localPath, data, { mode: 0o600 });
    const message = this.d.queue(p.conversationId, full, attachmentBody(full as AttachmentContent, 'downloaded'), p.replyTo ?? null);
    recordAttachment(this.d.profile, message.id, full as AttachmentContent, localPath);
    return message;
  }

  /** Downloads (resuming a partial download), verifies, decrypts and saves; one at a time per message. */
  download(messageId: string): Promise<Message> {
    const running = this.downloads.get(messageId);
    if (running) return running;
    const p = this.fetch(messageId).finally(() => this.downloads.delete(messageId));
    this.downloads.set(messageId, p);
    return p;
  }

  /**
   * The bytes of a saved attachment (downloaded, or our own sent copy). The hash on record
   * is of the ciphertext (checked when downloading), so here the file is checked against
   * the recorded plaintext size: a file deleted, truncated or replaced since is refused
   * (attachment_missing) rather than shown as if it were what the sender sent. With
   * `offset` (and `length`, at most MAX_READ_ATTACHMENT_BYTES) it returns that part only,
   * so a file of any size can be read in parts.
   */
  read(messageId: string, offset?: number, length?: number): AttachmentData {
    try {
      this.d.profile.messages.get(messageId);
    } catch {
      throw new ApiError('not_found');
    }
    const row = this.row(messageId);
    if (!row) throw new ApiError('not_found', 'That message has no attachment.');
    if (row.state !== 'downloaded' || !row.local_path) throw new ApiError('attachment_not_downloaded');
    const ranged = offset !== undefined || length !== undefined;
    // The schema bounds these at every boundary; in-process callers (the CLI, tests) get the same answer.
    if ((offset !== undefined && (!Number.isSafeInteger(offset) || offset < 0)) || (length !== undefined && (!Number.isSafeInteger(length) || length < 1 || length > MAX_READ_ATTACHMENT_BYTES))) {
      throw new ApiError('bad_params', `offset must be a whole number ≥ 0 and length one from 1 to ${MAX_READ_ATTACHMENT_BYTES}.`);
    }
    const from = offset ?? 0;
    if (!ranged && row.size > MAX_READ_ATTACHMENT_BYTES) {
      throw new ApiError('attachment_too_large', `${row.name} is larger than ${MAX_READ_ATTACHMENT_BYTES / 1024 / 1024} MiB; read it in parts (offset, length).`);
    }
    if (from > row.size || (from === row.size && row.size > 0)) throw new ApiError('bad_params', `offset ${from} is past the end of ${row.name} (${row.size} bytes).`);
    const want = Math.min(length ?? MAX_READ_ATTACHMENT_BYTES, row.size - from);
    let data: Buffer;
    let fd: number | null = null;
    try {
      fd = openSync(row.local_path, 'r');
      const st = fstatSync(fd);
      if (!st.isFile() || st.size !== row.size) throw new ApiError('attachment_missing', `The saved copy of ${row.name} was changed on disk (${st.size} bytes, expected ${row.size}); download it again.`);
      data = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, data, got, want - got, from + got);
        if (n === 0) break;
        got += n;
      }
      // Shortened between the stat and the read.
      if (got !== want) throw new ApiError('attachment_missing', `The saved copy of ${row.name} changed while it was read; try again.`);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError('attachment_missing', `The saved copy of ${row.name} is gone; download it again.`);
    } finally {
      if (fd !== null) closeSync(fd);
    }
    return { name: row.name, mime: row.mime, size: row.size, offset: from, data: toBase64Url(data) };
  }

  /** The saved file of a downloaded attachment (for the shell to open), or null; unknown messages are not_found. */
  localPath(messageId: string): { path: string | null; name: string; dir: string } {
    let row: AttachmentRow | null;
    try {
      row = this.row(messageId);
    } catch {
      throw new ApiError('not_found');
    }
    if (!row) throw new ApiError('not_found', 'That message has no attachment.');
    return { path: row.state === 'downloaded' ? row.local_path : null, name: row.name, dir: this.dir() };
  }

  private row(messageId: string): AttachmentRow | null {
    const rowId = this.d.profile.messages.rowIdOf(messageId);
    return (this.d.profile.db.prepare(`SELECT * FROM attachments WHERE message_id = ?`).get(rowId) as AttachmentRow | undefined) ?? null;
  }

  private async fetch(messageId: string): Promise<Message> {
    let message: Message;
    try {
      message = this.d.profile.messages.get(messageId);
    } catch {
      throw new ApiError('not_found');
    }
    const row = this.row(messageId);
    if (message.body.kind !== 'attachment' || !row || !row.blob_id || !row.file_key || !row.sha256) throw new ApiError('not_found', 'That message has no attachment.');
    // A saved copy that is gone or no longer the recorded size is fetched again.
    if (row.state === 'downloaded' && row.local_path && existsSync(row.local_path) && statSync(row.local_path).size === row.size) return message;
    const http = this.d.http();
    if (!http) throw new ApiError('offline');
    this.setState(row, 'downloading');
    const part = join(this.dir(), `${row.id}.part`);
    const total = ciphertextLength(row.size);
    let have = existsSync(part) ? statSync(part).size : 0;
    if (have > total) {
      rmSync(part);
      have = 0;
    }
    try {
      while (have < total) {
        let chunk: Uint8Array;
        try {
          chunk = await http.downloadBlob(row.blob_id, { start: have, end: Math.min(total, have + DOWNLOAD_RANGE) - 1 });
        } catch (err) {
          if (err instanceof RelayHttpError && err.code === 'offline') throw new ApiError('offline', 'The download stopped; it resumes where it left off when you try again.');
          if (err instanceof RelayHttpError && err.status === 416) throw new ApiError('attachment_damaged', 'The file on the relay is shorter than the message says (truncated).');
          // The answer broke off mid-body: what arrived before is not kept, the next try resumes at `have`.
          if (!(err instanceof RelayHttpError)) throw new ApiError('offline', 'The download was interrupted; try again to resume it.');
          throw new ApiError('attachment_unavailable', `The relay no longer has this file (${err instanceof RelayHttpError ? err.code : 'error'}); ask the sender to send it again.`);
        }
        if (chunk.length === 0) throw new ApiError('attachment_damaged', 'The file on the relay is shorter than the message says (truncated).');
        appendFileSync(part, chunk);
        have += chunk.length;
      }
      let plain: Uint8Array;
      try {
        plain = decryptAttachment(new Uint8Array(readFileSync(part)), { key: row.file_key, digest: row.sha256 });
      } catch (err) {
        rmSync(part, { force: true }); // a fresh download may succeed if the relay's copy is repaired
        if (err instanceof CryptoError) throw new ApiError('attachment_damaged', `The downloaded file does not match what the sender sent (${err.code}); it was not saved.`);
        throw err;
      }
      const localPath = join(this.dir(), `${row.id}-${safeName(row.name)}`);
      writeFileSync(localPath, plain, { mode: 0o600 });
      rmSync(part, { force: true });
      this.d.profile.db.prepare(`UPDATE attachments SET local_path = ? WHERE id = ?`).run(localPath, row.id);
      return this.setState(row, 'downloaded');
    } catch (err) {
      // The message stays; only the attachment's state says the download failed.
      this.setState(row, 'failed');
      throw err instanceof ApiError ? err : new ApiError('internal', String((err as Error)?.message ?? err));
    }
  }

  private setState(row: AttachmentRow, state: 'downloading' | 'downloaded' | 'failed'): Message {
    const db = this.d.profile.db;
    const body = JSON.parse(db.prepare(`SELECT body FROM messages WHERE id = ?`).pluck().get(row.message_id) as string) as MessageBody;
    if (body.kind === 'attachment') body.attachment.state = state;
    db.transaction(() => {
      db.prepare(`UPDATE attachments SET state = ? WHERE id = ?`).run(state, row.id);
      db.prepare(`UPDATE messages SET body = ? WHERE id = ?`).run(JSON.stringify(body), row.message_id);
    })();
    const id = (db.prepare(`SELECT sender_user_id || ':' || client_msg_id FROM messages WHERE id = ?`).pluck().get(row.message_id) as string);
    const m = this.d.profile.messages.get(id);
    this.d.emitUpdated(m);
    return m;
  }
}

/** A file name safe to use in our directory (no separators, no leading dots). */
function safeName(name: string): string {
  const n = basename(name.replace(/\\/g, '/')).replace(/[^\p{L}\p{N}._ -]/gu, '_').replace(/^\.+/, '');
  return n.slice(0, 100) || 'file';
}
