// libFuzzer target: any bytes as a weights file: the safetensors parser, then the model loader
// (architecture JSON, tensor names and shapes). Either a model or an error, never a crash.
#include <cstdint>

#include "safetensors.h"
#include "weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = tint::parse_safetensors(data, size, "fuzz.safetensors");
  auto model = tint::load_model(data, size, "fuzz.safetensors");
  if (model && !file) __builtin_trap();  // a loadable model is always a valid safetensors file
  return 0;
}
