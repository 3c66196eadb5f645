// Colour hints: parsing, the network input they make, the training simulation, the evaluation
// sampling, colourising with them, and a model's suggestions at a pixel.
#include <catch2/catch.hpp>

#include <cmath>

#include "ab_bins.h"
#include "colorize.h"
#include "colorizer.h"
#include "graph.h"
#include "ops.h"
#include "hints.h"
#include "lab.h"
#include "reference_ops.h"

using namespace tint;

namespace {

const char* hint_architecture = R"({"name": "hinted", "inputs": ["lightness", "hint_ab", "hint_mask"],
  "working_size": 32, "layers": [
  {"name": "enc", "op": "conv", "out": 8, "stride": 2, "activation": "relu"},
  {"name": "logits", "op": "conv", "out": BINS},
  {"name": "probs", "op": "softmax"},
  {"name": "ab", "op": "annealed_mean"},
  {"name": "up", "op": "upsample", "mode": "bilinear"}]})";

// A one-conv architecture reading these inputs (a JSON list).
Result<Architecture> one_conv_reading(const std::string& inputs) {
  auto architecture = parse_architecture(
      R"({"name": "i", "inputs": )" + inputs + R"(, "layers": [{"name": "c", "op": "conv", "out": 2}]})", "i.json");
  REQUIRE(architecture.is_ok());
  return architecture;
}

Model hint_model() {
  std::string json = hint_architecture;
  json.replace(json.find("BINS"), 4, std::to_string(AbBins::gamut().count()));
  auto architecture = parse_architecture(json, "hinted.json");
  REQUIRE(architecture.is_ok());
  auto model = create_model(architecture.value(), 9);
  REQUIRE(model.is_ok());
  return std::move(model.value());
}

Image photo(int width, int height, int salt = 0) {
  Image image(width, height, 3);
  for (size_t i = 0; i < image.data.size(); ++i) image.data[i] = uint8_t((i * 29 + i / 11 + size_t(salt) * 13) % 241);
  return image;
}

}  // namespace

