// Colour hints on the page, in real Chromium (as page.test.mjs: tools/serve.mjs serving
// build/wasm/site, Debian's chromium driven by playwright-core): a hint moves its region's colour
// and can be dragged, deleted, undone; the picker's suggestions; the photos and hints survive a
// reload; bad hints through the module; a 24 MP photo; the keyboard; screenshots at desktop and
// phone sizes in build/test-artifacts/browser/. Pixels are measured on the downloaded PNGs, which
// must equal the result on screen.
// chelsea.jpg: scikit-image 0.19.3's chelsea.png (BSD-3-Clause, Debian python3-skimage) as JPEG.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from '../../tools/serve.mjs';
import { decodePng, encodePng } from '../node/png.mjs';
import { parseHex, rgbToLab } from '../../web/color.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const site = path.join(root, 'build/wasm/site');
const artifacts = path.join(root, 'build/test-artifacts/browser');
const grey = path.join(root, 'tests/data/chelsea-grey.jpg');  // 451x300, R = G = B
const colour = path.join(here, 'chelsea.jpg');                  // the same photo in colour
fs.mkdirSync(artifacts, { recursive: true });

let server, origin, browser;
before(async () => {
  const served = await serve(site, { port: 0 });
  server = served.server;
  origin = new URL(served.url).origin;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  server?.close();
});

// A page with tint loaded; `problems` collects page errors and Content-Security-Policy refusals.
async function openPage(viewport = { width: 1200, height: 900 }, context = null) {
  context ??= await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => /Content.Security.Policy/i.test(message.text()) && problems.push(message.text()));
  await page.goto(`${origin}/index.html`);
  await page.waitForSelector('#load.ready', { timeout: 60_000 });
  return { context, page, problems };
}

// Waits until every card shows the full-size result of its newest hints.
async function settled(page, timeout = 60_000) {
  await page.waitForFunction(() => {
    const cards = [...document.querySelectorAll('.card')];
    return cards.length && cards.every((card) => card.matches('.done, .error') && !card.hasAttribute('data-pending'));
  }, null, { timeout });
}

async function addPhoto(page, file) {
  await page.setInputFiles('#files', file);
  await settled(page);
}

// The first card's PNG, decoded; it must hold the pixels on screen (the result's canvas).
async function download(page) {
  const [saved] = await Promise.all([page.waitForEvent('download'), page.locator('.card .download').first().click()]);
  const png = decodePng(fs.readFileSync(await saved.path()));
  const shown = await page.locator('.card .compare .after').first().evaluate((canvas) => {
    const copy = new OffscreenCanvas(canvas.width, canvas.height).getContext('2d');
    copy.drawImage(canvas, 0, 0);
    const bytes = copy.getImageData(0, 0, canvas.width, canvas.height).data;
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { width: canvas.width, height: canvas.height, base64: btoa(text) };
  });
  const rgba = png.channels === 4 ? png.data : Buffer.from(Uint8Array.from({ length: png.width * png.height * 4 },
    (_, i) => (i % 4 === 3 ? 255 : png.data[(i >> 2) * png.channels + (i % 4)])));
  assert.ok(shown.width === png.width && shown.height === png.height && Buffer.compare(Buffer.from(shown.base64, 'base64'), rgba) === 0,
    'the downloaded PNG is not the result on screen');
  return png;
}

// Client coordinates of pixel (x, y) of the photo, scrolled into the middle of the screen.
async function screenPoint(page, x, y, { width, height }) {
  const compare = page.locator('.card .compare').first();
  await compare.evaluate((element, fy) => {
    const box = element.getBoundingClientRect();
    window.scrollBy(0, box.top + fy * box.height - window.innerHeight / 2);
  }, (y + 0.5) / height);
  const box = await compare.boundingBox();
  return [box.x + ((x + 0.5) * box.width) / width, box.y + ((y + 0.5) * box.height) / height];
}

