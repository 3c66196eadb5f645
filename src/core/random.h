// The project's one random number generator: weight init, dropout masks, crops, augmentation.
// PCG32 (O'Neill 2014, "PCG: A Family of Simple Fast Space-Efficient Statistically Good
// Algorithms for Random Number Generation"): 64-bit LCG state with a permuted 32-bit output.
// Chosen because it is tiny, fast in WASM (64-bit multiply, no tables), has independent streams,
// and its whole state is two u64s, so a training checkpoint can store and restore it exactly.
// std::mt19937 would be portable too, but its 2.5 KB state is awkward to checkpoint, and the
// std distributions are not portable across standard libraries.
#pragma once

#include <cstdint>
#include <string>

#include "status.h"

namespace tint {

// The full generator state. `increment` is always odd (it selects the stream).
struct RandomState {
  uint64_t state = 0;
  uint64_t increment = 1;
  bool operator==(const RandomState&) const = default;
};

class Random {
 public:
  // Same (seed, stream) -> same sequence on every platform. Different streams of the same seed
  // are independent sequences (e.g. one per data-loading worker).
  explicit Random(uint64_t seed = 0, uint64_t stream = 0);

  uint32_t next_u32();
  // Uniform in [0, 1), 24 random bits (every value is an exact multiple of 2^-24).
  float uniform();
  // Uniform in [low, high); low == high returns low.
  float uniform(float low, float high);
  // Uniform integer in [0, n), without modulo bias (rejection). below(0) returns 0.
  uint32_t below(uint32_t n);
  // Skips `draws` calls of next_u32 (uniform() is one) in O(log draws): a share of a long
  // sequence, e.g. one rank's rows of a batch's dropout mask, without drawing the rest.
  void advance(uint64_t draws);

  RandomState state() const { return state_; }
  void set_state(const RandomState& state);
  // "pcg32:<state 16 hex>:<increment 16 hex>", for a checkpoint's string metadata.
  std::string state_string() const;
  // Restores a state_string(); `source` names the file in the error message.
  Status set_state_string(const std::string& text, const std::string& source);

 private:
  RandomState state_;
};

}  // namespace tint
