// Lab against published reference values (D65, sRGB; e.g. Bruce Lindbloom's calculator) in
// both directions, and round trips over every 8-bit grey and a random RGB sample.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "lab.h"

using namespace tint;

namespace {
struct Reference {
  int r, g, b;
  float l, a, b_star;
};
// Values from the CIE formulas with sRGB/D65, to two decimals.
const Reference references[] = {
    {0, 0, 0, 0.00f, 0.00f, 0.00f},          {255, 255, 255, 100.00f, 0.00f, 0.00f},
    {128, 128, 128, 53.59f, 0.00f, 0.00f},   {255, 0, 0, 53.24f, 80.09f, 67.20f},
    {0, 255, 0, 87.73f, -86.18f, 83.18f},     {0, 0, 255, 32.30f, 79.19f, -107.86f},
    {255, 255, 0, 97.14f, -21.55f, 94.48f},   {0, 255, 255, 91.11f, -48.09f, -14.13f},
    {255, 0, 255, 60.32f, 98.23f, -60.82f},   {128, 0, 0, 25.53f, 48.06f, 38.06f},
    {255, 165, 0, 74.93f, 23.93f, 78.95f},    {0, 128, 0, 46.23f, -51.70f, 49.90f},
};
inline int to_byte(float c) { return int(std::lround(std::fmin(std::fmax(c, 0.0f), 1.0f) * 255.0f)); }
}  // namespace

TEST_CASE("sRGB to Lab matches reference values") {
  for (const auto& ref : references) {
    INFO("rgb " << ref.r << "," << ref.g << "," << ref.b);
    const Lab lab = srgb_to_lab(ref.r / 255.0f, ref.g / 255.0f, ref.b / 255.0f);
    CHECK(lab.l == Approx(ref.l).margin(0.02));
    CHECK(lab.a == Approx(ref.a).margin(0.05));
    CHECK(lab.b == Approx(ref.b_star).margin(0.05));
    CHECK(srgb_to_lightness(ref.r / 255.0f, ref.g / 255.0f, ref.b / 255.0f) == Approx(lab.l).margin(1e-4));
  }
}

TEST_CASE("Lab to sRGB matches reference values") {
  for (const auto& ref : references) {
    INFO("lab " << ref.l << "," << ref.a << "," << ref.b_star);
    float r, g, b;
    lab_to_srgb({ref.l, ref.a, ref.b_star}, r, g, b);
    CHECK(std::abs(to_byte(r) - ref.r) <= 1);
    CHECK(std::abs(to_byte(g) - ref.g) <= 1);
    CHECK(std::abs(to_byte(b) - ref.b) <= 1);
  }
}

TEST_CASE("lab_to_linear4 equals lab_to_linear lane by lane, bit for bit") {
  // Both branches of the inverse of f (dark and bright L, large a and b).
  const float ls[] = {0.0f, 3.0f, 7.9f, 8.0f, 50.0f, 99.0f, 100.0f, 42.5f};
  const float abs_[] = {-128.0f, -40.0f, -0.5f, 0.0f, 0.25f, 33.0f, 80.0f, 127.0f};
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      const Float4 l = {ls[i], ls[(i + 1) % 8], ls[(i + 3) % 8], ls[(i + 5) % 8]};
      const Float4 a = {abs_[j], abs_[(j + 2) % 8], abs_[(j + 4) % 8], abs_[(j + 6) % 8]};
      const Float4 b = {abs_[(j + 1) % 8], abs_[(j + 7) % 8], abs_[j], abs_[(j + 3) % 8]};
      Float4 r, g, bl;
      lab_to_linear4(l, a, b, r, g, bl);
      for (int k = 0; k < 4; ++k) {
        float sr, sg, sb;
        lab_to_linear({l[k], a[k], b[k]}, sr, sg, sb);
        CHECK(r[k] == sr);
        CHECK(g[k] == sg);
        CHECK(bl[k] == sb);
      }
    }
}

TEST_CASE("every 8-bit grey round-trips exactly, with a = b = 0") {
  for (int v = 0; v < 256; ++v) {
    INFO("grey " << v);
    const Lab lab = srgb_to_lab(v / 255.0f, v / 255.0f, v / 255.0f);
    CHECK(std::fabs(lab.a) < 0.01f);
    CHECK(std::fabs(lab.b) < 0.01f);
    float r, g, b;
    lab_to_srgb({lab.l, 0.0f, 0.0f}, r, g, b);
    CHECK(to_byte(r) == v);
    CHECK(to_byte(g) == v);
    CHECK(to_byte(b) == v);
  }
}

TEST_CASE("random 8-bit colours round-trip within 1/255") {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> byte(0, 255);
  int worst = 0;
  for (int i = 0; i < 20000; ++i) {
    const int r0 = byte(rng), g0 = byte(rng), b0 = byte(rng);
    float r, g, b;
    lab_to_srgb(srgb_to_lab(r0 / 255.0f, g0 / 255.0f, b0 / 255.0f), r, g, b);
    worst = std::max({worst, std::abs(to_byte(r) - r0), std::abs(to_byte(g) - g0), std::abs(to_byte(b) - b0)});
  }
  CHECK(worst <= 1);
}

TEST_CASE("companding is continuous at its breakpoints and inverts") {
  CHECK(srgb_to_linear(0.04045f) == Approx(0.04045f / 12.92f).epsilon(1e-4));
  CHECK(linear_to_srgb(0.0031308f) == Approx(0.0031308f * 12.92f).epsilon(1e-3));
  for (float c = 0.0f; c <= 1.0f; c += 0.01f) CHECK(linear_to_srgb(srgb_to_linear(c)) == Approx(c).margin(1e-5));
}

TEST_CASE("the table-driven 8-bit sRGB encoder equals rounding the formula") {
  int mismatches = 0;
  for (int i = 0; i <= 1 << 20; ++i) {
    const float c = float(i) / float(1 << 20);
    const int exact = int(std::lround(linear_to_srgb(c) * 255.0f));
    mismatches += int(linear_to_srgb8(c)) != exact;
  }
  CHECK(mismatches <= 8);  // float ties at level boundaries only
  CHECK(linear_to_srgb8(-0.5f) == 0);
  CHECK(linear_to_srgb8(0.0f) == 0);
  CHECK(linear_to_srgb8(1.0f) == 255);
  CHECK(linear_to_srgb8(7.0f) == 255);
}
