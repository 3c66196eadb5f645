// tint's page: photos in (pick, drop, paste), colourised in a worker, shown with a before/after
// slider, refined with colour hints (hints.js, picker.js), downloaded one by one or as a zip. The
// open photos and their hints are kept in IndexedDB (store.js) and restored on reload. Nothing
// leaves the page's origin.
import { zipSync } from './fflate.js';
import { HintEditor } from './hints.js';
import { Picker } from './picker.js';
import { store } from './store.js';

const $ = (selector, root = document) => root.querySelector(selector);
const results = $('#results');
const batch = $('#batch');
const loadBox = $('#load');
const loadText = $('#load-text');
const loadBar = $('#load-bar');

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js').catch(() => {});  // offline copy; the page works without
  // A static host without the isolation headers: the service worker adds them, but only to pages
  // it answers, so reload once when it controls this page and isolation is still missing.
  if (!globalThis.crossOriginIsolated && navigator.serviceWorker.controller && !sessionStorage.getItem('tint-isolation-reload')) {
    sessionStorage.setItem('tint-isolation-reload', '1');
    location.reload();
  }
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
// id -> {element, name, file, hints, originalUrl, editor, gen (of the result on screen), blob (its
// PNG, once the worker has encoded it), waiting (downloads waiting for that PNG)}
const cards = new Map();
const picker = new Picker($('#picker'));
let nextId = Date.now() * 1000;  // ids increase across visits: the store's order is the order added
let pasted = 0;
let lastEditor = null;    // where Ctrl+Z goes when the focus is outside every card

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
      loadText.textContent = `Ready. Everything runs on this device (threads: ${data.threads}${data.relaxedSimd ? ', relaxed SIMD' : ''}).`;
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
    case 'png':
      takePng(data);
      break;
    case 'error':
      showError(data.id, data.message);
      break;
    case 'preview':
      cards.get(data.id)?.editor?.preview(data);
      break;
    case 'suggestions':
      cards.get(data.id)?.editor?.suggestions(data);
      break;
    case 'hint-error':
      cards.get(data.id)?.editor?.failed(data);
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

// New photos (kept in the store), or restored ones (records from it, with their hints).
function addFiles(files, restored = false) {
  for (const item of files) {
    const id = restored ? item.id : nextId++;
    const file = restored ? item.file : item;
    const hints = restored ? item.hints ?? [] : [];
    const element = $('#card').content.firstElementChild.cloneNode(true);
    const name = restored ? item.name : file.name || `pasted-${++pasted}.png`;
    $('.name', element).textContent = name;
    results.prepend(element);
    const entry = { element, name, file, hints, blob: null, waiting: [] };
    cards.set(id, entry);
    setStatus(id, 'Waiting…');
    if (!restored) store.put({ id, name, file, hints });
    worker.postMessage({ type: 'colorize', id, file, hints, gen: 0 });
  }
  updateBatch();
}

function setStatus(id, text) {
  const entry = cards.get(id);
  if (entry) $('.status', entry.element).textContent = text;
}

// A full-size result: drawn on the card's canvas at once; its PNG follows (takePng).
function showResult({ id, gen, bitmap, width, height, small, ms }) {
  const entry = cards.get(id);
  if (!entry || (entry.editor && !entry.editor.accepts(gen))) return bitmap.close();
  const { element } = entry;
  entry.gen = gen;
  entry.blob = null;
  const after = $('.compare .after', element);
  if (after.width !== width || after.height !== height) Object.assign(after, { width, height });
  after.getContext('bitmaprenderer').transferFromImageBitmap(bitmap);
  setStatus(id, `Done in ${(ms / 1000).toFixed(1)} s`);
  $('.details', element).textContent = `${width}×${height} PNG`;
  if (!entry.editor) setUpCard(id, entry, { width, height, small });
  entry.editor.shown(gen, small);
  updateBatch();
}

// The PNG of a result on screen (the same pixels), for the downloads.
function takePng({ id, gen, blob, error }) {
  const entry = cards.get(id);
  if (!entry || gen !== entry.gen) return;
  const waiting = entry.waiting.splice(0);
  if (error) {
    setStatus(id, `The PNG could not be made: ${error}`);
    for (const { reject } of waiting) reject(new Error(error));
    return;
  }
  entry.blob = blob;
  $('.details', entry.element).textContent += `, ${megabytes(blob.size)}`;
  for (const { resolve } of waiting) resolve(blob);
}
const pngOf = (entry) => (entry.blob ? Promise.resolve(entry.blob) : new Promise((resolve, reject) => entry.waiting.push({ resolve, reject })));

