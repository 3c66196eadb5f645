// The threaded module (tint-threads.wasm, Emscripten pthreads on worker_threads) in Node: any
// thread count gives the single-threaded module's pixels bit for bit, with and without hints, and
// createTint reports the threads it got. (Chromium: tests/browser/threads.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = path.join(root, 'build/wasm/site');
const modelBytes = new Uint8Array(fs.readFileSync(path.join(site, 'tint.safetensors')));
const { createTint, threadsAvailable } = await import(path.join(site, 'tint.js'));

// Busy content with dark and bright pixels (the gamut mapping's slow path), an odd size so the
// rows do not split evenly.
const width = 1001, height = 667;
const data = new Uint8ClampedArray(width * height * 4);
let seed = 7;
for (let i = 0; i < data.length; ++i) data[i] = i % 4 === 3 ? 255 : ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) ^ ((i >> 6) & 255);
const hints = [{ x: 100, y: 80, color: '#3060c0' }, { x: 900, y: 600, color: '#e0a020' }];

async function run(threads, options = {}) {
  const wasm = threads > 1 ? 'tint-threads.wasm' : 'tint.wasm';
  const tint = await createTint({ modelBytes, wasmBinary: fs.readFileSync(path.join(site, wasm)), threads });
  try {
    return { threads: tint.threads, pixels: Buffer.from((await tint.colorize({ width, height, data }, options)).data) };
  } finally {
    tint.dispose();
  }
}

test('Node has threads (SharedArrayBuffer)', () => {
  assert.equal(threadsAvailable(), true);
});

for (const options of [{}, { hints }]) {
  test(`1, 2, 3 and 4 threads give the same pixels${options.hints ? ' with hints' : ''}`, async () => {
    const one = await run(1, options);
    assert.equal(one.threads, 1);
    for (const threads of [2, 3, 4]) {
      const many = await run(threads, options);
      assert.equal(many.threads, threads);
      assert.equal(Buffer.compare(many.pixels, one.pixels), 0, `${threads} threads differ from 1`);
    }
  });
}

test('a bad thread count is a clear rejection', async () => {
  for (const threads of [0, -1, 2.5, 65, 'two']) {
    await assert.rejects(createTint({ modelBytes, threads }), /threads must be a whole number from 1 to 64/);
  }
});