TEST_CASE("hint colours and hint lists parse, and bad ones are refused with the text quoted") {
  auto red = parse_hint_color("#ff0000");
  REQUIRE(red.is_ok());
  const Lab lab = srgb_to_lab(1, 0, 0);
  CHECK(red->a == Approx(lab.a));
  CHECK(red->b == Approx(lab.b));
  CHECK(parse_hint_color("A0C0FF").is_ok());
  for (const char* bad : {"#ff00", "#gg0000", "", "#ff00000", "red"}) {
    CHECK_THAT(parse_hint_color(bad).message(), Catch::Contains("is not #rrggbb"));
  }
  auto hint = parse_hint("12,34,#00ff00");
  REQUIRE(hint.is_ok());
  CHECK(hint->x == 12);
  CHECK(hint->y == 34);
  for (const char* bad : {"12,#00ff00", "-1,3,#00ff00", "1.5,3,#00ff00", "a,b,#00ff00", "1,2"}) {
    CHECK_THAT(parse_hint(bad).message(), Catch::Contains("is not X,Y,#rrggbb"));
  }
  auto list = parse_hints_json(R"([{"x": 1, "y": 2, "color": "#102030"}, {"x": 3, "y": 4, "color": "#ffffff"}])", "h.json");
  REQUIRE(list.is_ok());
  CHECK(list->size() == 2);
  CHECK((*list)[1].x == 3);
  CHECK_THAT(parse_hints_json("{", "h.json").message(), Catch::Contains("h.json: not valid JSON"));
  CHECK_THAT(parse_hints_json(R"({"x": 1})", "h.json").message(), Catch::Contains("expected a list"));
  CHECK_THAT(parse_hints_json(R"([{"x": 1, "y": 2, "colour": "#ffffff"}])", "h.json").message(), Catch::Contains("hint #1 must be"));
  CHECK_THAT(parse_hints_json(R"([{"x": 1, "y": 2.5, "color": "#ffffff"}])", "h.json").message(), Catch::Contains("x and y"));
  CHECK_THAT(parse_hints_json(R"([{"x": 1, "y": 2, "color": "#fff"}])", "h.json").message(), Catch::Contains("is not #rrggbb"));
}

TEST_CASE("the network input holds L, then the hints over their patches") {
  const Model model = hint_model();
  REQUIRE(takes_hints(model.architecture));
  CHECK(input_channel(model.architecture, "lightness") == 0);
  CHECK(input_channel(model.architecture, "hint_ab") == 1);
  CHECK(input_channel(model.architecture, "hint_mask") == 3);
  Tensor lightness(1, 8, 8, 1);
  reference::fill_pattern(lightness.data, 2);
  auto input = network_input(model.architecture, lightness);
  REQUIRE(input.is_ok());
  REQUIRE(input->shape == Shape{1, 8, 8, 4});
  place_hint(input.value(), model.architecture, 0, 6, 6, 3, 0.25f, -0.5f);  // clipped at the edge
  int masked = 0;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) {
      CHECK(input->at(0, y, x, 0) == lightness.at(0, y, x, 0));
      const bool in_patch = x >= 6 && y >= 6;
      masked += input->at(0, y, x, 3) == 1.0f;
      CHECK(input->at(0, y, x, 1) == (in_patch ? 0.25f : 0.0f));
      CHECK(input->at(0, y, x, 2) == (in_patch ? -0.5f : 0.0f));
    }
  CHECK(masked == 4);
}

TEST_CASE("hint_fill gives every pixel its nearest hint's colour") {
  auto architecture = one_conv_reading(R"(["lightness", "hint_ab", "hint_mask", "hint_fill"])");
  REQUIRE(architecture->input_channels == 6);
  auto input = network_input(architecture.value(), Tensor(2, 20, 30, 1));
  REQUIRE(input.is_ok());
  place_hint(input.value(), architecture.value(), 0, 2, 3, 1, 0.5f, -0.25f);
  place_hint(input.value(), architecture.value(), 0, 25, 15, 2, -0.75f, 0.125f);
  fill_hints(input.value(), architecture.value(), 0);
  fill_hints(input.value(), architecture.value(), 1);  // no hints: no fill
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 30; ++x) {
      const double near_first = std::hypot(x - 2, y - 3);
      double near_second = 1e9;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) near_second = std::min(near_second, std::hypot(x - 25 - dx, y - 15 - dy));
      if (std::fabs(near_first - near_second) < 1.5) continue;  // the propagation may break near-ties either way
      const bool first = near_first < near_second;
      CHECK(input->at(0, y, x, 4) == (first ? 0.5f : -0.75f));
      CHECK(input->at(0, y, x, 5) == (first ? -0.25f : 0.125f));
      CHECK(input->at(1, y, x, 4) == 0.0f);
    }
}

TEST_CASE("hint_distance: how far each pixel is from its nearest hint, 1 without hints") {
  auto architecture = one_conv_reading(R"(["lightness", "hint_ab", "hint_mask", "hint_distance"])");
  REQUIRE(architecture->input_channels == 5);
  auto input = network_input(architecture.value(), Tensor(2, 40, 100, 1));
  REQUIRE(input.is_ok());
  CHECK(input->at(0, 7, 9, 4) == 1.0f);  // before any hint: far from every hint
  place_hint(input.value(), architecture.value(), 0, 10, 20, 1, 0.5f, -0.25f);
  fill_hints(input.value(), architecture.value(), 0);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 100; ++x) {
      const double expected = std::min(std::hypot(x - 10, y - 20) / double(kHintDistanceScale), 1.0);
      CHECK(input->at(0, y, x, 4) == Approx(expected).margin(1e-6));
      CHECK(input->at(1, y, x, 4) == 1.0f);  // the sample without hints
    }
  CHECK(input->at(0, 20, 10, 4) == 0.0f);
  CHECK(input->at(0, 20, 99, 4) == 1.0f);
}

TEST_CASE("simulated hints: some samples get none, each point carries its patch's mean colour, same stream same hints") {
  const Model model = hint_model();
  Tensor lightness(64, 16, 16, 1), ab(64, 16, 16, 2);
  reference::fill_pattern(ab.data, 4);
  auto a = network_input(model.architecture, lightness), b = network_input(model.architecture, lightness);
  Random rng_a(5, 1), rng_b(5, 1);
  simulate_hints(a.value(), model.architecture, ab, rng_a);
  simulate_hints(b.value(), model.architecture, ab, rng_b);
  CHECK(a->data == b->data);
  int without = 0;
  for (int n = 0; n < 64; ++n) {
    int masked = 0;
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) {
        const bool mask = a->at(n, y, x, 3) == 1.0f;
        masked += mask;
        if (!mask) CHECK((a->at(n, y, x, 1) == 0.0f && a->at(n, y, x, 2) == 0.0f));
        if (mask) CHECK(std::fabs(a->at(n, y, x, 1)) <= 1.0f);  // a mean of ab / 128 values in [-1, 1]
      }
    without += masked == 0;
  }
  CHECK(without > 16);  // half of the samples on average
  CHECK(without < 48);
}

TEST_CASE("simulated hints: uniform locations reach the corners more often than centre ones; no-hint share") {
  const Model model = hint_model();
  Tensor lightness(200, 32, 32, 1), ab(200, 32, 32, 2);
  reference::fill_pattern(ab.data, 4);
  // Hinted pixels in the four 8x8 corners, per layout.
  auto frame_hits = [&](const HintSimulation& options, int* without) {
    auto input = network_input(model.architecture, lightness);
    Random rng(5, 1);
    simulate_hints(input.value(), model.architecture, ab, rng, options);
    int hits = 0;
    *without = 0;
    for (int n = 0; n < 200; ++n) {
      int masked = 0;
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) {
          const bool mask = input->at(n, y, x, 3) == 1.0f;
          masked += mask;
          hits += mask && (x < 8 || x >= 24) && (y < 8 || y >= 24);
        }
      *without += masked == 0;
    }
    return hits;
  };
  HintSimulation centre, uniform;
  uniform.uniform = true;
  int centre_without = 0, uniform_without = 0;
  const int centre_hits = frame_hits(centre, &centre_without), uniform_hits = frame_hits(uniform, &uniform_without);
  // The corners are a quarter of the area; the centre's normal (sd a quarter of the side, clamped
  // inside) still reaches them, less often: measured 3073 against 2178 hinted pixels.
  CHECK(uniform_hits > 1.25 * centre_hits);
  CHECK(centre_without == uniform_without);  // the same draws decide which samples get hints
  HintSimulation mostly_hinted;
  mostly_hinted.none_share = 0.1;
  int mostly_without = 0;
  frame_hits(mostly_hinted, &mostly_without);
  CHECK(mostly_without < 40);  // 20 of 200 on average
  CHECK(centre_without > 70);  // 100 of 200 on average
}

TEST_CASE("recoloured hints: the target changes in the hint's region only, and the hint carries the new colour") {
  const Model model = hint_model();
  const int side = 48;
  // Two halves split at x = 20 by lightness, one colour: a region never crosses the edge.
  Tensor lightness(16, side, side, 1), ab(16, side, side, 2);
  for (int n = 0; n < 16; ++n)
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        lightness.at(n, y, x, 0) = x < 20 ? 0.3f : 0.8f;
        ab.at(n, y, x, 0) = 0.05f, ab.at(n, y, x, 1) = 0.1f;
      }
  HintSimulation options;
  options.none_share = 0, options.max_points = 1, options.recolour_share = 1, options.uniform = true;
  options.min_patch = options.max_patch = 1;
  auto input = network_input(model.architecture, lightness);
  REQUIRE(input.is_ok());
  Tensor target = ab;
  for (int n = 0; n < 16; ++n) {
    Random rng(21, uint64_t(n));
    simulate_hints_row(input.value(), model.architecture, ab, n, rng, options, &target);
    int hx = -1, hy = -1;
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x)
        if (input->at(n, y, x, 3) == 1.0f) hx = x, hy = y;
    REQUIRE(hx >= 0);
    INFO("sample " << n << ", hint at " << hx << "," << hy);
    // Some pixels changed, all on the hint's side of the edge.
    int changed = 0, crossed = 0;
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const bool moved = target.at(n, y, x, 0) != ab.at(n, y, x, 0) || target.at(n, y, x, 1) != ab.at(n, y, x, 1);
        changed += moved;
        crossed += moved && (x < 20) != (hx < 20);
      }
    CHECK(changed > 0);
    CHECK(crossed == 0);
    // The hint is the target's new colour there, of chroma 0.1-0.45.
    CHECK(input->at(n, hy, hx, 1) == target.at(n, hy, hx, 0));
    CHECK(input->at(n, hy, hx, 2) == target.at(n, hy, hx, 1));
    const double chroma = std::hypot(target.at(n, hy, hx, 0), target.at(n, hy, hx, 1));
    CHECK((chroma >= 0.1 - 1e-6 && chroma <= 0.45 + 1e-6));
  }
  // Without a target (validation) or with a zero share nothing is recoloured, and the draws that
  // decide the hints are those of a run without recolouring.
  options.recolour_share = 0;
  Tensor untouched = ab;
  auto plain = network_input(model.architecture, lightness);
  Random rng_a(21, 0), rng_b(21, 0);
  simulate_hints_row(plain.value(), model.architecture, ab, 0, rng_a, options, &untouched);
  CHECK(untouched.data == ab.data);
  auto again = network_input(model.architecture, lightness);
  simulate_hints_row(again.value(), model.architecture, ab, 0, rng_b, options);
  CHECK(plain->data == again->data);
}

