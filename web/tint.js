// tint's embeddable ES module: colourise photos in the browser (or Node) with tint.wasm.
//
//   import { createTint } from './tint.js';
//   const tint = await createTint();                 // tint.wasm + tint.safetensors beside this file
//   const colourful = await tint.colorize(imageData); // ImageData in, ImageData out
//   tint.dispose();
//
// Everything runs locally: the module and the weights are fetched from the URLs given (by
// default next to this file), never anything else.
import createTintModule from './tint-wasm.js';

const here = (name) => new URL(name, import.meta.url).href;

async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`tint: cannot load the ${what} from ${url} (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

// Anything drawable (ImageBitmap, HTMLImageElement, Blob/File) as RGBA pixels; ImageData-like
// objects ({width, height, data}) pass through.
async function toImageData(input) {
  if (input && typeof input.width === 'number' && input.data && input.data.length !== undefined) return input;
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    try {
      input = await createImageBitmap(input, { imageOrientation: 'from-image' });
    } catch {
      throw new Error('tint: this file is not an image the browser can decode');
    }
  }
  if (typeof OffscreenCanvas === 'undefined' || !input || !input.width) {
    throw new Error('tint: colorize() takes ImageData, ImageBitmap, HTMLImageElement, Blob or File');
  }
  const canvas = new OffscreenCanvas(input.width, input.height);
  const context = canvas.getContext('2d');
  context.drawImage(input, 0, 0);
  return context.getImageData(0, 0, input.width, input.height);
}

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

// Threads need SharedArrayBuffer: a cross-origin isolated page (COOP + COEP headers), or Node.
export function threadsAvailable() {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  return globalThis.crossOriginIsolated === true || (isNode && globalThis.crossOriginIsolated === undefined);
}

// Standard relaxed SIMD (f32x4.relaxed_madd): Chromium runs it; Node only with
// --experimental-wasm-relaxed-simd. The probe is a 35-byte module with one relaxed_madd.
const relaxedProbe = Uint8Array.from(
  '0061736d0100000001060160017b017b030201000a0d010b00200020002000fd85020b'.match(/../g), (h) => parseInt(h, 16));
export function relaxedSimdAvailable() {
  try {
    return WebAssembly.validate(relaxedProbe);
  } catch {
    return false;
  }
}

// The thread count for options.threads: default all cores (at most 8) where threads are
// available, else 1; an explicit count is honoured only where threads are available.
function threadCount(requested) {
  if (requested !== undefined && !(Number.isInteger(requested) && requested >= 1 && requested <= 64)) {
    throw new Error(`tint: threads must be a whole number from 1 to 64, got ${requested}`);
  }
  if (!threadsAvailable()) return 1;
  return requested ?? Math.max(1, Math.min(globalThis.navigator?.hardwareConcurrency ?? 1, 8));
}

/**
 * What createTint(options) runs here: the thread count, whether relaxed SIMD, and the module file
 * (beside tint.js) — so that a caller fetching the bytes itself (web/worker.js) fetches that one.
 * options.relaxedSimd: use the relaxed-SIMD module with threads; default where available, except
 * that a module the caller gives (wasmUrl, wasmBinary) is taken as the plain one unless
 * relaxedSimd: true says it is the relaxed one.
 */
export function moduleChoice(options = {}) {
  const threads = threadCount(options.threads);
  const requested = options.relaxedSimd;
  if (requested !== undefined && typeof requested !== 'boolean') {
    throw new Error(`tint: relaxedSimd must be true or false, got ${requested}`);
  }
  if (requested === true && !relaxedSimdAvailable()) throw new Error('tint: this engine does not run relaxed SIMD');
  // A caller's own module (wasmUrl, wasmBinary) is the plain one unless it says otherwise.
  const own = options.wasmUrl !== undefined || options.wasmBinary !== undefined;
  const relaxedSimd = threads > 1 && (requested ?? (!own && relaxedSimdAvailable()));
  const file = threads === 1 ? 'tint.wasm' : relaxedSimd ? 'tint-threads-relaxed.wasm' : 'tint-threads.wasm';
  return { threads, relaxedSimd, file };
}

// The Emscripten module: tint.wasm (one thread), or tint-threads.wasm with a pool of threads - 1
// pthread workers started with it (tint-threads-wasm.worker.js; .cjs for Node, where the site's
// package.json makes .js an ES module). Both compute the same pixels bit for bit. Where relaxed
// SIMD runs, tint-threads-relaxed.wasm (the same loader): its convolutions use fused multiply-adds
// where the CPU has them, so its pixels match the others' within rounding, not bit for bit.
async function loadModule({ threads, file }, options) {
  const binary = options.wasmBinary ? { wasmBinary: options.wasmBinary } : {};
  const wasmUrl = options.wasmUrl ?? here(file);
  if (threads === 1) return createTintModule({ ...binary, locateFile: () => wasmUrl });
  if (isNode) {
    // Emscripten's Node code path expects CommonJS globals.
    const { createRequire } = await import('node:module');
    const { fileURLToPath } = await import('node:url');
    globalThis.require ??= createRequire(import.meta.url);
    globalThis.__dirname ??= fileURLToPath(new URL('.', import.meta.url));
  }
  const { default: createThreadedModule } = await import('./tint-threads-wasm.js');
  return createThreadedModule({
    ...binary,
    tintPoolSize: threads - 1,
    locateFile: (file) => {
      if (!file.endsWith('.worker.js')) return wasmUrl;
      return isNode ? new URL(file.replace(/\.js$/, '.cjs'), import.meta.url) : here(file);
    },
  });
}

/**
 * @param {{modelUrl?: string, wasmUrl?: string, size?: number, maxPixels?: number, threads?: number,
 *          relaxedSimd?: boolean, hintReach?: number, modelBytes?: Uint8Array, wasmBinary?: Uint8Array}} options
 */
export async function createTint(options = {}) {
  const hintReach = options.hintReach ?? 0;
  if (!(typeof hintReach === 'number' && hintReach >= 0 && hintReach <= 10)) {
    throw new Error(`tint: hintReach must be a number from 0 to 10, got ${options.hintReach}`);
  }
  const choice = moduleChoice(options);
  const { threads, relaxedSimd } = choice;
  const [module, modelBytes] = await Promise.all([
    loadModule(choice, options),
    options.modelBytes ?? fetchBytes(options.modelUrl ?? here('tint.safetensors'), 'model'),
  ]);
  // The heap as bytes. With threads the memory is shared and may grow on any thread, so the view
  // is taken afresh from the memory each time rather than kept.
  const heap = () => (module.wasmMemory ? new Uint8Array(module.wasmMemory.buffer) : module.HEAPU8);
  const error = () => module.UTF8ToString(module._tint_last_error());
  const weights = module._tint_malloc(modelBytes.length);
  heap().set(modelBytes, weights);
  let handle = module._tint_create(weights, modelBytes.length, options.size ?? 0, options.maxPixels ?? 0, threads, hintReach);
  module._tint_free(weights);
  if (!handle) throw new Error(`tint: ${error()}`);
  // The pixel limit in force: the caller's, else the core's (one source: src/core/image.h).
  const limit = options.maxPixels || module._tint_default_max_pixels();

  // The image's RGBA, checked before anything is allocated for it.
  async function checkedImage(input) {
    if (!handle) throw new Error('tint: used after dispose()');
    const image = await toImageData(input);
    const { width, height } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
      throw new Error(`tint: image size ${width}x${height} is not two whole numbers`);
    }
    if (width * height > limit) {
      const describe = (n) => (n >= 1e6 ? `${Number((n / 1e6).toFixed(1))} MP` : `${n} pixels`);
      throw new Error(`tint: image is ${width}x${height}, above the limit of ${describe(limit)}`);
    }
    const bytes = width * height * 4;
    if (image.data.length !== bytes) {
      throw new Error(`tint: a ${width}x${height} image needs ${bytes} RGBA bytes, got ${image.data.length}`);
    }
    return image;
  }

  // Hints [{x, y, color}] as the module's packed [x, y, a, b] floats; colours parsed by the core.
  function packHints(hints, width, height) {
    if (hints === undefined) return new Float32Array(0);
    if (!Array.isArray(hints)) throw new Error('tint: hints must be a list of {x, y, color}');
    if (hints.length > 1000) throw new Error(`tint: ${hints.length} hints, more than the 1000 allowed`);
    const packed = new Float32Array(4 * hints.length);
    const text = module._tint_malloc(16), ab = module._tint_malloc(8);
    try {
      hints.forEach((hint, i) => {
        const { x, y, color } = hint ?? {};
        if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= width || y >= height) {
          throw new Error(`tint: hint #${i + 1} at ${x},${y} is outside the ${width}x${height} image`);
        }
        const bytes = new TextEncoder().encode(String(color)).subarray(0, 15);
        heap().set(bytes, text);
        heap()[text + bytes.length] = 0;
        if (String(color).length > 15 || !module._tint_parse_color(text, ab)) {
          throw new Error(`tint: hint #${i + 1}: colour "${color}" is not #rrggbb`);
        }
        packed.set([x, y, ...new Float32Array(heap().buffer, ab, 2)], 4 * i);
      });
    } finally {
      module._tint_free(text);
      module._tint_free(ab);
    }
    return packed;
  }

  // Copies the image (and hints) into the module's heap, runs `work`, frees them.
  function withHeap(image, hints, work) {
    const packed = packHints(hints, image.width, image.height);
    if (packed.length > 0 && !(module._tint_features(handle) & 1)) throw new Error('tint: this model takes no colour hints');
    const pixels = module._tint_malloc(image.data.length);
    if (!pixels) throw new Error(`tint: not enough memory for a ${image.width}x${image.height} image`);
    const hintBytes = module._tint_malloc(Math.max(packed.byteLength, 4));
    try {
      heap().set(image.data, pixels);
      new Float32Array(heap().buffer, hintBytes, packed.length).set(packed);
      return work(pixels, hintBytes, packed.length / 4);
    } finally {
      module._tint_free(hintBytes);
      module._tint_free(pixels);
    }
  }

  return {
    /** The largest image (in pixels) colorize() accepts. */
    maxPixels: limit,
    /** Threads this instance colourises with (1 unless threads are available: threadsAvailable()). */
    threads,
    /** Whether it runs the relaxed-SIMD module (threads > 1 where the engine runs relaxed SIMD). */
    relaxedSimd,
    /** How far hints reach (createTint's hintReach; 0: as far as the network spreads them). */
    hintReach,
    /** Whether the model takes colour hints and can suggest colours at a pixel. */
    takesHints: (module._tint_features(handle) & 1) !== 0,
    canSuggest: (module._tint_features(handle) & 2) !== 0,
    /**
     * Colourises one image; resolves to an ImageData-like {width, height, data} of the same size.
     * options.hints: [{x, y, color: '#rrggbb'}] in pixels of the image as given (hint models).
     */
    async colorize(input, colorizeOptions = {}) {
      const image = await checkedImage(input);
      return withHeap(image, colorizeOptions.hints, (pixels, hints, count) => {
        const ok = module._tint_colorize_hinted(handle, pixels, image.width, image.height, hints, count);  // in place
        if (!ok) throw new Error(`tint: ${error()}`);
        const data = new Uint8ClampedArray(heap().subarray(pixels, pixels + image.data.length));  // a copy, never shared
        return typeof ImageData !== 'undefined' ? new ImageData(data, image.width, image.height) : { width: image.width, height: image.height, data };
      });
    },
    /** The model's k likeliest colours at pixel (x, y): [{color: '#rrggbb', probability}], most likely first. */
    async suggest(input, x, y, k = 5, suggestOptions = {}) {
      const image = await checkedImage(input);
      if (!Number.isInteger(k) || k < 1 || k > 64) throw new Error(`tint: asked for ${k} colours, expected 1 to 64`);
      return withHeap(image, suggestOptions.hints, (pixels, hints, count) => {
        // k RGB triples, padded to a multiple of 4 bytes, then k float probabilities.
        const rgbBytes = Math.ceil((3 * k) / 4) * 4;
        const out = module._tint_malloc(rgbBytes + 4 * k);
        try {
          const n = module._tint_suggest(handle, pixels, image.width, image.height, x, y, k, hints, count, out, out + rgbBytes);
          if (n < 0) throw new Error(`tint: ${error()}`);
          const rgb = heap().subarray(out, out + 3 * n);
          const probabilities = new Float32Array(heap().buffer, out + rgbBytes, n);
          const hex = (v) => v.toString(16).padStart(2, '0');
          return Array.from({ length: n }, (_, i) => ({
            color: `#${hex(rgb[3 * i])}${hex(rgb[3 * i + 1])}${hex(rgb[3 * i + 2])}`,
            probability: probabilities[i],
          }));
        } finally {
          module._tint_free(out);
        }
      });
    },
    dispose() {
      if (handle) module._tint_destroy(handle);
      handle = 0;
      module.PThread?.terminateAllThreads();  // the threaded module's workers (they would keep Node running)
    },
  };
}
