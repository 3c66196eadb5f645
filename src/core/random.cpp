#include "random.h"

#include <cmath>

namespace tint {
namespace {

// The LCG multiplier of PCG's 64-bit generators (Knuth's MMIX constant).
constexpr uint64_t kMultiplier = 6364136223846793005ull;

bool parse_hex_u64(const std::string& text, size_t begin, size_t end, uint64_t* value) {
  if (end - begin != 16) return false;
  uint64_t result = 0;
  for (size_t i = begin; i < end; ++i) {
    const char c = text[i];
    uint64_t digit;
    if (c >= '0' && c <= '9') digit = uint64_t(c - '0');
    else if (c >= 'a' && c <= 'f') digit = uint64_t(c - 'a' + 10);
    else return false;
    result = (result << 4) | digit;
  }
  *value = result;
  return true;
}

void append_hex_u64(std::string& text, uint64_t value) {
  static const char digits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) text += digits[(value >> shift) & 0xf];
}

}  // namespace

// PCG's reference seeding (pcg32_srandom_r): the stream picks the odd increment, and two steps
// mix the seed into the state so seeds 0, 1, 2... do not start with similar outputs.
Random::Random(uint64_t seed, uint64_t stream) {
  state_.state = 0;
  state_.increment = (stream << 1) | 1u;
  next_u32();
  state_.state += seed;
  next_u32();
}

// PCG-XSH-RR: output a xorshifted, randomly rotated function of the old state.
uint32_t Random::next_u32() {
  const uint64_t old = state_.state;
  state_.state = old * kMultiplier + state_.increment;
  const uint32_t xorshifted = uint32_t(((old >> 18) ^ old) >> 27);
  const uint32_t rotation = uint32_t(old >> 59);
  return (xorshifted >> rotation) | (xorshifted << ((32 - rotation) & 31));
}

// The LCG's n-step map is itself affine, state -> M*state + C; square the one-step map's
// coefficients per bit of n (Brown 1994, "Random number generation with arbitrary strides").
void Random::advance(uint64_t draws) {
  uint64_t total_multiplier = 1, total_increment = 0;
  uint64_t multiplier = kMultiplier, increment = state_.increment;
  for (; draws > 0; draws >>= 1) {
    if (draws & 1) {
      total_multiplier *= multiplier;
      total_increment = total_increment * multiplier + increment;
    }
    increment = (multiplier + 1) * increment;
    multiplier *= multiplier;
  }
  state_.state = total_multiplier * state_.state + total_increment;
}

// The top 24 bits fill a float's mantissa exactly, so the result is never rounded up to 1.
float Random::uniform() { return float(next_u32() >> 8) * 0x1p-24f; }

float Random::uniform(float low, float high) {
  const float value = low + (high - low) * uniform();
  // low + (high - low) * u can round up to high for u just below 1; keep the interval half-open.
  if (value >= high && low < high) return std::nextafter(high, low);
  return value;
}

// Rejects the lowest 2^32 mod n outputs so the remaining range is a multiple of n (the
// arc4random_uniform approach): unbiased, and expected < 2 draws for any n.
uint32_t Random::below(uint32_t n) {
  if (n == 0) return 0;
  const uint32_t threshold = (0u - n) % n;
  for (;;) {
    const uint32_t value = next_u32();
    if (value >= threshold) return value % n;
  }
}

void Random::set_state(const RandomState& state) {
  state_ = state;
  state_.increment |= 1u;  // an even increment would shorten the period; never valid
}

std::string Random::state_string() const {
  std::string text = "pcg32:";
  append_hex_u64(text, state_.state);
  text += ':';
  append_hex_u64(text, state_.increment);
  return text;
}

Status Random::set_state_string(const std::string& text, const std::string& source) {
  RandomState state;
  const bool ok = text.size() == 6 + 16 + 1 + 16 && text.compare(0, 6, "pcg32:") == 0 &&
                  text[22] == ':' && parse_hex_u64(text, 6, 22, &state.state) &&
                  parse_hex_u64(text, 23, 39, &state.increment) && (state.increment & 1u);
  if (!ok) {
    return Status::error(source + ": random state \"" + text.substr(0, 64) +
                         "\" is not pcg32:<16 hex digits>:<16 hex digits, odd>");
  }
  state_ = state;
  return Status::ok();
}

}  // namespace tint
