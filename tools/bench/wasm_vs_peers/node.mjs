// The bench in Node: node node.mjs [--rounds R] [--big-rounds R] [--json FILE] MODEL_NAME...
// Reads build/bench-peers/models/<name>.{safetensors,onnx,check.bin} (run.sh puts them there),
// tint's WASM from build/wasm/site. Prints progress; the results go to --json (or stdout).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs-core';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { runBench } from './bench.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const work = path.join(root, 'build/bench-peers');
const site = path.join(root, 'build/wasm/site');

const args = process.argv.slice(2), options = { models: [] };
let jsonPath = null;
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--rounds') options.rounds = Number(args[++i]);
  else if (args[i] === '--big-rounds') options.bigRounds = Number(args[++i]);
  else if (args[i] === '--conv-rounds') options.convRounds = Number(args[++i]);
  else if (args[i] === '--json') jsonPath = args[++i];
  else if (args[i] === '--threads') options.threads = Number(args[++i]);
  else options.models.push(args[i]);
}

const { createTint, moduleChoice } = await import(path.join(site, 'tint.js'));
// The module createTint would load here (the relaxed-SIMD one when Node runs with its flag).
const wasmBinary = (threads) => fs.readFileSync(path.join(site, moduleChoice({ threads }).file));
const relaxedSimd = (threads) => moduleChoice({ threads }).relaxedSimd;
const env = {
  ort,
  tf: Object.assign(Object.create(tf), { wasm: tfWasm }),
  createTint: (modelBytes, threads) => createTint({ wasmBinary: wasmBinary(threads), relaxedSimd: relaxedSimd(threads), modelBytes, threads }),
  bytes: async (name) => new Uint8Array(fs.readFileSync(path.join(work, name))),
  log: (text) => console.error(`[node] ${text}`),
};
// tfjs-backend-wasm's threaded binary does not start in Node (its pthread workers are made for
// browsers: "the wasm backend did not start"), so in Node tfjs always runs one thread.
if ((options.threads ?? 1) > 1) env.log('tfjs-backend-wasm cannot run threads in Node: tfjs gets 1 thread here');
const results = await runBench(env, { ...options, tfjsThreads: 1 });
results.runtime = `Node ${process.version}`;
const text = JSON.stringify(results, null, 1);
if (jsonPath) fs.writeFileSync(jsonPath, text); else console.log(text);
