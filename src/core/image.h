// A decoded picture in memory: interleaved grey / grey+alpha / RGB / RGBA samples, 8 or 16 bits.
// 16-bit samples are stored as native-endian uint16 in the same byte buffer. File formats live
// in src/io; the core sees only these buffers.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace tint {

// A picture in someone else's memory (a decoded file, the WASM caller's RGBA buffer): the same
// layout as Image, not owned. `bytes` is how much the caller says the buffer holds, checked
// against the size (valid()).
struct ImageView {
  const uint8_t* data = nullptr;
  size_t bytes = 0;
  int width = 0;
  int height = 0;
  int channels = 0;
  int bits = 8;

  bool has_alpha() const { return channels == 2 || channels == 4; }
  size_t sample_count() const { return size_t(width) * size_t(height) * size_t(channels); }
  int max_value() const { return bits == 16 ? 65535 : 255; }
  // Channels, bit depth and byte count agree with the size.
  bool valid() const {
    return data && width > 0 && height > 0 && channels >= 1 && channels <= 4 && (bits == 8 || bits == 16) &&
           bytes == sample_count() * size_t(bits / 8);
  }
  uint32_t sample(size_t i) const {
    if (bits == 8) return data[i];
    uint16_t v;
    std::memcpy(&v, data + 2 * i, 2);
    return v;
  }
};

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

  ImageView view() const { return {data.data(), data.size(), width, height, channels, bits}; }
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
// Images above this many pixels are refused before any allocation for them (docs/design.md).
// The one source of this limit: every entry point takes a configurable limit that defaults to
// it, and the WASM module exports it to the page (tint_default_max_pixels).
constexpr uint64_t default_max_pixels = 64'000'000;
}  // namespace tint
