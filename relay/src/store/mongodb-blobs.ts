// Attachments in GridFS (bucket "blobs"): streamed in under a size limit, streamed out by
// byte range, deleted by sweep once expired.
//
// GridFS writes the chunks as they arrive and the files document only when the upload
// completes, so a blob is invisible until whole. An upload over the limit or one whose
// stream fails is aborted, which deletes the chunks written so far. A relay that dies
// mid-upload cannot abort, so each upload first records a claim in blob_uploads; sweep
// deletes the chunks of claims older than STALE_UPLOAD_MS that never got a files document.
//
// The files collection has no TTL index on purpose: the TTL monitor would delete the
// files document and leave its chunks behind. sweep removes chunks first, then the files
// document, so an interrupted sweep is finished by the next one.
import { type Db, GridFSBucket, type GridFSBucketReadStream, type GridFSBucketWriteStream, type ObjectId } from 'mongodb';
import type { Collection } from 'mongodb';
import { BLOB_BUCKET, type UploadDoc } from './mongodb-collections.ts';
import { BlobTooLargeError, type BlobMeta } from './types.ts';

/** An upload claim older than this whose blob never completed is abandoned. */
export const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

interface BlobMetadata {
  owner: string;
  createdAt: number;
  expiresAt: Date;
}

interface FileDoc {
  _id: string;
  length: number;
  chunkSize: number;
  uploadDate: Date;
  filename: string;
  metadata: BlobMetadata;
}

interface ChunkDoc {
  files_id: string;
  n: number;
}

// GridFS allows any _id; the driver's types only say ObjectId. Blob ids are the relay's
// unguessable base64url strings, kept as they are so URLs and documents match.
const gridId = (id: string) => id as unknown as ObjectId;

export class MongoBlobs {
  private readonly bucket: GridFSBucket;
  private readonly files: Collection<FileDoc>;
  private readonly chunks: Collection<ChunkDoc>;

  constructor(
    db: Db,
    private readonly uploads: Collection<UploadDoc>,
  ) {
    this.bucket = new GridFSBucket(db, { bucketName: BLOB_BUCKET, writeConcern: db.writeConcern });
    this.files = db.collection<FileDoc>(`${BLOB_BUCKET}.files`);
    this.chunks = db.collection<ChunkDoc>(`${BLOB_BUCKET}.chunks`);
  }

  async put(meta: Omit<BlobMeta, 'size'>, data: ReadableStream<Uint8Array>, maxBytes: number): Promise<BlobMeta> {
    if (await this.files.findOne({ _id: meta.id }, { projection: { _id: 1 } })) {
      await data.cancel().catch(() => {});
      throw new Error(`a blob with id ${meta.id} already exists`);
    }
    await this.uploads.insertOne({ _id: meta.id, startedAt: new Date(meta.createdAt) });
    const metadata: BlobMetadata = { owner: meta.owner, createdAt: meta.createdAt, expiresAt: new Date(meta.expiresAt) };
    const upload = this.bucket.openUploadStreamWithId(gridId(meta.id), meta.id, { metadata });
    // An 'error' event without a listener would crash the process; errors also reach the
    // write callbacks and finish(), which is where they are handled.
    upload.on('error', () => {});
    const reader = data.getReader();
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        await write(upload, value); // resolves once GridFS has taken the chunk: backpressure
      }
      await finish(upload);
    } catch (err) {
      await reader.cancel(err).catch(() => {});
      // abort() deletes the chunks already written. If it fails, the claim stays for sweep.
      const aborted = await upload.abort().then(
        () => true,
        () => false,
      );
      if (aborted) await this.uploads.deleteOne({ _id: meta.id }).catch(() => {});
      throw err;
    } finally {
      reader.releaseLock();
    }
    await this.uploads.deleteOne({ _id: meta.id });
    return { id: meta.id, owner: meta.owner, size, createdAt: meta.createdAt, expiresAt: meta.expiresAt };
  }

  async meta(id: string, now: number): Promise<BlobMeta | null> {
    const doc = await this.files.findOne({ _id: id, 'metadata.expiresAt': { $gt: new Date(now) } });
    if (!doc) return null;
    return {
      id,
      owner: doc.metadata.owner,
      size: doc.length,
      createdAt: doc.metadata.createdAt,
      expiresAt: doc.metadata.expiresAt.getTime(),
    };
  }

  async read(id: string, start: number, end: number, now: number): Promise<ReadableStream<Uint8Array> | null> {
    const meta = await this.meta(id, now);
    if (!meta) return null;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end >= meta.size || end < start - 1) {
      throw new RangeError(`bytes ${start}-${end} are outside blob ${id} of ${meta.size} bytes`);
    }
    if (end < start) return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    // GridFS's `end` is exclusive; the store's is inclusive.
    return toWebStream(this.bucket.openDownloadStream(gridId(id), { start, end: end + 1 }));
  }

  async delete(id: string): Promise<boolean> {
    // The files document first, so readers stop finding the blob at once.
    const { deletedCount } = await this.files.deleteOne({ _id: id });
    await this.chunks.deleteMany({ files_id: id });
    return deletedCount === 1;
  }

  /** Deletes expired blobs and the leftovers of abandoned uploads; returns the expired count. */
  async sweep(now: number): Promise<number> {
    const expired = (
      await this.files.find({ 'metadata.expiresAt': { $lte: new Date(now) } }, { projection: { _id: 1 } }).toArray()
    ).map((d) => d._id);
    let swept = 0;
    for (let i = 0; i < expired.length; i += 1000) {
      const ids = expired.slice(i, i + 1000);
      await this.chunks.deleteMany({ files_id: { $in: ids } });
      swept += (await this.files.deleteMany({ _id: { $in: ids } })).deletedCount;
    }
    const stale = await this.uploads.find({ startedAt: { $lte: new Date(now - STALE_UPLOAD_MS) } }).toArray();
    for (const claim of stale) {
      const completed = await this.files.findOne({ _id: claim._id }, { projection: { _id: 1 } });
      if (!completed) await this.chunks.deleteMany({ files_id: claim._id });
      await this.uploads.deleteOne({ _id: claim._id });
    }
    return swept;
  }
}

function write(upload: GridFSBucketWriteStream, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    upload.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

function finish(upload: GridFSBucketWriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    upload.once('error', reject);
    upload.once('finish', resolve);
    upload.end();
  });
}

/** The driver's Node stream as the web ReadableStream the store contract returns. */
function toWebStream(source: GridFSBucketReadStream): ReadableStream<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else {
          const buf = value as Uint8Array;
          controller.enqueue(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        }
      } catch (err) {
        controller.error(err);
      }
    },
    cancel() {
      source.destroy();
    },
  });
}
