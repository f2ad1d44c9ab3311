#!/usr/bin/env node
/**
 * Draws the app icons (a white seal with a check mark on indigo) and writes them as PNGs
 * under public/icons/. No image library: shapes are signed-distance functions, each pixel
 * is 4×4 supersampled for anti-aliasing, and the PNG is assembled by hand with zlib.
 *
 *   node scripts/make-icons.mjs
 *
 * The PNGs are committed; run this again only to change the design.
 */
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');
const BG = [0x43, 0x38, 0xca]; // indigo-700: white on it passes contrast
const FG = [0xff, 0xff, 0xff];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Signed distances in unit coordinates (0..1 across the icon); negative = inside.
function roundedRect(x, y, r) {
  const qx = Math.abs(x - 0.5) - (0.5 - r);
  const qy = Math.abs(y - 0.5) - (0.5 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}
function segment(x, y, ax, ay, bx, by) {
  const px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - t * dx, py - t * dy);
}
// The glyph stays inside a radius of 0.33, within the maskable safe zone (0.4).
function glyph(x, y) {
  const ring = Math.abs(Math.hypot(x - 0.5, y - 0.5) - 0.3) - 0.028;
  const check = Math.min(segment(x, y, 0.365, 0.515, 0.46, 0.61), segment(x, y, 0.46, 0.61, 0.645, 0.41)) - 0.042;
  return Math.min(ring, check);
}

function draw(size, { rounded }) {
  const S = 4;
  const buf = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) / size;
          const y = (py + (sy + 0.5) / S) / size;
          const inBg = rounded ? roundedRect(x, y, 0.22) <= 0 : true;
          if (inBg) {
            bg++;
            if (glyph(x, y) <= 0) fg++;
          }
        }
      }
      const a = bg / (S * S);
      const f = bg ? fg / bg : 0;
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) buf[i + c] = Math.round(BG[c] * (1 - f) + FG[c] * f);
      buf[i + 3] = Math.round(a * 255);
    }
  }
  return png(size, size, buf);
}

mkdirSync(OUT, { recursive: true });
const icons = [
  ['icon-32.png', 32, { rounded: true }],
  ['icon-192.png', 192, { rounded: true }],
  ['icon-512.png', 512, { rounded: true }],
  // Maskable and Apple icons are full-bleed: the platform cuts its own shape.
  ['icon-maskable-512.png', 512, { rounded: false }],
  ['apple-touch-icon.png', 180, { rounded: false }],
];
for (const [name, size, opts] of icons) {
  const data = draw(size, opts);
  writeFileSync(join(OUT, name), data);
  console.log(`${name}\t${size}x${size}\t${data.length} bytes`);
}
