// The page's worker: loads tint (module + weights, reporting download progress), colourises the
// files the page sends and keeps each decoded photo (as displayed, after EXIF orientation) while
// its card is open, for colour hints: a quick preview at the working size and the full size.
//
// Messages in:
//   {type: 'colorize', id, file, hints, gen}   a new (or restored) photo, with its hints
//   {type: 'preview', id, gen, hints}          re-colour the preview (about 256 px) with these hints
//   {type: 'full', id, gen, hints}             re-colour at full size
//   {type: 'suggest', id, request, x, y, k, hints}  the model's likely colours at (x, y)
//   {type: 'forget', ids}                      the cards are closed: free their photos
// Hint coordinates are pixels of the full photo as displayed. Messages out: {type: 'load', loaded,
// total}, {type: 'ready', maxPixels, threads}, {type: 'load-error', message}; per photo {type: 'stage', id,
// stage}, {type: 'done', id, gen, bitmap, width, height, small, ms} (the full-size result as an
// ImageBitmap, small: at preview size as ImageData), then {type: 'png', id, gen, blob} (the same
// pixels as a PNG; {..., error} if encoding failed), {type: 'preview', id, gen, image, ms},
// {type: 'suggestions', id, request, colors, lightness}, {type: 'error', id, message} (the photo
// failed) or {type: 'hint-error', id, gen, message} (one edit failed; the photo stays).
//
// Jobs run one at a time (a WASM call cannot be interrupted), suggestions and previews first.
// Only the newest preview and full-size job of a photo is kept: an edit replaces the queued ones,
// and a full-size result that a newer edit has overtaken is dropped (generation numbers).
import { createTint, moduleChoice } from './tint.js';
import { imageInfo, ImageFormatError } from './image-size.js';
import { rgbToLab } from './color.js';

const post = (message, transfer) => self.postMessage(message, transfer);
const previewSide = 256;

// Both downloads at once, with one combined progress figure.
async function download(urls) {
  const loaded = urls.map(() => 0);
  const totals = urls.map(() => 0);
  const report = () => post({ type: 'load', loaded: loaded.reduce((a, b) => a + b), total: totals.reduce((a, b) => a + b) });
  return Promise.all(urls.map(async (url, k) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`cannot load ${url.split('/').pop()} (HTTP ${response.status})`);
    totals[k] = Number(response.headers.get('Content-Length')) || 0;
    const reader = response.body.getReader();
    const parts = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      loaded[k] += value.length;
      report();
    }
    const bytes = new Uint8Array(loaded[k]);
    let offset = 0;
    for (const part of parts) bytes.set(part, offset), offset += part.length;
    return bytes;
  }));
}

const kHintReach = 0.3;

// The threaded module where the page is cross-origin isolated (it then uses every core, at most
// 8), with relaxed SIMD where the browser runs it, else the single-threaded one (moduleChoice);
// the pixels are the same (within rounding with relaxed SIMD).
const tintReady = (async () => {
  const here = (name) => new URL(name, import.meta.url).href;
  const { threads, relaxedSimd, file } = moduleChoice();
  const [wasmBinary, modelBytes] = await download([here(file), here('tint.safetensors')]);
  // A hint recolours its own part of the photo (geodesically within 0.3 of the working size), not
  // the whole photo as the network alone would (README, "Colour hints").
  return createTint({ wasmBinary, modelBytes, threads, relaxedSimd, hintReach: kHintReach });
})();
tintReady.then((tint) => post({ type: 'ready', maxPixels: tint.maxPixels, threads: tint.threads, relaxedSimd: tint.relaxedSimd }), (error) => post({ type: 'load-error', message: String(error.message ?? error) }));

// The header's dimensions, read before any decoding; a JPEG with big metadata is read further.
async function headerInfo(file) {
  for (const bytes of [65536, 4 << 20, file.size]) {
    const info = imageInfo(new Uint8Array(await file.slice(0, bytes).arrayBuffer()));
    if (info) return info;
    if (bytes >= file.size) break;
  }
  throw new ImageFormatError('corrupt JPEG (no frame header)');
}

const open = new Set();     // ids of open cards
const photos = new Map();   // id -> {bitmap, width, height, small: ImageData at preview size, scale}
const newest = new Map();   // id -> the newest generation the page has asked for
const stale = (id, gen) => !open.has(id) || gen < (newest.get(id) ?? 0);

