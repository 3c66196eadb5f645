// The bench itself, shared by Node (node.mjs) and the page (page.mjs): the same tint model run end
// to end by tint's WASM, by onnxruntime-web (wasm EP) and by tfjs (wasm backend), all on one
// thread with SIMD. For the peers, the pre/post-processing tint does in C++ (src/core/colorize.cpp)
// is done here in plain JS around their network. Everything environment-specific (how to load
// bytes, the three libraries) comes in through `env`; runBench returns a plain JSON-able object.

const now = () => performance.now();

// ---------------------------------------------------------------------------------------------
// safetensors (8-byte little-endian header length, JSON header, raw little-endian data)

function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

export function parseSafetensors(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const metadata = header.__metadata__ ?? {};
  delete header.__metadata__;
  const base = 8 + headerLength, tensors = {};
  for (const [name, { dtype, shape, data_offsets: [begin, end] }] of Object.entries(header)) {
    const count = shape.reduce((a, b) => a * b, 1), values = new Float32Array(count);
    if (dtype === 'F32') {
      for (let i = 0; i < count; ++i) values[i] = view.getFloat32(base + begin + 4 * i, true);
    } else if (dtype === 'F16') {
      for (let i = 0; i < count; ++i) values[i] = halfToFloat(view.getUint16(base + begin + 2 * i, true));
    } else {
      throw new Error(`safetensors: tensor ${name} has unsupported dtype ${dtype}`);
    }
    if (end - begin !== count * (dtype === 'F32' ? 4 : 2)) throw new Error(`safetensors: ${name} has bad offsets`);
    tensors[name] = { shape, values };
  }
  return { metadata, tensors, architecture: JSON.parse(metadata.architecture) };
}

// Channels and depth per layer, the stride multiple and the conv FLOPs at h x w (as tint counts).
export function describe(architecture, height = 256, width = 256) {
  let channels = 1, depth = 0, deepest = 0, flops = 0;
  const outputs = {};
  for (const layer of architecture.layers) {
    if (layer.op === 'conv') {
      const stride = layer.stride ?? 1;
      depth += stride === 2 ? 1 : 0;
      flops += 2 * 9 * channels * layer.out * Math.ceil(height / 2 ** depth) * Math.ceil(width / 2 ** depth);
      channels = layer.out;
    } else if (layer.op === 'upsample') {
      depth -= 1;
    } else if (layer.op === 'concat') {
      channels += outputs[layer.with];
    }
    deepest = Math.max(deepest, depth);
    outputs[layer.name] = channels;
  }
  return { multiple: 2 ** deepest, flops, workingSize: architecture.working_size ?? 256 };
}

// ---------------------------------------------------------------------------------------------
// tint's colourise call in plain JS (a port of src/core/colorize.cpp and lab.cpp, 8-bit RGBA)