TEST_CASE("evaluation hints are drawn inside the photo, the same for the same seed") {
  const Image image = photo(40, 30);
  const auto a = sample_hints(image, 10, 77), b = sample_hints(image, 10, 77), c = sample_hints(image, 10, 78);
  REQUIRE(a.size() == 10);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK((a[i].x >= 0 && a[i].x < 40 && a[i].y >= 0 && a[i].y < 30));
    CHECK((a[i].x == b[i].x && a[i].y == b[i].y && a[i].a == b[i].a));
  }
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) differs = differs || a[i].x != c[i].x || a[i].y != c[i].y;
  CHECK(differs);
}

TEST_CASE("a hint model colourises with and without hints; bad hints are refused; it suggests colours") {
  ColorizerOptions options;
  options.backend = "simd";
  auto colorizer = Colorizer::create(hint_model(), options);
  REQUIRE(colorizer.is_ok());
  Colorizer& c = *colorizer.value();
  const Image image = photo(48, 40);
  auto plain = c.colorize(image.view());
  auto again = c.colorize(image.view(), {});
  REQUIRE(plain.is_ok());
  CHECK(plain->data == again->data);
  ColorHint hint = parse_hint("20,20,#20c040").value();
  auto hinted = c.colorize(image.view(), {hint});
  REQUIRE(hinted.is_ok());
  CHECK(hinted->data != plain->data);  // the hint reaches the network
  hint.x = 48;
  CHECK_THAT(c.colorize(image.view(), {hint}).message(), Catch::Contains("hint #1 at 48,20 is outside the 48x40 image"));
  CHECK_THAT(c.colorize(image.view(), std::vector<ColorHint>(kMaxHints + 1)).message(), Catch::Contains("more than the 1000"));

  auto suggestions = c.suggest(image.view(), 10, 12, 5);
  REQUIRE(suggestions.is_ok());
  REQUIRE(suggestions->size() == 5);
  for (size_t i = 1; i < suggestions->size(); ++i) {
    CHECK((*suggestions)[i - 1].probability >= (*suggestions)[i].probability);
    for (size_t j = 0; j < i; ++j)
      CHECK(std::hypot((*suggestions)[i].a - (*suggestions)[j].a, (*suggestions)[i].b - (*suggestions)[j].b) >= 15.0f);
  }
  CHECK_THAT(c.suggest(image.view(), 48, 0, 5).message(), Catch::Contains("outside"));
}

