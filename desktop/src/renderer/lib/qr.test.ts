import { describe, expect, it } from 'vitest';
import { QUIET_ZONE, decodeQrPixels, qrMatrix, qrPath, qrPixels } from './qr.ts';

const INVITE = 'parley://add?u=abcdefghijklmnopqrstuvwxyz234567&r=http%3A%2F%2F127.0.0.1%3A8787&f=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&n=Alice+Liddell';

describe('QR matrix', () => {
  it('is square with a light quiet zone of four modules on every side', () => {
    const m = qrMatrix(INVITE);
    expect(m.modules).toHaveLength(m.size);
    for (const row of m.modules) expect(row).toHaveLength(m.size);
    for (let i = 0; i < QUIET_ZONE; i++) {
      for (let j = 0; j < m.size; j++) {
        expect(m.modules[i][j]).toBe(false);
        expect(m.modules[m.size - 1 - i][j]).toBe(false);
        expect(m.modules[j][i]).toBe(false);
        expect(m.modules[j][m.size - 1 - i]).toBe(false);
      }
    }
    // The top-left finder pattern starts right inside the quiet zone.
    expect(m.modules[QUIET_ZONE][QUIET_ZONE]).toBe(true);
  });

  it('uses error correction M: a longer text needs a bigger version', () => {
    const short = qrMatrix('parley://verify?n=' + '1'.repeat(60));
    const long = qrMatrix(INVITE);
    expect(long.size).toBeGreaterThan(short.size);
    // Versions are 17 + 4v modules wide; 60 digits in a URL at level M fit version 4 or 5.
    expect((short.size - 2 * QUIET_ZONE - 17) % 4).toBe(0);
  });

  it('decodes back to the same text from its pixels, dark on light and inverted', () => {
    for (const text of [INVITE, 'parley://verify?n=' + '0123456789'.repeat(6), 'Ünïcødé ✓']) {
      const m = qrMatrix(text);
      const normal = qrPixels(m, 4);
      expect(decodeQrPixels(normal.data, normal.width, normal.height)).toBe(text);
      const inverted = qrPixels(m, 4, { invert: true });
      expect(decodeQrPixels(inverted.data, inverted.width, inverted.height)).toBe(text);
      expect(decodeQrPixels(inverted.data, inverted.width, inverted.height, { tryInverted: false })).toBeNull();
    }
  });

  it('finds nothing in an image without a QR code', () => {
    const blank = new Uint8ClampedArray(200 * 200 * 4).fill(255);
    expect(decodeQrPixels(blank, 200, 200)).toBeNull();
  });

  it('draws every dark module exactly once in one path of horizontal runs', () => {
    const m = qrMatrix(INVITE);
    const path = qrPath(m);
    const covered = new Set<string>();
    for (const [, x, y, w] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
      for (let i = 0; i < Number(w); i++) {
        const key = `${Number(x) + i},${y}`;
        expect(covered.has(key)).toBe(false);
        covered.add(key);
      }
    }
    let dark = 0;
    m.modules.forEach((row, y) =>
      row.forEach((on, x) => {
        if (on) {
          dark++;
          expect(covered.has(`${x},${y}`)).toBe(true);
        }
      }),
    );
    expect(covered.size).toBe(dark);
    expect(path.replace(/M\d+ \d+h\d+v1h-\d+z/g, '')).toBe('');
  });
});
