// Makes the README's "Colour hints" picture: tests/data/chelsea-grey.jpg colourised by the page in
// Chromium (playwright-core, Debian's chromium, as the browser tests), automatically (left) and
// after the hints below are added through the page, by clicks and the picker's colour input
// (right, markers shown); each side is a screenshot of the result at the photo's own size and a
// whole-pixel place, with the comparison's original half, divider, grip and tags hidden. JPEG
// quality 85.
// Usage: node tools/docs/hints_picture.mjs [OUT.jpg [COPY.png]]
//        (default web/docs/hints.jpg; SITE=folder for another site than build/wasm/site)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from '../serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = process.env.SITE ?? path.join(root, 'build/wasm/site');
const [out = path.join(root, 'web/docs/hints.jpg'), copy] = process.argv.slice(2);
const photo = { file: path.join(root, 'tests/data/chelsea-grey.jpg'), width: 451, height: 300 };
// [x, y, colour] in photo pixels: brown fur (the right ear, which keeps the green off it, the left
// side of the face, both cheeks) and green in the background's top right corner, as foliage.
const hints = [
  [355, 35, '#8f6845'],
  [60, 120, '#9a6640'],
  [110, 200, '#a8785a'],
  [350, 190, '#a07a5c'],
  [440, 12, '#4f7a3a'],
];
const labels = ['Automatic', `With ${hints.length} hints`];

const { server, url } = await serve(site, { port: 0 });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
// bypassCSP: the page allows its own style sheet only, and the shots need one more rule set.
const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
const page = await context.newPage();
page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
await page.goto(url);
await page.waitForSelector('#load.ready', { timeout: 60_000 });
const settled = () => page.waitForFunction(() => {
  const card = document.querySelector('.card');
  return card?.matches('.done') && !card.hasAttribute('data-pending');
}, null, { timeout: 120_000 });
await page.setInputFiles('#files', photo.file);
await settled();

await page.addStyleTag({ content: `
  .compare.shot { position: fixed; left: 0; top: 0; z-index: 9; width: ${photo.width}px; margin: 0; border-radius: 0; }
  .shot .before-clip, .shot .divider, .shot .grip, .shot .tag { display: none; }
  .shot .marker { outline: none; }
  .shot .marker.selected::after { inset: 8px; border-width: 2px; }` });
const compare = page.locator('.card .compare');
async function shot() {
  await compare.evaluate((element) => element.classList.add('shot'));
  const png = await compare.screenshot({ animations: 'disabled', caret: 'hide' });
  await compare.evaluate((element) => element.classList.remove('shot'));
  return png;
}
const shots = [await shot()];
for (const [x, y, color] of hints) {
  const box = await compare.boundingBox();
  await compare.click({ position: { x: ((x + 0.5) * box.width) / photo.width, y: ((y + 0.5) * box.height) / photo.height } });
  await page.locator('#picker .picker-color').fill(color);
  await page.keyboard.press('Escape');
  await settled();
}
console.log(await page.locator('.card .marker').evaluateAll((markers) => markers.map((m) => m.getAttribute('aria-label')).join('\n')));
shots.push(await shot());

// The two shots side by side under their labels, encoded by the browser.
const sheet = await context.newPage();
const encoded = await sheet.evaluate(async ({ shots, labels }) => {
  const images = await Promise.all(shots.map((data) => createImageBitmap(new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))]))));
  const [{ width, height }, gap, top] = [images[0], 8, 28];
  const canvas = new OffscreenCanvas(2 * width + gap, top + height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = '#222';
  g.font = '600 15px "DejaVu Sans", sans-serif';
  g.textBaseline = 'middle';
  images.forEach((image, i) => {
    g.drawImage(image, i * (width + gap), top);
    g.fillText(labels[i], i * (width + gap) + 6, top / 2);
  });
  const base64 = async (type, quality) => {
    const reader = new FileReader();
    reader.readAsDataURL(await canvas.convertToBlob({ type, quality }));
    await new Promise((resolve) => (reader.onload = resolve));
    return reader.result.split(',')[1];
  };
  return { jpeg: await base64('image/jpeg', 0.85), png: await base64('image/png') };
}, { shots: shots.map((png) => png.toString('base64')), labels });
fs.writeFileSync(out, Buffer.from(encoded.jpeg, 'base64'));
if (copy) fs.writeFileSync(copy, Buffer.from(encoded.png, 'base64'));
console.log(`${out}: ${fs.statSync(out).size} bytes`);
await browser.close();
server.close();
