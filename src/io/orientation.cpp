#include "orientation.h"

#include <cstring>

namespace tint {
namespace {

// A bounds-checked reader over a TIFF block in either byte order. Every offset in EXIF comes
// from the file, so every read checks it against the block's size first.
struct TiffReader {
  const uint8_t* bytes;
  size_t size;
  bool big_endian;

  bool u16(uint64_t offset, uint32_t& value) const {
    if (offset > size || size - offset < 2) return false;
    const uint8_t* p = bytes + offset;
    value = big_endian ? (uint32_t(p[0]) << 8 | p[1]) : (uint32_t(p[1]) << 8 | p[0]);
    return true;
  }
  bool u32(uint64_t offset, uint32_t& value) const {
    if (offset > size || size - offset < 4) return false;
    const uint8_t* p = bytes + offset;
    value = big_endian ? (uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3])
                       : (uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]);
    return true;
  }
};

constexpr uint32_t orientation_tag = 0x0112;
constexpr uint32_t tiff_type_short = 3;
constexpr uint32_t tiff_type_long = 4;

// TIFF header ("II" or "MM", 42, offset of IFD0), then IFD0's 12-byte entries: tag, type,
// count, and the value itself when it fits in 4 bytes (a SHORT sits in the first two).
int orientation_from_tiff(const uint8_t* bytes, size_t size) {
  if (size < 8) return 1;
  TiffReader tiff{bytes, size, false};
  if (bytes[0] == 'M' && bytes[1] == 'M') {
    tiff.big_endian = true;
  } else if (!(bytes[0] == 'I' && bytes[1] == 'I')) {
    return 1;
  }
  uint32_t magic = 0, ifd_offset = 0, entry_count = 0;
  if (!tiff.u16(2, magic) || magic != 42) return 1;
  if (!tiff.u32(4, ifd_offset) || !tiff.u16(ifd_offset, entry_count)) return 1;
  for (uint32_t i = 0; i < entry_count; ++i) {
    uint64_t entry = uint64_t(ifd_offset) + 2 + 12 * uint64_t(i);
    uint32_t tag = 0, type = 0, count = 0, value = 0;
    if (!tiff.u16(entry, tag) || !tiff.u16(entry + 2, type) || !tiff.u32(entry + 4, count)) {
      return 1;
    }
    if (tag != orientation_tag) continue;
    if (count != 1) return 1;
    bool read = type == tiff_type_short ? tiff.u16(entry + 8, value)
                : type == tiff_type_long ? tiff.u32(entry + 8, value)
                                         : false;
    return read && value >= 1 && value <= 8 ? int(value) : 1;
  }
  return 1;
}

}  // namespace

int read_exif_orientation(const uint8_t* bytes, size_t size) {
  if (size < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return 1;
  // Walk the marker segments up to the first scan; EXIF lives in an APP1 segment whose data
  // starts with "Exif\0\0" (XMP also uses APP1, with another prefix).
  size_t pos = 2;
  while (pos + 4 <= size) {
    if (bytes[pos] != 0xFF) return 1;
    uint8_t marker = bytes[pos + 1];
    if (marker == 0xFF) {  // fill byte before a marker
      ++pos;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // markers without a length
      pos += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return 1;  // start of scan / end of image
    size_t length = size_t(bytes[pos + 2]) << 8 | bytes[pos + 3];  // includes its own 2 bytes
    if (length < 2 || length > size - pos - 2) return 1;
    const uint8_t* data = bytes + pos + 4;
    size_t data_size = length - 2;
    if (marker == 0xE1 && data_size >= 6 && std::memcmp(data, "Exif\0\0", 6) == 0) {
      return orientation_from_tiff(data + 6, data_size - 6);
    }
    pos += 2 + length;
  }
  return 1;
}

Image apply_orientation(const Image& image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const size_t width = size_t(image.width), height = size_t(image.height);
  const size_t pixel_bytes = size_t(image.channels) * size_t(image.bits / 8);
  if (image.data.size() != width * height * pixel_bytes) return image;  // not a valid image
  const bool swaps = orientation >= 5;
  Image out;
  out.width = swaps ? image.height : image.width;
  out.height = swaps ? image.width : image.height;
  out.channels = image.channels;
  out.bits = image.bits;
  out.data.resize(image.data.size());
  const size_t out_width = size_t(out.width), out_height = size_t(out.height);
  // For each output pixel (x, y), the source pixel it shows. Derived from the EXIF definition
  // of where the stored 0th row and 0th column belong on the upright picture.
  for (size_t y = 0; y < out_height; ++y) {
    for (size_t x = 0; x < out_width; ++x) {
      size_t source_x = x, source_y = y;
      switch (orientation) {
        case 2: source_x = width - 1 - x; break;
        case 3: source_x = width - 1 - x; source_y = height - 1 - y; break;
        case 4: source_y = height - 1 - y; break;
        case 5: source_x = y; source_y = x; break;
        case 6: source_x = y; source_y = height - 1 - x; break;
        case 7: source_x = width - 1 - y; source_y = height - 1 - x; break;
        case 8: source_x = width - 1 - y; source_y = x; break;
      }
      std::memcpy(out.data.data() + (y * out_width + x) * pixel_bytes,
                  image.data.data() + (source_y * width + source_x) * pixel_bytes, pixel_bytes);
    }
  }
  return out;
}

}  // namespace tint
