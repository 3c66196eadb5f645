// The WASM binding: a handful of C functions over the core, called from web/tint.js.
// Create a tint::Colorizer from weight bytes, colourise an RGBA buffer in place, free. Errors come back as a
// null result plus tint_last_error(); nothing here throws (the build has -fno-exceptions).
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "colorizer.h"
#include "hints.h"

namespace {

std::string last_error;

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* tint_last_error() { return last_error.c_str(); }

// Copies what it needs from `weights`; the caller frees them afterwards. working_size 0 = the
// model's; max_pixels 0 = the default limit (tint_default_max_pixels). threads: how many threads
// each layer and the full-resolution passes split into — ignored by the plain build (parallel.h
// runs inline there); in the threaded build (-pthread) at most the pthread pool's size + 1
// (tint.js sizes the pool), as a thread that waits for a pool worker that has not started would
// wait forever.
EMSCRIPTEN_KEEPALIVE tint::Colorizer* tint_create(const uint8_t* weights, size_t size, int working_size,
                                                  double max_pixels, int threads, float hint_reach) {
  tint::ColorizerOptions options;
  options.backend = "simd";
  options.threads = std::max(1, threads);
  options.working_size = working_size;
  options.hint_reach = hint_reach;
  if (max_pixels > 0) options.max_pixels = uint64_t(max_pixels);
  auto colorizer = tint::Colorizer::create(weights, size, "model", options);
  if (!colorizer) return last_error = colorizer.message(), nullptr;
  return colorizer.value().release();
}

EMSCRIPTEN_KEEPALIVE void tint_destroy(tint::Colorizer* colorizer) { delete colorizer; }

namespace {

// count hints packed as [x, y, a, b] floats (x, y whole pixels; a, b Lab).
std::vector<tint::ColorHint> unpack_hints(const float* packed, int count) {
  std::vector<tint::ColorHint> hints(size_t(count > 0 ? count : 0));
  for (size_t i = 0; i < hints.size(); ++i) {
    hints[i].x = int(packed[4 * i]);
    hints[i].y = int(packed[4 * i + 1]);
    hints[i].a = packed[4 * i + 2];
    hints[i].b = packed[4 * i + 3];
  }
  return hints;
}

tint::ImageView rgba_view(const uint8_t* rgba, int width, int height) {
  tint::ImageView image;
  image.data = rgba;
  image.width = width;
  image.height = height;
  image.channels = 4;
  image.bits = 8;
  image.bytes = width > 0 && height > 0 ? size_t(width) * size_t(height) * 4 : 0;
  return image;
}

}  // namespace

// As tint_colorize, with `count` colour hints packed as [x, y, a, b] floats (models that take
// hints; the core refuses bad ones with a message).
EMSCRIPTEN_KEEPALIVE int tint_colorize_hinted(tint::Colorizer* colorizer, uint8_t* rgba, int width, int height,
                                              const float* hints, int count) {
  if (!colorizer) return last_error = "no colouriser", 0;
  if (count < 0 || size_t(count) > tint::kMaxHints) {
    return last_error = std::to_string(count) + " hints, more than the " + std::to_string(tint::kMaxHints) + " allowed", 0;
  }
  auto status = colorizer->colorize_into(rgba_view(rgba, width, height), rgba, unpack_hints(hints, count));
  if (!status) return last_error = status.message(), 0;
  return 1;
}

// Colourises the caller's RGBA8 buffer in place (same size, alpha kept): 1 on success, 0 with
// tint_last_error(). The core reads each row whole before writing it, so no second full-size
// buffer is needed (a 64 MP photo is 256 MB per copy).
EMSCRIPTEN_KEEPALIVE int tint_colorize(tint::Colorizer* colorizer, uint8_t* rgba, int width, int height) {
  return tint_colorize_hinted(colorizer, rgba, width, height, nullptr, 0);
}

// "#rrggbb" -> its Lab a and b in ab[0], ab[1]: 1, or 0 with tint_last_error() (the core's parser,
// so the page and the CLI accept the same colours).
EMSCRIPTEN_KEEPALIVE int tint_parse_color(const char* text, float* ab) {
  auto hint = tint::parse_hint_color(text ? text : "");
  if (!hint) return last_error = hint.message(), 0;
  ab[0] = hint->a;
  ab[1] = hint->b;
  return 1;
}

// The k likeliest colours at (x, y) given the hints: writes k x [r, g, b] bytes (each at the
// pixel's lightness) to rgb and k probabilities to probabilities; returns how many, or -1 with
// tint_last_error().
EMSCRIPTEN_KEEPALIVE int tint_suggest(tint::Colorizer* colorizer, const uint8_t* rgba, int width, int height, int x,
                                      int y, int k, const float* hints, int count, uint8_t* rgb, float* probabilities) {
  if (!colorizer) return last_error = "no colouriser", -1;
  if (count < 0 || size_t(count) > tint::kMaxHints) return last_error = "too many hints", -1;
  auto suggestions = colorizer->suggest(rgba_view(rgba, width, height), x, y, k, unpack_hints(hints, count));
  if (!suggestions) return last_error = suggestions.message(), -1;
  for (size_t i = 0; i < suggestions->size(); ++i) {
    std::memcpy(rgb + 3 * i, (*suggestions)[i].rgb, 3);
    probabilities[i] = (*suggestions)[i].probability;
  }
  return int(suggestions->size());
}

// Whether the model takes colour hints (1) and can suggest colours (2): a bit set.
EMSCRIPTEN_KEEPALIVE int tint_features(const tint::Colorizer* colorizer) {
  return colorizer ? (colorizer->takes_hints() ? 1 : 0) | (colorizer->can_suggest() ? 2 : 0) : 0;
}

// The core's pixel limit (image.h), so the JS side checks the same number before it allocates.
EMSCRIPTEN_KEEPALIVE double tint_default_max_pixels() { return double(tint::default_max_pixels); }

EMSCRIPTEN_KEEPALIVE void* tint_malloc(size_t size) { return std::malloc(size); }
EMSCRIPTEN_KEEPALIVE void tint_free(void* pointer) { std::free(pointer); }

}  // extern "C"
