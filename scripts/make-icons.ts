// Renders every icon in build/ from the one source image, build/icon.svg:
//   build/icons/<N>x<N>.png  16..1024   (Linux; electron-builder's icon set)
//   build/icon.png            1024       (fallback for every platform)
//   build/icon.ico            16..256    (Windows; PNG-compressed entries, Vista and later)
//   build/icon.icns           16..1024   (macOS; PNG entries icp4..ic14)
//   build/tray/               tray icons: macOS template images (black + alpha, the menu
//                             bar tints them), the colour icon with unread badges 1..9 and
//                             9+ for Windows and Linux, and Windows taskbar overlays;
//                             each with an @2x file for high-DPI screens.
// Digits are drawn as stroked paths, not text, so the output does not depend on the
// fonts of the machine that runs this. Run: npm run icons (then commit build/).
import { Resvg } from '@resvg/resvg-js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const buildDir = join(import.meta.dirname, '..', 'build');
const source = readFileSync(join(buildDir, 'icon.svg'), 'utf8');

const APP_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** ICNS OSType per entry; all hold PNG data. */
const ICNS_ENTRIES: [string, number][] = [
  ['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024],
  ['ic11', 32], ['ic12', 64], ['ic13', 256], ['ic14', 512],
];

export function renderPng(svg: string, size: number): Buffer {
  return Buffer.from(new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } }).render().asPng());
}

