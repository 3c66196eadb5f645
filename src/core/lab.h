// sRGB <-> CIE Lab (D65), the formula of docs/design.md, "Colour space": sRGB companding
// (0.04045 / 12.92 / 2.4), the sRGB->XYZ matrix, white (0.950456, 1, 1.088754), f(t) = t^(1/3)
// above 0.008856, else 7.787 t + 16/116. Channels are floats in [0, 1]; L in [0, 100], a and b
// roughly [-128, 127].
#pragma once

#include <cstdint>

namespace tint {

struct Lab {
  float l = 0, a = 0, b = 0;
};

float srgb_to_linear(float c);
float linear_to_srgb(float c);
// round(linear_to_srgb(c) * 255) for c clamped to [0, 1], without pow (table + boundaries).
uint8_t linear_to_srgb8(float c);
Lab srgb_to_lab(float r, float g, float b);
// L alone (it depends only on luminance Y): what the network sees.
float srgb_to_lightness(float r, float g, float b);
float linear_luminance_to_lightness(float y);
// Unclamped: out-of-gamut Lab gives channels outside [0, 1].
void lab_to_srgb(const Lab& lab, float& r, float& g, float& b);
void lab_to_linear(const Lab& lab, float& r, float& g, float& b);

// Four floats in one SIMD register: SSE natively, wasm_simd128 under -msimd128; Int4 the lane
// masks a comparison of two Float4 gives (all bits set where true).
typedef float Float4 __attribute__((vector_size(16)));
typedef int32_t Int4 __attribute__((vector_size(16)));

// Lane by lane: `yes` where the mask is set, else `no` (no branch).
inline Float4 select4(Int4 mask, Float4 yes, Float4 no) { return Float4(((Int4)yes & mask) | ((Int4)no & ~mask)); }

namespace lab_detail {
// sRGB primaries with D65 white (IEC 61966-2-1), and the inverse.
constexpr float to_xyz[3][3] = {{0.4124564f, 0.3575761f, 0.1804375f},
                                {0.2126729f, 0.7151522f, 0.0721750f},
                                {0.0193339f, 0.1191920f, 0.9503041f}};
constexpr float to_rgb[3][3] = {{3.2404542f, -1.5371385f, -0.4985314f},
                                {-0.9692660f, 1.8760108f, 0.0415560f},
                                {0.0556434f, -0.2040259f, 1.0572252f}};
constexpr float white_x = 0.950456f, white_y = 1.0f, white_z = 1.088754f;
constexpr float epsilon = 0.008856f;
constexpr float kappa_slope = 7.787f;
constexpr float offset = 16.0f / 116.0f;
// The inverse of lab_f, given f and f^3: the linear branch applies where f^3 would fall at or
// below epsilon. Then the one body of lab_to_linear and lab_to_linear4 (F = float or Float4).
// Products with reciprocals rather than divisions: a vector division costs as much as the rest
// of the conversion (colorize's gamut bisection calls this 13 times for an out-of-gamut pixel).
inline float inverse_linear_branch(float f, float cube) { return cube > epsilon ? cube : (f - offset) * (1.0f / kappa_slope); }
inline Float4 inverse_linear_branch(Float4 f, Float4 cube) {
  return select4(cube > epsilon, cube, (f - offset) * (1.0f / kappa_slope));
}
template <typename F>
void lab_to_linear_any(F l, F a, F b, F& r, F& g, F& bl) {
  const F fy = (l + 16.0f) * (1.0f / 116.0f);
  const F fx = fy + a * (1.0f / 500.0f), fz = fy - b * (1.0f / 200.0f);
  const F x = white_x * inverse_linear_branch(fx, fx * fx * fx);
  const F y = white_y * inverse_linear_branch(fy, fy * fy * fy);
  const F z = white_z * inverse_linear_branch(fz, fz * fz * fz);
  r = to_rgb[0][0] * x + to_rgb[0][1] * y + to_rgb[0][2] * z;
  g = to_rgb[1][0] * x + to_rgb[1][1] * y + to_rgb[1][2] * z;
  bl = to_rgb[2][0] * x + to_rgb[2][1] * y + to_rgb[2][2] * z;
}
}  // namespace lab_detail

// lab_to_linear for four colours at once, lane by lane the same arithmetic in the same order, so
// each lane equals the scalar result bit for bit. Inline, so that a loop over it keeps what does
// not change (a bisection over chroma at one L) out of the loop.
inline void lab_to_linear4(Float4 l, Float4 a, Float4 b, Float4& r, Float4& g, Float4& bl) {
  lab_detail::lab_to_linear_any(l, a, b, r, g, bl);
}

}  // namespace tint
