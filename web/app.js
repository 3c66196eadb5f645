// tint's page: photos in (pick, drop, paste), colourised in a worker, shown with a before/after
// slider, downloaded one by one or as a zip. Nothing leaves the page's origin.
import { zipSync } from './fflate.js';

const $ = (selector, root = document) => root.querySelector(selector);
const results = $('#results');
const batch = $('#batch');
const loadBox = $('#load');
const loadText = $('#load-text');
const loadBar = $('#load-bar');

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js').catch(() => {});  // offline copy; the page works without
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const cards = new Map();  // id -> {element, name, blob, url, originalUrl}
let nextId = 1;

worker.onmessage = ({ data }) => {
  switch (data.type) {
    case 'load':
      loadBar.max = data.total || 1;
      loadBar.value = data.loaded;
      loadText.textContent = data.total
        ? `Downloading tint: ${megabytes(data.loaded)} of ${megabytes(data.total)}`
        : `Downloading tint: ${megabytes(data.loaded)}`;
      break;
    case 'ready':  // the worker reports the module's pixel limit (the core's, src/core/image.h)
      $('#limit').textContent = String(Math.round(data.maxPixels / 1e6));
      loadBox.classList.add('ready');
      loadText.textContent = 'Ready. Everything runs on this device.';
      break;
    case 'load-error':
      loadBox.classList.add('failed');
      loadText.textContent = `tint could not start: ${data.message}. Reload the page to try again.`;
      break;
    case 'stage':
      setStatus(data.id, `${data.stage}…`);
      break;
    case 'done':
      showResult(data);
      break;
    case 'error':
      showError(data.id, data.message);
      break;
  }
};
worker.onerror = (event) => {
  loadBox.classList.add('failed');
  loadText.textContent = `tint stopped unexpectedly (${event.message || 'worker error'}). Reload the page to try again.`;
};

function outputName(name) {
  const stem = name.replace(/\.[^./\\]*$/, '') || 'photo';
  return `${stem}-colorized.png`;
}

function addFiles(files) {
  for (const file of files) {
    const id = nextId++;
    const element = $('#card').content.firstElementChild.cloneNode(true);
    const name = file.name || `pasted-${id}.png`;
    $('.name', element).textContent = name;
    results.prepend(element);
    const entry = { element, name, file };
    cards.set(id, entry);
    setStatus(id, 'Waiting…');
    worker.postMessage({ type: 'colorize', id, file });
  }
}

function setStatus(id, text) {
  const entry = cards.get(id);
  if (entry) $('.status', entry.element).textContent = text;
}

function showResult({ id, blob, width, height, ms }) {
  const entry = cards.get(id);
  if (!entry) return;
  const { element } = entry;
  entry.blob = blob;
  entry.url = URL.createObjectURL(blob);
  entry.originalUrl = URL.createObjectURL(entry.file);
  entry.file = null;
  element.classList.add('done');
  setStatus(id, `Done in ${(ms / 1000).toFixed(1)} s`);
  const compare = $('.compare', element);
  const after = $('.after', compare);
  const before = $('.before', compare);
  after.src = entry.url;
  after.alt = `${entry.name}, colourised`;
  before.src = entry.originalUrl;
  before.alt = `${entry.name}, original`;
  const slider = $('.slider', compare);
  slider.setAttribute('aria-label', `Before/after comparison for ${entry.name}: percent of the original shown`);
  slider.addEventListener('input', () => compare.style.setProperty('--pos', `${slider.value}%`));
  compare.hidden = false;
  const download = $('.download', element);
  download.href = entry.url;
  download.download = outputName(entry.name);
  download.setAttribute('aria-label', `Download ${outputName(entry.name)}`);
  $('.details', element).textContent = `${width}×${height} PNG, ${megabytes(blob.size)}`;
  $('.actions', element).hidden = false;
  updateBatch();
}

function showError(id, message) {
  const entry = cards.get(id);
  if (!entry) return;
  entry.file = null;
  entry.element.classList.add('error');
  const status = $('.status', entry.element);
  status.setAttribute('role', 'alert');
  status.textContent = message;
  updateBatch();
}

function finished() {
  return [...cards.values()].filter((entry) => entry.blob);
}

function updateBatch() {
  batch.hidden = cards.size === 0;
  $('#download-all').hidden = finished().length < 2;
}

$('#download-all').addEventListener('click', async () => {
  const files = {};
  for (const entry of finished()) {
    let name = outputName(entry.name);
    for (let k = 2; files[name]; ++k) name = outputName(`${entry.name.replace(/\.[^.]*$/, '')}-${k}`);
    files[name] = [new Uint8Array(await entry.blob.arrayBuffer()), { level: 0 }];  // PNGs are compressed already
  }
  const url = URL.createObjectURL(new Blob([zipSync(files)], { type: 'application/zip' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: 'tint-colorized.zip' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
});

$('#clear').addEventListener('click', () => {
  for (const entry of cards.values()) {
    if (entry.url) URL.revokeObjectURL(entry.url);
    if (entry.originalUrl) URL.revokeObjectURL(entry.originalUrl);
  }
  cards.clear();
  results.replaceChildren();
  updateBatch();
});

// Input: the file picker, drag and drop anywhere on the page, paste.
const input = $('#files');
input.addEventListener('change', () => {
  addFiles([...input.files]);
  input.value = '';
});
const drop = $('#drop');
let dragDepth = 0;
window.addEventListener('dragenter', (event) => {
  if (!event.dataTransfer?.types.includes('Files')) return;
  ++dragDepth;
  drop.classList.add('over');
});
window.addEventListener('dragleave', () => {
  if (dragDepth > 0 && --dragDepth === 0) drop.classList.remove('over');
});
window.addEventListener('dragover', (event) => event.preventDefault());
window.addEventListener('drop', (event) => {
  event.preventDefault();
  dragDepth = 0;
  drop.classList.remove('over');
  addFiles([...(event.dataTransfer?.files ?? [])]);
});
window.addEventListener('paste', (event) => {
  const files = [...(event.clipboardData?.files ?? [])];
  if (files.length) {
    event.preventDefault();
    addFiles(files);
  }
});