// An image drawn at another size, as ImageData.
function resized(source, width, height) {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

// The preview's size for a photo; hints scaled to it.
function previewSize(width, height) {
  const scale = Math.min(1, previewSide / Math.max(width, height));
  return { scale, width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
function scaledHints(photo, hints) {
  const { width, height } = photo.small;
  return hints.map(({ x, y, color }) => ({
    x: Math.min(width - 1, Math.floor((x + 0.5) * photo.scale)),
    y: Math.min(height - 1, Math.floor((y + 0.5) * photo.scale)),
    color,
  }));
}

// A full-size result goes to the page at once (an ImageBitmap, drawn there on a canvas), then
// becomes a PNG for the downloads without holding up the queue (previews run meanwhile); at most
// one at a time, so that no more than two full-size images are alive here.
let encoding = 0;
async function finish({ id, gen, start }, result, failure) {
  ++encoding;
  const { width, height } = result;
  const canvas = new OffscreenCanvas(width, height);
  let shown = false;
  try {
    canvas.getContext('2d').putImageData(result, 0, 0);
    result = null;
    if (stale(id, gen)) return;
    const { width: smallWidth, height: smallHeight } = previewSize(width, height);
    const small = resized(canvas, smallWidth, smallHeight);
    const bitmap = await createImageBitmap(canvas);
    post({ type: 'done', id, gen, bitmap, width, height, small, ms: performance.now() - start }, [bitmap, small.data.buffer]);
    shown = true;
    // Encoded even if a newer edit came meanwhile: the page may keep showing this result (the
    // newer run can fail) and its Download waits for this PNG.
    const blob = open.has(id) ? await canvas.convertToBlob({ type: 'image/png' }) : null;
    if (blob && open.has(id)) post({ type: 'png', id, gen, blob });
  } catch (error) {
    post(shown ? { type: 'png', id, gen, error: describe(error) } : { type: failure, id, gen, message: describe(error) });
  } finally {
    canvas.width = canvas.height = 0;  // frees the canvas's pixels now, not at the next collection
    --encoding;
    pump();
  }
}

async function colorizeFile({ id, file, hints = [], gen = 0 }) {
  const stage = (name) => post({ type: 'stage', id, stage: name });
  const start = performance.now();
  stage('Reading');
  if (file.size === 0) throw new Error('the file is empty');
  const info = await headerInfo(file);
  if (info.width < 1 || info.height < 1) throw new Error(`the ${info.type} says it is ${info.width}×${info.height} pixels`);
  const megapixels = (info.width * info.height) / 1e6;
  const tint = await tintReady;
  const { maxPixels } = tint;
  if (info.width * info.height > maxPixels) {
    throw new Error(`${info.width}×${info.height} is ${megapixels.toFixed(1)} MP, above the limit of ${Math.round(maxPixels / 1e6)} MP`);
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`this ${info.type} is damaged or incomplete and cannot be decoded`);
  }
  if (!open.has(id)) return bitmap.close();
  const size = previewSize(bitmap.width, bitmap.height);
  const photo = { bitmap, width: bitmap.width, height: bitmap.height, scale: size.scale, small: resized(bitmap, size.width, size.height) };
  photos.set(id, photo);
  stage('Colourising');
  const result = await tint.colorize(bitmap, { hints });
  if (!stale(id, gen)) {
    stage('Saving');
    finish({ id, gen, start }, result, 'error');
  }
}

async function preview({ id, gen, hints }) {
  const photo = photos.get(id);
  if (!photo || stale(id, gen)) return;
  const start = performance.now();
  const tint = await tintReady;
  const image = await tint.colorize(photo.small, { hints: scaledHints(photo, hints) });
  post({ type: 'preview', id, gen, image, ms: performance.now() - start }, [image.data.buffer]);
}

async function full({ id, gen, hints }) {
  const photo = photos.get(id);
  if (!photo || stale(id, gen)) return;
  const start = performance.now();
  const tint = await tintReady;
  const result = await tint.colorize(photo.bitmap, { hints });
  if (!stale(id, gen)) finish({ id, gen, start }, result, 'hint-error');
}

async function suggest({ id, request, x, y, k, hints }) {
  const photo = photos.get(id);
  if (!photo) return;
  const tint = await tintReady;
  const [point] = scaledHints(photo, [{ x, y }]);
  const i = 4 * (point.y * photo.small.width + point.x);
  const [lightness] = rgbToLab([...photo.small.data.subarray(i, i + 3)]);
  let colors = [];
  try {
    if (tint.canSuggest) colors = (await tint.suggest(photo.small, point.x, point.y, k, { hints: scaledHints(photo, hints) })).map((s) => s.color);
  } catch {}  // the picker says there are none; the free choice still works
  post({ type: 'suggestions', id, request, colors, lightness });
}

// The queues: new photos in order; the newest preview, full-size job and suggestion per photo.
const files = [];
const previews = new Map(), fulls = new Map(), suggestions = new Map();
const take = (map) => {
  const [id, job] = map.entries().next().value;
  map.delete(id);
  return job;
};
const describe = (error) => {
  const message = String(error?.message ?? error).replace(/^tint: /, '');
  return message.charAt(0).toUpperCase() + message.slice(1);
};

function next() {
  if (suggestions.size) return [suggest, take(suggestions), 'hint-error'];
  if (previews.size) return [preview, take(previews), 'hint-error'];
  if (encoding) return null;
  if (files.length) return [colorizeFile, files.shift(), 'error'];
  if (fulls.size) return [full, take(fulls), 'hint-error'];
  return null;
}

let running = false;
async function pump() {
  if (running) return;
  running = true;
  try {
    for (let job; (job = next());) {
      const [run, data, failure] = job;
      try {
        await run(data);
      } catch (error) {
        if (failure === 'error') photos.get(data.id)?.bitmap.close(), photos.delete(data.id);
        post({ type: failure, id: data.id, gen: data.gen, message: describe(error) });
      }
      await new Promise((resolve) => setTimeout(resolve, 0));  // lets newer messages in before the next job
    }
  } finally {
    running = false;
  }
}

self.onmessage = ({ data }) => {
  const { type, id } = data;
  if (data.gen !== undefined) newest.set(id, Math.max(newest.get(id) ?? 0, data.gen));
  if (type === 'colorize') {
    open.add(id);
    files.push(data);
  } else if (type === 'preview') {
    previews.set(id, data);
  } else if (type === 'full') {
    fulls.set(id, data);
  } else if (type === 'suggest') {
    suggestions.set(id, data);
  } else if (type === 'forget') {
    for (const gone of data.ids) {
      open.delete(gone);
      photos.get(gone)?.bitmap.close();
      photos.delete(gone);
      previews.delete(gone), fulls.delete(gone), suggestions.delete(gone), newest.delete(gone);
    }
    files.splice(0, files.length, ...files.filter((job) => open.has(job.id)));
  }
  pump();
};
