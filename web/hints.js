// Colour hints on one colourised photo: markers over the result (buttons: click for the colour
// picker, drag or arrow keys to move, Delete or right-click to remove), undo and redo, and the
// re-colouring they cause: a preview at the working size soon after each change (in the worker),
// the full size once the edits settle. Hints are {x, y, color} in pixels of the photo as displayed.
import { rgbToLab, toHex } from './color.js';

const previewDelay = 60;   // ms between preview requests at most (changes in between go together)
const settleDelay = 600;   // ms without changes before the full-size run
export const maxHints = 1000;  // the module's limit
let nextKey = 1;

const plain = (hints) => hints.map(({ x, y, color }) => ({ x, y, color }));
const same = (a, b) => a.length === b.length && a.every((h, i) => h.x === b[i].x && h.y === b[i].y && h.color === b[i].color);

export class HintEditor {
  /**
   * @param {object} o
   * @param {number} o.id the photo's id in the worker
   * @param {HTMLElement} o.card the card; its .compare holds the result
   * @param {number} o.width, o.height the photo's size as displayed
   * @param {Array} o.hints the hints it was colourised with
   * @param {ImageData} o.small the result at preview size
   * @param {import('./picker.js').Picker} o.picker
   * @param {(message: object) => void} o.post sends to the worker
   * @param {(hints: Array) => void} o.saved called with the hints after each change
   * @param {(text: string) => void} o.status
   */
  constructor({ id, card, width, height, hints, small, picker, post, saved, status }) {
    Object.assign(this, { id, card, width, height, small, picker, post, saved, status });
    this.hints = hints.map((hint) => ({ ...hint, key: nextKey++ }));
    this.undoStack = [];
    this.redoStack = [];
    this.before = null;      // the hints when the current gesture began
    this.gen = 0;            // generation of the newest change; results of older ones are dropped
    this.previewTimer = this.fullTimer = 0;
    this.selected = null;    // key of the selected hint
    this.suggestRequest = 0;
    this.compare = card.querySelector('.compare');
    this.layer = card.querySelector('.markers');
    this.canvas = card.querySelector('.preview');
    this.help = card.querySelector('.marker-help');
    this.buttons = Object.fromEntries(['add', 'undo', 'redo', 'reset'].map((name) => [name, card.querySelector(`.hint-${name}`)]));
    this.buttons.add.addEventListener('click', () => this.add(Math.floor(width / 2), Math.floor(height / 2)));
    this.buttons.undo.addEventListener('click', () => this.undo());
    this.buttons.redo.addEventListener('click', () => this.redo());
    this.buttons.reset.addEventListener('click', () => this.commit(() => []));
    this.compare.addEventListener('dragstart', (event) => event.preventDefault());  // the photos are not for dragging out
    this.compare.addEventListener('click', (event) => {
      if (event.target.closest('.marker, .grip')) return;
      const { x, y } = this.pixelAt(event);
      this.add(x, y);
    });
    this.render();
  }

  // The photo's pixel under a pointer event.
  pixelAt({ clientX, clientY }) {
    const rect = this.compare.getBoundingClientRect();
    const clamp = (v, n) => Math.min(n - 1, Math.max(0, Math.floor(v * n)));
    return { x: clamp((clientX - rect.left) / rect.width, this.width), y: clamp((clientY - rect.top) / rect.height, this.height) };
  }

  // The result's colour at a pixel (from the preview-size result) and its lightness.
  sample(x, y) {
    const { width, height, data } = this.small;
    const i = 4 * (Math.min(height - 1, Math.floor(((y + 0.5) * height) / this.height)) * width
      + Math.min(width - 1, Math.floor(((x + 0.5) * width) / this.width)));
    const rgb = [...data.subarray(i, i + 3)];
    return { color: toHex(rgb), lightness: rgbToLab(rgb)[0] };
  }

  // Changes: begin() before a gesture (a drag, a live colour choice), change() during it, end()
  // after; commit() is all three. Each finished gesture is one undo step.
  begin() {
    this.before ??= this.hints;
  }
  change(update) {
    this.hints = update(this.hints);
    this.changed();
  }
  end() {
    if (this.before && !same(this.before, this.hints)) {
      this.undoStack.push(this.before);
      this.redoStack = [];
      this.saved(plain(this.hints));
    }
    this.before = null;
    this.scheduleFull();
    this.render();
  }
  commit(update) {
    this.begin();
    this.change(update);
    this.end();
  }

