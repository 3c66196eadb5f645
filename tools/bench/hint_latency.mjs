// Latency of colour hints on the page in Chromium (playwright-core, Debian's chromium): from a
// hint edit (a key press moving the selected marker) to the updated preview on screen, median and
// worst of 20 edits, and from the last edit to the full-size result on screen; on a 12 MP and a
// 1 MP photo (synthetic greyscale PNGs made here). Not a test: prints figures.
// Usage: node tools/bench/hint_latency.mjs [SITE_DIR]   (default build/wasm/site)
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from '../serve.mjs';
import { encodePng } from '../../tests/node/png.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = process.argv[2] ?? path.join(root, 'build/wasm/site');
const edits = 20;

// Soft shapes and stripes: something for the network to see.
function photo(width, height) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; ++y)
    for (let x = 0; x < width; ++x) {
      const u = x / width, v = y / height;
      const value = 128 + 60 * Math.sin(9 * u + 4 * v) + 40 * Math.cos(13 * v * (1 + u)) + (((x >> 6) + (y >> 6)) % 2) * 20;
      const i = 4 * (y * width + x);
      data.fill(value, i, i + 3);
      data[i + 3] = 255;
    }
  return encodePng({ width, height, data });
}

const { server, url } = await serve(site, { port: 0 });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const settled = (page, timeout = 300_000) => page.waitForFunction(() => {
  const card = document.querySelector('.card');
  return card?.matches('.done') && !card.hasAttribute('data-pending');
}, null, { timeout });

for (const [label, width, height] of [['12 MP', 4000, 3000], ['1 MP', 1200, 830]]) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('#load.ready', { timeout: 60_000 });
  let start = Date.now();
  await page.setInputFiles('#files', { name: 'bench.png', mimeType: 'image/png', buffer: photo(width, height) });
  await settled(page);
  const first = (Date.now() - start) / 1000;
  await page.locator('.card .hint-add').click();
  await page.locator('#picker .picker-color').fill('#3070d0');
  await page.keyboard.press('Escape');  // the focus goes back to the marker
  await settled(page);
  // Each edit: a key press (timed from its event), until the preview of that edit is drawn.
  await page.evaluate(() => {
    window.benchTimes = [];
    const card = document.querySelector('.card');
    let pressed = 0;
    window.addEventListener('keydown', (event) => (pressed = window.lastPress = event.timeStamp), true);
    new MutationObserver(() => {
      if (card.dataset.previewGen === card.dataset.gen && pressed) {
        window.benchTimes.push(performance.now() - pressed);
        pressed = 0;
      }
      if (!card.hasAttribute('data-pending')) window.fullShown = performance.now();
    }).observe(card, { attributes: true, attributeFilter: ['data-preview-gen', 'data-pending'] });
  });
  for (let k = 0; k < edits; ++k) {
    await page.keyboard.press(k % 2 ? 'ArrowLeft' : 'ArrowDown');
    await page.waitForFunction((n) => window.benchTimes.length === n, k + 1, { timeout: 60_000 });
    await page.waitForTimeout(100 + 50 * (k % 3));  // a person's pace; shorter than the settle delay
  }
  await settled(page);
  const full = (await page.evaluate(() => window.fullShown - window.lastPress)) / 1000;
  const run = (await page.locator('.card .status').textContent()).match(/^Done in ([\d.]+) s/)?.[1];  // the worker's full-size run
  const times = (await page.evaluate(() => window.benchTimes)).sort((a, b) => a - b);
  const median = (times[(edits - 1) >> 1] + times[edits >> 1]) / 2;
  console.log(`${label} (${width}x${height}): first colourisation ${first.toFixed(1)} s; preview after an edit: median ${median.toFixed(0)} ms, worst ${times.at(-1).toFixed(0)} ms (${edits} edits); full size on screen ${full.toFixed(2)} s after the last edit (the settle delay, 0.6 s, then the worker's run, ${run} s)`);
  await context.close();
}
await browser.close();
server.close();
