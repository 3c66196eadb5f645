// A decoded picture in memory: interleaved grey / grey+alpha / RGB / RGBA samples, 8 or 16 bits.
// 16-bit samples are stored as native-endian uint16 in the same byte buffer. File formats live
// in src/io; the core sees only these buffers.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace tint {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;  // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
  int bits = 8;      // 8 or 16
  std::vector<uint8_t> data;

  Image() = default;
  Image(int w, int h, int c, int b = 8)
      : width(w), height(h), channels(c), bits(b),
        data(size_t(w) * size_t(h) * size_t(c) * size_t(b / 8), 0) {}

  bool has_alpha() const { return channels == 2 || channels == 4; }
  size_t sample_count() const { return size_t(width) * size_t(height) * size_t(channels); }
  int max_value() const { return bits == 16 ? 65535 : 255; }
  // Sample i (interleaved index) as an integer in [0, max_value()].
  uint32_t sample(size_t i) const {
    if (bits == 8) return data[i];
    uint16_t v;
    std::memcpy(&v, data.data() + 2 * i, 2);
    return v;
  }
  void set_sample(size_t i, uint32_t v) {
    if (bits == 8) {
      data[i] = uint8_t(v);
    } else {
      uint16_t s = uint16_t(v);
      std::memcpy(data.data() + 2 * i, &s, 2);
    }
  }
};

}  // namespace tint

namespace tint {
// Images above this many pixels are refused before any allocation for them (DESIGN.md);
// every entry point takes a configurable limit that defaults to this.
constexpr uint64_t default_max_pixels = 64'000'000;
}  // namespace tint