  undo() {
    this.step(this.undoStack, this.redoStack);
  }
  redo() {
    this.step(this.redoStack, this.undoStack);
  }
  step(from, to) {
    if (this.before) this.end();
    if (!from.length) return;
    to.push(this.hints);
    this.hints = from.pop();
    this.saved(plain(this.hints));
    this.changed();
    this.scheduleFull();
    if (this.picker.isOpen && this.picker.session.editor === this) {
      const hint = this.find(this.selected);
      if (hint) this.picker.update({ anchor: this.marker(this.selected), color: hint.color });
      else this.picker.close(false);
    }
  }

  find(key) {
    return this.hints.find((hint) => hint.key === key);
  }
  marker(key) {
    return this.layer.querySelector(`[data-key="${key}"]`);
  }

  add(x, y) {
    if (this.hints.length >= maxHints) return this.status(`At most ${maxHints} hints per photo`);
    const { color, lightness } = this.sample(x, y);
    const key = nextKey++;
    this.commit((hints) => [...hints, { x, y, color, key }]);
    // Show the point on the result, not under the "before" side of the comparison.
    const slider = this.compare.querySelector('.slider');
    if ((100 * x) / this.width < Number(slider.value)) {
      slider.value = '0';
      slider.dispatchEvent(new Event('input'));
    }
    this.select(key);
    this.openPicker(key, lightness);
  }

  move(key, x, y) {
    x = Math.min(this.width - 1, Math.max(0, Math.round(x)));
    y = Math.min(this.height - 1, Math.max(0, Math.round(y)));
    this.change((hints) => hints.map((hint) => (hint.key === key ? { ...hint, x, y } : hint)));
  }

  recolor(key, color) {
    this.change((hints) => hints.map((hint) => (hint.key === key ? { ...hint, color } : hint)));
  }

  remove(key) {
    const index = this.hints.findIndex((hint) => hint.key === key);
    if (index < 0) return;
    if (this.picker.session?.editor === this) this.picker.close(false);
    this.commit((hints) => hints.filter((hint) => hint.key !== key));
    const next = this.hints[Math.min(index, this.hints.length - 1)];
    (next ? this.marker(next.key) : this.buttons.add).focus();
    this.selected = next?.key ?? null;
    this.render();
  }

  select(key) {
    this.selected = key;
    this.render();
    this.marker(key)?.focus({ preventScroll: true });
  }

  openPicker(key, lightness) {
    const hint = this.find(key);
    if (!hint) return;
    lightness ??= this.sample(hint.x, hint.y).lightness;
    this.picker.open({
      anchor: this.marker(key),
      color: hint.color,
      lightness,
      onPick: (color, live) => {
        this.begin();
        this.recolor(key, color);
        if (!live) this.end();
      },
      onRemove: () => this.remove(key),
      onClose: () => this.before && this.end(),
    });
    this.picker.session.editor = this;
    const request = ++this.suggestRequest;
    this.pendingSuggestion = { request, key };
    this.post({ type: 'suggest', id: this.id, request, x: hint.x, y: hint.y, k: 6, hints: plain(this.hints.filter((h) => h.key !== key)) });
  }

  // Worker replies, routed here by the page.
  suggestions({ request, colors, lightness }) {
    if (request !== this.suggestRequest || this.picker.session?.editor !== this) return;
    this.picker.suggestions(colors, lightness);
  }

  preview({ gen, image }) {
    if (gen < (this.previewGen ?? -1) || gen <= (this.fullGen ?? -1)) return;
    this.previewGen = gen;
    this.small = image;
    this.canvas.width = image.width;
    this.canvas.height = image.height;
    this.canvas.getContext('2d').putImageData(image, 0, 0);
    this.canvas.hidden = false;
    this.card.dataset.previewGen = gen;
  }

  /** A full-size result: true if it is for the newest change (the page then shows it). */
  accepts(gen) {
    return gen === this.gen;
  }

  /** The full-size result of `gen` is on screen. */
  shown(gen, small) {
    if (gen !== this.gen) return;
    this.fullGen = gen;
    this.small = small;
    this.canvas.hidden = true;
    this.card.classList.remove('pending');
    this.card.querySelector('.download').removeAttribute('aria-disabled');
    delete this.card.dataset.pending;
  }

  failed({ gen, message }) {
    if (gen !== this.gen) return;
    this.card.classList.remove('pending');
    this.card.querySelector('.download').removeAttribute('aria-disabled');
    delete this.card.dataset.pending;
    this.status(message);
  }

