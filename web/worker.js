// The page's worker: loads tint (module + weights, reporting download progress), then colourises
// the files the page sends, one at a time, so that the page stays responsive and at most one
// photo's buffers are alive. Messages in: {type: 'colorize', id, file}. Out:
// {type: 'load', loaded, total} while downloading, {type: 'ready', maxPixels} (the module's
// pixel limit), {type: 'load-error', message},
// and per file {type: 'stage', id, stage}, {type: 'done', id, blob, width, height, ms} or
// {type: 'error', id, message}.
import { createTint } from './tint.js';
import { imageInfo, ImageFormatError } from './image-size.js';

const post = (message) => self.postMessage(message);

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

const tintReady = (async () => {
  const here = (name) => new URL(name, import.meta.url).href;
  const [wasmBinary, modelBytes] = await download([here('tint.wasm'), here('tint-v2.safetensors')]);
  return createTint({ wasmBinary, modelBytes });
})();
tintReady.then((tint) => post({ type: 'ready', maxPixels: tint.maxPixels }), (error) => post({ type: 'load-error', message: String(error.message ?? error) }));

// The header's dimensions, read before any decoding; a JPEG with big metadata is read further.
async function headerInfo(file) {
  for (const bytes of [65536, 4 << 20, file.size]) {
    const info = imageInfo(new Uint8Array(await file.slice(0, bytes).arrayBuffer()));
    if (info) return info;
    if (bytes >= file.size) break;
  }
  throw new ImageFormatError('corrupt JPEG (no frame header)');
}

async function colorize({ id, file }) {
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
  stage('Colourising');
  let result;
  try {
    result = await tint.colorize(bitmap);
  } finally {
    bitmap.close();
  }
  stage('Saving');
  const { width, height } = result;
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d').putImageData(result, 0, 0);
  result = null;
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  canvas.width = canvas.height = 0;  // frees the canvas's pixels now, not at the next collection
  post({ type: 'done', id, blob, width, height, ms: performance.now() - start });
}

let queue = Promise.resolve();
self.onmessage = ({ data }) => {
  if (data.type !== 'colorize') return;
  queue = queue.then(() => colorize(data)).catch((error) => {
    const message = String(error?.message ?? error).replace(/^tint: /, '');
    post({ type: 'error', id: data.id, message: message.charAt(0).toUpperCase() + message.slice(1) });
  });
};
