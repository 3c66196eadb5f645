// Runs the bench in Node and in headless Chromium and prints one table (run.sh prepares the
// models and calls this): node run.mjs [--rounds R] [--big-rounds R] [--conv-rounds R] [--threads N] NAME...
// --threads N: every engine with N threads (the page is served cross-origin isolated).
// NAME = a model in build/bench-peers/models (NAME.safetensors, NAME.onnx, NAME.check.bin).
// Writes build/bench-peers/{node,chromium,results}.json and results.md beside the printout.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const work = path.join(root, 'build/bench-peers');
const site = path.join(root, 'build/wasm/site');
const log = (text) => console.error(`[run] ${text}`);

const args = process.argv.slice(2), names = [], passOn = [];
const settings = { rounds: 7, bigRounds: 5, convRounds: 5, threads: 1 };
for (let i = 0; i < args.length; ++i) {
  const key = { '--rounds': 'rounds', '--big-rounds': 'bigRounds', '--conv-rounds': 'convRounds', '--threads': 'threads' }[args[i]];
  if (key) settings[key] = Number(args[++i]);
  else names.push(args[i]);
}
passOn.push('--rounds', settings.rounds, '--big-rounds', settings.bigRounds, '--conv-rounds', settings.convRounds,
  '--threads', settings.threads);
if (!names.length) throw new Error('run.mjs: name at least one model (run.sh does)');

const trainingActive = () => spawnSync('pgrep', ['-f', 'tint[-a-z]* train ']).status === 0;
const machine = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30), load: os.loadavg().map((v) => v.toFixed(2)).join(' '),
  trainingAtStart: trainingActive(),
  commit: spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim(),
  tintWasm: execFileSync('sha256sum', [path.join(site, 'tint.wasm')], { encoding: 'utf8' }).slice(0, 12),
};
log(`${machine.date} ${machine.cpu}, ${machine.cores} cores, load ${machine.load}, ` +
    `training run active: ${machine.trainingAtStart ? 'yes' : 'no'}`);

// --- sizes of what the page downloads -------------------------------------------------------
const gzipSize = (file) => execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 1 << 30 }).length;
const notDownloaded = new Set(['package.json', 'tint.d.ts', 'embed-example.html']);
const sizes = fs.readdirSync(site).filter((name) => !notDownloaded.has(name)).sort().map((name) => {
  const file = path.join(site, name);
  return { name, raw: fs.statSync(file).size, gzip: gzipSize(file) };
});
const peerFiles = {
  'onnxruntime-web (ort.wasm.min.mjs + glue + SIMD wasm)': ['onnxruntime-web/dist/ort.wasm.min.mjs',
    'onnxruntime-web/dist/ort-wasm-simd-threaded.mjs', 'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'],
  'tfjs-core + tfjs-backend-wasm (min.js + SIMD wasm)': ['@tensorflow/tfjs-core/dist/tf-core.min.js',
    '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'],
};
const peerSizes = Object.entries(peerFiles).map(([what, files]) => {
  const full = files.map((f) => path.join(here, 'node_modules', f));
  return { what, raw: full.reduce((s, f) => s + fs.statSync(f).size, 0), gzip: full.reduce((s, f) => s + gzipSize(f), 0) };
});
const onnxSizes = names.map((name) => {
  const file = path.join(work, 'models', `${name}.onnx`);
  return { name: `${name}.onnx`, raw: fs.statSync(file).size, gzip: gzipSize(file) };
});

