// The colour picker that opens beside a hint: the model's likely colours at the point (at the
// pixel's lightness), a free choice (an ab plane drawn at that lightness, and the browser's colour
// input) and the colours used recently. One picker for the page; markup in index.html (#picker).
import { labToRgb, parseHex, rgbToLab, toHex } from './color.js';

const $ = (selector, root) => root.querySelector(selector);
const planeRange = 110;  // a and b from -110 to 110 across the plane
const recentKey = 'tint-recent-colours';

function loadRecent() {
  try {
    const list = JSON.parse(localStorage.getItem(recentKey) ?? '[]');
    return Array.isArray(list) ? list.filter((c) => parseHex(c)).slice(0, 8) : [];
  } catch {
    return [];
  }
}

export class Picker {
  constructor(element) {
    this.element = element;
    this.plane = $('.plane', element);
    this.cursor = $('.plane-cursor', element);
    this.input = $('.picker-color', element);
    this.recent = loadRecent();
    this.session = null;  // {anchor, color, lightness, onPick, onRemove, onClose}
    $('.picker-close', element).addEventListener('click', () => this.close(true));
    $('.picker-remove', element).addEventListener('click', () => {
      const { onRemove } = this.session ?? {};
      this.close(false);
      onRemove?.();
    });
    element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.close(true);
      }
    });
    document.addEventListener('pointerdown', (event) => {
      if (this.session && !element.contains(event.target) && !event.target.closest?.('.marker')) this.close(false);
    });
    this.input.addEventListener('input', () => this.pick(this.input.value, true));
    this.input.addEventListener('change', () => this.pick(this.input.value, false));
    this.planeEvents();
    window.addEventListener('resize', () => this.session && this.place());
  }

  get isOpen() {
    return this.session !== null;
  }

  /** Opens beside `anchor` (a marker) for a hint of `color` at lightness L (0..100). */
  open({ anchor, color, lightness, onPick, onRemove, onClose, focus = true }) {
    if (this.session) this.close(false);
    this.session = { anchor, color, lightness, onPick, onRemove, onClose };
    this.element.hidden = false;
    this.swatches($('.picker-likely', this.element), null);
    this.swatches($('.picker-recent', this.element), this.recent, 'No colours used yet');
    this.show(color);
    this.drawPlane();
    this.place();
    if (focus) this.element.focus({ preventScroll: true });  // the dialog itself: Tab goes on to its colours
    this.element.scrollIntoView?.({ block: 'nearest' });
  }

  /** The model's suggestions for the open hint (null while they are computed). */
  suggestions(colors, lightness) {
    if (!this.session) return;
    if (Number.isFinite(lightness) && Math.abs(lightness - this.session.lightness) > 0.5) {
      this.session.lightness = lightness;
      this.drawPlane();
    }
    this.swatches($('.picker-likely', this.element), colors, 'No suggestions from this model');
  }

  /** Follows the anchor after it moved, or the hint's colour after an undo. */
  update({ anchor, color }) {
    if (!this.session) return;
    if (anchor) this.session.anchor = anchor;
    if (color && color !== this.session.color) this.show(color);
    this.place();
  }

  // Beside the anchor: to its right, else its left, else (a narrow screen) below it.
  place() {
    const { anchor } = this.session;
    if (!anchor?.isConnected) return;
    const point = anchor.getBoundingClientRect();
    const { offsetWidth: width, offsetHeight: height } = this.element;
    const gap = 10, margin = 8;
    let left = point.right + gap, top = point.top + point.height / 2 - 60;
    if (left + width > innerWidth - margin) left = point.left - gap - width;
    if (left < margin) {
      left = Math.max(margin, Math.min(innerWidth - margin - width, point.left + point.width / 2 - width / 2));
      top = point.bottom + gap;
    } else {
      top = Math.max(margin, Math.min(innerHeight - margin - height, top));
    }
    this.element.style.left = `${left + scrollX}px`;
    this.element.style.top = `${top + scrollY}px`;
  }

  close(restoreFocus) {
    if (!this.session) return;
    const { anchor, onClose } = this.session;
    this.session = null;
    this.element.hidden = true;
    if (restoreFocus && anchor?.isConnected) anchor.focus();
    onClose?.();
  }

  pick(color, live) {
    if (!this.session) return;
    this.show(color);
    this.session.onPick?.(color, live);
    if (!live) this.remember(color);
  }

  remember(color) {
    this.recent = [color, ...this.recent.filter((c) => c !== color)].slice(0, 8);
    try {
      localStorage.setItem(recentKey, JSON.stringify(this.recent));
    } catch {}  // storage off: remembered for this visit only
  }

  // The current colour: the input's value and the plane's cursor.
  show(color) {
    this.session.color = color;
    this.input.value = color;
    const [, a, b] = rgbToLab(parseHex(color));
    const clamp = (v) => Math.min(1, Math.max(0, v));
    this.cursor.style.left = `${100 * clamp((a + planeRange) / (2 * planeRange))}%`;
    this.cursor.style.top = `${100 * clamp((planeRange - b) / (2 * planeRange))}%`;
    this.plane.setAttribute('aria-valuetext', `${color}, a ${Math.round(a)}, b ${Math.round(b)}`);
  }

  swatches(container, colors, empty) {
    container.replaceChildren();
    if (colors === null) {
      container.append(Object.assign(document.createElement('span'), { className: 'picker-wait', textContent: 'Finding likely colours…' }));
      return;
    }
    if (!colors.length) {
      container.append(Object.assign(document.createElement('span'), { className: 'picker-wait', textContent: empty }));
      return;
    }
    for (const color of colors) {
      const button = Object.assign(document.createElement('button'), { type: 'button', className: 'swatch' });
      button.style.setProperty('--swatch', color);
      button.setAttribute('aria-label', `Use ${color}`);
      button.title = color;
      button.addEventListener('click', () => this.pick(color, false));
      container.append(button);
    }
  }

  // The plane's colours at the hint's lightness (kept from 20 to 90 so that there is a plane to
  // pick from at the darkest and lightest pixels); colours outside sRGB left out.
  drawPlane() {
    const { width, height } = this.plane;
    const L = Math.min(90, Math.max(20, this.session.lightness));
    const image = new ImageData(width, height);
    for (let j = 0; j < height; ++j)
      for (let i = 0; i < width; ++i) {
        const { rgb, inGamut } = labToRgb([L, this.planeAb(i / (width - 1)), -this.planeAb(j / (height - 1))]);
        const p = 4 * (j * width + i);
        image.data.set(rgb, p);
        image.data[p + 3] = inGamut ? 255 : 0;
      }
    this.plane.getContext('2d').putImageData(image, 0, 0);
  }

  planeAb(fraction) {
    return (2 * fraction - 1) * planeRange;
  }

  planeColor(a, b) {
    const L = Math.min(90, Math.max(20, this.session.lightness));
    return toHex(labToRgb([L, a, b]).rgb);
  }

  planeEvents() {
    const plane = this.plane;
    const at = (event) => {
      const rect = plane.getBoundingClientRect();
      const fx = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
      const fy = Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height));
      return this.planeColor(this.planeAb(fx), -this.planeAb(fy));
    };
    let dragging = null;
    plane.addEventListener('pointerdown', (event) => {
      if (!this.session) return;
      dragging = event.pointerId;
      plane.setPointerCapture(event.pointerId);
      this.pick(at(event), true);
    });
    plane.addEventListener('pointermove', (event) => {
      if (dragging === event.pointerId) this.pick(at(event), true);
    });
    const stop = (event) => {
      if (dragging !== event.pointerId) return;
      dragging = null;
      this.pick(at(event), false);
    };
    plane.addEventListener('pointerup', stop);
    plane.addEventListener('pointercancel', stop);
    plane.addEventListener('keydown', (event) => {
      const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[event.key];
      if (!steps || !this.session) return;
      event.preventDefault();
      const [, a, b] = rgbToLab(parseHex(this.session.color));
      const step = event.shiftKey ? 20 : 5;
      this.pick(this.planeColor(a + step * steps[0], b + step * steps[1]), false);
    });
  }
}
