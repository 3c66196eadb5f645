// Rewrites the pre-standard relaxed-SIMD opcodes that Emscripten 3.1.6's LLVM 14 emits into the
// standardised ones that browsers run (docs/toolchain.md, "Relaxed SIMD").
//
//   node tools/wasm/relaxed-simd.mjs IN.wasm OUT.wasm
//
// Every old and every standard relaxed opcode is a 0xfd prefix and a 2-byte LEB128, so the rewrite
// is in place: no size or offset changes. It walks every instruction of every function body and
// stops with an error on any opcode it does not know, so an immediate that happens to look like
// an opcode is never touched (a byte search would be unsound: the pattern occurs by chance in
// ordinary modules). Then it checks that the result holds at least one relaxed instruction and
// validates (in this Node where it runs standard relaxed SIMD — Node 20 needs the flag above —
// else with wabt's wasm-validate).
//
// The meaning of the multiply-adds changes with the opcode: old f32x4.fma(a, b, c) = a + b*c,
// standard f32x4.relaxed_madd(a, b, c) = a*b + c (and fms/nmadd likewise). Only the opcode is
// rewritten, so C++ must call the builtins with the standard meaning in mind (src/core/ops_simd.cpp).
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

// Old sub-opcode -> standard sub-opcode.
const standard = new Map([
  [0xa2, 0x100],                                    // i8x16.relaxed_swizzle
  [0xa5, 0x101], [0xa6, 0x102],                     // i32x4.relaxed_trunc_f32x4_{s,u}
  [0xc5, 0x103], [0xc6, 0x104],                     // i32x4.relaxed_trunc_f64x2_{s,u}_zero
  [0xaf, 0x105], [0xb0, 0x106],                     // f32x4.fma/fms -> relaxed_madd/nmadd
  [0xcf, 0x107], [0xd0, 0x108],                     // f64x2.fma/fms -> relaxed_madd/nmadd
  [0xb2, 0x109], [0xb3, 0x10a], [0xd2, 0x10b], [0xd3, 0x10c],  // laneselect
  [0xb4, 0x10d], [0xe2, 0x10e], [0xd4, 0x10f], [0xee, 0x110],  // min/max
]);
const names = { 0xaf: 'f32x4.fma -> f32x4.relaxed_madd', 0xb0: 'f32x4.fms -> f32x4.relaxed_nmadd' };
// SIMD sub-opcodes without a meaning in the standard (0x9a, 0xbb, 0xc2) besides the old relaxed ones.
const unassigned = new Set([0x9a, 0xbb, 0xc2]);
const knownSimd = (op) => (op <= 0xff && !unassigned.has(op) && !standard.has(op)) || (op >= 0x100 && op <= 0x113);

// A 35-byte module with one f32x4.relaxed_madd: true where the engine runs standard relaxed SIMD.
export const relaxedSimdProbe = Uint8Array.from(
  '0061736d0100000001060160017b017b030201000a0d010b00200020002000fd85020b'.match(/../g), (h) => parseInt(h, 16));

