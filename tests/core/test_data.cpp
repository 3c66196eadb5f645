// Training data on pixel buffers: the long-side cap, crops against srgb_to_lab directly, flips,
// determinism of every random choice, and the split by key.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "data.h"
#include "lab.h"

using tint::CropOptions;
using tint::Image;
using tint::Random;

namespace {

// Distinct, position-dependent RGB so a shifted or mirrored pixel shows.
Image pattern_rgb(int width, int height) {
  Image image(width, height, 3, 8);
  for (size_t i = 0; i < image.data.size(); ++i) image.data[i] = uint8_t((i * 2654435761u) >> 13);
  return image;
}

struct Crop {
  std::vector<float> lightness, ab;
  bool operator==(const Crop& other) const {
    return lightness == other.lightness && ab == other.ab;
  }
};

Crop crop_of(const Image& image, const CropOptions& options, Random rng) {
  const size_t pixels = size_t(options.crop) * options.crop;
  Crop crop{std::vector<float>(pixels, -7.0f), std::vector<float>(2 * pixels, -7.0f)};
  tint::sample_crop(image, options, rng, crop.lightness.data(), crop.ab.data());
  return crop;
}

// Whether `crop` is the unscaled window of `image` at (x0, y0), optionally mirrored, comparing
// against srgb_to_lab of each source pixel.
bool matches_window(const Image& image, const Crop& crop, int size, int x0, int y0, bool mirrored) {
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const int source_x = x0 + (mirrored ? size - 1 - x : x);
      const uint8_t* p = &image.data[(size_t(y0 + y) * image.width + source_x) * 3];
      const tint::Lab lab = tint::srgb_to_lab(p[0] / 255.0f, p[1] / 255.0f, p[2] / 255.0f);
      const size_t i = size_t(y) * size + x;
      if (std::abs(crop.lightness[i] - lab.l / 100.0f) > 1e-6f) return false;
      if (std::abs(crop.ab[2 * i] - lab.a / 128.0f) > 1e-6f) return false;
      if (std::abs(crop.ab[2 * i + 1] - lab.b / 128.0f) > 1e-6f) return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("cap_long_side shrinks the long side and keeps the aspect ratio") {
  struct Case {
    int width, height, max_side, expected_width, expected_height;
  };
  const Case cases[] = {
      {1000, 500, 512, 512, 256}, {500, 1000, 512, 256, 512}, {300, 200, 512, 300, 200},
      {512, 512, 512, 512, 512},  {1, 1000, 512, 1, 512},     {3, 1000, 512, 2, 512},
      {999, 333, 100, 100, 33},   {640, 480, 0, 640, 480},
  };
  for (const Case& c : cases) {
    CAPTURE(c.width, c.height, c.max_side);
    const Image capped = tint::cap_long_side(pattern_rgb(c.width, c.height), c.max_side);
    CHECK(capped.width == c.expected_width);
    CHECK(capped.height == c.expected_height);
    CHECK(capped.channels == 3);
    CHECK(capped.bits == 8);
    CHECK(capped.data.size() == size_t(c.expected_width) * c.expected_height * 3);
  }
}

TEST_CASE("cap_long_side keeps small 8-bit RGB exactly and converts other layouts") {
  const Image rgb = pattern_rgb(37, 21);
  CHECK(tint::cap_long_side(rgb, 512).data == rgb.data);

  Image grey16(3, 2, 1, 16);
  const uint32_t grey_values[] = {0, 65535, 257 * 100, 257 * 7, 32768, 1000};
  for (size_t i = 0; i < 6; ++i) grey16.set_sample(i, grey_values[i]);
  const Image from_grey = tint::cap_long_side(grey16, 512);
  REQUIRE(from_grey.channels == 3);
  for (size_t i = 0; i < 6; ++i) {
    const uint8_t expected = uint8_t(std::lround(grey_values[i] * 255.0 / 65535.0));
    CHECK(from_grey.data[3 * i] == expected);
    CHECK(from_grey.data[3 * i + 1] == expected);
    CHECK(from_grey.data[3 * i + 2] == expected);
  }

  Image rgba(2, 1, 4, 8);
  rgba.data = {10, 20, 30, 0, 40, 50, 60, 255};
  CHECK(tint::cap_long_side(rgba, 512).data == std::vector<uint8_t>{10, 20, 30, 40, 50, 60});

  Image grey_alpha(1, 1, 2, 8);
  grey_alpha.data = {99, 0};
  CHECK(tint::cap_long_side(grey_alpha, 512).data == std::vector<uint8_t>{99, 99, 99});

  CHECK(tint::cap_long_side(Image(), 512).width == 0);  // invalid input: empty, not a crash
}

TEST_CASE("cap_long_side averages areas") {
  // 4x2 -> 2x1: each output pixel is the mean of a 2x2 block.
  Image image(4, 2, 1, 8);
  image.data = {0, 100, 200, 201, 50, 150, 255, 255};
  const Image capped = tint::cap_long_side(image, 2);
  REQUIRE(capped.width == 2);
  REQUIRE(capped.height == 1);
  CHECK(int(capped.data[0]) == 75);   // (0 + 100 + 50 + 150) / 4
  CHECK(int(capped.data[3]) == 228);  // (200 + 201 + 255 + 255) / 4 = 227.75
  // 3 -> 2 columns: output cells cover [0, 1.5) and [1.5, 3).
  Image row(3, 1, 1, 8);
  row.data = {0, 90, 180};
  const Image shrunk = tint::cap_long_side(row, 2);
  CHECK(int(shrunk.data[0]) == 30);   // (0 * 1 + 90 * 0.5) / 1.5
  CHECK(int(shrunk.data[3]) == 150);  // (90 * 0.5 + 180) / 1.5
  // A uniform colour stays that colour at any scale.
  Image flat(97, 41, 3, 8);
  for (size_t i = 0; i < flat.data.size(); i += 3) {
    flat.data[i] = 12;
    flat.data[i + 1] = 200;
    flat.data[i + 2] = 77;
  }
  const Image flat_capped = tint::cap_long_side(flat, 13);
  for (size_t i = 0; i < flat_capped.data.size(); i += 3) {
    CHECK(flat_capped.data[i] == 12);
    CHECK(flat_capped.data[i + 1] == 200);
    CHECK(flat_capped.data[i + 2] == 77);
  }
}

TEST_CASE("An unscaled, unflipped crop is the Lab of the source pixels") {
  CropOptions options;
  options.crop = 16;
  options.min_scale = 1.0f;  // scale range [1, 1]
  options.flips = false;
  // Crop as large as the image: the window can only sit at (0, 0).
  const Image exact = pattern_rgb(16, 16);
  CHECK(matches_window(exact, crop_of(exact, options, Random(1)), 16, 0, 0, false));

  // A larger image: the window is somewhere, whole-pixel aligned, and moves with the seed.
  const Image image = pattern_rgb(40, 29);
  std::set<std::pair<int, int>> positions;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const Crop crop = crop_of(image, options, Random(seed, 3));
    int found = 0;
    for (int y0 = 0; y0 + 16 <= 29; ++y0) {
      for (int x0 = 0; x0 + 16 <= 40; ++x0) {
        if (matches_window(image, crop, 16, x0, y0, false)) {
          ++found;
          positions.insert({x0, y0});
        }
      }
    }
    CHECK(found == 1);
  }
  CHECK(positions.size() > 5);
}

TEST_CASE("Flips mirror the crop and draw the same position") {
  const Image image = pattern_rgb(24, 20);
  CropOptions plain;
  plain.crop = 12;
  plain.min_scale = 1.0f;
  plain.flips = false;
  CropOptions flipping = plain;
  flipping.flips = true;
  int mirrored = 0;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    const Crop unflipped = crop_of(image, plain, Random(seed));
    const Crop maybe = crop_of(image, flipping, Random(seed));
    if (maybe == unflipped) continue;
    ++mirrored;
    for (int y = 0; y < 12; ++y) {
      for (int x = 0; x < 12; ++x) {
        const size_t i = size_t(y) * 12 + x, j = size_t(y) * 12 + (11 - x);
        REQUIRE(maybe.lightness[i] == unflipped.lightness[j]);
        REQUIRE(maybe.ab[2 * i] == unflipped.ab[2 * j]);
        REQUIRE(maybe.ab[2 * i + 1] == unflipped.ab[2 * j + 1]);
      }
    }
  }
  CHECK(mirrored > 6);
  CHECK(mirrored < 26);
}

