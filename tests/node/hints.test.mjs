// Colour hints and suggestions through web/tint.js: a hint model (the committed reference head
// model: hint inputs, softmax over the ab bins, annealed mean) colourises with and without hints,
// suggests the same colours as the native `tint suggest`, and refuses bad hints with one message
// while the instance keeps working.
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
const hintModel = path.join(root, 'tests/data/reference_head_model.safetensors');
const plainModel = path.join(root, 'tests/data/reference_model.safetensors');
const { createTint } = await import(path.join(site, 'tint.js'));
const wasmBinary = fs.readFileSync(path.join(site, 'tint.wasm'));

function photo(width, height) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    const p = i / 4, x = p % width, y = Math.floor(p / width);
    data[i] = 120 + 90 * Math.sin(0.09 * x);
    data[i + 1] = 110 + 80 * Math.cos(0.07 * y);
    data[i + 2] = (3 * x + 5 * y) % 256;
    data[i + 3] = 255;
  }
  return { width, height, data };
}

const tint = await createTint({ wasmBinary, modelBytes: fs.readFileSync(hintModel) });

test('a hint model colourises with hints, differently from without, and the same without hints as with none', async () => {
  assert.equal(tint.takesHints, true);
  assert.equal(tint.canSuggest, true);
  const image = photo(96, 64);
  const plain = await tint.colorize(image);
  const empty = await tint.colorize(image, { hints: [] });
  assert.deepEqual(empty.data, plain.data);
  const hinted = await tint.colorize(image, { hints: [{ x: 40, y: 30, color: '#20c040' }, { x: 10, y: 50, color: '#C02040' }] });
  assert.equal(hinted.width, 96);
  assert.notDeepEqual(hinted.data, plain.data);
});

test('hintReach keeps a hint in its part of the photo: far pixels keep the automatic colours', async () => {
  // The shipped model (the page's), which alone spreads a hint over the whole photo.
  const modelBytes = fs.readFileSync(path.join(site, 'tint.safetensors'));
  const shipped = await createTint({ wasmBinary, modelBytes });
  const reaching = await createTint({ wasmBinary, modelBytes, hintReach: 0.2 });
  const image = photo(160, 100);
  const hints = [{ x: 10, y: 10, color: '#2050e0' }];
  // The far corner's pixels: changed without a reach, within 1 of the automatic result with one.
  const corner = (result) => [...result.data].filter((_, i) => (i >> 2) % 160 >= 120 && (i >> 2) / 160 >= 70 && i % 4 < 3);
  const plain = corner(await shipped.colorize(image));
  const spread = corner(await shipped.colorize(image, { hints }));
  shipped.dispose();
  try {
    assert.equal(reaching.hintReach, 0.2);
    const local = await reaching.colorize(image, { hints });
    const near = (result) => [...result.data].slice(0, 4 * 160 * 12);
    assert.ok(spread.some((v, i) => v !== plain[i]), 'the network alone should change the far corner');
    assert.ok(corner(local).every((v, i) => Math.abs(v - plain[i]) <= 1), 'with a reach the far corner changed');
    assert.notDeepEqual(near(local), near(await reaching.colorize(image)), 'with a reach the hint changed nothing near it');
  } finally {
    reaching.dispose();
  }
  for (const hintReach of [-1, 11, NaN, '0.3']) {
    await assert.rejects(createTint({ wasmBinary, modelBytes: fs.readFileSync(hintModel), hintReach }), /hintReach must be a number from 0 to 10/);
  }
});

test('suggestions are valid colours, most likely first, and equal the native tint suggest', async () => {
  const image = photo(80, 60);
  const suggestions = await tint.suggest(image, 33, 21, 5);
  assert.equal(suggestions.length, 5);
  for (let i = 0; i < suggestions.length; ++i) {
    assert.match(suggestions[i].color, /^#[0-9a-f]{6}$/);
    assert.ok(suggestions[i].probability > 0 && suggestions[i].probability <= 1);
    if (i > 0) assert.ok(suggestions[i - 1].probability >= suggestions[i].probability);
  }
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tint-hints-'));
  const file = path.join(folder, 'p.png');
  fs.writeFileSync(file, encodePng(image));
  const native = execFileSync(nativeTint, ['suggest', file, '33,21', '--top', '5', '--model', hintModel, '--backend', 'simd'])
    .toString().trim().split('\n').map((line) => line.split(/\s+/)[0]);
  assert.deepEqual(suggestions.map((s) => s.color), native);
  fs.rmSync(folder, { recursive: true });
});

test('WASM and native agree on a hinted colourisation (softmax, annealed mean, hint inputs) within 1/255', async () => {
  const image = photo(150, 110);
  const hints = [{ x: 20, y: 30, color: '#d03020' }, { x: 120, y: 90, color: '#2040e0' }, { x: 75, y: 55, color: '#30b050' }];
  const wasm = await tint.colorize(image, { hints });
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tint-hints-'));
  const input = path.join(folder, 'in.png'), output = path.join(folder, 'out.png');
  fs.writeFileSync(input, encodePng(image));
  execFileSync(nativeTint, ['colorize', input, '-o', output, '--model', hintModel, '--backend', 'simd', '--threads', '1',
    ...hints.flatMap((h) => ['--hint', `${h.x},${h.y},${h.color}`])], { stdio: 'pipe' });
  const native = decodePng(fs.readFileSync(output));
  let worst = 0;
  for (let i = 0; i < wasm.data.length; ++i) if (i % 4 !== 3) worst = Math.max(worst, Math.abs(wasm.data[i] - native.data[i]));
  assert.ok(worst <= 1, `max difference ${worst}/255`);
  fs.rmSync(folder, { recursive: true });
});

test('bad hints reject with one clear message and the instance keeps working', async () => {
  const image = photo(32, 24);
  const cases = [
    [[{ x: 32, y: 3, color: '#ffffff' }], /hint #1 at 32,3 is outside the 32x24 image/],
    [[{ x: 1, y: 1, color: '#zzz' }], /colour "#zzz" is not #rrggbb/],
    [[{ x: 1.5, y: 1, color: '#ffffff' }], /outside/],
    [Array.from({ length: 10000 }, () => ({ x: 1, y: 1, color: '#ffffff' })), /10000 hints, more than the 1000 allowed/],
    ['#ffffff', /hints must be a list/],
  ];
  for (const [hints, message] of cases) {
    await assert.rejects(tint.colorize(image, { hints }), message);
  }
  await assert.rejects(tint.suggest(image, 40, 1), /outside/);
  assert.equal((await tint.colorize(image, { hints: [{ x: 2, y: 2, color: '#123456' }] })).width, 32);
});

test('a model without hint inputs says so when given hints', async () => {
  const plain = await createTint({ wasmBinary, modelBytes: fs.readFileSync(plainModel) });
  assert.equal(plain.takesHints, false);
  await assert.rejects(plain.colorize(photo(16, 16), { hints: [{ x: 1, y: 1, color: '#ff0000' }] }), /takes no colour hints/);
  await assert.rejects(plain.suggest(photo(16, 16), 1, 1), /no colour distribution/);
  plain.dispose();
});
