// The threaded module in Chromium (issue 14): a cross-origin isolated page (tools/serve.mjs sends
// COOP + COEP) runs the threaded module on every core and says so — tint-threads-relaxed.wasm, as
// Chromium runs relaxed SIMD; a host without those headers gets them from the service worker after
// one reload; with no service worker either, the page falls back to the single-threaded tint.wasm.
// Every mode gives the same pixels (within rounding with relaxed SIMD's fused multiply-adds), and
// so does the module API at any thread count (bit for bit for each module).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from '../../tools/serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = path.join(root, 'build/wasm/site');
const artifacts = path.join(root, 'build/test-artifacts/browser');
const photoPath = path.join(root, 'tests/data/chelsea-grey.jpg');
fs.mkdirSync(artifacts, { recursive: true });

let isolatedServer, plainServer, isolatedOrigin, plainOrigin, browser;

before(async () => {
  const isolated = await serve(site, { port: 0 });
  const plain = await serve(site, { port: 0, isolate: false });
  [isolatedServer, plainServer] = [isolated.server, plain.server];
  [isolatedOrigin, plainOrigin] = [new URL(isolated.url).origin, new URL(plain.url).origin];
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  isolatedServer?.close();
  plainServer?.close();
});

// Opens the page, colourises the photo, returns {isolated, threads, pixels} (the result's RGBA
// as drawn on its canvas).
async function colourise(origin, { serviceWorkers = 'allow', reloads = 0 } = {}) {
  const context = await browser.newContext({ serviceWorkers });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${origin}/index.html`);
  if (reloads) {
    // The service worker installs, then the page reloads itself once to come under it.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    await page.waitForFunction(() => globalThis.crossOriginIsolated, null, { timeout: 30_000 });
  }
  await page.waitForSelector('#load.ready', { timeout: 60_000 });
  const text = await page.locator('#load-text').textContent();
  const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
  await page.setInputFiles('#files', photoPath);
  const card = page.locator('.card').first();
  await card.locator('.download').waitFor({ state: 'visible', timeout: 60_000 });
  const pixels = await card.locator('canvas.after').evaluate((canvas) => {
    const copy = new OffscreenCanvas(canvas.width, canvas.height).getContext('2d');  // the result canvas is a bitmap renderer
    copy.drawImage(canvas, 0, 0);
    return Array.from(copy.getImageData(0, 0, canvas.width, canvas.height).data);
  });
  assert.deepEqual(errors, []);
  await context.close();
  return { isolated, threads: Number(/threads: (\d+)/.exec(text)?.[1]), relaxed: /relaxed SIMD/.test(text), pixels };
}

// The largest difference between two RGBA arrays, and the share of values that differ.
function difference(a, b) {
  assert.equal(a.length, b.length);
  let largest = 0, differing = 0;
  for (let i = 0; i < a.length; ++i) {
    const d = Math.abs(a[i] - b[i]);
    largest = Math.max(largest, d);
    differing += d > 0;
  }
  return { largest, share: differing / a.length };
}

test('isolated, the page uses the threaded module on every core; without isolation, one thread; same pixels', async () => {
  const cores = await (async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const n = await page.evaluate(() => navigator.hardwareConcurrency);
    await context.close();
    return n;
  })();
  const threaded = await colourise(isolatedOrigin);
  assert.equal(threaded.isolated, true);
  assert.equal(threaded.threads, Math.min(cores, 8));
  const single = await colourise(plainOrigin, { serviceWorkers: 'block' });
  assert.equal(single.isolated, false);
  assert.equal(single.threads, 1);
  assert.equal(single.relaxed, false);
  assert.equal(threaded.relaxed, true, 'Chromium runs relaxed SIMD: the isolated page should use it');
  assert.equal(threaded.pixels.length, 451 * 300 * 4);
  const { largest, share } = difference(threaded.pixels, single.pixels);
  assert.ok(largest <= 1 && share < 0.01, `the threaded page differs from the single-threaded one by up to ${largest} in ${(100 * share).toFixed(2)}% of the values`);
});

test('a host without the headers gets isolation from the service worker after one reload', async () => {
  const viaWorker = await colourise(plainOrigin, { reloads: 1 });
  assert.equal(viaWorker.isolated, true);
  assert.ok(viaWorker.threads >= 1);
});

test('the module API: createTint({threads, relaxedSimd}) reports what it got; any thread count gives the same pixels', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${isolatedOrigin}/embed-example.html`);
  const result = await page.evaluate(async () => {
    const { createTint } = await import('./tint.js');
    const width = 640, height = 480;
    const data = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < data.length; ++i) data[i] = i % 4 === 3 ? 255 : (i * 7919) % 251;
    const out = [];
    for (const [threads, relaxedSimd] of [[1, false], [2, false], [3, false], [2, true], [3, true]]) {
      const tint = await createTint({ threads, relaxedSimd });
      const image = await tint.colorize({ width, height, data });
      out.push({ threads: tint.threads, relaxed: tint.relaxedSimd, pixels: Array.from(image.data) });
      tint.dispose();
    }
    return out;
  });
  assert.deepEqual(result.map((r) => [r.threads, r.relaxed]), [[1, false], [2, false], [3, false], [2, true], [3, true]]);
  for (const r of result.slice(1, 3)) assert.ok(r.pixels.every((v, i) => v === result[0].pixels[i]), `${r.threads} threads differ from 1`);
  assert.ok(result[4].pixels.every((v, i) => v === result[3].pixels[i]), 'relaxed SIMD: 3 threads differ from 2');
  const { largest, share } = difference(result[3].pixels, result[0].pixels);
  assert.ok(largest <= 1 && share < 0.01, `relaxed SIMD differs from plain by up to ${largest} in ${(100 * share).toFixed(2)}% of the values`);
  await assert.rejects(page.evaluate(async () => (await import('./tint.js')).createTint({ threads: 0 })), /threads must be a whole number from 1 to 64/);
  await context.close();
});