TEST_CASE("sample_crop is a function of the generator state") {
  const Image image = pattern_rgb(90, 70);
  CropOptions options;
  options.crop = 32;
  Random a(42, 7), b(42, 7);
  const Crop first = crop_of(image, options, a);
  CHECK(first == crop_of(image, options, b));
  Random used(42, 7);
  const size_t pixels = 32 * 32;
  std::vector<float> lightness(pixels), ab(2 * pixels);
  tint::sample_crop(image, options, used, lightness.data(), ab.data());
  CHECK(lightness == first.lightness);
  // The draws leave the generator in a state that does not depend on the flip option.
  CropOptions no_flips = options;
  no_flips.flips = false;
  Random other(42, 7);
  tint::sample_crop(image, no_flips, other, lightness.data(), ab.data());
  CHECK(other.state() == used.state());
  CHECK_FALSE(crop_of(image, options, Random(43, 7)) == first);
}

TEST_CASE("Scaled crops stay in range and keep a uniform colour") {
  CropOptions options;
  options.crop = 20;
  options.min_scale = 0.5f;
  const Image image = pattern_rgb(41, 40);  // scale >= 0.5 fits; the pattern is high-frequency
  std::set<float> distinct_first_values;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const Crop crop = crop_of(image, options, Random(seed));
    for (float l : crop.lightness) REQUIRE((l >= 0.0f && l <= 1.0f + 1e-6f));
    for (float v : crop.ab) REQUIRE(std::abs(v) < 1.0f);
    distinct_first_values.insert(crop.lightness[0]);
  }
  CHECK(distinct_first_values.size() > 10);

  Image flat(50, 30, 3, 8);
  for (size_t i = 0; i < flat.data.size(); i += 3) {
    flat.data[i] = 200;
    flat.data[i + 1] = 90;
    flat.data[i + 2] = 40;
  }
  const tint::Lab lab = tint::srgb_to_lab(200 / 255.0f, 90 / 255.0f, 40 / 255.0f);
  for (uint64_t seed = 0; seed < 5; ++seed) {
    const Crop crop = crop_of(flat, options, Random(seed));
    for (float l : crop.lightness) REQUIRE(l == Approx(lab.l / 100.0f).margin(1e-5));
    for (size_t i = 0; i < crop.ab.size(); i += 2) {
      REQUIRE(crop.ab[i] == Approx(lab.a / 128.0f).margin(1e-5));
      REQUIRE(crop.ab[i + 1] == Approx(lab.b / 128.0f).margin(1e-5));
    }
  }
}

