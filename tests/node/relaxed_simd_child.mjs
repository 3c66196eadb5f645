// Run by relaxed_simd.test.mjs in a Node started with --experimental-wasm-relaxed-simd: colourises
// one busy image with the plain single-threaded module and the relaxed module at 2 and 3 threads,
// with and without hints, and prints how far apart they are as JSON.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = path.join(root, 'build/wasm/site');
const modelBytes = new Uint8Array(fs.readFileSync(path.join(site, 'tint.safetensors')));
const { createTint, moduleChoice } = await import(path.join(site, 'tint.js'));

const width = 801, height = 533;
const data = new Uint8ClampedArray(width * height * 4);
let seed = 11;
for (let i = 0; i < data.length; ++i) data[i] = i % 4 === 3 ? 255 : ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) ^ ((i >> 7) & 255);
const hints = [{ x: 100, y: 80, color: '#3060c0' }, { x: 700, y: 500, color: '#e0a020' }];

async function colourise(threads, relaxedSimd, options) {
  const { file } = moduleChoice({ threads, relaxedSimd });
  const tint = await createTint({ modelBytes, wasmBinary: fs.readFileSync(path.join(site, file)), threads, relaxedSimd });
  try {
    return { relaxed: tint.relaxedSimd, pixels: (await tint.colorize({ width, height, data }, options)).data };
  } finally {
    tint.dispose();
  }
}

const runs = [];
for (const options of [{}, { hints }]) {
  const plain = await colourise(1, false, options);
  const two = await colourise(2, true, options), three = await colourise(3, true, options);
  let maxDifference = 0, differing = 0;
  for (let i = 0; i < plain.pixels.length; ++i) {
    const d = Math.abs(two.pixels[i] - plain.pixels[i]);
    maxDifference = Math.max(maxDifference, d);
    differing += d > 0;
  }
  runs.push({
    hints: Boolean(options.hints),
    relaxed: [two.relaxed, three.relaxed],
    maxDifference,
    differing: differing / plain.pixels.length,
    threadsAgree: Buffer.compare(Buffer.from(two.pixels), Buffer.from(three.pixels)) === 0,
  });
}
console.log(JSON.stringify({ choice: moduleChoice({ threads: 2 }), runs }));