const LUM_R = 0.2126729, LUM_G = 0.7151522, LUM_B = 0.0721750;
const WHITE_X = 0.950456, WHITE_Z = 1.088754, EPSILON = 0.008856, KAPPA = 7.787, OFFSET = 16 / 116;
const srgbToLinear = (c) => (c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
const labF = (t) => (t > EPSILON ? Math.cbrt(t) : KAPPA * t + OFFSET);
const labFInverse = (f) => { const cube = f * f * f; return cube > EPSILON ? cube : (f - OFFSET) / KAPPA; };

const LINEAR8 = new Float32Array(256).map((_, v) => srgbToLinear(v / 255));

// Linear light -> 8-bit sRGB: count the level boundaries at or below the value (as tint does).
const BOUNDARY = new Float32Array(257), GUESSES = 4096, GUESS = new Uint8Array(GUESSES);
{
  for (let k = 1; k < 256; ++k) BOUNDARY[k] = srgbToLinear((k - 0.5) / 255);
  BOUNDARY[0] = -1;
  BOUNDARY[256] = 2;
  let level = 0;
  for (let i = 0; i < GUESSES; ++i) {
    while (BOUNDARY[level + 1] <= i / (GUESSES - 1)) ++level;
    GUESS[i] = level;
  }
}
function linearToSrgb8(linear) {
  const v = linear < 0 ? 0 : linear > 1 ? 1 : linear;
  let level = GUESS[(v * (GUESSES - 1)) | 0];
  while (BOUNDARY[level + 1] <= v) ++level;
  return level;
}

function lightnessRow(data, width, y, out) {
  let i = y * width * 4;
  for (let x = 0; x < width; ++x, i += 4) {
    const luminance = LUM_R * LINEAR8[data[i]] + LUM_G * LINEAR8[data[i + 1]] + LUM_B * LINEAR8[data[i + 2]];
    out[x] = 116 * labF(luminance) - 16;
  }
}

// Area-weighted resampling of src[srcOffset + i * srcStride] into dst (box filter).
function resampleArea(src, srcOffset, srcCount, srcStride, dst, dstCount) {
  const scale = srcCount / dstCount;
  for (let o = 0; o < dstCount; ++o) {
    const begin = o * scale, end = (o + 1) * scale;
    let sum = 0;
    for (let i = Math.floor(begin); i < srcCount && i < end; ++i) {
      sum += (Math.min(end, i + 1) - Math.max(begin, i)) * src[srcOffset + i * srcStride];
    }
    dst[o] = sum / (end - begin);
  }
}

function bilinearTaps(srcCount, dstCount) {
  const i0 = new Int32Array(dstCount), i1 = new Int32Array(dstCount), w1 = new Float32Array(dstCount);
  const scale = srcCount / dstCount;
  for (let o = 0; o < dstCount; ++o) {
    const position = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), srcCount - 1);
    i0[o] = position | 0;
    i1[o] = Math.min(i0[o] + 1, srcCount - 1);
    w1[o] = position - i0[o];
  }
  return { i0, i1, w1 };
}

const rgb = new Float64Array(3);
function labToLinear(l, a, b) {
  const fy = (l + 16) / 116;
  const x = WHITE_X * labFInverse(fy + a / 500), y = labFInverse(fy), z = WHITE_Z * labFInverse(fy - b / 200);
  rgb[0] = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  rgb[1] = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
  rgb[2] = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
}
const SLACK = 1e-5;
const inUnitRange = () => rgb[0] >= -SLACK && rgb[1] >= -SLACK && rgb[2] >= -SLACK &&
  rgb[0] <= 1 + SLACK && rgb[1] <= 1 + SLACK && rgb[2] <= 1 + SLACK;
// Scales the chroma down (bisection) until the colour fits the sRGB gamut, as tint does.
function labToLinearInGamut(l, a, b) {
  labToLinear(l, a, b);
  if (inUnitRange()) return;
  let low = 0, high = 1;
  for (let step = 0; step < 12; ++step) {
    const middle = 0.5 * (low + high);
    labToLinear(l, a * middle, b * middle);
    if (inUnitRange()) low = middle; else high = middle;
  }
  labToLinear(l, a * low, b * low);
}

/**
 * Colourises an RGBA image ({width, height, data}) with `net`: {workingSize, multiple,
 * layout: 'nchw'|'nhwc', run(plane, height, width) -> Float32Array ab/128}. Resolves to
 * {image, netMs}.
 */