TEST_CASE("sample_crop fills zeros for an image it cannot crop") {
  CropOptions options;
  options.crop = 8;
  for (const Image& image : {pattern_rgb(7, 30), Image(10, 10, 4, 8), Image(10, 10, 3, 16)}) {
    const Crop crop = crop_of(image, options, Random(1));
    for (float v : crop.lightness) CHECK(v == 0.0f);
    for (float v : crop.ab) CHECK(v == 0.0f);
  }
}

TEST_CASE("The split is deterministic, stable and about the fraction") {
  CHECK(tint::hash_bytes("") == 0xcbf29ce484222325ull);  // FNV-1a 64 test vectors
  CHECK(tint::hash_bytes("a") == 0xaf63dc4c8601ec8cull);
  CHECK(tint::hash_bytes("foobar") == 0x85944171f73967e8ull);

  int in_validation = 0, changed_by_seed = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string key = "photos/" + std::to_string(i) + ".jpg";
    const bool chosen = tint::in_validation(key, 1234, 0.1);
    // The same key always lands on the same side, so it is never in both.
    REQUIRE(tint::in_validation(key, 1234, 0.1) == chosen);
    in_validation += chosen;
    changed_by_seed += chosen != tint::in_validation(key, 99, 0.1);
    // A larger fraction only adds files to validation.
    if (chosen) REQUIRE(tint::in_validation(key, 1234, 0.2));
    REQUIRE_FALSE(tint::in_validation(key, 1234, 0.0));
    REQUIRE(tint::in_validation(key, 1234, 1.0));
  }
  CHECK(in_validation > 900);
  CHECK(in_validation < 1100);
  CHECK(changed_by_seed > 1000);  // another seed is another split
}

TEST_CASE("Epoch order is a seeded permutation") {
  const std::vector<int> order = tint::epoch_order(1000, 5, 0);
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) REQUIRE(sorted[size_t(i)] == i);
  CHECK(order == tint::epoch_order(1000, 5, 0));
  CHECK(order != tint::epoch_order(1000, 5, 1));
  CHECK(order != tint::epoch_order(1000, 6, 0));
  CHECK(tint::epoch_order(0, 5, 0).empty());
  CHECK(tint::epoch_order(1, 5, 0) == std::vector<int>{0});

  // Sample generators depend on (seed, epoch, position) only, and differ between them.
  CHECK(tint::sample_random(1, 2, 3).state() == tint::sample_random(1, 2, 3).state());
  CHECK(tint::sample_random(1, 2, 3).state() != tint::sample_random(1, 2, 4).state());
  CHECK(tint::sample_random(1, 2, 3).state() != tint::sample_random(1, 3, 3).state());
  CHECK(tint::validation_random(1, "a.jpg").state() == tint::validation_random(1, "a.jpg").state());
  CHECK(tint::validation_random(1, "a.jpg").state() != tint::validation_random(1, "b.jpg").state());
}

TEST_CASE("fill_batch_row writes its own row") {
  const Image image = pattern_rgb(20, 20);
  CropOptions options;
  options.crop = 10;
  tint::Batch batch;
  batch.lightness = tint::Tensor(3, 10, 10, 1);
  batch.ab = tint::Tensor(3, 10, 10, 2);
  Random rng(8);
  tint::fill_batch_row(batch, 1, image, options, rng);
  const Crop expected = crop_of(image, options, Random(8));
  for (int i = 0; i < 100; ++i) {
    CHECK(batch.lightness.data[size_t(i)] == 0.0f);
    CHECK(batch.lightness.data[size_t(100 + i)] == expected.lightness[size_t(i)]);
    CHECK(batch.lightness.data[size_t(200 + i)] == 0.0f);
  }
  CHECK(std::equal(expected.ab.begin(), expected.ab.end(), batch.ab.data.begin() + 200));
}
