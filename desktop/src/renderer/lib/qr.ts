// QR codes in the renderer: the module matrix of a payload (uqr, error correction M,
// a 4-module quiet zone as ISO/IEC 18004 asks for), one SVG path for it, and reading a
// QR code back out of an image or a camera frame (jsqr). The matrix and pixel parts are
// plain functions and run in Node for the unit tests; only decodeQrFromImage needs a DOM.
import jsQR from 'jsqr';
import { encode } from 'uqr';

/** Modules of quiet zone on every side: scanners need at least four light modules. */
export const QUIET_ZONE = 4;

export interface QrMatrix {
  /** Side length in modules, quiet zone included. */
  size: number;
  /** `modules[y][x]` is true for a dark module. */
  modules: boolean[][];
}

/** The QR code of `text` at error correction level M (~15% may be damaged), quiet zone included. */
export function qrMatrix(text: string): QrMatrix {
  const qr = encode(text, { ecc: 'M', border: QUIET_ZONE });
  return { size: qr.size, modules: qr.data };
}

/**
 * One SVG path for the dark modules, in module units (viewBox `0 0 size size`): each
 * horizontal run of dark modules is one rectangle, so the path stays short and the edges
 * meet exactly (no hairlines between squares with `shape-rendering: crispEdges`).
 */
export function qrPath(m: QrMatrix): string {
  const parts: string[] = [];
  for (let y = 0; y < m.size; y++) {
    const row = m.modules[y];
    let x = 0;
    while (x < m.size) {
      if (!row[x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < m.size && row[x]) x++;
      parts.push(`M${start} ${y}h${x - start}v1h-${x - start}z`);
    }
  }
  return parts.join('');
}

/** RGBA pixels of a matrix, `scale` pixels per module, dark on white (or inverted). For tests and exports. */
export function qrPixels(m: QrMatrix, scale: number, opts: { invert?: boolean } = {}): { data: Uint8ClampedArray; width: number; height: number } {
  const width = m.size * scale;
  const data = new Uint8ClampedArray(width * width * 4);
  for (let py = 0; py < width; py++) {
    const row = m.modules[Math.floor(py / scale)];
    for (let px = 0; px < width; px++) {
      const dark = row[Math.floor(px / scale)] !== Boolean(opts.invert);
      const i = (py * width + px) * 4;
      const v = dark ? 0 : 255;
      data[i] = v;
      data[i + 1] = v;
      data[i + 2] = v;
      data[i + 3] = 255;
    }
  }
  return { data, width, height: width };
}

/**
 * The text of the QR code in RGBA pixels, or null. Tries the normal (dark on light) reading
 * first and light-on-dark second: a code shown in a dark-themed app or photographed off a
 * screen is often inverted.
 */
export function decodeQrPixels(data: Uint8ClampedArray, width: number, height: number, opts: { tryInverted?: boolean } = {}): string | null {
  // 'attemptBoth' scans the normal binarisation, then the inverted one. (jsqr 1.4's
  // 'onlyInvert' never builds the inverted image and throws, so it is not used.)
  const found = jsQR(data, width, height, { inversionAttempts: opts.tryInverted === false ? 'dontInvert' : 'attemptBoth' });
  return found?.data ?? null;
}

/** Longest side an image is scaled down to before decoding: big photos decode faster and no worse. */
export const MAX_DECODE_SIDE = 1000;
/** Tiny images (a QR at one pixel per module) are scaled up, without smoothing, to at least this. */
const MIN_DECODE_SIDE = 300;

/** Thrown when the file is not an image the browser can decode. */
export class NotAnImageError extends Error {
  readonly code = 'not_an_image';
  constructor() {
    super('That file is not an image Parley can read. Choose a PNG, JPEG, WebP or GIF.');
  }
}

/**
 * Reads a QR code out of an image file (a screenshot, a photo, a pasted picture): the image
 * is drawn on white (transparent PNGs), scaled to at most 1000 px, and decoded normally,
 * then with inverted colours. Returns the text, or null when the image holds no QR code.
 */
export async function decodeQrFromImage(image: Blob): Promise<string | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(image);
  } catch {
    throw new NotAnImageError();
  }
  try {
    const longest = Math.max(bitmap.width, bitmap.height);
    if (longest === 0) return null;
    const scale = longest > MAX_DECODE_SIDE ? MAX_DECODE_SIDE / longest : longest < MIN_DECODE_SIDE ? Math.ceil(MIN_DECODE_SIDE / longest) : 1;
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return null;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    // Upscaling must keep module edges sharp; downscaling benefits from smoothing.
    ctx.imageSmoothingEnabled = scale < 1;
    ctx.drawImage(bitmap, 0, 0, width, height);
    const pixels = ctx.getImageData(0, 0, width, height);
    return decodeQrPixels(pixels.data, width, height);
  } finally {
    bitmap.close();
  }
}