  // After each change: a preview at once (at most one request per previewDelay), the full size
  // once nothing changed for settleDelay (and no gesture is under way).
  changed() {
    ++this.gen;
    this.card.dataset.gen = this.gen;
    this.card.dataset.pending = '';
    this.card.classList.add('pending');
    this.card.querySelector('.download').setAttribute('aria-disabled', 'true');
    this.status('Previewing; the full size follows when you pause');
    // The first change goes at once; later ones within previewDelay of it are sent together.
    this.previewTimer ||= setTimeout(() => {
      this.previewTimer = 0;
      this.lastPreview = performance.now();
      this.post({ type: 'preview', id: this.id, gen: this.gen, hints: plain(this.hints) });
    }, Math.max(0, (this.lastPreview ?? -Infinity) + previewDelay - performance.now()));
    clearTimeout(this.fullTimer);
    this.fullTimer = 0;
    this.render();
  }
  scheduleFull() {
    clearTimeout(this.fullTimer);
    if (this.before) return;
    this.fullTimer = setTimeout(() => {
      this.post({ type: 'full', id: this.id, gen: this.gen, hints: plain(this.hints) });
    }, settleDelay);
  }

  // Markers: one focusable button per hint, kept in step with this.hints.
  render() {
    const markers = [...this.layer.children];
    while (markers.length > this.hints.length) markers.pop().remove();
    while (markers.length < this.hints.length) markers.push(this.layer.appendChild(this.newMarker()));
    this.hints.forEach((hint, i) => {
      const marker = markers[i];
      marker.dataset.key = hint.key;
      marker.style.left = `${(100 * (hint.x + 0.5)) / this.width}%`;
      marker.style.top = `${(100 * (hint.y + 0.5)) / this.height}%`;
      marker.style.setProperty('--hint', hint.color);
      marker.classList.toggle('selected', hint.key === this.selected);
      marker.setAttribute('aria-label', `Hint ${i + 1} of ${this.hints.length}: ${hint.color} at ${hint.x}, ${hint.y}`);
    });
    this.buttons.undo.disabled = !this.undoStack.length && !this.before;
    this.buttons.redo.disabled = !this.redoStack.length;
    this.buttons.reset.disabled = !this.hints.length;
    this.card.dataset.hints = this.hints.length;
    if (this.picker.session?.editor === this && this.selected !== null) this.picker.update({ anchor: this.marker(this.selected) });
  }

  newMarker() {
    const marker = Object.assign(document.createElement('button'), { type: 'button', className: 'marker' });
    marker.setAttribute('aria-describedby', this.help.id);
    const key = () => Number(marker.dataset.key);
    let drag = null, dragged = false;
    marker.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      dragged = false;
      drag = { pointer: event.pointerId, x: event.clientX, y: event.clientY, moving: false };
      marker.setPointerCapture(event.pointerId);
    });
    marker.addEventListener('pointermove', (event) => {
      if (drag?.pointer !== event.pointerId) return;
      if (!drag.moving && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < 4) return;
      if (!drag.moving) {
        drag.moving = true;
        this.picker.close(false);
        this.selected = key();
        this.begin();
      }
      const { x, y } = this.pixelAt(event);
      this.move(key(), x, y);
    });
    const stop = (event) => {
      if (drag?.pointer !== event.pointerId) return;
      dragged = drag.moving;
      drag = null;
      if (dragged) this.end();
    };
    marker.addEventListener('pointerup', stop);
    marker.addEventListener('pointercancel', stop);
    marker.addEventListener('click', (event) => {
      event.stopPropagation();
      if (dragged) return void (dragged = false);
      this.select(key());
      this.openPicker(key());
    });
    marker.addEventListener('contextmenu', (event) => {
      event.preventDefault();
      this.remove(key());
    });
    marker.addEventListener('focus', () => {
      if (this.selected !== key()) (this.selected = key()), this.render();
    });
    marker.addEventListener('keydown', (event) => {
      if (event.key === 'Delete' || event.key === 'Backspace') {
        event.preventDefault();
        return this.remove(key());
      }
      const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
      if (!steps) return;
      event.preventDefault();
      const hint = this.find(key());
      const step = Math.max(1, Math.round(Math.max(this.width, this.height) / (event.shiftKey ? 20 : 100)));
      this.begin();
      this.move(key(), hint.x + step * steps[0], hint.y + step * steps[1]);
      this.end();
    });
    return marker;
  }
}
