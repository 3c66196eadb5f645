// The eval metrics on hand-made images with known answers.
#include <catch2/catch.hpp>

#include <cmath>

#include "lab.h"
#include "metrics.h"

using namespace tint;

namespace {
Image uniform(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  Image image(w, h, 3);
  for (size_t p = 0; p < size_t(w) * h; ++p) image.data[3 * p] = r, image.data[3 * p + 1] = g, image.data[3 * p + 2] = b;
  return image;
}
}  // namespace

TEST_CASE("colourfulness: grey is 0, a red/black split has the closed-form value") {
  CHECK(colorfulness(uniform(8, 8, 90, 90, 90)) == 0.0);
  Image split = uniform(8, 8, 0, 0, 0);
  for (size_t p = 0; p < 32; ++p) split.data[3 * p] = 255;
  // rg is 255 or 0 and yb 127.5 or 0, half each: sd = mean = (127.5, 63.75).
  const double norm = std::hypot(127.5, 63.75);
  CHECK(colorfulness(split) == Approx(norm + 0.3 * norm).epsilon(1e-9));
}

TEST_CASE("identical images score maximal PSNR, AuC 1 and ratios 1") {
  Image photo = uniform(16, 9, 200, 40, 90);
  for (size_t i = 0; i < photo.data.size(); i += 7) photo.data[i] = uint8_t(i % 256);
  ColorMetrics m;
  REQUIRE(compare_colors(photo, photo, m));
  CHECK(m.psnr == max_psnr);
  CHECK(m.auc == Approx(1.0));
  CHECK(m.colorfulness_ratio == Approx(1.0));
  CHECK(m.chroma_ratio == Approx(1.0));
}

TEST_CASE("grey output: colourfulness 0, chroma 0, and the AuC of its known error field") {
  const Image original = uniform(10, 10, 220, 60, 40);  // one saturated colour
  const Image grey = grey_version(original);
  ColorMetrics m;
  REQUIRE(compare_colors(grey, original, m));
  CHECK(m.colorfulness == 0.0);
  CHECK(m.colorfulness_ratio == 0.0);
  CHECK(m.chroma_ratio == Approx(0.0).margin(1e-3));
  // Every pixel is off by the original's chroma e (grey has a = b = 0 up to rounding), so the
  // share within t is 0 below e and 1 from e on: AuC = (150 - ceil(e) + 1) / 151.
  const Lab lab = srgb_to_lab(220 / 255.0f, 60 / 255.0f, 40 / 255.0f);
  const double e = std::hypot(lab.a, lab.b);
  CHECK(m.auc == Approx((150.0 - std::ceil(e) + 1.0) / 151.0).margin(1.0 / 151));
  // Grey keeps L: the PSNR is finite and far below the maximum.
  CHECK(m.psnr < 30.0);
  // Half the pixels right, half grey: half the share at every t below e.
  Image half = original;
  for (size_t p = 0; p < 50; ++p)
    for (int k = 0; k < 3; ++k) half.data[3 * p + k] = grey.data[3 * p + k];
  ColorMetrics h;
  REQUIRE(compare_colors(half, original, h));
  CHECK(h.auc == Approx(0.5 + 0.5 * m.auc).margin(1.0 / 151));
}

TEST_CASE("a grey original gives NaN ratios, and mismatched images are refused") {
  const Image grey = uniform(4, 4, 128, 128, 128);
  ColorMetrics m;
  REQUIRE(compare_colors(uniform(4, 4, 130, 120, 100), grey, m));
  CHECK(std::isnan(m.colorfulness_ratio));
  CHECK(std::isnan(m.chroma_ratio));
  CHECK_FALSE(compare_colors(uniform(4, 5, 1, 2, 3), grey, m));
}
