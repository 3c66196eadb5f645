// libFuzzer target: any bytes as a Qt resource bundle: list the tree, then read every entry
// (inflating zlib entries, capped at 16 MB each). Errors are fine; crashes, hangs and unbounded
// memory are not.
#include <cstdint>

#include "rcc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entries = tint::list_rcc(data, size, "fuzz.rcc");
  if (!entries) return 0;
  for (const auto& entry : entries.value()) {
    auto bytes = tint::read_rcc_entry(data, size, entry, "fuzz.rcc", 16u << 20);
    if (bytes && bytes->size() > (16u << 20)) __builtin_trap();
  }
  return 0;
}
