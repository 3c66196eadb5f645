#include "lab.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace tint {

namespace {
using namespace lab_detail;

// Cube root of t > 0 without libm: an exponent-thirding guess (within ~6%) and two Halley steps
// (cubic convergence: ~2e-4, then below float precision), in double for the last rounding.
// libm's cbrtf, with its frexp/ldexp, was a fifth of colourising a large photo.
inline float cube_root(float t) {
  uint32_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  bits = bits / 3 + 709921077u;  // (bits - bias) / 3 + bias, with the bias folded in
  float guess;
  std::memcpy(&guess, &bits, sizeof guess);
  double y = guess;
  const double x = t;
  for (int step = 0; step < 2; ++step) {
    const double cube = y * y * y;
    y *= (cube + 2.0 * x) / (2.0 * cube + x);
  }
  return float(y);
}

inline float lab_f(float t) { return t > epsilon ? cube_root(t) : kappa_slope * t + offset; }
}  // namespace

float srgb_to_linear(float c) {
  return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

// Linear light -> 8-bit sRGB without a pow per channel: the 8-bit value is the number of level
// boundaries at or below the input (boundary k = linear((k - 1/2) / 255)), found from a
// 4096-entry guess plus at most a step or two, so it equals rounding linear_to_srgb exactly
// (up to float ties). pow() was the largest cost of colourising a large photo after PNG output.
namespace {
class Srgb8Encoder {
 public:
  Srgb8Encoder() {
    for (int k = 1; k < 256; ++k) boundary_[k] = srgb_to_linear((float(k) - 0.5f) / 255.0f);
    boundary_[0] = -1.0f;
    boundary_[256] = 2.0f;
    int level = 0;
    for (int i = 0; i < guesses; ++i) {
      while (boundary_[level + 1] <= float(i) / (guesses - 1)) ++level;
      guess_[i] = uint8_t(level);
    }
  }
  uint8_t operator()(float linear) const {  // linear in [0, 1]
    int level = guess_[int(linear * (guesses - 1))];
    while (boundary_[level + 1] <= linear) ++level;
    return uint8_t(level);
  }

 private:
  static constexpr int guesses = 4096;
  float boundary_[257];
  uint8_t guess_[guesses];
};
}  // namespace

uint8_t linear_to_srgb8(float linear) {
  static const Srgb8Encoder encoder;
  return encoder(std::clamp(linear, 0.0f, 1.0f));
}

float linear_to_srgb(float c) {
  return c <= 0.0031308f ? 12.92f * c : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f;
}

float linear_luminance_to_lightness(float y) { return 116.0f * lab_f(y / white_y) - 16.0f; }

float srgb_to_lightness(float r, float g, float b) {
  const float y = to_xyz[1][0] * srgb_to_linear(r) + to_xyz[1][1] * srgb_to_linear(g) +
                  to_xyz[1][2] * srgb_to_linear(b);
  return linear_luminance_to_lightness(y);
}

Lab srgb_to_lab(float r, float g, float b) {
  const float lr = srgb_to_linear(r), lg = srgb_to_linear(g), lb = srgb_to_linear(b);
  const float fx = lab_f((to_xyz[0][0] * lr + to_xyz[0][1] * lg + to_xyz[0][2] * lb) / white_x);
  const float fy = lab_f((to_xyz[1][0] * lr + to_xyz[1][1] * lg + to_xyz[1][2] * lb) / white_y);
  const float fz = lab_f((to_xyz[2][0] * lr + to_xyz[2][1] * lg + to_xyz[2][2] * lb) / white_z);
  return {116.0f * fy - 16.0f, 500.0f * (fx - fy), 200.0f * (fy - fz)};
}

void lab_to_linear(const Lab& lab, float& r, float& g, float& b) { lab_to_linear_any(lab.l, lab.a, lab.b, r, g, b); }

void lab_to_srgb(const Lab& lab, float& r, float& g, float& b) {
  lab_to_linear(lab, r, g, b);
  r = linear_to_srgb(r);
  g = linear_to_srgb(g);
  b = linear_to_srgb(b);
}

}  // namespace tint
