// The WASM binding: a handful of C functions over the core, called from web/tint.js.
// Create a tint::Colorizer from weight bytes, colourise an RGBA buffer in place, free. Errors come back as a
// null result plus tint_last_error(); nothing here throws (the build has -fno-exceptions).
#include <emscripten/emscripten.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "colorizer.h"

namespace {

std::string last_error;

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* tint_last_error() { return last_error.c_str(); }

// Copies what it needs from `weights`; the caller frees them afterwards. working_size 0 = the
// model's; max_pixels 0 = the default limit (tint_default_max_pixels).
EMSCRIPTEN_KEEPALIVE tint::Colorizer* tint_create(const uint8_t* weights, size_t size, int working_size,
                                                  double max_pixels) {
  tint::ColorizerOptions options;
  options.backend = "simd";
  options.threads = 1;
  options.working_size = working_size;
  if (max_pixels > 0) options.max_pixels = uint64_t(max_pixels);
  auto colorizer = tint::Colorizer::create(weights, size, "model", options);
  if (!colorizer) return last_error = colorizer.message(), nullptr;
  return colorizer.value().release();
}

EMSCRIPTEN_KEEPALIVE void tint_destroy(tint::Colorizer* colorizer) { delete colorizer; }

// Colourises the caller's RGBA8 buffer in place (same size, alpha kept): 1 on success, 0 with
// tint_last_error(). The core reads each row whole before writing it, so no second full-size
// buffer is needed (a 64 MP photo is 256 MB per copy).
EMSCRIPTEN_KEEPALIVE int tint_colorize(tint::Colorizer* colorizer, uint8_t* rgba, int width, int height) {
  if (!colorizer) return last_error = "no colouriser", 0;
  tint::ImageView image;
  image.data = rgba;
  image.width = width;
  image.height = height;
  image.channels = 4;
  image.bits = 8;
  image.bytes = width > 0 && height > 0 ? size_t(width) * size_t(height) * 4 : 0;
  if (auto status = colorizer->colorize_into(image, rgba); !status) return last_error = status.message(), 0;
  return 1;
}

// The core's pixel limit (image.h), so the JS side checks the same number before it allocates.
EMSCRIPTEN_KEEPALIVE double tint_default_max_pixels() { return double(tint::default_max_pixels); }

EMSCRIPTEN_KEEPALIVE void* tint_malloc(size_t size) { return std::malloc(size); }
EMSCRIPTEN_KEEPALIVE void tint_free(void* pointer) { std::free(pointer); }

}  // extern "C"
