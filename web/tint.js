// tint's embeddable ES module: colourise photos in the browser (or Node) with tint.wasm.
//
//   import { createTint } from './tint.js';
//   const tint = await createTint();                 // tint.wasm + tint-v1.safetensors beside this file
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

/**
 * @param {{modelUrl?: string, wasmUrl?: string, size?: number, maxPixels?: number,
 *          modelBytes?: Uint8Array, wasmBinary?: Uint8Array}} options
 */
export async function createTint(options = {}) {
  const wasmUrl = options.wasmUrl ?? here('tint.wasm');
  const [module, modelBytes] = await Promise.all([
    createTintModule({
      ...(options.wasmBinary ? { wasmBinary: options.wasmBinary } : {}),
      locateFile: () => wasmUrl,
    }),
    options.modelBytes ?? fetchBytes(options.modelUrl ?? here('tint-v1.safetensors'), 'model'),
  ]);
  const error = () => module.UTF8ToString(module._tint_last_error());
  const weights = module._tint_malloc(modelBytes.length);
  module.HEAPU8.set(modelBytes, weights);
  let handle = module._tint_create(weights, modelBytes.length, options.size ?? 0, options.maxPixels ?? 0);
  module._tint_free(weights);
  if (!handle) throw new Error(`tint: ${error()}`);
  // The pixel limit in force: the caller's, else the core's (one source: src/core/image.h).
  const limit = options.maxPixels || module._tint_default_max_pixels();

  return {
    /** The largest image (in pixels) colorize() accepts. */
    maxPixels: limit,
    /** Colourises one image; resolves to an ImageData-like {width, height, data} of the same size. */
    async colorize(input) {
      if (!handle) throw new Error('tint: colorize() after dispose()');
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
      const pixels = module._tint_malloc(bytes);
      if (!pixels) throw new Error(`tint: not enough memory for a ${width}x${height} image`);
      module.HEAPU8.set(image.data, pixels);
      const ok = module._tint_colorize(handle, pixels, width, height);  // in place
      const data = ok ? new Uint8ClampedArray(module.HEAPU8.subarray(pixels, pixels + bytes)) : null;  // a copy
      module._tint_free(pixels);
      if (!ok) throw new Error(`tint: ${error()}`);
      return typeof ImageData !== 'undefined' ? new ImageData(data, width, height) : { width, height, data };
    },
    dispose() {
      if (handle) module._tint_destroy(handle);
      handle = 0;
    },
  };
}
