// Blob bytes as files in one directory, for stores that keep blob metadata elsewhere
// (the SQLite store). An upload streams into a temporary file that is fsynced and renamed
// into place only when complete, so a reader never sees a partial blob and a crash leaves
// only temporary files, which open() removes.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobTooLargeError } from './types.ts';

const TEMP_SUFFIX = '.partial';
/** Blob ids become file names: only the base64url alphabet, so no path can be smuggled in. */
const BLOB_ID = /^[A-Za-z0-9_-]{1,128}$/;
const READ_CHUNK = 64 * 1024;

export class BlobFiles {
  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<BlobFiles> {
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (name.endsWith(TEMP_SUFFIX)) await unlink(join(dir, name)).catch(() => {});
    }
    return new BlobFiles(dir);
  }

  path(id: string): string {
    if (!BLOB_ID.test(id)) throw new TypeError('a blob id must be 1-128 base64url characters');
    return join(this.dir, id);
  }

  /**
   * Writes the stream to the blob's file and returns its size. On BlobTooLargeError, a
   * failing stream or a write error, the upload is cancelled and nothing is left behind.
   */
  async write(id: string, data: ReadableStream<Uint8Array>, maxBytes: number): Promise<number> {
    const finalPath = this.path(id);
    const tempPath = `${finalPath}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    const reader = data.getReader();
    let file: FileHandle | undefined;
    let size = 0;
    try {
      file = await open(tempPath, 'wx');
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        await file.write(value);
      }
      await file.sync();
      await file.close();
      file = undefined;
      await rename(tempPath, finalPath);
      return size;
    } catch (err) {
      await reader.cancel(err).catch(() => {});
      await file?.close().catch(() => {});
      await unlink(tempPath).catch(() => {});
      throw err;
    } finally {
      reader.releaseLock();
    }
  }

  /** A stream of bytes [start, end] inclusive, or null when the file is gone. */
  async readRange(id: string, start: number, end: number): Promise<ReadableStream<Uint8Array> | null> {
    let file: FileHandle;
    try {
      file = await open(this.path(id), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    // Opened before returning: a delete racing with this read cannot cut it short (POSIX).
    let position = start;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const want = Math.min(READ_CHUNK, end + 1 - position);
        if (want <= 0) {
          await file.close();
          controller.close();
          return;
        }
        const buf = new Uint8Array(want);
        const { bytesRead } = await file.read(buf, 0, want, position);
        if (bytesRead === 0) {
          await file.close();
          controller.error(new Error('blob file ended before the requested range'));
          return;
        }
        position += bytesRead;
        controller.enqueue(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      },
      async cancel() {
        await file.close();
      },
    });
  }

  async remove(id: string): Promise<void> {
    await unlink(this.path(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
