// Image files built in memory for the tests (stb_image_write, libwebp's encoder, or by hand for
// 16-bit PNG, GIF and EXIF), so that no test needs a committed image. Shared by test_image.cpp
// and test_bad_inputs.cpp.
#pragma once

#include "fixture_check.h"

#include <webp/encode.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "image.h"

// A private copy of the writer for fixtures; static, so it cannot clash with tint_io's copy.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace tint_test {

using tint::Image;
using Bytes = std::vector<uint8_t>;

// Distinct, position-dependent samples so a swapped or shifted pixel shows.
inline Image pattern_image(int width, int height, int channels, int bits = 8) {
  Image image(width, height, channels, bits);
  for (size_t i = 0; i < image.sample_count(); ++i) {
    uint32_t value = uint32_t(i * 2654435761u >> 7);
    image.set_sample(i, bits == 8 ? (value & 0xFF) : (value & 0xFFFF));
  }
  return image;
}

inline void append_to(void* context, void* data, int size) {
  auto* out = static_cast<Bytes*>(context);
  out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

enum class StbFormat { png, bmp, tga, tga_raw, jpeg };
inline Bytes stb_encode(const Image& image, StbFormat format) {
  Bytes out;
  const int w = image.width, h = image.height, c = image.channels;
  const void* data = image.data.data();
  switch (format) {
    case StbFormat::png: stbi_write_png_to_func(append_to, &out, w, h, c, data, w * c); break;
    case StbFormat::bmp: stbi_write_bmp_to_func(append_to, &out, w, h, c, data); break;
    case StbFormat::tga:
    case StbFormat::tga_raw:
      stbi_write_tga_with_rle = format == StbFormat::tga ? 1 : 0;
      stbi_write_tga_to_func(append_to, &out, w, h, c, data);
      stbi_write_tga_with_rle = 1;
      break;
    case StbFormat::jpeg: stbi_write_jpg_to_func(append_to, &out, w, h, c, data, 95); break;
  }
  fixture_check(!out.empty(), "!out.empty()");
  return out;
}

inline Bytes webp_lossless(const Image& image) {
  uint8_t* output = nullptr;
  size_t size = image.channels == 4
                    ? WebPEncodeLosslessRGBA(image.data.data(), image.width, image.height,
                                             image.width * 4, &output)
                    : WebPEncodeLosslessRGB(image.data.data(), image.width, image.height,
                                            image.width * 3, &output);
  fixture_check(size > 0, "size > 0");
  Bytes bytes(output, output + size);
  WebPFree(output);
  return bytes;
}

inline Bytes webp_lossy(const Image& rgb) {
  uint8_t* output = nullptr;
  size_t size = WebPEncodeRGB(rgb.data.data(), rgb.width, rgb.height, rgb.width * 3, 90, &output);
  fixture_check(size > 0, "size > 0");
  Bytes bytes(output, output + size);
  WebPFree(output);
  return bytes;
}

inline void put_be32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(v >> shift));
}
inline void put_le(Bytes& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

inline uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline void png_chunk(Bytes& png, const char* type, const Bytes& data) {
  put_be32(png, uint32_t(data.size()));
  size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  put_be32(png, crc32(png.data() + start, png.size() - start));
}

// zlib with "stored" (uncompressed) deflate blocks: valid, and simple enough to write here.
inline Bytes zlib_stored(const Bytes& raw) {
  Bytes out = {0x78, 0x01};
  size_t pos = 0;
  do {
    size_t n = std::min<size_t>(65535, raw.size() - pos);
    out.push_back(pos + n == raw.size() ? 1 : 0);
    put_le(out, uint32_t(n), 2);
    put_le(out, uint32_t(~n & 0xFFFF), 2);
    out.insert(out.end(), raw.begin() + long(pos), raw.begin() + long(pos + n));
    pos += n;
  } while (pos < raw.size());
  uint32_t a = 1, b = 0;
  for (uint8_t byte : raw) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  put_be32(out, b << 16 | a);
  return out;
}

// A PNG at any bit depth (8 or 16) from an Image; 16-bit samples go big-endian, per the spec.
inline Bytes hand_png(const Image& image, bool with_data = true) {
  static const uint8_t colour_types[] = {0, 0, 4, 2, 6};
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes header;
  put_be32(header, uint32_t(image.width));
  put_be32(header, uint32_t(image.height));
  header.insert(header.end(), {uint8_t(image.bits), colour_types[image.channels], 0, 0, 0});
  png_chunk(png, "IHDR", header);
  if (with_data) {
    Bytes raw;
    size_t row_samples = size_t(image.width) * size_t(image.channels);
    for (int y = 0; y < image.height; ++y) {
      raw.push_back(0);  // filter: none
      for (size_t i = 0; i < row_samples; ++i) {
        uint32_t v = image.sample(size_t(y) * row_samples + i);
        if (image.bits == 16) raw.push_back(uint8_t(v >> 8));
        raw.push_back(uint8_t(v));
      }
    }
    png_chunk(png, "IDAT", zlib_stored(raw));
  }
  png_chunk(png, "IEND", {});
  return png;
}

// A 4-colour GIF. LZW is kept trivial: a clear code before every pair of pixels keeps the code
// width at 3 bits, so each pixel is one 3-bit literal.
inline Bytes hand_gif(int width, int height, const std::vector<uint8_t>& indices) {
  Bytes gif = {'G', 'I', 'F', '8', '9', 'a'};
  put_le(gif, uint32_t(width), 2);
  put_le(gif, uint32_t(height), 2);
  gif.insert(gif.end(), {0x81, 0, 0});  // global table of 4 entries
  gif.insert(gif.end(), {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255});
  gif.push_back(0x2C);
  put_le(gif, 0, 4);
  put_le(gif, uint32_t(width), 2);
  put_le(gif, uint32_t(height), 2);
  gif.insert(gif.end(), {0, 2});  // no local table; LZW minimum code size 2
  Bytes codes;
  uint32_t bit_buffer = 0;
  int bit_count = 0;
  auto emit = [&](uint32_t code) {
    bit_buffer |= code << bit_count;
    for (bit_count += 3; bit_count >= 8; bit_count -= 8, bit_buffer >>= 8) {
      codes.push_back(uint8_t(bit_buffer));
    }
  };
  for (size_t i = 0; i < indices.size(); ++i) {
    if (i % 2 == 0) emit(4);  // clear
    emit(indices[i]);
  }
  emit(5);  // end of information
  if (bit_count > 0) codes.push_back(uint8_t(bit_buffer));
  for (size_t pos = 0; pos < codes.size(); pos += 255) {
    size_t n = std::min<size_t>(255, codes.size() - pos);
    gif.push_back(uint8_t(n));
    gif.insert(gif.end(), codes.begin() + long(pos), codes.begin() + long(pos + n));
  }
  gif.insert(gif.end(), {0, 0x3B});
  return gif;
}

// An APP1 "Exif" segment holding only IFD0 with the orientation tag, spliced in after SOI.
inline Bytes exif_segment(int orientation, bool big_endian) {
  Bytes tiff;
  auto put16 = [&](uint32_t v) {
    if (big_endian) tiff.insert(tiff.end(), {uint8_t(v >> 8), uint8_t(v)});
    else tiff.insert(tiff.end(), {uint8_t(v), uint8_t(v >> 8)});
  };
  auto put32 = [&](uint32_t v) {
    if (big_endian) { put16(v >> 16); put16(v & 0xFFFF); }
    else { put16(v & 0xFFFF); put16(v >> 16); }
  };
  uint8_t order = big_endian ? 'M' : 'I';
  tiff.insert(tiff.end(), {order, order});
  put16(42);
  put32(8);
  put16(1);                                // one entry
  put16(0x0112);                           // orientation
  put16(3);                                // SHORT
  put32(1);                                // count
  put16(uint32_t(orientation));            // value, left-aligned in the 4-byte field
  put16(0);
  put32(0);                                // no next IFD
  Bytes segment = {0xFF, 0xE1};
  size_t length = 2 + 6 + tiff.size();
  segment.insert(segment.end(), {uint8_t(length >> 8), uint8_t(length)});
  segment.insert(segment.end(), {'E', 'x', 'i', 'f', 0, 0});
  segment.insert(segment.end(), tiff.begin(), tiff.end());
  return segment;
}

inline Bytes with_segment_after_soi(Bytes jpeg, const Bytes& segment) {
  jpeg.insert(jpeg.begin() + 2, segment.begin(), segment.end());
  return jpeg;
}

}  // namespace tint_test
