// libFuzzer target: any bytes as an image file, decoded (with a 1 MP limit so that the fuzzer
// explores formats rather than allocations) and, when that succeeds, colourised by a tiny model on
// the portable backend. Must never crash, hang or leak, whatever the bytes.
#include <cstdint>
#include <memory>

#include "colorize.h"
#include "image_io.h"
#include "model.h"
#include "network.h"
#include "ops.h"

namespace {

struct Colorizer {
  tint::Model model;
  std::unique_ptr<tint::Backend> backend;
  std::unique_ptr<tint::Network> network;
  Colorizer() {
    auto architecture = tint::parse_architecture(R"({"name": "fuzz", "working_size": 32, "layers": [
      {"name": "enc", "op": "conv", "out": 4, "stride": 2, "activation": "relu"},
      {"name": "up", "op": "upsample", "mode": "bilinear"},
      {"name": "head", "op": "conv", "out": 2},
      {"name": "out", "op": "tanh"}]})", "fuzz.json");
    model = std::move(tint::create_model(architecture.value(), 1).value());
    backend = std::move(tint::make_backend("simd", 1).value());
    network = std::move(tint::Network::create(model, *backend).value());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Colorizer colorizer;
  tint::DecodeOptions options;
  options.max_pixels = 1'000'000;  // coverage, not size: a 4 MP photo takes ~1 s instrumented
  auto image = tint::decode_image(data, size, "fuzz", options);
  if (!image) return 0;
  tint::ColorizeOptions colorize_options;
  colorize_options.max_pixels = options.max_pixels;
  auto result = tint::colorize(image.value(), *colorizer.network, colorize_options);
  if (result && (result->width != image->width || result->height != image->height)) __builtin_trap();
  return 0;
}