export async function colorizeJs(image, net) {
  const { width, height, data } = image;
  const scale = net.workingSize / Math.max(width, height);
  const workWidth = Math.max(1, Math.round(width * scale)), workHeight = Math.max(1, Math.round(height * scale));
  const m = net.multiple;
  const paddedWidth = Math.ceil(workWidth / m) * m, paddedHeight = Math.ceil(workHeight / m) * m;

  // 1. L at working size, each row shrunk as it is computed, then the columns; edges replicated.
  const row = new Float32Array(width), narrow = new Float32Array(height * workWidth);
  const shrunk = new Float32Array(workWidth);
  for (let y = 0; y < height; ++y) {
    lightnessRow(data, width, y, row);
    resampleArea(row, 0, width, 1, shrunk, workWidth);
    narrow.set(shrunk, y * workWidth);
  }
  const plane = new Float32Array(paddedHeight * paddedWidth), column = new Float32Array(workHeight);
  for (let x = 0; x < workWidth; ++x) {
    resampleArea(narrow, x, height, workWidth, column, workHeight);
    for (let y = 0; y < paddedHeight; ++y) plane[y * paddedWidth + x] = column[Math.min(y, workHeight - 1)] / 100;
  }
  for (let y = 0; y < paddedHeight; ++y) {
    for (let x = workWidth; x < paddedWidth; ++x) plane[y * paddedWidth + x] = plane[y * paddedWidth + workWidth - 1];
  }

  // 2. The network.
  const start = now();
  const ab = await net.run(plane, paddedHeight, paddedWidth);
  const netMs = now() - start;

  // 3. ab x 128, bilinear to full size, with each pixel's own L; Lab -> sRGB; alpha kept.
  const nchw = net.layout === 'nchw', channelStride = nchw ? paddedHeight * paddedWidth : 1;
  const xStride = nchw ? 1 : 2, yStride = paddedWidth * xStride;
  const output = new Uint8ClampedArray(width * height * 4);
  const xt = bilinearTaps(workWidth, width), yt = bilinearTaps(workHeight, height);
  const abRow = new Float32Array(workWidth * 2);
  for (let y = 0; y < height; ++y) {
    const r0 = yt.i0[y] * yStride, r1 = yt.i1[y] * yStride, w1 = yt.w1[y], w0 = 1 - w1;
    for (let x = 0; x < workWidth; ++x) {
      const p = x * xStride;
      abRow[2 * x] = 128 * (w0 * ab[r0 + p] + w1 * ab[r1 + p]);
      abRow[2 * x + 1] = 128 * (w0 * ab[r0 + p + channelStride] + w1 * ab[r1 + p + channelStride]);
    }
    lightnessRow(data, width, y, row);
    for (let x = 0, i = y * width * 4; x < width; ++x, i += 4) {
      const j0 = 2 * xt.i0[x], j1 = 2 * xt.i1[x], v1 = xt.w1[x], v0 = 1 - v1;
      labToLinearInGamut(row[x], v0 * abRow[j0] + v1 * abRow[j1], v0 * abRow[j0 + 1] + v1 * abRow[j1 + 1]);
      output[i] = linearToSrgb8(rgb[0]);
      output[i + 1] = linearToSrgb8(rgb[1]);
      output[i + 2] = linearToSrgb8(rgb[2]);
      output[i + 3] = data[i + 3];
    }
  }
  return { image: { width, height, data: output }, netMs };
}

// ---------------------------------------------------------------------------------------------
// The two peers' networks

async function ortNet(ort, onnxBytes, info) {
  const session = await ort.InferenceSession.create(onnxBytes, {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all',
  });
  return {
    ...info, layout: 'nchw', session,
    async run(plane, height, width) {
      const result = await session.run({ L: new ort.Tensor('float32', plane, [1, 1, height, width]) });
      return result.ab.data;
    },
  };
}

