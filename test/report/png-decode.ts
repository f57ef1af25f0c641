/** A minimal PNG decoder for tests: 8-bit RGB or RGBA, not interlaced (what resvg and Chromium write). */
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, row-major. */
  rgba: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes `png`; fails the test on anything it does not handle. */
export function decodePng(png: Uint8Array): Image {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  assert.deepEqual([...png.subarray(0, 8)], sig, "PNG signature");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const depth = data[8]!;
      const color = data[9]!;
      assert.equal(depth, 8, "8-bit PNG");
      assert.equal(data[12], 0, "not interlaced");
      channels = color === 6 ? 4 : color === 2 ? 3 : 0;
      assert.ok(channels > 0, `colour type ${color} handled`);
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      const v = src[x]!;
      const p = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
      out[y * stride + x] = (v + p) & 255;
    }
  }
  if (channels === 4) return { width, height, rgba: out };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(out.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** Pixels differing from the most common colour (the background). */
export function inkPixels(img: Image): number {
  const counts = new Map<number, number>();
  const n = img.width * img.height;
  const key = (i: number) =>
    (img.rgba[i * 4]! << 16) | (img.rgba[i * 4 + 1]! << 8) | img.rgba[i * 4 + 2]!;
  for (let i = 0; i < n; i++) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  let bg = 0;
  let most = -1;
  for (const [k, c] of counts) if (c > most) [bg, most] = [k, c];
  let ink = 0;
  for (let i = 0; i < n; i++) if (key(i) !== bg) ink++;
  return ink;
}

/** Pixels that differ between two images of the same size. */
export function differingPixels(a: Image, b: Image): number {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  let d = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    const j = i * 4;
    if (
      a.rgba[j] !== b.rgba[j] ||
      a.rgba[j + 1] !== b.rgba[j + 1] ||
      a.rgba[j + 2] !== b.rgba[j + 2]
    )
      d++;
  }
  return d;
}
