// libFuzzer target: any bytes as a CIFAR-10 binary batch file.
#include <cstdint>
#include <string>
#include <vector>

#include "dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<tint::Image> images;
  std::vector<std::string> keys;
  auto status = tint::parse_cifar10_batch(data, size, "fuzz.bin", "data_batch_1.bin", images, &keys);
  if (status && images.size() != size / 3073) __builtin_trap();
  if (images.size() != keys.size()) __builtin_trap();
  return 0;
}
