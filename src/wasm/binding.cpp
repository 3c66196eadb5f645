// The WASM binding: a handful of C functions over the core, called from web/tint.js.
// Create a colouriser from weight bytes, colourise an RGBA buffer, free. Errors come back as a
// null result plus tint_last_error(); nothing here throws (the build has -fno-exceptions).
#include <emscripten/emscripten.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "colorize.h"
#include "network.h"
#include "weights.h"

namespace {

std::string last_error;

struct Colorizer {
  tint::Model model;
  std::unique_ptr<tint::Backend> backend;
  std::unique_ptr<tint::Network> network;
};

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* tint_last_error() { return last_error.c_str(); }

// Copies what it needs from `weights`; the caller frees them afterwards.
EMSCRIPTEN_KEEPALIVE Colorizer* tint_create(const uint8_t* weights, size_t size) {
  auto model = tint::load_model(weights, size, "model");
  if (!model) return last_error = model.message(), nullptr;
  auto colorizer = std::make_unique<Colorizer>();
  colorizer->model = std::move(model.value());
  auto backend = tint::make_backend("simd", 1);
  if (!backend) return last_error = backend.message(), nullptr;
  colorizer->backend = std::move(backend.value());
  auto network = tint::Network::create(colorizer->model, *colorizer->backend);
  if (!network) return last_error = network.message(), nullptr;
  colorizer->network = std::move(network.value());
  return colorizer.release();
}

EMSCRIPTEN_KEEPALIVE void tint_destroy(Colorizer* colorizer) { delete colorizer; }

// Colourises the RGBA8 buffer in place (same size, alpha kept): 1 on success, 0 with
// tint_last_error(). Writing back into the caller's buffer keeps one full-size copy fewer in the
// heap (a 64 MP photo is 256 MB per copy). working_size 0 = the model's; max_pixels 0 = the
// default limit (64 MP).
EMSCRIPTEN_KEEPALIVE int tint_colorize(Colorizer* colorizer, uint8_t* rgba, int width, int height, int working_size,
                                       double max_pixels) {
  if (!colorizer) return last_error = "no colouriser", 0;
  tint::ColorizeOptions options;
  options.working_size = working_size;
  if (max_pixels > 0) options.max_pixels = uint64_t(max_pixels);
  if (width <= 0 || height <= 0) return last_error = "image has no pixels", 0;
  if (uint64_t(width) * uint64_t(height) > options.max_pixels) {
    return last_error = "image is " + std::to_string(width) + "x" + std::to_string(height) + ", above the limit of " +
                        std::to_string(options.max_pixels / 1000000) + " MP",
           0;
  }
  tint::Image image;
  image.width = width;
  image.height = height;
  image.channels = 4;
  image.bits = 8;
  image.data.assign(rgba, rgba + size_t(width) * height * 4);
  auto result = tint::colorize(image, *colorizer->network, options);
  if (!result) return last_error = result.message(), 0;
  image = tint::Image();  // the input copy goes before anything else is needed
  std::memcpy(rgba, result->data.data(), result->data.size());
  return 1;
}

// The default pixel limit (64 MP, as natively), for the JS side's check before it allocates.
EMSCRIPTEN_KEEPALIVE double tint_default_max_pixels() { return double(tint::default_max_pixels); }

EMSCRIPTEN_KEEPALIVE void* tint_malloc(size_t size) { return std::malloc(size); }
EMSCRIPTEN_KEEPALIVE void tint_free(void* pointer) { std::free(pointer); }

}  // extern "C"
