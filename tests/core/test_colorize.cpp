// The end-to-end colourise call on generated images and a small random model.
#include <catch2/catch.hpp>

#include <cmath>

#include "colorizer.h"
#include "lab.h"
#include "model.h"
#include "reference_ops.h"

using namespace tint;

namespace {

const char* tiny_architecture = R"({"name": "tiny", "working_size": 32, "layers": [
  {"name": "enc1", "op": "conv", "out": 8, "stride": 2, "activation": "relu"},
  {"name": "mid", "op": "conv", "out": 8, "activation": "relu"},
  {"name": "up", "op": "upsample", "mode": "bilinear"},
  {"name": "head", "op": "conv", "out": 2},
  {"name": "out", "op": "tanh"}]})";

struct Fixture {
  std::unique_ptr<Colorizer> colorizer;
  explicit Fixture(ColorizerOptions options = {}) {
    auto created = create_model(parse_architecture(tiny_architecture, "tiny.json").value(), 3);
    REQUIRE(created.is_ok());
    Model model = std::move(created.value());
    // Large weights so the model predicts strong colours (exercising the gamut mapping).
    for (auto& parameter : model.parameters)
      for (float& v : parameter.values) v *= 4.0f;
    options.backend = "simd";
    auto made = Colorizer::create(std::move(model), options);
    REQUIRE(made.is_ok());
    colorizer = std::move(made.value());
  }
  Result<Image> colorize(const Image& image) { return colorizer->colorize(image.view()); }
};

Image gradient_image(int width, int height, int channels, int bits = 8) {
  Image image(width, height, channels, bits);
  const int max = image.max_value();
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) {
        const size_t i = (size_t(y) * width + x) * channels + c;
        const double v = 0.5 + 0.5 * std::sin(0.3 * x + 0.7 * y + 1.3 * c);
        image.set_sample(i, uint32_t(std::lround(v * max)));
      }
  return image;
}

float lightness_at(const Image& image, size_t pixel) {
  const float max = float(image.max_value());
  const int c = image.channels;
  if (c <= 2) {
    const float v = image.sample(pixel * c) / max;
    return srgb_to_lightness(v, v, v);
  }
  return srgb_to_lightness(image.sample(pixel * c) / max, image.sample(pixel * c + 1) / max,
                           image.sample(pixel * c + 2) / max);
}

float chroma_at(const Image& image, size_t pixel) {
  const float max = float(image.max_value());
  const Lab lab = srgb_to_lab(image.sample(pixel * image.channels) / max, image.sample(pixel * image.channels + 1) / max,
                              image.sample(pixel * image.channels + 2) / max);
  return std::hypot(lab.a, lab.b);
}

}  // namespace

TEST_CASE("the row gamut mapping equals the one-pixel mapping bit for bit, out of gamut too") {
  // L over [0, 100] with its extremes, a and b far outside the gamut: most pixels need the
  // bisection; 1003 pixels, so the four-wide loop leaves a tail for the one-pixel path.
  const int n = 1003;
  std::vector<float> l(n), a(n), b(n), linear(3 * size_t(n));
  uint32_t state = 12345;
  auto next = [&] { return (state = state * 1664525u + 1013904223u) / 4294967296.0f; };
  for (int i = 0; i < n; ++i) {
    l[i] = i % 7 == 0 ? (i % 2 ? 0.0f : 100.0f) : 100.0f * next();
    a[i] = 240.0f * next() - 120.0f;
    b[i] = i % 11 == 0 ? 0.0f : 240.0f * next() - 120.0f;
  }
  lab_row_to_linear_in_gamut(l.data(), a.data(), b.data(), n, linear.data());
  int outside = 0;
  for (int i = 0; i < n; ++i) {
    float direct[3];
    lab_to_linear({l[i], a[i], b[i]}, direct[0], direct[1], direct[2]);
    outside += std::min({direct[0], direct[1], direct[2]}) < 0.0f || std::max({direct[0], direct[1], direct[2]}) > 1.0f;
    uint8_t one[3], row[3];
    lab_to_srgb8_in_gamut(l[i], a[i], b[i], one);
    for (int k = 0; k < 3; ++k) {
      INFO("pixel " << i << " L " << l[i] << " a " << a[i] << " b " << b[i] << " channel " << k);
      row[k] = linear_to_srgb8(linear[3 * size_t(i) + k]);
      CHECK(row[k] == one[k]);
      CHECK(linear[3 * size_t(i) + k] >= -1e-4f);
      CHECK(linear[3 * size_t(i) + k] <= 1.0001f);
    }
  }
  CHECK(outside > n / 2);
}

