// The icon containers written by scripts/make-icons.ts, read back by their own rules.
import { describe, expect, it } from 'vitest';
import { icnsFromPngs, icoFromPngs, renderPng } from '../scripts/make-icons.ts';

const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#36f"/></svg>';

describe('icon containers', () => {
  it('renders PNGs at the asked size', () => {
    const png = renderPng(svg, 48);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(48); // IHDR width
  });

  it('ICO: header, one directory entry per image pointing at its PNG, 256 written as 0', () => {
    const a = renderPng(svg, 16);
    const b = renderPng(svg, 256);
    const ico = icoFromPngs([{ size: 16, png: a }, { size: 256, png: b }]);
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, 2]);
    expect([ico[6], ico[6 + 16]]).toEqual([16, 0]);
    const off1 = ico.readUInt32LE(6 + 16 + 12);
    expect(ico.readUInt32LE(6 + 16 + 8)).toBe(b.length);
    expect(ico.subarray(off1, off1 + b.length).equals(b)).toBe(true);
  });

  it('ICNS: magic, total length, typed entries with their lengths', () => {
    const a = renderPng(svg, 16);
    const icns = icnsFromPngs([{ type: 'icp4', png: a }, { type: 'ic10', png: a }]);
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    expect(icns.subarray(8, 12).toString('latin1')).toBe('icp4');
    expect(icns.readUInt32BE(12)).toBe(8 + a.length);
    expect(icns.subarray(8 + 8 + a.length, 8 + 12 + a.length).toString('latin1')).toBe('ic10');
  });
});