// --- Node --------------------------------------------------------------------------------------
const results = { machine, settings, sizes, peerSizes, onnxSizes, runs: {} };
const convProgram = path.join(work, 'bench_conv3x3.cjs');
let tintConvNode = null;
if (fs.existsSync(convProgram)) {
  const text = execFileSync(process.execPath, ['--no-experimental-fetch', convProgram, '64', '64', '128', '1', '1',
    String(settings.convRounds)], { encoding: 'utf8' });
  const match = text.match(/simd\s+([\d.]+) ms\s+([\d.]+) GFLOP\/s/);
  if (match) tintConvNode = { ms: Number(match[1]), gflops: Number(match[2]) };
  log(`tint conv in Node: ${match ? match[2] + ' GFLOP/s' : 'no figure in: ' + text}`);
} else {
  log('build/wasm/bench_conv3x3.js is not built: no tint conv figure (the bench does not build it)');
}
{
  const jsonPath = path.join(work, 'node.json');
  const child = spawnSync(process.execPath, [path.join(here, 'node.mjs'), ...passOn.map(String), '--json', jsonPath, ...names],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  if (child.status !== 0) throw new Error(`node.mjs failed (status ${child.status})`);
  results.runs.node = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  if (tintConvNode) results.runs.node.conv.tint = tintConvNode;
}

// --- headless Chromium -----------------------------------------------------------------------
{
  const { server, url } = await serve(path.join(work, 'www'), { port: 0 });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    page.on('console', (message) => console.error(message.text()));
    page.on('pageerror', (error) => console.error(`[chromium] page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) console.error(`[chromium] HTTP ${response.status()} for ${response.url()}`);
    });
    const query = new URLSearchParams({ models: names.join(','), rounds: settings.rounds, bigRounds: settings.bigRounds,
      convRounds: settings.convRounds, threads: settings.threads, conv: fs.existsSync(path.join(work, 'www/conv/bench_conv3x3.js')) ? '1' : '0' });
    await page.goto(`${url}bench/page.html?${query}`);
    await page.waitForFunction(() => globalThis.bench !== undefined);
    results.runs.chromium = await page.evaluate(() => globalThis.bench);
    fs.writeFileSync(path.join(work, 'chromium.json'), JSON.stringify(results.runs.chromium, null, 1));
  } finally {
    await browser.close();
    server.close();
  }
}
machine.trainingAtEnd = trainingActive();
machine.loadAtEnd = os.loadavg().map((v) => v.toFixed(2)).join(' ');

// --- the table -------------------------------------------------------------------------------
const lines = [];
const out = (text = '') => lines.push(text);
const ms = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const x = (ratio) => `${ratio.toFixed(2)}x`;
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const MB = (bytes) => `${(bytes / 1e6).toFixed(3)} MB`;
const runtimeNames = { node: 'Node', chromium: 'Chromium' };

out(`Measured ${machine.date} on ${machine.cpu} (${machine.cores} cores, ${machine.memoryGiB} GiB; a shared VM), ` +
    `load average at start ${machine.load}, at end ${machine.loadAtEnd}; training run active at start: ${machine.trainingAtStart ? 'yes' : 'no'}, ` +
    `at end: ${machine.trainingAtEnd ? 'yes' : 'no'}. Repository at ${machine.commit}, tint.wasm sha256 ${machine.tintWasm}….`);
out(`Runtimes: ${Object.entries(results.runs).map(([k, r]) => `${runtimeNames[k]} = ${r.runtime}`).join('; ')}; ` +
    `onnxruntime-web ${results.runs.node.ort.version} (wasm EP, numThreads ${settings.threads}, SIMD), tfjs ${results.runs.node.tfjs.version} ` +
    `(wasm backend, ${results.runs.node.tfjs.threads} thread(s), SIMD ${results.runs.node.tfjs.simd}); tint ${settings.threads} thread(s) ` +
    `(${Object.entries(results.runs).map(([k, r]) => `${runtimeNames[k]} got ${r.tint?.threads ?? '?'}${r.tint?.relaxedSimd ? ' with relaxed SIMD' : ''}`).join(', ')}).`);
out(`Times: median of ${settings.rounds} runs (256x256) / ${settings.bigRounds} runs (4000x3000) after warm-up, ` +
    'engines interleaved round by round; "net" = the peer\'s network alone (its session.run / graph + readback), ' +
    'the rest of its end-to-end time is the same pre/post-processing as tint\'s, in plain JS. Ratios = peer ms / tint ms ' +
    'within each round, median over the rounds; "best" = the fastest run of tint / ORT / tfjs.');
for (const [size, label] of [['small', '256x256 photo, end to end (ms)'], ['big', '4000x3000 (12 MP) photo, end to end (ms)']]) {
  out();
  out(`### ${label}`);
  out();
  out('| runtime | model | tint | onnxruntime-web (net) | tfjs-wasm (net) | ORT / tint | tfjs / tint | ORT net / tint | tfjs net / tint | best: tint / ORT / tfjs |');
  out('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [runtime, run] of Object.entries(results.runs)) {
    for (const [name, model] of Object.entries(run.models)) {
      const t = model[size].tint.median, o = model[size].ort, f = model[size].tfjs;
      out(`| ${runtimeNames[runtime]} | ${name} | ${ms(t)} | ${ms(o.median)} (${ms(o.net.median)}) | ` +
          `${ms(f.median)} (${ms(f.net.median)}) | ${x(o.ratio)} | ${x(f.ratio)} | ${x(o.netRatio)} | ${x(f.netRatio)} | ` +
          `${ms(model[size].tint.best)} / ${ms(o.best)} / ${ms(f.best)} |`);
    }
  }
}
out();
out(`### One 3x3 conv, 64->64 channels, 128x128, stride 1 (GFLOP/s, best of ${settings.convRounds} rounds; higher is better)`);
out();
out('| runtime | tint (bench_conv3x3) | onnxruntime-web | tfjs-wasm |');
out('|---|---:|---:|---:|');
for (const [runtime, run] of Object.entries(results.runs)) {
  const g = (k) => (run.conv[k] ? run.conv[k].gflops.toFixed(1) : 'n/a');
  out(`| ${runtimeNames[runtime]} | ${g('tint')} | ${g('ort')} | ${g('tfjs')} |`);
}
out();
out('### Parity (the same input through each engine)');
out();
out('| runtime | model | ORT vs PyTorch | tfjs vs PyTorch | tfjs vs ORT | ORT vs tint 256² / 12 MP | tfjs vs tint 256² / 12 MP |');
out('|---|---|---:|---:|---:|---:|---:|');
for (const [runtime, run] of Object.entries(results.runs)) {
  for (const [name, { parity: p }] of Object.entries(run.models)) {
    const px = (d) => `${d.max}/255${d.over1 ? ` (${(100 * d.over1).toFixed(3)}% > 1)` : ''}`;
    out(`| ${runtimeNames[runtime]} | ${name} | ${p.ortVsTorch.toExponential(1)} | ${p.tfjsVsTorch.toExponential(1)} | ` +
        `${p.tfjsVsOrt.toExponential(1)} | ${px(p.smallOrtVsTint)} / ${px(p.bigOrtVsTint)} | ` +
        `${px(p.smallTfjsVsTint)} / ${px(p.bigTfjsVsTint)} |`);
  }
}
out('(network outputs: max |ab/128| difference on a 256x256 test plane; pixels: max RGBA difference of the ' +
    'end-to-end outputs, share of samples off by more than 1)');
out();
out('### What the page downloads (build/wasm/site without package.json, tint.d.ts, embed-example.html)');
out();
out('| file | raw | gzip -9 |');
out('|---|---:|---:|');
for (const s of sizes) out(`| ${s.name} | ${kB(s.raw)} | ${kB(s.gzip)} |`);
const total = sizes.reduce((a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip }), { raw: 0, gzip: 0 });
const core = sizes.filter((s) => s.name === 'tint.wasm' || s.name.endsWith('.safetensors'));
const coreGzip = core.reduce((a, s) => a + s.gzip, 0);
out(`| **total** | ${MB(total.raw)} | ${MB(total.gzip)} |`);
out(`| **${core.map((s) => s.name).join(' + ')}** | ${MB(core.reduce((a, s) => a + s.raw, 0))} | ${MB(coreGzip)} |`);
out();
out('For comparison, the peers\' runtimes alone (without a model): ' +
    peerSizes.map((p) => `${p.what} ${MB(p.raw)} raw, ${MB(p.gzip)} gzip`).join('; ') + '; their models: ' +
    onnxSizes.map((p) => `${p.name} (f32) ${MB(p.raw)} raw, ${MB(p.gzip)} gzip`).join(', ') + '.');

// --- goals -------------------------------------------------------------------------------------
out();
out('### Goals');
out();
const verdict = (ok) => (ok ? 'met' : 'NOT met');
for (const [peer, target, label] of [['tfjs', 1.5, 'tfjs-backend-wasm'], ['ort', 1.8, 'onnxruntime-web']]) {
  const items = [];
  for (const [runtime, run] of Object.entries(results.runs))
    for (const [name, model] of Object.entries(run.models))
      for (const size of ['small', 'big']) {
        items.push({ where: `${runtimeNames[runtime]} ${name} ${size === 'small' ? '256²' : '12 MP'}`,
          value: model[size][peer].ratio });
      }
  const met = items.filter((i) => i.value >= target).length;
  out(`- tint >= ${target}x ${label} (end to end): ${verdict(met === items.length)} (reached in ${met} of ` +
      `${items.length} measurements: ${items.map((i) => `${i.where} ${i.value.toFixed(2)}x`).join(', ')})`);
}
if (results.runs.chromium) {
  const items = Object.entries(results.runs.chromium.models).map(([name, m]) =>
    `${name} ${ms(m.big.tint.median)} ms, best ${ms(m.big.tint.best)} ms`);
  const worst = Math.max(...Object.values(results.runs.chromium.models).map((m) => m.big.tint.median));
  const shipped = results.runs.chromium.models['tint-v1']?.big.tint.median;
  out(`- 12 MP photo under 1 s in the page (Chromium, tint end to end): ` +
      (shipped !== undefined ? `tint-v1 ${verdict(shipped < 1000)}` : verdict(worst < 1000)) + ` (median; ${items.join('; ')})`);
}
out(`- tint.wasm + weights under 2.5 MB gzip: ${verdict(coreGzip < 2.5e6)} (${MB(coreGzip)})`);

const text = lines.join('\n');
console.log(text);
fs.writeFileSync(path.join(work, 'results.md'), text + '\n');
fs.writeFileSync(path.join(work, 'results.json'), JSON.stringify(results, null, 1));
