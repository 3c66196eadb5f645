// The page side of the bench: page.html?models=a,b&rounds=R&bigRounds=R&convRounds=R. Sets
// window.bench to a promise of the results (run.mjs awaits it through playwright-core). With
// conv=1 it then also runs tint's own conv bench (bench_conv3x3.js, a plain Emscripten program,
// served under conv/ by run.mjs) as a classic script and adds its GFLOP/s.
import { createTint } from '../site/tint.js';
import * as ort from '../nm/onnxruntime-web/dist/ort.wasm.min.mjs';
import { runBench } from './bench.mjs';

const params = new URLSearchParams(location.search);
const log = (text) => {
  document.getElementById('log').textContent += text + '\n';
  console.log(`[chromium] ${text}`);
};
const tf = globalThis.tf;
tf.wasm.setWasmPaths(new URL('../nm/@tensorflow/tfjs-backend-wasm/dist/', location.href).href);
ort.env.wasm.wasmPaths = new URL('../nm/onnxruntime-web/dist/', location.href).href;

// tint's bench_conv3x3 (Emscripten, no filesystem): prints "  simd  <ms> ms  <g> GFLOP/s".
function tintConv(rounds) {
  return new Promise((resolve, reject) => {
    const lines = [];
    globalThis.Module = {
      arguments: ['64', '64', '128', '1', '1', String(rounds)],
      print: (text) => lines.push(text),
      printErr: (text) => lines.push(text),
      postRun: [() => resolve(lines)],
      onAbort: (what) => reject(new Error(`bench_conv3x3 aborted: ${what}`)),
    };
    const script = document.createElement('script');
    script.src = '../conv/bench_conv3x3.js';
    script.onerror = () => reject(new Error('bench_conv3x3.js did not load'));
    document.head.append(script);
  });
}

async function main() {
  const env = {
    ort, tf, log,
    createTint: (modelBytes, threads) => createTint({ modelBytes, threads }),
    bytes: async (name) => {
      const response = await fetch(new URL(`../${name}`, location.href));
      if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
  const number = (key) => (params.has(key) ? Number(params.get(key)) : undefined);
  const results = await runBench(env, {
    models: params.get('models').split(','), rounds: number('rounds'), bigRounds: number('bigRounds'),
    convRounds: number('convRounds'), threads: number('threads'),
  });
  results.runtime = navigator.userAgent.match(/(Headless)?Chrom(e|ium)\/[\d.]+/)?.[0] ?? navigator.userAgent;
  if (params.get('conv') === '1') {
    const lines = await tintConv(number('convRounds') ?? 5);
    const match = lines.join('\n').match(/simd\s+([\d.]+) ms\s+([\d.]+) GFLOP\/s/);
    if (!match) throw new Error(`bench_conv3x3 printed: ${lines.join(' | ')}`);
    results.conv.tint = { ms: Number(match[1]), gflops: Number(match[2]) };
    log(`tint conv: ${match[2]} GFLOP/s`);
  }
  return results;
}

globalThis.bench = main();
globalThis.bench.catch((error) => log(`failed: ${error.stack ?? error}`));