TEST_CASE("hint reach: the weight falls with geodesic distance, and an edge in L stops it sooner") {
  const int width = 40, height = 10;
  std::vector<float> flat(size_t(width) * height, 50.0f), edged = flat;
  for (int y = 0; y < height; ++y)
    for (int x = 20; x < width; ++x) edged[size_t(y) * width + x] = 90.0f;  // a step of 40 in L at x = 20
  const std::vector<std::pair<int, int>> source = {{5, 5}};
  const auto open = hint_reach_weights(flat, width, height, source, 0.5f);
  const auto walled = hint_reach_weights(edged, width, height, source, 0.5f);
  CHECK(open[5 * width + 5] == 1.0f);
  for (int x = 6; x < width; ++x) CHECK(open[size_t(5 * width + x)] < open[size_t(5 * width + x - 1)]);
  // 10 px away, R = 20 px: exp(-0.5 * (10 / 20)^2).
  CHECK(open[5 * width + 15] == Approx(std::exp(-0.125f)));
  // Before the edge the same; past it the step's cost (0.5 per unit of L: 20 px) is added.
  CHECK(walled[5 * width + 19] == open[5 * width + 19]);
  CHECK(walled[5 * width + 25] == Approx(std::exp(-0.5f * (40.0f / 20.0f) * (40.0f / 20.0f))));
  CHECK(walled[5 * width + 25] < 0.5f * open[5 * width + 25]);
  // Two sources: each pixel is as near as its nearest hint.
  const auto both = hint_reach_weights(flat, width, height, {{5, 5}, {35, 5}}, 0.5f);
  CHECK(both[5 * width + 35] == 1.0f);
  CHECK(both[5 * width + 30] == open[5 * width + 10]);
}

