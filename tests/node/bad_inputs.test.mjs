// The bad-input catalogue for the WASM API (web/tint.js over tint.wasm): each bad image, weights
// file or call is a rejected promise with a clear message, and the same instance keeps working for
// the next good image. (The CLI's catalogue is tests/native/test_bad_inputs.cpp; bad files in the
// page are in tests/browser.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = path.join(root, 'build/wasm/site');
const wasmBinary = fs.readFileSync(path.join(site, 'tint.wasm'));
const modelBytes = new Uint8Array(fs.readFileSync(path.join(root, 'tests/data/reference_model.safetensors')));
const { createTint } = await import(path.join(site, 'tint.js'));

const rgba = (width, height) => ({ width, height, data: new Uint8ClampedArray(width * height * 4).fill(128) });

// The site's 8-bit weights (I8 weights with F32 scales per output channel).
const int8Bytes = new Uint8Array(fs.readFileSync(path.join(site, 'tint.safetensors')));

// A model file (default: the reference model) with its JSON header edited, or one tensor's first
// value replaced.
function editedModel(edit, source = modelBytes) {
  const view = new DataView(source.buffer, source.byteOffset);
  const length = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(source.subarray(8, 8 + length)));
  const data = source.slice(8 + length);
  edit(header, data);
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(32);
  padded.set(json);
  json = padded;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function withValue(bits32, bits16) {
  return editedModel((header, data) => {
    const [name, entry] = Object.entries(header).find(([key]) => key !== '__metadata__');
    const [begin] = entry.data_offsets;
    const view = new DataView(data.buffer, data.byteOffset);
    if (entry.dtype === 'F32') view.setUint32(begin, bits32, true);
    else view.setUint16(begin, bits16, true);
    assert.ok(name);
  });
}

const tint = await createTint({ wasmBinary, modelBytes });

const badImages = [
  ['a 0x0 image', () => tint.colorize(rgba(0, 0)), /no pixels/],
  ['a 0-wide image', () => tint.colorize({ width: 0, height: 5, data: new Uint8ClampedArray(0) }), /no pixels/],
  ['fractional size', () => tint.colorize({ width: 2.5, height: 2, data: new Uint8ClampedArray(20) }), /whole numbers/],
  ['negative size', () => tint.colorize({ width: -2, height: -2, data: new Uint8ClampedArray(16) }), /whole numbers/],
  ['too few bytes for the size', () => tint.colorize({ width: 10, height: 10, data: new Uint8ClampedArray(12) }), /needs 400 RGBA bytes, got 12/],
  ['too many bytes for the size', () => tint.colorize({ width: 2, height: 2, data: new Uint8ClampedArray(1000) }), /needs 16 RGBA bytes/],
  ['a string', () => tint.colorize('photo.jpg'), /takes ImageData/],
  ['null', () => tint.colorize(null), /takes ImageData/],
  ['a number', () => tint.colorize(42), /takes ImageData/],
  ['above the 64 MP limit', () => tint.colorize({ width: 9000, height: 9000, data: { length: 9000 * 9000 * 4 } }), /above the limit of 64 MP/],
];

for (const [kind, call, message] of badImages) {
  test(`image: ${kind} is rejected clearly and the next image still works`, async () => {
    await assert.rejects(call(), message);
    const ok = await tint.colorize(rgba(3, 2));
    assert.equal(ok.width, 3);
  });
}

const badModels = [
  ['empty weights', new Uint8Array(0), /empty|header/],
  ['garbage weights', new TextEncoder().encode('definitely not a safetensors file'), /header length/],
  ['truncated weights', modelBytes.subarray(0, Math.floor(modelBytes.length * 0.6)), /model: /],
  ['an image as weights', new Uint8Array(fs.readFileSync(path.join(root, 'tests/data/chelsea-grey.jpg'))), /header length/],
  ['wrong format version', editedModel((header) => { header.__metadata__.format_version = '99'; }), /format_version/],
  ['no architecture', editedModel((header) => { delete header.__metadata__.architecture; }), /architecture/],
  ['a wrong tensor shape', editedModel((header) => {
    const entry = Object.entries(header).find(([key]) => key !== '__metadata__')[1];
    entry.shape = [entry.shape.reduce((a, b) => a * b)];
  }), /shape/],
  ['NaN in the weights', withValue(0x7fc00000, 0x7e00), /NaN/],
  ['Inf in the weights', withValue(0x7f800000, 0x7c00), /Inf/],
  ['an 8-bit file with a zero scale', editedModel((header, data) => {
    const [begin] = header['enc1.weight.scale'].data_offsets;
    new DataView(data.buffer, data.byteOffset).setFloat32(begin + 4, 0, true);
  }, int8Bytes), /enc1.weight.scale holds scale 0.000000 at channel 1 \(scales must be positive\)/],
  ['an 8-bit file without its quantization metadata', editedModel((header) => { delete header.__metadata__.quantization; }, int8Bytes),
    /is I8 but the metadata declares no quantization/],
];

for (const [kind, bytes, message] of badModels) {
  test(`weights: ${kind} is a rejected createTint with a clear message`, async () => {
    await assert.rejects(createTint({ wasmBinary, modelBytes: bytes }), message);
  });
}

test('weights: the site\'s 8-bit file loads and colourises', async () => {
  const length = Number(new DataView(int8Bytes.buffer, int8Bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(int8Bytes.subarray(8, 8 + length)));
  assert.equal(header['enc2.weight'].dtype, 'I8');
  const eight = await createTint({ wasmBinary, modelBytes: int8Bytes });
  const out = await eight.colorize(rgba(40, 30));
  assert.equal(out.data.length, 40 * 30 * 4);
  eight.dispose();
});

test('calls: after dispose(), a 1x1 image is fine', async () => {
  const single = await createTint({ wasmBinary, modelBytes });
  const dot = await single.colorize(rgba(1, 1));
  assert.equal(dot.data.length, 4);
  single.dispose();
  await assert.rejects(single.colorize(rgba(1, 1)), /after dispose/);
  single.dispose();  // twice is harmless
});
