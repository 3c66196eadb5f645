// Colour arithmetic for the page's picker: 8-bit sRGB <-> CIE Lab (D65), and '#rrggbb' text.
// The network works in Lab: a hint's colour counts only by its a and b, shown at the pixel's L.

const white = [0.95047, 1, 1.08883];
const toLinear = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const fromLinear = (v) => 255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
const fInverse = (t) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));

/** [r, g, b] in 0..255 -> [L, a, b]. */
export function rgbToLab([r, g, b]) {
  [r, g, b] = [r, g, b].map(toLinear);
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / white[0]);
  const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / white[2]);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

/** [L, a, b] -> {rgb: [r, g, b] rounded and clamped to 0..255, inGamut}. */
export function labToRgb([L, a, b]) {
  const fy = (L + 16) / 116;
  const x = white[0] * fInverse(fy + a / 500), y = fInverse(fy), z = white[2] * fInverse(fy - b / 200);
  const linear = [3.2406 * x - 1.5372 * y - 0.4986 * z, -0.9689 * x + 1.8758 * y + 0.0415 * z, 0.0557 * x - 0.204 * y + 1.057 * z];
  const inGamut = linear.every((v) => v >= -0.001 && v <= 1.001);
  return { rgb: linear.map((v) => Math.round(fromLinear(Math.min(1, Math.max(0, v))))), inGamut };
}

export const parseHex = (hex) => (/^#[0-9a-f]{6}$/i.test(hex) ? [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) : null);
export const toHex = (rgb) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** The colour '#rrggbb' shown at lightness L (its a and b kept): what a hint of it looks like there. */
export function atLightness(hex, L) {
  const [, a, b] = rgbToLab(parseHex(hex));
  return toHex(labToRgb([L, a, b]).rgb);
}