// Saves a blob as a file through a link of its own.
function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// The first result of a photo: the comparison, the download button and the hint editor.
function setUpCard(id, entry, { width, height, small }) {
  const { element } = entry;
  entry.originalUrl = URL.createObjectURL(entry.file);
  entry.file = null;
  element.classList.add('done');
  const compare = $('.compare', element);
  const after = $('.after', compare);
  const before = $('.before', compare);
  after.setAttribute('aria-label', `${entry.name}, colourised`);
  before.src = entry.originalUrl;
  before.alt = `${entry.name}, original`;
  const slider = $('.slider', compare);
  slider.setAttribute('aria-label', `Before/after comparison for ${entry.name}: percent of the original shown`);
  slider.addEventListener('input', () => {
    compare.style.setProperty('--pos', `${slider.value}%`);
    compare.classList.toggle('all-after', slider.value < 6);   // the tags of sides out of sight go
    compare.classList.toggle('all-before', slider.value > 94);
  });
  dragGrip(compare, slider);
  $('.markers', compare).setAttribute('aria-label', `Colour hints on ${entry.name}`);
  compare.hidden = false;
  const download = $('.download', element);
  download.setAttribute('aria-label', `Download ${outputName(entry.name)}`);
  download.addEventListener('click', async () => {
    if (download.getAttribute('aria-disabled') === 'true') return;
    download.setAttribute('aria-busy', 'true');  // until the PNG is made (a moment for a big photo)
    try {
      save(await pngOf(entry), outputName(entry.name));
    } catch {}  // takePng said why
    download.removeAttribute('aria-busy');
  });
  $('.actions', element).hidden = false;
  const help = $('.marker-help', element);
  help.id = `marker-help-${id}`;
  entry.editor = new HintEditor({
    id, card: element, width, height, small, picker,
    hints: entry.hints,
    post: (message) => worker.postMessage(message),
    saved: (hints) => {
      entry.hints = hints;
      store.setHints(id, hints);
    },
    status: (text) => setStatus(id, text),
  });
  element.addEventListener('focusin', () => (lastEditor = entry.editor));
  element.addEventListener('pointerdown', () => (lastEditor = entry.editor));
  $('.hint-tools', element).hidden = false;
}

// The comparison's divider follows a drag of its grip (the slider itself takes the keyboard;
// clicks elsewhere on the photo add hints).
function dragGrip(compare, slider) {
  const grip = $('.grip', compare);
  const follow = (event) => {
    const rect = compare.getBoundingClientRect();
    slider.value = String(Math.round((100 * (event.clientX - rect.left)) / rect.width));
    slider.dispatchEvent(new Event('input'));
  };
  grip.addEventListener('pointerdown', (event) => {
    grip.setPointerCapture(event.pointerId);
    follow(event);
  });
  grip.addEventListener('pointermove', (event) => grip.hasPointerCapture(event.pointerId) && follow(event));
  grip.addEventListener('click', (event) => event.stopPropagation());
}

function showError(id, message) {
  const entry = cards.get(id);
  if (!entry) return;
  entry.file = null;
  store.remove(id);  // nothing to restore
  entry.element.classList.add('error');
  const status = $('.status', entry.element);
  status.setAttribute('role', 'alert');
  status.textContent = message;
  updateBatch();
}

function finished() {
  return [...cards.values()].filter((entry) => entry.gen !== undefined);
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
    try {
      files[name] = [new Uint8Array(await (await pngOf(entry)).arrayBuffer()), { level: 0 }];  // PNGs are compressed already
    } catch {}  // left out; its card says why
  }
  save(new Blob([zipSync(files)], { type: 'application/zip' }), 'tint-colorized.zip');
});

$('#clear').addEventListener('click', () => {
  picker.close(false);
  worker.postMessage({ type: 'forget', ids: [...cards.keys()] });
  for (const entry of cards.values()) if (entry.originalUrl) URL.revokeObjectURL(entry.originalUrl);
  cards.clear();
  lastEditor = null;
  results.replaceChildren();
  store.clear();
  updateBatch();
});

// Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y): undo and redo the hints of the photo in use.
window.addEventListener('keydown', (event) => {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
  const key = event.key.toLowerCase();
  if (key !== 'z' && key !== 'y') return;
  const editor = picker.session?.editor ?? lastEditor;
  if (!editor || !editor.card.isConnected) return;
  event.preventDefault();
  if (key === 'y' || event.shiftKey) editor.redo();
  else editor.undo();
});

// The photos of the last visit, with their hints.
store.all().then((records) => {
  const valid = records.filter((record) => Number.isInteger(record.id) && record.file instanceof Blob && !cards.has(record.id));
  addFiles(valid, true);
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
