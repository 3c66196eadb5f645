// An image's format and dimensions from its first bytes, before anything decodes it: the page
// refuses a photo above its pixel limit (or a decompression bomb: a small file claiming huge
// dimensions) without letting the browser allocate it. JPEG, PNG, WebP and GIF, as the page accepts.

export class ImageFormatError extends Error {}

const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b, i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
const ascii = (b, i, n) => String.fromCharCode(...b.subarray(i, i + n));

function jpegSize(b) {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new ImageFormatError('corrupt JPEG (bad marker)');
    const marker = b[i + 1];
    if (marker === 0xff) { ++i; continue; }                       // fill byte
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { i += 2; continue; }
    const length = u16be(b, i + 2);
    if (length < 2) throw new ImageFormatError('corrupt JPEG (bad segment length)');
    const frame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (frame) {
      if (i + 9 > b.length) break;
      return { width: u16be(b, i + 7), height: u16be(b, i + 5) };
    }
    if (marker === 0xda || marker === 0xd9) throw new ImageFormatError('corrupt JPEG (no frame header)');
    i += 2 + length;
  }
  return null;  // not within these bytes
}

/**
 * @param {Uint8Array} b the file's first bytes (64 KiB is enough for nearly every file; a JPEG
 *   with big metadata may need more: null means "read further").
 * @returns {{type: string, width: number, height: number} | null}
 * @throws {ImageFormatError} for a file that is not JPEG, PNG, WebP or GIF, or a broken header.
 */
export function imageInfo(b) {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    const size = jpegSize(b);
    return size && { type: 'JPEG', ...size };
  }
  if (b.length >= 8 && u32be(b, 0) === 0x89504e47 && u32be(b, 4) === 0x0d0a1a0a) {
    if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR') throw new ImageFormatError('corrupt PNG (no IHDR)');
    return { type: 'PNG', width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    if (b.length < 10) throw new ImageFormatError('truncated GIF');
    return { type: 'GIF', width: u16le(b, 6), height: u16le(b, 8) };
  }
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
    if (b.length < 30) throw new ImageFormatError('truncated WebP');
    const chunk = ascii(b, 12, 4);
    if (chunk === 'VP8 ') return { type: 'WebP', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
    if (chunk === 'VP8L') {
      const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return { type: 'WebP', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { type: 'WebP', width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
    throw new ImageFormatError('corrupt WebP (unknown chunk)');
  }
  throw new ImageFormatError('not a JPEG, PNG, WebP or GIF image');
}