TEST_CASE("colorize keeps size, lightness and alpha for every channel layout") {
  Fixture fixture;
  for (int channels = 1; channels <= 4; ++channels) {
    for (auto [width, height] : {std::pair{37, 23}, std::pair{20, 61}, std::pair{1, 1}, std::pair{64, 64}}) {
      INFO(channels << " channels, " << width << "x" << height);
      const Image input = gradient_image(width, height, channels);
      auto output = fixture.colorize(input);
      REQUIRE(output.is_ok());
      REQUIRE(output->width == width);
      REQUIRE(output->height == height);
      REQUIRE(output->channels == (channels == 2 || channels == 4 ? 4 : 3));
      REQUIRE(output->bits == 8);
      float worst_lightness = 0, total_chroma = 0;
      bool alpha_kept = true;
      for (size_t p = 0; p < size_t(width) * height; ++p) {
        worst_lightness = std::max(worst_lightness, std::fabs(lightness_at(*output, p) - lightness_at(input, p)));
        total_chroma += chroma_at(*output, p);
        if (output->channels == 4) alpha_kept &= output->sample(p * 4 + 3) == input.sample(p * channels + channels - 1);
      }
      CHECK(worst_lightness <= 1.0f);
      CHECK(alpha_kept);
      CHECK(total_chroma / (width * height) > 1.0f);  // the model's colour reached the output
    }
  }
}

TEST_CASE("colorize handles 16-bit input and keeps its depth") {
  Fixture fixture;
  const Image input = gradient_image(30, 20, 3, 16);
  auto output = fixture.colorize(input);
  REQUIRE(output.is_ok());
  CHECK(output->bits == 16);
  float worst = 0;
  for (size_t p = 0; p < 600; ++p) worst = std::max(worst, std::fabs(lightness_at(*output, p) - lightness_at(input, p)));
  CHECK(worst <= 0.05f);
}

TEST_CASE("colour input is treated as its lightness only") {
  Fixture fixture;
  const Image colour = gradient_image(40, 30, 3);
  // A 16-bit grey image with the same L per pixel (found by bisection), so only L is shared.
  Image grey(40, 30, 1, 16);
  for (size_t p = 0; p < 1200; ++p) {
    const float target = lightness_at(colour, p);
    int low = 0, high = 65535;
    while (low < high) {
      const int middle = (low + high) / 2;
      const float v = middle / 65535.0f;
      (srgb_to_lightness(v, v, v) < target ? low = middle + 1 : high = middle);
    }
    grey.set_sample(p, uint32_t(low));
  }
  auto from_colour = fixture.colorize(colour), from_grey = fixture.colorize(grey);
  REQUIRE(from_colour.is_ok());
  REQUIRE(from_grey.is_ok());
  int worst = 0;
  for (size_t i = 0; i < from_colour->data.size(); ++i) {
    const int grey_as_8_bit = int(std::lround(from_grey->sample(i) / 257.0));
    worst = std::max(worst, std::abs(int(from_colour->sample(i)) - grey_as_8_bit));
  }
  CHECK(worst <= 1);  // the network saw the same L; only 8-bit rounding differs
}

TEST_CASE("colorize refuses images above the pixel limit and malformed buffers") {
  ColorizerOptions options;
  options.max_pixels = 100;
  Fixture limited(options);
  CHECK_THAT(limited.colorize(gradient_image(11, 10, 3)).message(), Catch::Contains("11x10, above the limit"));
  CHECK(limited.colorize(gradient_image(10, 10, 3)).is_ok());
  Fixture fixture;
  Image broken = gradient_image(10, 10, 3);
  broken.data.pop_back();
  CHECK_THAT(fixture.colorize(broken).message(), Catch::Contains("holds 299 bytes, expected 10x10x3"));
  CHECK_FALSE(fixture.colorize(Image(0, 5, 3)).is_ok());
  options = {};
  options.working_size = 4;
  CHECK_THAT(Fixture(options).colorize(gradient_image(10, 10, 3)).message(),
             Catch::Contains("working size is 4, expected 8 to 8192"));
}

TEST_CASE("colorize_into colourises the caller's buffer in place, as colorize does") {
  Fixture fixture;
  for (int channels : {3, 4}) {
    const Image input = gradient_image(37, 23, channels);
    auto expected = fixture.colorize(input);
    REQUIRE(expected.is_ok());
    Image in_place = input;
    REQUIRE(fixture.colorizer->colorize_into(in_place.view(), in_place.data.data()).is_ok());
    CHECK(in_place.data == expected->data);
  }
}

TEST_CASE("working dimensions keep the aspect ratio and never collapse to zero") {
  int w, h;
  working_dimensions(4000, 3000, 256, w, h);
  CHECK((w == 256 && h == 192));
  working_dimensions(10, 1000, 256, w, h);
  CHECK((w == 3 && h == 256));
  working_dimensions(1, 1, 256, w, h);
  CHECK((w == 256 && h == 256));
  working_dimensions(100000, 1, 256, w, h);
  CHECK((w == 256 && h == 1));
}
