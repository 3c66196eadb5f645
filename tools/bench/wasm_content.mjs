// Is the module's 12 MP colourise time content-dependent? Times tint_colorize (3 runs) on 4000x3000 RGBA
// of: flat grey, a smooth gradient, fine detail (1-px stripes with noise), uniform noise.
// Usage: node tools/bench/wasm_content.mjs [WEIGHTS]   (after the wasm build; default tint-v1)
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const dir = 'build/wasm';
const { default: createTintModule } = await import(pathToFileURL(path.resolve(dir, 'site', 'tint-wasm.js')).href);
const module = await createTintModule({ wasmBinary: fs.readFileSync(path.join(dir, 'site', 'tint.wasm')) });
const model = process.argv[2] ?? 'weights/tint-v1.safetensors';
const weights = fs.readFileSync(model);
const wp = module._tint_malloc(weights.length);
module.HEAPU8.set(weights, wp);
const handle = module._tint_create(wp, weights.length, 0, 0, 1, 0);  // working size, pixel limit: defaults; 1 thread; no hint reach
module._tint_free(wp);
const W = 4000, H = 3000, bytes = W * H * 4;
const pixels = module._tint_malloc(bytes);
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
const fills = {
  flat: () => 128,
  gradient: (x, y) => (x * 255 / W) | 0,
  stripes: (x, y) => ((x & 1) ? 40 : 210) + (rand() & 15),
  noise: () => rand(),
};
for (const [name, f] of Object.entries(fills)) {
  const times = [];
  for (let run = 0; run < 3; ++run) {
    const heap = module.HEAPU8;
    for (let y = 0; y < H; ++y) for (let x = 0; x < W; ++x) {
      const v = f(x, y), i = pixels + 4 * (y * W + x);
      heap[i] = heap[i + 1] = heap[i + 2] = v; heap[i + 3] = 255;
    }
    const t = performance.now();
    if (!module._tint_colorize(handle, pixels, W, H)) throw new Error('colorize failed');
    times.push(performance.now() - t);
  }
  console.log(`${name.padEnd(9)} ${times.map((t) => t.toFixed(0)).join(' / ')} ms`);
}
