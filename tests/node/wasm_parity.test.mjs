// The WASM build against the native one (portable SIMD backend): the same photos colourised in
// Node through web/tint.js and by `tint colorize --backend simd` give the same pixels (max
// difference <= 1/255 per channel). Run by tools/test.sh after the native and wasm builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { encodePng, decodePng } from './png.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = path.join(root, 'build/wasm/site');
const nativeTint = path.join(root, 'build/native/tint');
const modelPath = path.join(root, 'tests/data/reference_model.safetensors');
const { createTint } = await import(path.join(site, 'tint.js'));

// Eval-like photos: smooth gradients, edges, texture, odd sizes, partial transparency.
function photo(width, height, seed) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; ++y)
    for (let x = 0; x < width; ++x) {
      const i = 4 * (y * width + x);
      data[i] = 128 + 100 * Math.sin(0.05 * x + seed);
      data[i + 1] = 128 + 90 * Math.cos(0.07 * y + 2 * seed) * (x > width / 2 ? 1 : 0.3);
      data[i + 2] = (x * 7 + y * 13 + seed * 31) % 256;
      data[i + 3] = (x + y) % 5 === 0 ? 128 : 255;
    }
  return { width, height, data };
}

const tint = await createTint({
  wasmBinary: fs.readFileSync(path.join(site, 'tint.wasm')),
  modelBytes: fs.readFileSync(modelPath),
});
const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tint-parity-'));

for (const [width, height, seed] of [[640, 480, 1], [333, 517, 2], [1024, 200, 3], [64, 64, 4], [1, 1, 5]]) {
  test(`WASM and native agree on a ${width}x${height} photo`, async () => {
    const input = photo(width, height, seed);
    const wasm = await tint.colorize(input);
    assert.equal(wasm.width, width);
    assert.equal(wasm.height, height);
    const inPath = path.join(folder, `in-${seed}.png`), outPath = path.join(folder, `out-${seed}.png`);
    fs.writeFileSync(inPath, encodePng(input));
    execFileSync(nativeTint, ['colorize', inPath, '-o', outPath, '--model', modelPath, '--backend', 'simd',
      '--threads', '1'], { stdio: 'pipe' });
    const native = decodePng(fs.readFileSync(outPath));
    assert.equal(native.channels, 4);
    let worst = 0, alphaKept = true;
    for (let i = 0; i < wasm.data.length; ++i) {
      if (i % 4 === 3) alphaKept &&= wasm.data[i] === input.data[i];
      else worst = Math.max(worst, Math.abs(wasm.data[i] - native.data[i]));
    }
    assert.ok(worst <= 1, `max difference ${worst}/255`);
    assert.ok(alphaKept, 'alpha kept');
  });
}

test('bad inputs are rejected promises with clear messages', async () => {
  await assert.rejects(tint.colorize({ width: 0, height: 0, data: new Uint8ClampedArray(0) }), /no pixels/);
  await assert.rejects(tint.colorize('not an image'), /takes ImageData/);
  await assert.rejects(createTint({ wasmBinary: fs.readFileSync(path.join(site, 'tint.wasm')),
    modelBytes: new Uint8Array([1, 2, 3]) }), /model/);
  const limited = await createTint({ wasmBinary: fs.readFileSync(path.join(site, 'tint.wasm')),
    modelBytes: fs.readFileSync(modelPath), maxPixels: 100 });
  await assert.rejects(limited.colorize(photo(20, 20, 1)), /above the limit/);
  limited.dispose();
  await assert.rejects(limited.colorize(photo(2, 2, 1)), /after dispose/);
});

test('the module really contains SIMD instructions', () => {
  const wasm = fs.readFileSync(path.join(site, 'tint.wasm'));
  // 0xfd prefixes every SIMD opcode; f32x4.mul is 0xfd 0xe6 0x01 (as wasm-objdump shows).
  let multiplies = 0;
  for (let i = 0; i + 2 < wasm.length; ++i) if (wasm[i] === 0xfd && wasm[i + 1] === 0xe6 && wasm[i + 2] === 0x01) ++multiplies;
  assert.ok(multiplies >= 8, `only ${multiplies} f32x4.mul found`);
});

test('a 64 MP photo (the default limit) fits the module\'s memory maximum', async () => {
  const width = 8000, height = 8000;  // 64,000,000 pixels, 256 MB as RGBA
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; ++y) data.fill((y * 7) % 256, y * width * 4, (y + 1) * width * 4);
  const big = await createTint({ wasmBinary: fs.readFileSync(path.join(site, 'tint.wasm')), modelBytes: fs.readFileSync(modelPath) });
  const result = await big.colorize({ width, height, data });
  assert.equal(result.width, width);
  assert.equal(result.height, height);
  const last = 4 * (width * height - 1);
  assert.equal(result.data[last + 3], data[last + 3]);  // alpha kept
  big.dispose();
  // One pixel more is refused before any allocation.
  await assert.rejects(tint.colorize({ width: 8001, height: 8000, data: new Uint8ClampedArray(4) }), /above the limit of 64 MP/);
});
