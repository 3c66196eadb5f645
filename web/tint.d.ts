// Types for tint.js, the embeddable colouriser (ES module).

export interface TintOptions {
  /** Weights file URL; default: tint.safetensors beside tint.js. */
  modelUrl?: string;
  /**
   * The module's URL; default: tint.wasm (one thread), tint-threads.wasm, or
   * tint-threads-relaxed.wasm (threads where the engine runs relaxed SIMD) beside tint.js.
   */
  wasmUrl?: string;
  /**
   * Threads to colourise with, 1 to 64; default: all cores (at most 8) where threads are available
   * (a cross-origin isolated page, or Node), else 1. Where they are not, 1 whatever is asked.
   */
  threads?: number;
  /**
   * With threads, use the relaxed-SIMD module (fused multiply-adds: the same pixels within
   * rounding); default: where relaxedSimdAvailable(), unless wasmUrl or wasmBinary is given (then
   * that module is taken as the plain one unless this says true). true where it is not available
   * throws.
   */
  relaxedSimd?: boolean;
  /**
   * How far a hint changes colours, as a share of the network's working size (long side),
   * measured along the photo's structure (crossing edges in lightness costs extra); beyond it the
   * automatic colours stay. 0 (default): as far as the network spreads hints, often the whole
   * photo. The page uses 0.3. From 0 to 10.
   */
  hintReach?: number;
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

export interface Hint {
  /** Pixel of the image as given, from the top left. */
  x: number;
  y: number;
  /** '#rrggbb'; its a and b are used, its lightness ignored. */
  color: string;
}

export interface Suggestion {
  /** '#rrggbb' at the pixel's own lightness. */
  color: string;
  probability: number;
}

export interface Tint {
  /** The largest image, in pixels, that colorize() accepts. */
  readonly maxPixels: number;
  /** Threads this instance colourises with. */
  readonly threads: number;
  /** Whether it runs the relaxed-SIMD module. */
  readonly relaxedSimd: boolean;
  /** createTint's hintReach. */
  readonly hintReach: number;
  /** Whether the model takes colour hints, and can suggest colours at a pixel. */
  readonly takesHints: boolean;
  readonly canSuggest: boolean;
  /** Colourises one image (its lightness, and the hints); resolves to RGBA pixels of the same size. */
  colorize(input: ImageData | ImageBitmap | HTMLImageElement | Blob | File | ImageLike,
           options?: { hints?: Hint[] }): Promise<ImageData | ImageLike>;
  /** The model's k (default 5) likeliest distinct colours at pixel (x, y), most likely first. */
  suggest(input: ImageData | ImageBitmap | HTMLImageElement | Blob | File | ImageLike, x: number, y: number,
          k?: number, options?: { hints?: Hint[] }): Promise<Suggestion[]>;
  /** Frees the module's memory for this colouriser. */
  dispose(): void;
}

export function createTint(options?: TintOptions): Promise<Tint>;
/** Whether threads are available here (SharedArrayBuffer: a cross-origin isolated page, or Node). */
export function threadsAvailable(): boolean;
/** Whether this engine runs standard relaxed SIMD (f32x4.relaxed_madd): Chromium does. */
export function relaxedSimdAvailable(): boolean;
/** What createTint(options) would run here, and the module file it loads (beside tint.js). */
export function moduleChoice(options?: TintOptions): { threads: number; relaxedSimd: boolean; file: string };
