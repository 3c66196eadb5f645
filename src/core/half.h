// IEEE 754 binary16 ("f16") <-> f32, for weights files stored as F16 (half the download for the
// web page). Portable bit manipulation rather than F16C or _Float16, because the same code must
// run in the WASM build and on any native CPU, and it only runs at load/save time.
#pragma once

#include <cstdint>
#include <cstring>

namespace tint {

// A float's IEEE bits and back. memcpy rather than std::bit_cast: Debian's Emscripten (3.1.6,
// libc++ 14) has no std::bit_cast; compilers turn this memcpy into a register move.
inline uint32_t float_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}
inline float float_from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// Rounds to the nearest f16, ties to even (the IEEE default, and what numpy/PyTorch do), so a
// file written here matches one written by `tensor.half()`. Values of magnitude >= 65520 become
// infinity; values below half the smallest subnormal (2^-25) become signed zero; NaN stays NaN
// (quiet, keeping the top payload bits).
inline uint16_t float_to_half(float value) {
  const uint32_t bits = float_bits(value);
  const uint16_t sign = uint16_t((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;

  if (magnitude >= 0x7f800000u) {  // infinity or NaN
    if (magnitude == 0x7f800000u) return uint16_t(sign | 0x7c00u);
    return uint16_t(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  }
  // 65520 is halfway between the largest f16 (65504, odd mantissa) and 65536: ties go to even,
  // which is the overflow to infinity.
  if (magnitude >= 0x477ff000u) return uint16_t(sign | 0x7c00u);

  if (magnitude >= 0x38800000u) {  // >= 2^-14: a normal f16
    const uint32_t exponent = (magnitude >> 23) - 127 + 15;
    const uint32_t mantissa = magnitude & 0x7fffffu;
    uint32_t half = (exponent << 10) | (mantissa >> 13);
    const uint32_t remainder = mantissa & 0x1fffu;  // the 13 bits f16 drops
    // A carry out of the mantissa correctly bumps the exponent (up to infinity, excluded above).
    if (remainder > 0x1000u || (remainder == 0x1000u && (half & 1u))) ++half;
    return uint16_t(sign | half);
  }

  // Subnormal f16 (or zero): count in units of 2^-24, the f16 subnormal step.
  const uint32_t exponent = magnitude >> 23;
  if (exponent < 102) return sign;  // below 2^-25: rounds to zero (2^-25 itself ties to zero)
  const uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - exponent;  // 14..24
  uint32_t half = mantissa >> shift;
  const uint32_t remainder = mantissa & ((1u << shift) - 1u);
  const uint32_t halfway = 1u << (shift - 1);
  // Rounding up from 0x3ff yields 0x400, the smallest normal: the encoding is continuous.
  if (remainder > halfway || (remainder == halfway && (half & 1u))) ++half;
  return uint16_t(sign | half);
}

// Exact: every f16 is representable as an f32.
inline float half_to_float(uint16_t half) {
  const uint32_t sign = uint32_t(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1f) return float_from_bits(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    // Subnormal: mantissa * 2^-24, exact in f32 (at most 10 significant bits).
    const float magnitude = float(mantissa) * 5.9604644775390625e-08f;
    return sign ? -magnitude : magnitude;
  }
  return float_from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

}  // namespace tint
