// The relaxed-SIMD module (issue 14): tools/wasm/relaxed-simd.mjs rewrites LLVM 14's pre-standard
// opcodes to the standard ones, only where they are instructions; the built module validates and
// holds standard relaxed_madd instructions; it is chosen only where the engine runs relaxed SIMD;
// and its pixels equal the plain module's within rounding (fused multiply-adds), bit for bit across
// thread counts. Node runs relaxed SIMD only with --experimental-wasm-relaxed-simd, so the pixels
// are computed in a child Node with that flag. (Chromium: tests/browser/threads.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { rewrite, relaxedSimdProbe } from '../../tools/wasm/relaxed-simd.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = path.join(root, 'build/wasm/site');
const { createTint, moduleChoice, relaxedSimdAvailable } = await import(path.join(site, 'tint.js'));

// A module of one function () -> () with this body (locals and instructions, without `end`).
function moduleWith(body) {
  const code = [0x00, ...body, 0x0b];
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                        // type: [] -> []
    0x03, 0x02, 0x01, 0x00,                                    // one function of type 0
    0x0a, code.length + 2, 0x01, code.length, ...code]);       // its body
}
const hex = (bytes) => Buffer.from(bytes).toString('hex');

test('the rewriter turns the old f32x4.fma into the standard relaxed_madd, and nothing else', () => {
  const old = Uint8Array.from(Buffer.from(hex(relaxedSimdProbe).replace('fd8502', 'fdaf01'), 'hex'));
  const { output, rewritten } = rewrite(old);
  assert.equal(hex(output), hex(relaxedSimdProbe));
  assert.deepEqual(rewritten.map((r) => [r.from, r.to]), [[0xaf, 0x105]]);
  // The same bytes as an immediate (i32.const 22525 is 41 fd af 01) are left alone.
  const immediate = moduleWith([0x41, 0xfd, 0xaf, 0x01, 0x1a]);
  assert.equal(WebAssembly.validate(immediate), true);
  const untouched = rewrite(immediate);
  assert.equal(hex(untouched.output), hex(immediate));
  assert.equal(untouched.rewritten.length, 0);
  // An instruction it does not know stops it rather than guessing where the next one starts.
  assert.throws(() => rewrite(moduleWith([0xfd, 0x9a, 0x01])), /unknown instruction 0xfd 154/);
  assert.throws(() => rewrite(Uint8Array.from([1, 2, 3])), /not a WebAssembly module/);
});

test('the built relaxed module validates and uses relaxed_madd; the plain one has no relaxed op', () => {
  const relaxed = path.join(site, 'tint-threads-relaxed.wasm'), plain = path.join(site, 'tint-threads.wasm');
  execFileSync('wasm-validate', ['--enable-threads', '--enable-relaxed-simd', relaxed]);
  const count = (file) => (execFileSync('wasm-objdump', ['-d', file], { maxBuffer: 1 << 28 }).toString().match(/relaxed_madd/g) ?? []).length;
  assert.ok(count(relaxed) >= 10, `${count(relaxed)} relaxed_madd instructions`);
  assert.equal(count(plain), 0);
  // Both are loaded by the same threaded loader: the link produced the same JavaScript.
  const build = path.join(root, 'build/wasm');
  assert.equal(fs.readFileSync(path.join(build, 'tint-threads-relaxed-wasm.js'), 'utf8').replaceAll('tint-threads-relaxed-wasm', 'tint-threads-wasm'),
    fs.readFileSync(path.join(build, 'tint-threads-wasm.js'), 'utf8'));
});

test('without relaxed SIMD (Node without the flag) the plain threaded module is chosen; asking for relaxed rejects',
  { skip: relaxedSimdAvailable() ? `this Node (${process.version}) runs relaxed SIMD without a flag` : false }, async () => {
  assert.deepEqual(moduleChoice({ threads: 2 }), { threads: 2, relaxedSimd: false, file: 'tint-threads.wasm' });
  assert.deepEqual(moduleChoice({ threads: 1 }), { threads: 1, relaxedSimd: false, file: 'tint.wasm' });
  await assert.rejects(createTint({ threads: 2, relaxedSimd: true, modelBytes: new Uint8Array(8) }), /this engine does not run relaxed SIMD/);
  await assert.rejects(createTint({ threads: 2, relaxedSimd: 'yes' }), /relaxedSimd must be true or false/);
});

// Whether a Node with the flag runs standard relaxed SIMD (Node 20 does; Debian's Node 18 knows
// only a prototype encoding: there the pixels are compared in Chromium only).
const flagged = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--input-type=module', '-e',
  `import { relaxedSimdProbe } from ${JSON.stringify(path.join(root, 'tools/wasm/relaxed-simd.mjs'))}; process.exit(WebAssembly.validate(relaxedSimdProbe) ? 0 : 3);`]);
const nodeRunsRelaxed = flagged.status === 0;

test('with relaxed SIMD the pixels equal the plain module within rounding, and any thread count gives the same',
  { skip: nodeRunsRelaxed ? false : `this Node (${process.version}) does not run standard relaxed SIMD, even with its flag` }, () => {
  const child = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', path.join(root, 'tests/node/relaxed_simd_child.mjs')],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout);
  assert.deepEqual(result.choice, { threads: 2, relaxedSimd: true, file: 'tint-threads-relaxed.wasm' });
  for (const run of result.runs) {
    const label = `${run.hints ? 'with hints' : 'without hints'}`;
    assert.deepEqual(run.relaxed, [true, true], label);
    assert.ok(run.maxDifference <= 1, `${label}: relaxed differs from plain by ${run.maxDifference}`);
    assert.ok(run.differing < 0.01, `${label}: ${(100 * run.differing).toFixed(2)}% of the values differ`);
    assert.equal(run.threadsAgree, true, `${label}: 2 and 3 threads of the relaxed module differ`);
  }
});
