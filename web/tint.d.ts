// Types for tint.js, the embeddable colouriser (ES module).

export interface TintOptions {
  /** Weights file URL; default: tint-v1.safetensors beside tint.js. */
  modelUrl?: string;
  /** tint.wasm URL; default: beside tint.js. */
  wasmUrl?: string;
  /** Long side the network sees; default: the model's own (256). */
  size?: number;
  /** Refuse larger images (pixels); default: the module's limit (64 000 000). */
  maxPixels?: number;
  /** The weights' bytes, instead of fetching modelUrl. */
  modelBytes?: Uint8Array;
  /** The module's bytes, instead of fetching wasmUrl (Node). */
  wasmBinary?: Uint8Array;
}

export interface ImageLike {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface Tint {
  /** The largest image, in pixels, that colorize() accepts. */
  readonly maxPixels: number;
  /** Colourises one image (its lightness only); resolves to RGBA pixels of the same size. */
  colorize(input: ImageData | ImageBitmap | HTMLImageElement | Blob | File | ImageLike): Promise<ImageData | ImageLike>;
  /** Frees the module's memory for this colouriser. */
  dispose(): void;
}

export function createTint(options?: TintOptions): Promise<Tint>;
