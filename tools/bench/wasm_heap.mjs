// Peak WASM heap when colourising a W x H RGBA photo through the module's C API: memory only
// grows, so its size after the call is the high-water mark.
// Usage: node tools/bench/wasm_heap.mjs [BUILD_DIR [W H]]   (default build/wasm 8000 8000)
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const [dir = 'build/wasm', w = 8000, h = 8000] = process.argv.slice(2);
const width = Number(w), height = Number(h);
const { default: createTintModule } = await import(pathToFileURL(path.join(dir, 'site', 'tint-wasm.js')).href);
const module = await createTintModule({ wasmBinary: fs.readFileSync(path.join(dir, 'site', 'tint.wasm')) });
const weights = fs.readFileSync(new URL('../../weights/tint-v1.safetensors', import.meta.url));
const wp = module._tint_malloc(weights.length);
module.HEAPU8.set(weights, wp);
const handle = module._tint_create(wp, weights.length, 0, 0, 1, 0);  // working size, pixel limit: defaults; 1 thread; no hint reach
module._tint_free(wp);
const before = module.HEAPU8.length;
const bytes = width * height * 4;
const pixels = module._tint_malloc(bytes);
for (let i = 0; i < bytes; i += 4096) module.HEAPU8[pixels + i] = i & 255;
const ok = module._tint_colorize(handle, pixels, width, height);  // in place
const mb = (n) => (n / 1048576).toFixed(0);
console.log(`ok=${ok} ${width}x${height} RGBA ${mb(bytes)} MiB; heap after load ${mb(before)} MiB, peak ${mb(module.HEAPU8.length)} MiB`);
