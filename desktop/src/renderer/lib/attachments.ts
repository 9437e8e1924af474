// Attachments in the renderer: file bytes to base64url for sendAttachment, a small image
// thumbnail drawn on a canvas (the core has no image codec; the thumbnail travels inside the
// end-to-end message), human-readable sizes, and a saved file read with readAttachment in
// parts into a Blob, shown through an object URL (the full-size viewer) or handed to a
// download ("Save").
import type { AttachmentInfo, MessengerApi } from '@parley/common/api/index';

/** Longest side of a thumbnail, in pixels. */
export const THUMB_MAX = 320;
/** The core refuses thumbnails over 48 KiB of bytes; stay well under. */
const THUMB_MAX_BYTES = 40 * 1024;

export function bytesToBase64url(bytes: Uint8Array): string {
  let bin = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64urlToDataUrl(b64url: string, mime = 'image/jpeg'): string {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  return `data:${mime};base64,${b64}${'='.repeat((4 - (b64.length % 4)) % 4)}`;
}

/** JPEG, PNG and WebP thumbnails all start with recognisable bytes. */
export function thumbnailMime(b64url: string): string {
  if (b64url.startsWith('iVBOR')) return 'image/png';
  if (b64url.startsWith('UklGR')) return 'image/webp';
  return 'image/jpeg';
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

export function isImage(mime: string): boolean {
  return /^image\/(png|jpe?g|gif|webp|bmp|avif)$/i.test(mime);
}

export interface Thumbnail {
  thumbnail: string;
  width: number;
  height: number;
}

/** Draws the image at most THUMB_MAX px on its longest side and encodes it (WebP, else JPEG). Null when the browser cannot decode it. */
export async function makeThumbnail(file: Blob): Promise<Thumbnail | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  try {
    const { width, height } = bitmap;
    if (!width || !height) return null;
    const scale = Math.min(1, THUMB_MAX / Math.max(width, height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    ctx.fillStyle = '#fff'; // transparent PNGs would turn black in JPEG
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    for (const [type, quality] of [['image/webp', 0.8], ['image/jpeg', 0.8], ['image/jpeg', 0.55], ['image/jpeg', 0.35]] as const) {
      const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, type, quality));
      if (!blob || (type === 'image/webp' && blob.type !== 'image/webp')) continue;
      if (blob.size > THUMB_MAX_BYTES) continue;
      return { thumbnail: bytesToBase64url(new Uint8Array(await blob.arrayBuffer())), width, height };
    }
    return null;
  } finally {
    bitmap.close();
  }
}

export function base64urlToBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A saved attachment's bytes in the renderer. */
export interface OriginalFile {
  name: string;
  mime: string;
  size: number;
  blob: Blob;
}

/** Bytes per readAttachment call: files of any size are read in parts this big (≈11 MB of base64url per answer). */
export const READ_PART = 8 * 1024 * 1024;

/** An object URL for a read file; the caller revokes it. */
export function objectUrlOf(file: OriginalFile): string {
  return URL.createObjectURL(file.blob);
}

/**
 * "Save": hands the bytes to the browser's download (in Electron, the same `download`
 * attribute opens the save dialog). The URL is revoked a minute later, not at once: the
 * download reads it after the click returns.
 */
export function saveFile(file: OriginalFile): void {
  const url = objectUrlOf(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The whole saved file, read in parts of READ_PART; a file that changes size or shrinks meanwhile is refused as attachment_missing. */
async function readWhole(api: MessengerApi, messageId: string): Promise<OriginalFile> {
  const first = await api.readAttachment({ messageId, offset: 0, length: READ_PART });
  const parts: Uint8Array<ArrayBuffer>[] = [base64urlToBytes(first.data)];
  let have = parts[0].length;
  while (have < first.size) {
    const next = await api.readAttachment({ messageId, offset: have, length: READ_PART });
    const bytes = base64urlToBytes(next.data);
    if (next.size !== first.size || next.offset !== have || bytes.length === 0) {
      throw Object.assign(new Error(`The saved copy of ${first.name} changed while it was read.`), { code: 'attachment_missing' });
    }
    parts.push(bytes);
    have += bytes.length;
  }
  return { name: first.name, mime: first.mime, size: first.size, blob: new Blob(parts, { type: first.mime || 'application/octet-stream' }) };
}

/**
 * The saved file, downloading first when it is not on this device yet, and once more
 * when the saved copy turns out to be gone or changed (attachment_missing).
 */
export async function readOriginal(api: MessengerApi, messageId: string, state: AttachmentInfo['state']): Promise<OriginalFile> {
  if (state !== 'downloaded') await api.downloadAttachment({ messageId });
  try {
    return await readWhole(api, messageId);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'attachment_missing' && code !== 'attachment_not_downloaded') throw err;
    await api.downloadAttachment({ messageId });
    return readWhole(api, messageId);
  }
}