/** ICO container: 6-byte header, 16-byte directory entry per image, then the PNG bytes. */
export function icoFromPngs(images: { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  const dir = Buffer.alloc(16 * images.length);
  let offset = 6 + dir.length;
  images.forEach(({ size, png }, i) => {
    const e = i * 16;
    dir.writeUInt8(size >= 256 ? 0 : size, e); // 0 means 256
    dir.writeUInt8(size >= 256 ? 0 : size, e + 1);
    dir.writeUInt8(0, e + 2); // no palette
    dir.writeUInt8(0, e + 3);
    dir.writeUInt16LE(1, e + 4); // colour planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(png.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, dir, ...images.map((i) => i.png)]);
}

/** ICNS container: 'icns' + total length, then per entry OSType + entry length (8 + data) + data, big-endian. */
export function icnsFromPngs(entries: { type: string; png: Buffer }[]): Buffer {
  const parts = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

// Digits on a 10 x 14 box, drawn with round strokes.
const DIGITS: Record<string, string> = {
  '1': 'M3 3.6 L6.2 1 L6.2 13',
  '2': 'M1.6 4 C1.6 2 3.2 1 5 1 C7 1 8.4 2.3 8.4 4.2 C8.4 6.6 6 8.2 1.4 13 L8.8 13',
  '3': 'M1.6 2.4 C2.6 1.4 3.8 1 5 1 C7 1 8.4 2 8.4 3.8 C8.4 5.7 6.9 6.8 4.6 6.8 C7.3 6.8 8.9 8 8.9 10 C8.9 12 7.2 13 5 13 C3.5 13 2.2 12.5 1.2 11.4',
  '4': 'M7 13 L7 1 L1.2 9.6 L9.2 9.6',
  '5': 'M8.4 1 L2.6 1 L1.9 6.4 C2.9 5.8 3.9 5.5 5 5.5 C7.5 5.5 9 7 9 9.3 C9 11.7 7.3 13 5 13 C3.5 13 2.2 12.5 1.2 11.5',
  '6': 'M8 1.8 C7.2 1.2 6.2 1 5.3 1 C2.5 1 1.1 3.5 1.1 7.5 C1.1 11 2.5 13 5 13 C7.4 13 8.9 11.4 8.9 9.2 C8.9 7 7.4 5.6 5.2 5.6 C3.2 5.6 1.7 6.7 1.1 8.4',
  '7': 'M1.2 1 L8.8 1 L4 13',
  '8': 'M5 6.8 C2.9 6.8 1.6 5.6 1.6 3.9 C1.6 2.1 3 1 5 1 C7 1 8.4 2.1 8.4 3.9 C8.4 5.6 7.1 6.8 5 6.8 C2.6 6.8 1.1 8.2 1.1 10 C1.1 11.9 2.7 13 5 13 C7.3 13 8.9 11.9 8.9 10 C8.9 8.2 7.4 6.8 5 6.8 Z',
  '9': 'M2 12.2 C2.8 12.8 3.8 13 4.7 13 C7.5 13 8.9 10.5 8.9 6.5 C8.9 3 7.5 1 5 1 C2.6 1 1.1 2.6 1.1 4.8 C1.1 7 2.6 8.4 4.8 8.4 C6.8 8.4 8.3 7.3 8.9 5.6',
  '+': 'M5 3.5 L5 10.5 M1.5 7 L8.5 7',
};

/** The badge label as stroked glyphs centred on (cx, cy), `height` tall. */
function label(text: string, cx: number, cy: number, height: number): string {
  const scale = height / 14;
  const advance = 9.2;
  const width = advance * text.length - (advance - 10);
  const x0 = cx - (width * scale) / 2;
  return [...text]
    .map((ch, i) => `<path d="${DIGITS[ch]}" transform="translate(${x0 + i * advance * scale} ${cy - 7 * scale}) scale(${scale})" fill="none" stroke="#fff" stroke-width="${2.5}" stroke-linecap="round" stroke-linejoin="round" vector-effect="none"/>`)
    .join('');
}

const BUBBLE =
  'M512 238 C698 238 822 346 822 486 C822 626 698 734 512 734 C474 734 438 730 404 721 L274 790 C262 796 248 786 252 773 L286 668 C231 622 202 558 202 486 C202 346 326 238 512 238 Z';

/** macOS template: the bubble in black with the dots cut out; optionally a dot for "unread". */
function templateSvg(unread: boolean): string {
  const mask = `<mask id="m"><rect width="1024" height="1024" fill="#fff"/><circle cx="392" cy="488" r="52" fill="#000"/><circle cx="512" cy="488" r="52" fill="#000"/><circle cx="632" cy="488" r="52" fill="#000"/>${
    unread ? '<circle cx="836" cy="236" r="190" fill="#000"/>' : ''
  }</mask>`;
  const dot = unread ? '<circle cx="836" cy="236" r="130" fill="#000"/>' : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="150 150 760 760" width="1024" height="1024"><defs>${mask}</defs><path d="${BUBBLE}" fill="#000" mask="url(#m)" transform="translate(512 512) scale(1.12) translate(-512 -512)"/>${dot}</svg>`;
}

/** The colour app icon with a red count badge in the top-right corner (badge drawn on a 32-unit grid). */
function badgedSvg(text: string): string {
  const inner = source.replace(/^[\s\S]*?<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
  const r = text.length > 1 ? 11.5 : 9.5;
  const cx = 32 - r + (text.length > 1 ? 0 : 0.5);
  const cy = r - 0.5;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32"><svg viewBox="0 0 1024 1024" width="32" height="32">${inner}</svg><circle cx="${cx}" cy="${cy}" r="${r + 1.2}" fill="#fff"/><circle cx="${cx}" cy="${cy}" r="${r}" fill="#E5484D"/><g transform="translate(0 0)">${label(text, cx, cy, text.length > 1 ? 10 : 11.5)}</g></svg>`;
}

/** Windows taskbar overlay: just the red badge, filling its 16-unit square. */
function overlaySvg(text: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32"><circle cx="16" cy="16" r="15.5" fill="#E5484D" stroke="#fff" stroke-width="1"/>${label(text, 16, 16, text.length > 1 ? 14 : 17)}</svg>`;
}

function write(path: string, data: Buffer): void {
  writeFileSync(path, data);
}

function main(): void {
  const iconsDir = join(buildDir, 'icons');
  const trayDir = join(buildDir, 'tray');
  mkdirSync(iconsDir, { recursive: true });
  mkdirSync(trayDir, { recursive: true });

  const png = new Map<number, Buffer>();
  for (const size of [...new Set([...APP_SIZES, ...ICO_SIZES, ...ICNS_ENTRIES.map(([, s]) => s)])]) png.set(size, renderPng(source, size));
  for (const size of APP_SIZES) write(join(iconsDir, `${size}x${size}.png`), png.get(size)!);
  write(join(buildDir, 'icon.png'), png.get(1024)!);
  write(join(buildDir, 'icon.ico'), icoFromPngs(ICO_SIZES.map((size) => ({ size, png: png.get(size)! }))));
  write(join(buildDir, 'icon.icns'), icnsFromPngs(ICNS_ENTRIES.map(([type, size]) => ({ type, png: png.get(size)! }))));

  // macOS menu bar: 16 pt, with @2x.
  for (const [name, unread] of [['trayTemplate', false], ['trayUnreadTemplate', true]] as const) {
    write(join(trayDir, `${name}.png`), renderPng(templateSvg(unread), 16));
    write(join(trayDir, `${name}@2x.png`), renderPng(templateSvg(unread), 32));
  }
  // Windows and Linux tray: 32 px, with @2x.
  write(join(trayDir, 'tray.png'), renderPng(source, 32));
  write(join(trayDir, 'tray@2x.png'), renderPng(source, 64));
  for (const variant of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '9plus']) {
    const text = variant === '9plus' ? '9+' : variant;
    write(join(trayDir, `tray-badge-${variant}.png`), renderPng(badgedSvg(text), 32));
    write(join(trayDir, `tray-badge-${variant}@2x.png`), renderPng(badgedSvg(text), 64));
    // Taskbar overlays are 16 px on Windows.
    write(join(trayDir, `overlay-${variant}.png`), renderPng(overlaySvg(text), 16));
    write(join(trayDir, `overlay-${variant}@2x.png`), renderPng(overlaySvg(text), 32));
  }
  console.log(`icons written to ${buildDir}`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main();