TEST_CASE("hint reach: far pixels keep the automatic colours; the cached automatic colours change nothing") {
  ColorizerOptions options;
  options.backend = "simd";
  options.hint_reach = 0.1f;
  auto reaching = Colorizer::create(hint_model(), options);
  options.hint_reach = 0;
  auto spreading = Colorizer::create(hint_model(), options);
  REQUIRE((reaching.is_ok() && spreading.is_ok()));
  const Image image = photo(96, 64);
  const std::vector<ColorHint> hints = {parse_hint("4,4,#2040e0").value()};
  auto automatic = spreading.value()->colorize(image.view());
  auto first = reaching.value()->colorize(image.view(), hints);    // computes the automatic colours
  auto second = reaching.value()->colorize(image.view(), hints);   // takes them from the cache
  REQUIRE((automatic.is_ok() && first.is_ok() && second.is_ok()));
  CHECK(first->data == second->data);
  CHECK(first->data != automatic->data);  // the hint still acts near itself
  // The bottom-right quarter is more than 3 reaches from the hint: the automatic colours there
  // (that the network alone changes them is checked with the shipped model in tests/node).
  size_t far_differences = 0;
  for (int y = 40; y < 64; ++y)
    for (int x = 60; x < 96; ++x)
      for (int k = 0; k < 3; ++k) {
        const size_t i = (size_t(y) * 96 + x) * 3 + k;
        far_differences += std::abs(int(first->data[i]) - int(automatic->data[i])) > 1;
      }
  CHECK(far_differences == 0);
  // Another photo after it: the cache is keyed by the photo, not reused for it.
  const Image other = photo(96, 64, 7);
  auto other_reaching = reaching.value()->colorize(other.view(), hints);
  options.hint_reach = 0.1f;
  auto fresh = Colorizer::create(hint_model(), options);
  REQUIRE(fresh.is_ok());
  CHECK(other_reaching->data == fresh.value()->colorize(other.view(), hints)->data);
}

