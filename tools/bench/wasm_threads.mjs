// tint's module at 1 and 2 threads (issue 14): median of 5 colourise calls after a warm-up, through
// the ES module API in Node, for a 256x256 photo and 12 MP photos (flat, and fine detail with
// noise: the gamut mapping's slow path). Usage: node tools/bench/wasm_threads.mjs [WEIGHTS]
// (after the wasm build; default: the site's weights). Run on an otherwise idle machine. With
// `node --experimental-wasm-relaxed-simd` it also times the relaxed-SIMD module at 2 threads.
import fs from 'node:fs';
import path from 'node:path';

const site = path.resolve('build/wasm/site');
const { createTint, moduleChoice, relaxedSimdAvailable } = await import(path.join(site, 'tint.js'));
const modelBytes = new Uint8Array(fs.readFileSync(process.argv[2] ?? path.join(site, 'tint.safetensors')));

function photo(width, height, kind) {
  const data = new Uint8ClampedArray(width * height * 4);
  let seed = 1;
  for (let i = 0; i < data.length; i += 4) {
    const v = kind === 'flat' ? 128 : (((i >> 2) % width) & 1 ? 40 : 210) + (((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 31);
    data[i] = data[i + 1] = data[i + 2] = v;
    data[i + 3] = 255;
  }
  return { width, height, data };
}

const cases = [['256x256', photo(256, 256, 'detail')], ['12 MP flat', photo(4000, 3000, 'flat')], ['12 MP detail', photo(4000, 3000, 'detail')]];
const medians = {};
const layouts = [[1, false, '1 thread'], [2, false, '2 threads']];
if (relaxedSimdAvailable()) layouts.push([2, true, '2 threads relaxed']);
for (const [threads, relaxedSimd, label] of layouts) {
  const { file } = moduleChoice({ threads, relaxedSimd });
  const tint = await createTint({ modelBytes, wasmBinary: fs.readFileSync(path.join(site, file)), threads, relaxedSimd });
  for (const [name, image] of cases) {
    await tint.colorize(image);
    const times = [];
    for (let run = 0; run < 5; ++run) {
      const start = performance.now();
      await tint.colorize(image);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    medians[`${name} ${label}`] = times[2];
    console.log(`${name.padEnd(14)} ${label.padEnd(17)}: median ${times[2].toFixed(0)} ms (best ${times[0].toFixed(0)})`);
  }
  tint.dispose();
}
for (const [name] of cases) {
  console.log(`${name.padEnd(14)} 2 threads / 1 thread: ${(medians[`${name} 1 thread`] / medians[`${name} 2 threads`]).toFixed(2)}x`);
  if (relaxedSimdAvailable()) {
    console.log(`${name.padEnd(14)} relaxed / plain, 2 threads: ${(medians[`${name} 2 threads`] / medians[`${name} 2 threads relaxed`]).toFixed(2)}x faster`);
  }
}