// A hint at pixel (x, y) with colour `color`, through the page: a click, then the colour input.
async function addHint(page, x, y, color, size) {
  await page.mouse.click(...(await screenPoint(page, x, y, size)));
  await page.locator('#picker').waitFor();
  await page.locator('#picker .picker-color').fill(color);
  await page.keyboard.press('Escape');
  await settled(page);
}

// Mean ab over a window of a decoded PNG, and the mean ab distance of that window to a colour.
function window(png, cx, cy, radius) {
  const pixels = [];
  for (let y = Math.max(0, cy - radius); y <= Math.min(png.height - 1, cy + radius); ++y)
    for (let x = Math.max(0, cx - radius); x <= Math.min(png.width - 1, cx + radius); ++x) {
      const i = (y * png.width + x) * png.channels;
      pixels.push(rgbToLab([png.data[i], png.data[i + 1], png.data[i + 2]]));
    }
  return pixels;
}
const abDistance = (png, cx, cy, radius, color) => {
  const [, a, b] = rgbToLab(parseHex(color));
  const pixels = window(png, cx, cy, radius);
  return pixels.reduce((sum, lab) => sum + Math.hypot(lab[1] - a, lab[2] - b), 0) / pixels.length;
};
const abChange = (one, two, cx, cy, radius) => {
  const [p, q] = [window(one, cx, cy, radius), window(two, cx, cy, radius)];
  return p.reduce((sum, lab, i) => sum + Math.hypot(lab[1] - q[i][1], lab[2] - q[i][2]), 0) / p.length;
};
const samePixels = (one, two) => one.width === two.width && Buffer.compare(one.data, two.data) === 0;

// Hints at G (green, fixed) and A (blue, then dragged to B): the pixels measured around A and B.
const G = [225, 150], A = [70, 230], B = [380, 60], green = '#30b040', blue = '#3060e0';
const chelsea = { width: 451, height: 300 };

