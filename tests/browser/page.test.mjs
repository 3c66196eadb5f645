// The page and the embed example in real Chromium (Debian's, driven by npm playwright-core), served
// by tools/serve.mjs on a free port from build/wasm/site. Screenshots go to
// build/test-artifacts/browser/. Run by tools/test.sh after the wasm build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import { unzipSync } from 'fflate';

import { serve } from '../../tools/serve.mjs';
import { decodePng, encodePng } from '../node/png.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = path.join(root, 'build/wasm/site');
const artifacts = path.join(root, 'build/test-artifacts/browser');
const photoPath = path.join(root, 'tests/data/chelsea-grey.jpg');  // 451x300, R = G = B
const photo = fs.readFileSync(photoPath);
fs.mkdirSync(artifacts, { recursive: true });

let server, origin, browser;
const requests = [];  // every URL any page asked for, across all tests

before(async () => {
  const served = await serve(site, { port: 0 });
  server = served.server;
  origin = new URL(served.url).origin;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],  // CI runs as root
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function openPage(file = 'index.html', viewport = { width: 1200, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${origin}/${file}`);
  return { context, page, errors };
}

const file = (name, buffer, mimeType = 'image/jpeg') => ({ name, mimeType, buffer });

// Mean CIE Lab chroma (|ab|) of 8-bit sRGB pixels (RGB or RGBA).
function meanChroma({ width, height, channels, data }) {
  const linear = (v) => (v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const f = (t) => t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
  let sum = 0;
  for (let p = 0; p < width * height; ++p) {
    const [r, g, b] = [0, 1, 2].map((c) => linear(data[p * channels + c]));
    const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
    const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
    const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
    sum += Math.hypot(500 * (x - y), 200 * (y - z));
  }
  return sum / (width * height);
}

async function waitReady(page) {
  await page.waitForSelector('#load.ready', { timeout: 60_000 });
}

test('a greyscale photo comes back colourful at its own size, downloadable as PNG', async () => {
  const { context, page, errors } = await openPage();
  await waitReady(page);
  await page.screenshot({ path: path.join(artifacts, 'page-before.png'), fullPage: true });
  await page.setInputFiles('#files', photoPath);
  const card = page.locator('.card').first();
  await card.locator('.download').waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await card.locator('.status').textContent(), /^Done in/);
  assert.match(await card.locator('.details').textContent(), /^451×300 PNG/);
  // Move the comparison slider with the keyboard: the original shows on more of the width.
  await card.locator('.slider').focus();
  for (let k = 0; k < 20; ++k) await page.keyboard.press('ArrowLeft');
  assert.equal(await card.locator('.slider').inputValue(), '30');
  await page.screenshot({ path: path.join(artifacts, 'page-after.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), card.locator('.download').click()]);
  assert.equal(download.suggestedFilename(), 'chelsea-grey-colorized.png');
  const saved = path.join(artifacts, download.suggestedFilename());
  await download.saveAs(saved);
  const png = decodePng(fs.readFileSync(saved));
  assert.equal(png.width, 451);
  assert.equal(png.height, 300);
  const chroma = meanChroma(png);
  console.log(`# mean chroma of the result: ${chroma.toFixed(2)} (input 0)`);
  assert.ok(chroma > 3, `mean chroma ${chroma} is not clearly above 0`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('bad files get a clear error each and the page keeps working for the next file', async () => {
  const { context, page, errors } = await openPage();
  await waitReady(page);
  const bomb = Buffer.alloc(33);  // a PNG header claiming 20000x20000 pixels
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).copy(bomb);
  bomb.writeUInt32BE(20000, 16);
  bomb.writeUInt32BE(20000, 20);
  await page.setInputFiles('#files', [
    file('truncated.jpg', photo.subarray(0, 3000)),
    file('notes.png', Buffer.from('this is not an image\n'), 'image/png'),
    file('empty.jpg', Buffer.alloc(0)),
    file('huge.png', bomb, 'image/png'),
    // The fuzz run's JPEG whose scan uses a Huffman table it never defines (issue 16).
    file('huffman.jpg', fs.readFileSync(path.join(root, 'tests/data/regressions/jpeg-uninitialised-huffman.jpg'))),
  ]);
  await page.waitForFunction(() => document.querySelectorAll('.card.error').length === 5, null, { timeout: 60_000 });
  const messages = Object.fromEntries(await page.locator('.card').evaluateAll((cards) =>
    cards.map((card) => [card.querySelector('.name').textContent, card.querySelector('.status').textContent])));
  assert.match(messages['truncated.jpg'], /damaged or incomplete/);
  assert.match(messages['notes.png'], /not a JPEG, PNG, WebP or GIF/i);
  assert.match(messages['empty.jpg'], /empty/i);
  assert.match(messages['huge.png'], /20000×20000 is 400\.0 MP, above the limit of 64 MP/);
  assert.match(messages['huffman.jpg'], /damaged or incomplete/);
  await page.screenshot({ path: path.join(artifacts, 'page-errors.png'), fullPage: true });
  await page.setInputFiles('#files', photoPath);
  await page.locator('.card.done').waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('.card.error').count(), 5);
  assert.deepEqual(errors, []);
  await context.close();
});

test('photos can also be dropped on the page or pasted', async () => {
  const { context, page, errors } = await openPage();
  await waitReady(page);
  await page.evaluate(async (bytes) => {
    const transfer = (name) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' }));
      return data;
    };
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer('dropped.jpg'), bubbles: true, cancelable: true }));
    window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer('pasted.jpg'), bubbles: true, cancelable: true }));
  }, [...photo]);
  await page.waitForFunction(() => document.querySelectorAll('.card.done').length === 2, null, { timeout: 60_000 });
  const names = await page.locator('.card .name').allTextContents();
  assert.deepEqual(names.sort(), ['dropped.jpg', 'pasted.jpg']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a batch downloads as one zip of PNGs; the page fits a phone screen', async () => {
  const { context, page } = await openPage('index.html', { width: 390, height: 844 });
  await waitReady(page);
  await page.setInputFiles('#files', [file('one.jpg', photo), file('two.jpg', photo)]);
  await page.waitForFunction(() => document.querySelectorAll('.card.done').length === 2, null, { timeout: 90_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-all')]);
  const zip = unzipSync(new Uint8Array(fs.readFileSync(await download.path())));
  assert.deepEqual(Object.keys(zip).sort(), ['one-colorized.png', 'two-colorized.png']);
  assert.equal(decodePng(Buffer.from(zip['one-colorized.png'])).width, 451);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a phone screen`);
  await page.screenshot({ path: path.join(artifacts, 'page-phone.png'), fullPage: true });
  await context.close();
});

test('after the first visit the page works offline', async () => {
  const { context, page } = await openPage();
  await waitReady(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await context.setOffline(true);
  await page.reload();
  await waitReady(page);
  await page.setInputFiles('#files', photoPath);
  await page.locator('.card.done').waitFor({ timeout: 60_000 });
  await context.close();
});

test('the embed example colourises a file with the three-line API, and takes a hint with a click', async () => {
  const { context, page, errors } = await openPage('embed-example.html');
  await page.waitForFunction(() => /Ready/.test(document.querySelector('#message').textContent), null, { timeout: 60_000 });
  await page.setInputFiles('#pick', photoPath);
  await page.waitForFunction(() => /Colourised: 451×300/.test(document.querySelector('#message').textContent), null,
    { timeout: 60_000 });
  // The second example: a click puts a hint there and lists the likely colours.
  const before = await page.evaluate(() => [...document.querySelector('#out').getContext('2d').getImageData(100, 100, 1, 1).data]);
  await page.locator('#out').click({ position: { x: 100, y: 100 } });
  await page.waitForFunction(() => /1 hint\(s\)/.test(document.querySelector('#message').textContent), null, { timeout: 60_000 });
  assert.match(await page.locator('#likely').textContent(), /Likely at \(\d+, \d+\): #[0-9a-f]{6}, #[0-9a-f]{6}, #[0-9a-f]{6}$/);
  const after = await page.evaluate(() => [...document.querySelector('#out').getContext('2d').getImageData(100, 100, 1, 1).data]);
  assert.notDeepEqual(after, before);
  await page.setInputFiles('#pick', file('broken.jpg', photo.subarray(0, 500)));
  await page.waitForFunction(() => /cannot decode|not an image/.test(document.querySelector('#message').textContent));
  await page.screenshot({ path: path.join(artifacts, 'embed-example.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a 24 MP photo is colourised at full size without the tab dying', async () => {
  const width = 6000, height = 4000;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; ++y)
    for (let x = 0; x < width; ++x) {
      const v = (x >> 4) % 2 ? 60 + (y * 150) / height : 200 - (x * 120) / width;  // bands and gradients
      const i = 4 * (y * width + x);
      data[i] = data[i + 1] = data[i + 2] = v;
      data[i + 3] = 255;
    }
  const big = encodePng({ width, height, data });
  const { context, page, errors } = await openPage();
  let crashed = false;
  page.on('crash', () => (crashed = true));
  await waitReady(page);
  await page.setInputFiles('#files', file('big.png', big, 'image/png'));
  await page.locator('.card.done, .card.error').first().waitFor({ timeout: 240_000 });
  assert.equal(await page.locator('.card.error').count(), 0, await page.locator('.card .status').first().textContent());
  assert.match(await page.locator('.card .details').textContent(), /^6000×4000 PNG/);
  assert.equal(await page.evaluate(() => 6 * 7), 42);  // still responsive
  assert.equal(crashed, false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('no request ever leaves the page\'s origin', () => {
  assert.ok(requests.length > 10, `only ${requests.length} requests recorded`);
  const foreign = requests.filter((url) => !url.startsWith('blob:') && !url.startsWith('data:') && new URL(url).origin !== origin);
  assert.deepEqual(foreign, []);
});