// The network built with tfjs ops from the safetensors tensors (weights [out, in, 3, 3] -> HWIO).
function tfjsNet(tf, model, info) {
  const weights = {};
  for (const layer of model.architecture.layers) {
    if (layer.op !== 'conv') continue;
    const { shape: [out, cin], values } = model.tensors[`${layer.name}.weight`];
    const hwio = new Float32Array(values.length);
    for (let o = 0; o < out; ++o)
      for (let i = 0; i < cin; ++i)
        for (let k = 0; k < 9; ++k) hwio[(k * cin + i) * out + o] = values[(o * cin + i) * 9 + k];
    weights[layer.name] = {
      filter: tf.tensor4d(hwio, [3, 3, cin, out]),
      bias: tf.tensor1d(model.tensors[`${layer.name}.bias`].values),
    };
  }
  const pad = [[0, 0], [1, 1], [1, 1], [0, 0]];  // PyTorch's padding=1, also at stride 2
  const forward = (input) => {
    const outputs = {};
    let x = input;
    for (const layer of model.architecture.layers) {
      if (layer.op === 'conv') {
        const stride = layer.stride ?? 1;
        x = tf.fused.conv2d({ x, ...weights[layer.name], strides: [stride, stride], pad, dataFormat: 'NHWC',
          activation: layer.activation === 'relu' ? 'relu' : 'linear' });
      } else if (layer.op === 'upsample') {
        const size = [x.shape[1] * 2, x.shape[2] * 2];
        x = layer.mode === 'bilinear' ? tf.image.resizeBilinear(x, size, false, true)
          : tf.image.resizeNearestNeighbor(x, size, false, false);
      } else if (layer.op === 'concat') {
        x = tf.concat([x, outputs[layer.with]], 3);
      } else if (layer.op === 'add') {
        x = tf.add(x, outputs[layer.with]);
      } else if (layer.op === 'tanh') {
        x = tf.tanh(x);
      }  // dropout: identity at inference
      outputs[layer.name] = x;
    }
    return x;
  };
  return {
    ...info, layout: 'nhwc',
    async run(plane, height, width) {
      const y = tf.tidy(() => forward(tf.tensor4d(plane, [1, height, width, 1])));
      const data = y.dataSync();
      y.dispose();
      return data;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Inputs, statistics, comparisons

// A synthetic photo: gradients, edges, texture (the parity test's kind), opaque.
export function photo(width, height, seed = 1) {
  const data = new Uint8ClampedArray(width * height * 4);
  const sx = new Float32Array(width).map((_, x) => Math.sin(0.05 * x * 256 / Math.max(width, 256) + seed));
  const cy = new Float32Array(height).map((_, y) => Math.cos(0.07 * y * 256 / Math.max(height, 256) + 2 * seed));
  for (let y = 0, i = 0; y < height; ++y)
    for (let x = 0; x < width; ++x, i += 4) {
      data[i] = 128 + 100 * sx[x];
      data[i + 1] = 128 + 90 * cy[y] * (x > width / 2 ? 1 : 0.3);
      data[i + 2] = (x * 7 + y * 13 + seed * 31) & 255;
      data[i + 3] = 255;
    }
  return { width, height, data };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b), n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
};
const summary = (values) => ({ median: median(values), best: Math.min(...values), runs: values.length,
  values: values.map((v) => Math.round(10 * v) / 10) });

function maxAbsDiff(a, b) {
  let worst = 0;
  for (let i = 0; i < a.length; ++i) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
// RGBA images: the worst channel difference (alpha included) and the share of samples off by > 1.
function imageDiff(a, b) {
  let worst = 0, over1 = 0;
  for (let i = 0; i < a.data.length; ++i) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (d > worst) worst = d;
    if (d > 1) ++over1;
  }
  return { max: worst, over1: over1 / a.data.length };
}
// NHWC (h, w, 2) -> NCHW (2, h, w)
function nhwcToNchw(data, height, width) {
  const out = new Float32Array(data.length), plane = height * width;
  for (let p = 0; p < plane; ++p) { out[p] = data[2 * p]; out[plane + p] = data[2 * p + 1]; }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The conv 64->64 3x3 at 128x128 alone (GFLOP/s, best of interleaved rounds)

async function benchConv(env, log, rounds) {
  const { ort, tf } = env;
  const size = 128, channels = 64, flops = 2 * channels * channels * 9 * size * size;
  const x = new Float32Array(channels * size * size).map((_, i) => (i % 17) * 0.01);
  const session = await ort.InferenceSession.create(await env.bytes('models/conv64.onnx'),
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const ortInput = new ort.Tensor('float32', x, [1, channels, size, size]);
  const filter = tf.tensor4d(new Float32Array(9 * channels * channels).fill(0.01), [3, 3, channels, channels]);
  const bias = tf.tensor1d(new Float32Array(channels));
  const tfInput = tf.tensor4d(x, [1, size, size, channels]);
  const engines = {
    ort: async () => { (await session.run({ x: ortInput })).y.data; },
    tfjs: async () => {
      const y = tf.fused.conv2d({ x: tfInput, filter, bias, strides: 1, pad: 'same', dataFormat: 'NHWC' });
      y.dataSync();
      y.dispose();
    },
  };
  const best = {};
  for (const run of Object.values(engines)) await run();  // warm up
  for (let round = 0; round < rounds; ++round) {
    for (const [name, run] of Object.entries(engines)) {
      const reps = 3, start = now();
      for (let r = 0; r < reps; ++r) await run();
      const ms = (now() - start) / reps;
      best[name] = Math.min(best[name] ?? Infinity, ms);
    }
  }
  filter.dispose(); bias.dispose(); tfInput.dispose();
  await session.release?.();
  const result = Object.fromEntries(Object.entries(best).map(([k, ms]) => [k, { ms, gflops: flops / (ms * 1e6) }]));
  log(`conv 64->64 3x3 128x128: ${Object.entries(result).map(([k, v]) => `${k} ${v.gflops.toFixed(1)} GFLOP/s`).join(', ')}`);
  return result;
}

// ---------------------------------------------------------------------------------------------

/**
 * env: {ort, tf, createTint(modelBytes, threads) -> tint instance, bytes(path relative to the served
 * root / build/bench-peers) -> Uint8Array, log(text)}; options: {models: [name], rounds, bigRounds,
 * threads}. With threads > 1 every engine gets that many: tint's threaded build, onnxruntime-web's
 * numThreads, tfjs-backend-wasm's threaded SIMD binary (each needs SharedArrayBuffer: a cross-origin
 * isolated page, or Node).
 */
export async function runBench(env, options) {
  const { ort, tf, log } = env;
  const rounds = options.rounds ?? 7, bigRounds = options.bigRounds ?? 5, wanted = options.threads ?? 1;
  const tfjsThreads = options.tfjsThreads ?? wanted;
  ort.env.wasm.numThreads = wanted;
  ort.env.wasm.proxy = false;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', tfjsThreads > 1);  // else the single-threaded SIMD binary
  if (tf.wasm?.setThreadsCount) tf.wasm.setThreadsCount(tfjsThreads);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.backend().wasm?.tfjs?.getThreadsCount?.() ?? tf.wasm?.getThreadsCount?.();
  log(`tfjs ${tf.version_core} backend ${tf.getBackend()}, simd ${simd}, threads ${threads ?? 'n/a'}; ` +
      `onnxruntime-web ${ort.env.versions?.web ?? '?'} numThreads ${ort.env.wasm.numThreads}`);

  const small = photo(256, 256, 1), big = photo(4000, 3000, 2);
  const results = { threads: wanted, tfjs: { version: tf.version_core, simd, threads },
    ort: { version: ort.env.versions?.web, numThreads: ort.env.wasm.numThreads }, models: {} };
  for (const name of options.models) {
    const modelBytes = await env.bytes(`models/${name}.safetensors`);
    const model = parseSafetensors(modelBytes);
    const info = describe(model.architecture);
    const netInfo = { workingSize: info.workingSize, multiple: info.multiple };
    const tint = await env.createTint(modelBytes, wanted);
    results.tint = { threads: tint.threads, relaxedSimd: Boolean(tint.relaxedSimd) };
    if (tint.threads !== wanted) log(`tint runs with ${tint.threads} thread(s), not ${wanted}`);
    const engines = {
      tint: { colorize: (image) => tint.colorize(image) },
      ort: await ortNet(ort, await env.bytes(`models/${name}.onnx`), netInfo),
      tfjs: tfjsNet(tf, model, netInfo),
    };
    for (const peer of ['ort', 'tfjs']) engines[peer].colorize = (image) => colorizeJs(image, engines[peer]);
    const entry = { flops256: info.flops, parity: {}, small: {}, big: {} };
    results.models[name] = entry;
    log(`${name}: ${(info.flops / 1e9).toFixed(2)} GFLOP at 256x256, stride multiple ${info.multiple}`);

    // Parity of the networks on PyTorch's own output (check.bin from export_onnx.py).
    const check = await env.bytes(`models/${name}.check.bin`);
    const n = info.workingSize * info.workingSize;
    const checkFloats = new Float32Array(check.buffer.slice(check.byteOffset, check.byteOffset + check.byteLength));
    const checkInput = checkFloats.subarray(0, n), torchAb = checkFloats.subarray(n, 3 * n);
    const ortAb = await engines.ort.run(checkInput.slice(), info.workingSize, info.workingSize);
    const tfAb = nhwcToNchw(await engines.tfjs.run(checkInput.slice(), info.workingSize, info.workingSize),
      info.workingSize, info.workingSize);
    entry.parity.ortVsTorch = maxAbsDiff(ortAb, torchAb);
    entry.parity.tfjsVsTorch = maxAbsDiff(tfAb, torchAb);
    entry.parity.tfjsVsOrt = maxAbsDiff(tfAb, ortAb);

    // Warm up, then interleaved rounds (this VM's speed drifts: compare within a round).
    const outputs = { small: {}, big: {} };
    for (const [engine, { colorize }] of Object.entries(engines)) {
      for (let i = 0; i < 2; ++i) outputs.small[engine] = await colorize(small);
      outputs.big[engine] = await colorize(big);
    }
    const times = { small: {}, big: {} }, nets = { small: {}, big: {} };
    const timeOne = async (size, engine, image) => {
      const start = now();
      const result = await engines[engine].colorize(image);
      (times[size][engine] ??= []).push(now() - start);
      if (result.netMs !== undefined) (nets[size][engine] ??= []).push(result.netMs);
    };
    for (let round = 0; round < rounds; ++round)
      for (const engine of Object.keys(engines)) await timeOne('small', engine, small);
    for (let round = 0; round < bigRounds; ++round)
      for (const engine of Object.keys(engines)) await timeOne('big', engine, big);
    for (const size of ['small', 'big']) {
      for (const engine of Object.keys(engines)) {
        entry[size][engine] = { ...summary(times[size][engine]) };
        if (nets[size][engine]) entry[size][engine].net = summary(nets[size][engine]);
        // peer / tint within each round, then the median: robust to the VM's drift between rounds
        const perRound = (values) => median(values.map((v, i) => v / times[size].tint[i]));
        if (engine !== 'tint') {
          entry[size][engine].ratio = perRound(times[size][engine]);
          entry[size][engine].netRatio = perRound(nets[size][engine]);
        }
      }
      const get = (engine) => outputs[size][engine].image ?? outputs[size][engine];
      entry.parity[`${size}OrtVsTint`] = imageDiff(get('ort'), get('tint'));
      entry.parity[`${size}TfjsVsTint`] = imageDiff(get('tfjs'), get('tint'));
    }
    log(`${name}: 256x256 ${Object.entries(entry.small).map(([k, v]) => `${k} ${v.median.toFixed(1)}`).join(', ')} ms; ` +
        `4000x3000 ${Object.entries(entry.big).map(([k, v]) => `${k} ${v.median.toFixed(0)}`).join(', ')} ms`);
    tint.dispose();
    await engines.ort.session.release?.();
  }
  results.conv = await benchConv(env, log, options.convRounds ?? 5);
  return results;
}