export function rewrite(input) {
  const output = Uint8Array.from(input);
  const rewritten = [];
  let p = 0;
  const fail = (what) => { throw new Error(`byte ${p}: ${what}`); };
  const leb = () => {
    let value = 0, shift = 0, byte;
    do {
      if (p >= input.length) fail('unexpected end of module');
      byte = input[p++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const skip = (n) => { p += n; if (p > input.length) fail('unexpected end of module'); };
  const memarg = () => { const align = leb(); leb(); if (align & 0x40) leb(); };  // multi-memory index
  if (input.length < 8 || input[0] !== 0 || input[1] !== 0x61 || input[2] !== 0x73 || input[3] !== 0x6d) {
    throw new Error('not a WebAssembly module');
  }
  p = 8;
  while (p < input.length) {
    const id = input[p++], size = leb(), sectionEnd = p + size;
    if (id !== 10) {  // only the code section holds instructions
      p = sectionEnd;
      continue;
    }
    const functions = leb();
    for (let f = 0; f < functions; f++) {
      const bodyEnd = leb() + p;
      const groups = leb();
      for (let i = 0; i < groups; i++) leb(), leb();
      for (let depth = 1; depth > 0;) {
        if (p >= bodyEnd) fail(`function ${f} runs past its end`);
        const at = p, op = input[p++];
        if (op === 0x02 || op === 0x03 || op === 0x04 || op === 0x06) { leb(); depth++; }  // block types
        else if (op === 0x0b) depth--;
        else if ([0x00, 0x01, 0x05, 0x0f, 0x19, 0x1a, 0x1b, 0xd1].includes(op)) {}
        else if ([0x07, 0x08, 0x09, 0x0c, 0x0d, 0x10, 0x12, 0xd0, 0xd2].includes(op) || (op >= 0x20 && op <= 0x26)) leb();
        else if (op === 0x18) { leb(); depth--; }  // delegate ends a try
        else if (op === 0x0e) { const n = leb(); for (let i = 0; i <= n; i++) leb(); }
        else if (op === 0x11 || op === 0x13) { leb(); leb(); }
        else if (op === 0x1c) skip(leb());
        else if (op >= 0x28 && op <= 0x3e) memarg();
        else if (op === 0x3f || op === 0x40 || op === 0x41 || op === 0x42) leb();
        else if (op === 0x43) skip(4);
        else if (op === 0x44) skip(8);
        else if (op >= 0x45 && op <= 0xc4) {}
        else if (op === 0xfc) {
          const sub = leb();
          if (sub <= 7) {}
          else if (sub === 8 || sub === 10 || sub === 12 || sub === 14) { leb(); leb(); }
          else if (sub === 9 || sub === 11 || sub === 13 || (sub >= 15 && sub <= 17)) leb();
          else fail(`function ${f}: unknown instruction 0xfc ${sub}`);
        } else if (op === 0xfd) {
          const start = p, sub = leb();
          if (standard.has(sub)) {
            if (p - start !== 2) fail('a relaxed opcode not written in 2 bytes');
            const to = standard.get(sub);
            output[start] = 0x80 | (to & 0x7f);
            output[start + 1] = to >> 7;
            rewritten.push({ at, from: sub, to });
          } else if (!knownSimd(sub)) fail(`function ${f}: unknown instruction 0xfd ${sub}`);
          else if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) memarg();
          else if (sub === 0x0c || sub === 0x0d) skip(16);
          else if (sub >= 0x15 && sub <= 0x22) skip(1);
          else if (sub >= 0x54 && sub <= 0x5b) { memarg(); skip(1); }
        } else if (op === 0xfe) {
          const sub = leb();
          if (sub === 0x03) skip(1);
          else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) memarg();
          else fail(`function ${f}: unknown instruction 0xfe ${sub}`);
        } else fail(`function ${f}: unknown opcode 0x${op.toString(16)} at ${at}`);
      }
      if (p !== bodyEnd) fail(`function ${f} ends at ${p}, its size says ${bodyEnd}`);
    }
    if (p !== sectionEnd) fail('the code section ends elsewhere than its size says');
  }
  return { output, rewritten };
}

if (process.argv[1] && import.meta.url === new URL(process.argv[1], 'file://').href) {
  const [inputPath, outputPath] = process.argv.slice(2);
  try {
    if (!inputPath || !outputPath) throw new Error('usage: relaxed-simd.mjs IN.wasm OUT.wasm');
    const { output, rewritten } = rewrite(readFileSync(inputPath));
    if (rewritten.length === 0) throw new Error(`${inputPath}: no relaxed-SIMD instruction to rewrite`);
    writeFileSync(`${outputPath}.partial`, output);
    // The validator: this Node's engine where it runs standard relaxed SIMD (Node 20 with the
    // flag), else wabt's wasm-validate (Debian's Node 18 knows only a prototype encoding).
    if (WebAssembly.validate(relaxedSimdProbe)) {
      if (!WebAssembly.validate(output)) throw new Error(`${inputPath}: the rewritten module does not validate`);
    } else {
      const check = spawnSync('wasm-validate', ['--enable-threads', '--enable-relaxed-simd', `${outputPath}.partial`], { encoding: 'utf8' });
      if (check.error) throw new Error('neither this Node nor wasm-validate (wabt) can check relaxed SIMD');
      if (check.status !== 0) throw new Error(`${inputPath}: the rewritten module does not validate: ${check.stderr.trim()}`);
    }
    renameSync(`${outputPath}.partial`, outputPath);
    const counts = {};
    for (const { from } of rewritten) {
      const name = names[from] ?? `0x${from.toString(16)}`;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    console.log(`${outputPath}: ${rewritten.length} relaxed-SIMD instructions rewritten`,
      Object.entries(counts).map(([name, n]) => `${n} ${name}`).join(', '));
  } catch (error) {
    console.error(`relaxed-simd: ${error.message}`);
    process.exit(1);
  }
}