TEST_CASE("hint matching: the network's colour at a hint becomes the hint's, and each side of an edge follows its own hint") {
  const int width = 64, height = 16;
  std::vector<float> edged(size_t(width) * height, 30.0f);
  for (int y = 0; y < height; ++y)
    for (int x = 32; x < width; ++x) edged[size_t(y) * width + x] = 80.0f;  // a step of 50 in L at x = 32
  const auto network = [&] {
    Tensor ab(1, height, width, 2);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) ab.at(0, y, x, 0) = 0.1f, ab.at(0, y, x, 1) = -0.05f;
    return ab;
  };
  const auto a_at = [&](const Tensor& ab, int x, int y) { return 128.0f * ab.at(0, y, x, 0); };

  SECTION("no hints: the network's colours unchanged") {
    Tensor ab = network();
    match_hints(ab, width, height, edged, {}, {});
    CHECK(a_at(ab, 10, 8) == Approx(12.8f));
  }
  SECTION("one hint: its residual everywhere, so its colour at it and far from it") {
    Tensor ab = network();
    match_hints(ab, width, height, edged, {{8, 8}}, {ColorHint{8, 8, 40.0f, 20.0f}});
    CHECK(a_at(ab, 8, 8) == Approx(40.0f).margin(0.01));
    CHECK(128.0f * ab.at(0, 8, 8, 1) == Approx(20.0f).margin(0.01));
    CHECK(a_at(ab, 60, 2) == Approx(40.0f).margin(0.01));
  }
  SECTION("two hints across an edge: each side takes mostly its own hint's colour") {
    Tensor ab = network();
    match_hints(ab, width, height, edged, {{8, 8}, {56, 8}}, {ColorHint{8, 8, 40.0f, 0.0f}, ColorHint{56, 8, -40.0f, 0.0f}});
    CHECK(a_at(ab, 8, 8) > 36.0f);
    CHECK(a_at(ab, 56, 8) < -36.0f);
    // Two pixels either side of the edge, about equally far from both hints in pixels: the edge's
    // cost puts each nearer to the hint on its own side.
    CHECK(a_at(ab, 30, 8) > 20.0f);
    CHECK(a_at(ab, 34, 8) < -20.0f);
    // Without the edge the same two pixels are nearly halfway between the colours.
    Tensor flat_ab = network();
    const std::vector<float> flat(size_t(width) * height, 30.0f);
    match_hints(flat_ab, width, height, flat, {{8, 8}, {56, 8}}, {ColorHint{8, 8, 40.0f, 0.0f}, ColorHint{56, 8, -40.0f, 0.0f}});
    CHECK(std::abs(a_at(flat_ab, 30, 8)) < 12.0f);
    CHECK(std::abs(a_at(flat_ab, 34, 8)) < 12.0f);
  }
}

TEST_CASE("hint matching with a bin distribution: a hint picks its mode of the distribution near it") {
  // Every cell of a 4x4 distribution (a 16x16 photo, cells of 4 pixels) is split between two
  // colours, a = +50 and a = -50; decoded at T = 1 that is a = 0, the network's output here.
  const int width = 16, height = 16;
  const AbBins& bins = AbBins::gamut();
  int plus = 0, minus = 0;
  bins.nearest(50.0f, 0.0f, 1, &plus);
  bins.nearest(-50.0f, 0.0f, 1, &minus);
  Tensor p(1, 4, 4, bins.count());
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) p.at(0, y, x, plus) = 0.5f, p.at(0, y, x, minus) = 0.5f;
  const float mean_a = 0.5f * (bins.a(plus) + bins.a(minus)), mean_b = 0.5f * (bins.b(plus) + bins.b(minus));
  const std::vector<float> flat(size_t(width) * height, 50.0f);
  const auto network = [&] {
    Tensor ab(1, height, width, 2);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) ab.at(0, y, x, 0) = mean_a / 128.0f, ab.at(0, y, x, 1) = mean_b / 128.0f;
    return ab;
  };
  const std::vector<ColorHint> hints = {ColorHint{1, 1, -45.0f, 5.0f}};
  Tensor with = network(), without = network();
  match_hints(with, width, height, flat, {{1, 1}}, hints, BinDistribution{&p, 1.0f});
  match_hints(without, width, height, flat, {{1, 1}}, hints);
  const auto a_at = [](const Tensor& ab, int x, int y) { return 128.0f * ab.at(0, y, x, 0); };
  // At the hint both give the hint's colour.
  CHECK(a_at(with, 1, 1) == Approx(-45.0f).margin(0.5));
  CHECK(a_at(without, 1, 1) == Approx(-45.0f).margin(0.5));
  // Near it, the distribution's own colour -50 (its mode nearest the hint) with the remaining
  // residual; far away, the hint's pull has faded and the cell keeps more of its other mode.
  CHECK(a_at(with, 6, 6) < -25.0f);
  CHECK(a_at(with, 14, 14) > a_at(with, 6, 6) + 15.0f);
  // The residual alone moves every pixel by the same amount here (one hint).
  CHECK(a_at(without, 14, 14) == Approx(-45.0f).margin(0.5));
  // An unmatched distribution (no hints) changes nothing.
  Tensor untouched = network();
  match_hints(untouched, width, height, flat, {}, {}, BinDistribution{&p, 1.0f});
  CHECK(a_at(untouched, 9, 9) == Approx(mean_a).margin(1e-4));
}

