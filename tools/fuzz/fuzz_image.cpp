// libFuzzer target: any bytes as an image file, decoded (with a 1 MP limit so that the fuzzer
// explores formats rather than allocations) and, when that succeeds, colourised by a tiny model on
// the portable backend. Must never crash, hang or leak, whatever the bytes.
#include <cstdint>
#include <memory>

#include "colorizer.h"
#include "image_io.h"
#include "model.h"

namespace {

std::unique_ptr<tint::Colorizer> make_colorizer() {
  auto architecture = tint::parse_architecture(R"({"name": "fuzz", "working_size": 32, "layers": [
    {"name": "enc", "op": "conv", "out": 4, "stride": 2, "activation": "relu"},
    {"name": "up", "op": "upsample", "mode": "bilinear"},
    {"name": "head", "op": "conv", "out": 2},
    {"name": "out", "op": "tanh"}]})", "fuzz.json");
  tint::ColorizerOptions options;
  options.backend = "simd";
  options.max_pixels = 1'000'000;  // coverage, not size: a 4 MP photo takes ~1 s instrumented
  return std::move(tint::Colorizer::create(tint::create_model(architecture.value(), 1).value(), options).value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<tint::Colorizer> colorizer = make_colorizer();
  tint::DecodeOptions options;
  options.max_pixels = colorizer->options().max_pixels;
  auto image = tint::decode_image(data, size, "fuzz", options);
  if (!image) return 0;
  auto result = colorizer->colorize(image->view());
  if (result && (result->width != image->width || result->height != image->height)) __builtin_trap();
  return 0;
}