test('a hint pulls its region toward its colour and leaves the far side; it follows a drag; delete, undo and reset restore the pixels exactly', async () => {
  const { context, page, problems } = await openPage();
  await addPhoto(page, grey);
  const automatic = await download(page);
  await addHint(page, ...G, green, chelsea);
  const one = await download(page);
  await addHint(page, ...A, blue, chelsea);
  assert.equal(await page.locator('.card .marker').count(), 2);
  const two = await download(page);
  const [before, afterHint] = [abDistance(one, ...A, 8, blue), abDistance(two, ...A, 8, blue)];
  const near = abChange(one, two, ...A, 8), far = abChange(one, two, ...B, 12);
  console.log(`# ab distance to ${blue} around the hint: ${before.toFixed(1)} -> ${afterHint.toFixed(1)}; change there ${near.toFixed(1)}, on the far side ${far.toFixed(1)}`);
  assert.ok(afterHint < 0.6 * before, `the hint moved its region only from ${before} to ${afterHint}`);
  assert.ok(far < 0.35 * near && far < 8, `the far side changed by ${far} (the hint's region by ${near})`);

  // Drag the blue marker to B: the effect goes with it.
  const marker = page.locator('.card .marker').nth(1);
  const target = await screenPoint(page, ...B, chelsea);
  const start = await marker.boundingBox();
  const [x0, y0] = [start.x + start.width / 2, start.y + start.height / 2];
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (let k = 1; k <= 8; ++k) await page.mouse.move(x0 + ((target[0] - x0) * k) / 8, y0 + ((target[1] - y0) * k) / 8);
  await page.mouse.up();
  await settled(page);
  assert.match(await marker.getAttribute('aria-label'), /#3060e0 at 3[78]\d, [56]\d$/);
  const dragged = await download(page);
  const [atB, atBDragged] = [abDistance(two, ...B, 8, blue), abDistance(dragged, ...B, 8, blue)];
  console.log(`# after the drag: ab distance to ${blue} at the new place ${atB.toFixed(1)} -> ${atBDragged.toFixed(1)}, change at the old place from one hint ${abChange(one, dragged, ...A, 8).toFixed(1)}`);
  assert.ok(atBDragged < 0.6 * atB, 'the colour did not follow the marker');
  assert.ok(abChange(one, dragged, ...A, 8) < 0.35 * near, 'the old place kept the hint\'s colour');

  // Delete key: the one-hint result exactly; Ctrl+Z: the dragged one exactly; Ctrl+Shift+Z: deleted again.
  await marker.focus();
  await page.keyboard.press('Delete');
  await settled(page);
  assert.equal(await page.locator('.card .marker').count(), 1);
  assert.ok(samePixels(await download(page), one), 'deleting the hint did not restore the earlier result');
  await page.keyboard.press('Control+z');
  await settled(page);
  assert.equal(await page.locator('.card .marker').count(), 2);
  assert.ok(samePixels(await download(page), dragged), 'undo did not restore the hinted result');
  await page.keyboard.press('Control+Shift+z');
  await settled(page);
  assert.equal(await page.locator('.card .marker').count(), 1);
  assert.ok(samePixels(await download(page), one), 'redo did not delete the hint again');
  // Right-click removes too; "Reset hints" returns to the automatic result.
  await page.locator('.card .marker').first().click({ button: 'right' });
  assert.equal(await page.locator('.card .marker').count(), 0);
  await page.keyboard.press('Control+z');
  assert.equal(await page.locator('.card .marker').count(), 1);
  await page.locator('.card .hint-reset').click();
  await settled(page);
  assert.equal(await page.locator('.card .marker').count(), 0);
  assert.ok(samePixels(await download(page), automatic), '"Reset hints" did not restore the automatic result');
  assert.deepEqual(problems, []);
  await context.close();
});

// tint-v2 alone spreads a lone hint over the whole photo (an ab change of about 80 at every
// distance on this photo); the page limits a hint's reach along the photo's structure (hintReach
// 0.3, README "Colour hints"), so the far side keeps its automatic colours.
test('a lone hint leaves the far side of the photo nearly unchanged', async () => {
  const { context, page } = await openPage();
  await addPhoto(page, grey);
  const automatic = await download(page);
  await addHint(page, ...A, blue, chelsea);
  const hinted = await download(page);
  const near = abChange(automatic, hinted, ...A, 8), far = abChange(automatic, hinted, ...B, 12);
  console.log(`# a lone hint: change around it ${near.toFixed(1)}, on the far side ${far.toFixed(1)}`);
  await context.close();
  assert.ok(far < 0.35 * near && far < 8, `the far side changed by ${far} (the hint's region by ${near})`);
});

test('the picker suggests valid colours at the pixel\'s lightness, one close to the photo\'s own colour there', async () => {
  const { context, page, problems } = await openPage();
  await addPhoto(page, colour);
  const size = chelsea;
  // The photo's own Lab around each point (decoded by the browser), then the suggestions there.
  const truth = await page.evaluate(async (bytes) => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    return [...canvas.getContext('2d').getImageData(0, 0, bitmap.width, bitmap.height).data];
  }, [...fs.readFileSync(colour)]);
  const original = { ...chelsea, channels: 4, data: Buffer.from(truth) };
  for (const [x, y] of [[150, 230], [420, 40]]) {
    await page.mouse.click(...(await screenPoint(page, x, y, size)));
    await page.locator('#picker .picker-likely .swatch').first().waitFor({ timeout: 30_000 });
    const colors = await page.locator('#picker .picker-likely .swatch').evaluateAll((swatches) => swatches.map((s) => s.title));
    const pixels = window(original, x, y, 1);
    const [L, a, b] = [0, 1, 2].map((c) => pixels.reduce((sum, lab) => sum + lab[c], 0) / pixels.length);
    const labs = colors.map((c) => rgbToLab(parseHex(c)));
    const nearest = Math.min(...labs.map((lab) => Math.hypot(lab[1] - a, lab[2] - b)));
    console.log(`# at ${x},${y} (L ${L.toFixed(0)}, ab ${a.toFixed(0)},${b.toFixed(0)}): ${colors.join(' ')}; nearest ab ${nearest.toFixed(1)}`);
    assert.ok(colors.length >= 3 && colors.length <= 6, `${colors.length} suggestions`);
    for (const c of colors) assert.match(c, /^#[0-9a-f]{6}$/);
    assert.equal(new Set(colors).size, colors.length, 'the suggestions repeat');
    for (const lab of labs) assert.ok(Math.abs(lab[0] - L) < 12, `a suggestion's lightness ${lab[0]} is far from the pixel's ${L}`);
    assert.ok(nearest < 20, `no suggestion within ab 20 of the photo's colour (nearest ${nearest})`);
    // A suggestion is a colour to use: clicking it recolours the hint.
    await page.locator('#picker .picker-likely .swatch').nth(1).click();
    assert.match(await page.locator('.card .marker').last().getAttribute('aria-label'), new RegExp(`${colors[1]} at ${x}, ${y}$`));
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#picker').isHidden(), true);
  }
  await settled(page);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a reload restores the photos and their hints; "Clear" empties the store', async () => {
  const { context, page, problems } = await openPage();
  const size = chelsea;
  await addPhoto(page, grey);
  await addHint(page, 80, 200, '#20b050', size);
  await addHint(page, 360, 90, '#d04060', size);
  const hinted = await download(page);
  const labels = await page.locator('.card .marker').evaluateAll((markers) => markers.map((m) => m.getAttribute('aria-label')));
  await page.reload();
  await page.locator('.card').first().waitFor();
  await settled(page);
  assert.equal(await page.locator('.card').count(), 1);
  assert.equal(await page.locator('.card .name').textContent(), 'chelsea-grey.jpg');
  assert.deepEqual(await page.locator('.card .marker').evaluateAll((markers) => markers.map((m) => m.getAttribute('aria-label'))), labels);
  assert.ok(samePixels(await download(page), hinted), 'the restored photo is not colourised as before the reload');
  const stored = () => page.evaluate(() => new Promise((resolve, reject) => {
    const request = indexedDB.open('tint');
    request.onsuccess = () => {
      const count = request.result.transaction('photos').objectStore('photos').count();
      count.onsuccess = () => resolve(count.result);
    };
    request.onerror = reject;
  }));
  assert.equal(await stored(), 1);
  await page.click('#clear');
  assert.equal(await page.locator('.card').count(), 0);
  await page.waitForFunction(() => true);
  assert.equal(await stored(), 0);
  await page.reload();
  await page.waitForSelector('#load.ready');
  await page.waitForTimeout(300);
  assert.equal(await page.locator('.card').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('without IndexedDB (refused, as in some private modes) the page still colourises and takes hints', async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  await context.addInitScript(() => {
    IDBFactory.prototype.open = () => { throw new DOMException('refused', 'InvalidStateError'); };
  });
  const { page, problems } = await openPage(undefined, context);
  await addPhoto(page, grey);
  await addHint(page, 100, 100, '#e0a020', chelsea);
  assert.equal(await page.locator('.card .marker').count(), 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test('bad hints through the module reject with one clear message; a hint on a 24 MP photo works without the tab dying', async () => {
  const { context, page, problems } = await openPage();
  let crashed = false;
  page.on('crash', () => (crashed = true));
  const messages = await page.evaluate(async () => {
    const { createTint } = await import('./tint.js');
    const tint = await createTint();
    const image = new ImageData(64, 48);
    for (let i = 0; i < image.data.length; ++i) image.data[i] = i % 4 === 3 ? 255 : (i * 7) % 256;
    const attempt = (hints) => tint.colorize(image, { hints }).then(() => 'resolved', (error) => error.message);
    const result = {
      outside: await attempt([{ x: 64, y: 3, color: '#102030' }]),
      negative: await attempt([{ x: -1, y: 3, color: '#102030' }]),
      colour: await attempt([{ x: 3, y: 3, color: '#zzz' }]),
      many: await attempt(Array.from({ length: 10000 }, (_, i) => ({ x: i % 64, y: i % 48, color: '#102030' }))),
      fine: await attempt([{ x: 3, y: 3, color: '#102030' }]),
    };
    tint.dispose();
    return result;
  });
  assert.equal(messages.outside, 'tint: hint #1 at 64,3 is outside the 64x48 image');
  assert.equal(messages.negative, 'tint: hint #1 at -1,3 is outside the 64x48 image');
  assert.equal(messages.colour, 'tint: hint #1: colour "#zzz" is not #rrggbb');
  assert.equal(messages.many, 'tint: 10000 hints, more than the 1000 allowed');
  assert.equal(messages.fine, 'resolved');

  const width = 6000, height = 4000;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; ++y)
    for (let x = 0; x < width; ++x) {
      const v = x < width / 2 ? 70 + (y * 120) / height : 200 - ((x >> 5) % 2) * 60;  // a gradient, then stripes
      data.fill(v, 4 * (y * width + x), 4 * (y * width + x) + 3);
      data[4 * (y * width + x) + 3] = 255;
    }
  await page.setInputFiles('#files', { name: 'big.png', mimeType: 'image/png', buffer: encodePng({ width, height, data }) });
  await settled(page, 240_000);
  await addHint(page, 1500, 2000, '#c03030', { width, height });
  assert.equal(await page.locator('.card.error').count(), 0, await page.locator('.card .status').textContent());
  assert.match(await page.locator('.card .status').textContent(), /^Done in/);
  assert.match(await page.locator('.card .details').textContent(), /^6000×4000 PNG/);
  assert.equal(await page.locator('.card .marker').count(), 1);
  assert.match(await page.locator('.card .marker').getAttribute('aria-label'), /#c03030 at 1[45]\d\d, 19\d\d|#c03030 at 1[45]\d\d, 20\d\d/);
  assert.equal(await page.evaluate(() => 6 * 7), 42);  // still responsive
  assert.equal(crashed, false);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the keyboard alone adds, recolours, moves and removes a hint; screenshots with the picker open (desktop, phone)', async () => {
  for (const [name, viewport] of [['desktop', { width: 1200, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    const { context, page, problems } = await openPage(viewport);
    const size = chelsea;
    await addPhoto(page, grey);
    await addHint(page, 60, 240, '#3a7bd5', size);
    await addHint(page, 400, 40, '#2f9e44', size);
    // The keyboard: "Add hint", a suggestion, Escape back to the marker, arrows, Delete.
    await page.locator('.card .hint-add').focus();
    await page.keyboard.press('Enter');
    await page.locator('#picker .picker-likely .swatch').first().waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'picker');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const chosen = await page.evaluate(() => document.activeElement.title);
    assert.match(chosen, /^#[0-9a-f]{6}$/);
    await page.keyboard.press('Enter');
    await settled(page);
    await page.screenshot({ path: path.join(artifacts, `hints-${name}.png`), fullPage: false });
    const box = await page.locator('#picker').boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `the picker (${box.x}..${box.x + box.width}) leaves the screen`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#picker').isHidden(), true);
    const marker = page.locator('.card .marker').nth(2);
    assert.equal(await page.evaluate(() => document.activeElement.className), 'marker selected');
    assert.match(await marker.getAttribute('aria-label'), new RegExp(`^Hint 3 of 3: ${chosen} at 225, 150$`));
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowUp');
    assert.match(await marker.getAttribute('aria-label'), /at 235, 145$/);
    await page.keyboard.press('Delete');
    assert.equal(await page.locator('.card .marker').count(), 2);
    await settled(page);
    assert.deepEqual(problems, []);
    await context.close();
  }
});