TEST_CASE("a colourisation with hints matches them unless told not to") {
  ColorizerOptions options;
  options.backend = "simd";
  auto matching = Colorizer::create(hint_model(), options);  // the default: hints matched
  options.match_hints = false;
  auto raw = Colorizer::create(hint_model(), options);  // the network's colours as they are
  REQUIRE((matching.is_ok() && raw.is_ok()));
  Image image(64, 48, 3);
  std::fill(image.data.begin(), image.data.end(), uint8_t(128));
  const ColorHint hint = parse_hint("20,20,#c04040").value();  // a red
  auto matched = matching.value()->colorize(image.view(), {hint});
  auto as_is = raw.value()->colorize(image.view(), {hint});
  auto automatic = raw.value()->colorize(image.view());
  REQUIRE((matched.is_ok() && as_is.is_ok() && automatic.is_ok()));
  CHECK(matching.value()->colorize(image.view())->data == automatic->data);  // nothing to match without hints
  // At the hint, the matched colour's a and b are the hint's; the untrained network's are not.
  const auto ab_at = [](const Image& out, int x, int y) {
    const uint8_t* p = out.data.data() + (size_t(y) * out.width + x) * 3;
    const Lab lab = srgb_to_lab(p[0] / 255.0f, p[1] / 255.0f, p[2] / 255.0f);
    return std::pair<float, float>{lab.a, lab.b};
  };
  const auto [ma, mb] = ab_at(matched.value(), 20, 20);
  const auto [ra, rb] = ab_at(as_is.value(), 20, 20);
  CHECK(std::hypot(ma - hint.a, mb - hint.b) < 3.0f);
  CHECK(std::hypot(ra - hint.a, rb - hint.b) > 10.0f);

  // The Colorizer hands colorize the model's distribution, so both steps run: its output is
  // colorize's with the softmax layer, not colorize's with the residual step alone.
  const Model model = hint_model();
  auto backend = make_backend("simd", 1);
  REQUIRE(backend.is_ok());
  auto graph = Graph::create(model, *backend.value(), Graph::Mode::inference);
  REQUIRE(graph.is_ok());
  const int softmax = graph.value()->layer_index("probs");
  REQUIRE(softmax >= 0);
  graph.value()->keep(size_t(softmax));
  ColorizeOptions direct;
  direct.hints = {hint};
  std::vector<uint8_t> both(colorized_bytes(image.view())), residual_only(both.size());
  direct.distribution_layer = softmax;
  REQUIRE(colorize(image.view(), *graph.value(), direct, both.data()).is_ok());
  direct.distribution_layer = -1;
  REQUIRE(colorize(image.view(), *graph.value(), direct, residual_only.data()).is_ok());
  CHECK(matched->data == both);
  CHECK(matched->data != residual_only);
}
