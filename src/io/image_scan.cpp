#include "image_scan.h"

#include <cstring>

namespace tint {
namespace {

uint32_t be16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }
uint32_t le16(const uint8_t* p) { return uint32_t(p[1]) << 8 | p[0]; }
uint32_t le32(const uint8_t* p) { return le16(p + 2) << 16 | le16(p); }

// Is [offset, offset + length) inside the buffer? Written so that nothing can overflow.
bool fits(size_t size, uint64_t offset, uint64_t length) {
  return offset <= size && length <= size - offset;
}

ImageScan truncated(const char* format) {
  ImageScan scan;
  scan.problem = std::string("truncated ") + format + " data";
  return scan;
}

ImageScan corrupt(const char* format, const std::string& why) {
  ImageScan scan;
  scan.problem = std::string("corrupt ") + format + " data (" + why + ")";
  return scan;
}

void set_dimensions(ImageScan& scan, uint64_t width, uint64_t height) {
  scan.has_dimensions = true;
  scan.width = width;
  scan.height = height;
}

bool is_sof_marker(uint8_t marker) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Which tables a JPEG has defined so far, and its frame's components. stb_image 2.27 (Debian
// 12) decodes a scan whose tables were never defined from whatever its malloc'ed decoder state
// happens to hold (valgrind: branches on uninitialised memory, then reads far out of bounds), so
// every scan's tables must be defined before it reaches stb.
struct JpegTables {
  bool huffman[2][4] = {};  // [class: 0 DC, 1 AC][id]
  bool quantization[4] = {};
  bool progressive = false;
  int components = 0;
  uint8_t component_id[4] = {}, component_table[4] = {};
};

// A DHT segment holds tables of: class/id byte, 16 code-length counts, then that many symbols.
// A table has at most 256 symbols; stb_image 2.27 does not check and writes past its table
// arrays when the counts add up to more, so such files must never reach it.
bool read_huffman_tables(const uint8_t* data, size_t size, JpegTables& tables) {
  size_t pos = 0;
  while (pos < size) {
    if (size - pos < 17) return false;
    const int table_class = data[pos] >> 4, id = data[pos] & 15;
    if (table_class > 1 || id > 3) return false;
    size_t symbols = 0;
    for (size_t i = 1; i <= 16; ++i) symbols += data[pos + i];
    if (symbols > 256 || size - pos - 17 < symbols) return false;
    tables.huffman[table_class][id] = true;
    pos += 17 + symbols;
  }
  return true;
}

// DQT: precision/id byte, then 64 entries of 1 or 2 bytes.
bool read_quantization_tables(const uint8_t* data, size_t size, JpegTables& tables) {
  size_t pos = 0;
  while (pos < size) {
    const int precision = data[pos] >> 4, id = data[pos] & 15;
    const size_t length = 1 + 64 * size_t(precision + 1);
    if (precision > 1 || id > 3 || size - pos < length) return false;
    tables.quantization[id] = true;
    pos += length;
  }
  return true;
}

// SOF: precision, height, width, component count, then (id, sampling, quantisation table) each.
bool read_frame(uint8_t marker, const uint8_t* data, size_t size, JpegTables& tables) {
  if (size < 6) return false;
  const int count = data[5];
  if (count < 1 || count > 4 || size < 6 + 3 * size_t(count)) return false;
  tables.progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE;
  tables.components = count;
  for (int i = 0; i < count; ++i) {
    tables.component_id[i] = data[6 + 3 * i];
    tables.component_table[i] = data[8 + 3 * i];
  }
  return true;
}

// SOS: component count, (component id, DC/AC table ids) each, spectral start and end, approximation.
// Which Huffman tables a scan decodes with (as stb does): sequential scans both; progressive DC
// first scans the DC table, DC refinements none, AC scans the AC table.
std::string check_scan(const uint8_t* data, size_t size, const JpegTables& tables) {
  if (tables.components == 0) return "scan before the frame header";
  if (size < 1) return "short scan header";
  const int count = data[0];
  if (count < 1 || count > 4 || size < 1 + 2 * size_t(count) + 3) return "short scan header";
  const int spectral_start = data[1 + 2 * count], high_bit = data[3 + 2 * count] >> 4;
  const bool uses_dc = !tables.progressive || (spectral_start == 0 && high_bit == 0);
  const bool uses_ac = !tables.progressive || spectral_start > 0;
  for (int i = 0; i < count; ++i) {
    const uint8_t id = data[1 + 2 * i], dc = data[2 + 2 * i] >> 4, ac = data[2 + 2 * i] & 15;
    int component = 0;
    while (component < tables.components && tables.component_id[component] != id) ++component;
    if (component == tables.components) return "scan of a component the frame does not have";
    const int quantization = tables.component_table[component];
    if (quantization > 3 || !tables.quantization[quantization]) return "undefined quantisation table";
    if ((uses_dc && (dc > 3 || !tables.huffman[0][dc])) || (uses_ac && (ac > 3 || !tables.huffman[1][ac]))) {
      return "undefined Huffman table";
    }
  }
  return "";
}

// Walks marker segments and entropy-coded data to the EOI marker. Bytes that are not a marker
// where one is expected are skipped, as libjpeg does, so slightly sloppy files still pass.
ImageScan scan_jpeg(const uint8_t* bytes, size_t size) {
  ImageScan scan;
  JpegTables tables;
  size_t pos = 2;
  for (;;) {
    while (pos < size && bytes[pos] != 0xFF) ++pos;  // entropy-coded data or stray bytes
    while (pos < size && bytes[pos] == 0xFF) ++pos;  // a marker may be preceded by fill bytes
    if (pos >= size) break;
    uint8_t marker = bytes[pos++];
    // 0x00 is a stuffed data byte; RSTn, TEM and SOI carry no length.
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;
    if (marker == 0xD9) {
      if (!scan.has_dimensions) return corrupt("JPEG", "no frame header");
      return scan;
    }
    if (!fits(size, pos, 2)) break;
    size_t length = be16(bytes + pos);  // counts its own two bytes
    if (length < 2) return corrupt("JPEG", "bad segment length");
    if (!fits(size, pos, length)) break;
    const uint8_t* segment = bytes + pos + 2;
    if (marker == 0xC4 && !read_huffman_tables(segment, length - 2, tables)) {
      return corrupt("JPEG", "bad Huffman table");
    }
    if (marker == 0xDB && !read_quantization_tables(segment, length - 2, tables)) {
      return corrupt("JPEG", "bad quantisation table");
    }
    if (is_sof_marker(marker) && !scan.has_dimensions) {
      if (length < 7) return corrupt("JPEG", "short frame header");
      if (!read_frame(marker, segment, length - 2, tables)) return corrupt("JPEG", "bad frame header");
      set_dimensions(scan, be16(bytes + pos + 5), be16(bytes + pos + 3));
    }
    if (marker == 0xDA) {
      const std::string problem = check_scan(segment, length - 2, tables);
      if (!problem.empty()) return corrupt("JPEG", problem);
    }
    pos += length;
  }
  ImageScan result = truncated("JPEG");
  result.has_dimensions = scan.has_dimensions;
  result.width = scan.width;
  result.height = scan.height;
  return result;
}

// Signature, IHDR first, then length/type/data/CRC chunks up to IEND.
ImageScan scan_png(const uint8_t* bytes, size_t size) {
  ImageScan scan;
  if (size < 8 + 8 + 13) return truncated("PNG");
  if (be32(bytes + 8) != 13 || std::memcmp(bytes + 12, "IHDR", 4) != 0) {
    return corrupt("PNG", "first chunk is not IHDR");
  }
  set_dimensions(scan, be32(bytes + 16), be32(bytes + 20));
  size_t pos = 8;
  while (fits(size, pos, 8)) {
    uint64_t length = be32(bytes + pos);
    if (length > 0x7FFFFFFF) {
      scan.problem = "corrupt PNG data (chunk length above 2^31)";
      return scan;
    }
    const uint8_t* type = bytes + pos + 4;
    if (!fits(size, pos + 8, length + 4)) break;
    if (std::memcmp(type, "IEND", 4) == 0) return scan;
    pos += 8 + size_t(length) + 4;
  }
  scan.problem = "truncated PNG data";
  return scan;
}

// Skips GIF data sub-blocks (a length byte, that many bytes, until a zero length).
bool skip_gif_sub_blocks(const uint8_t* bytes, size_t size, size_t& pos) {
  for (;;) {
    if (pos >= size) return false;
    size_t length = bytes[pos++];
    if (length == 0) return true;
    if (!fits(size, pos, length)) return false;
    pos += length;
  }
}

// Only the first frame is decoded, so the file is complete once that frame's data ends.
ImageScan scan_gif(const uint8_t* bytes, size_t size) {
  ImageScan scan;
  if (size < 13) return truncated("GIF");
  set_dimensions(scan, le16(bytes + 6), le16(bytes + 8));  // logical screen: what stb allocates
  size_t pos = 13;
  if (bytes[10] & 0x80) pos += 3u << ((bytes[10] & 7) + 1);  // global colour table
  for (;;) {
    if (pos >= size) break;
    uint8_t block = bytes[pos++];
    if (block == 0x21) {  // extension: a label byte, then sub-blocks
      ++pos;
      if (!skip_gif_sub_blocks(bytes, size, pos)) break;
    } else if (block == 0x2C) {  // image descriptor: 9 bytes, local colour table, LZW data
      if (!fits(size, pos, 9)) break;
      uint8_t flags = bytes[pos + 8];
      pos += 9;
      if (flags & 0x80) pos += 3u << ((flags & 7) + 1);
      ++pos;  // LZW minimum code size
      if (!skip_gif_sub_blocks(bytes, size, pos)) break;
      return scan;
    } else if (block == 0x3B) {
      scan.problem = "corrupt GIF data (no image before the trailer)";
      return scan;
    } else {
      scan.problem = "corrupt GIF data (unknown block type)";
      return scan;
    }
  }
  scan.problem = "truncated GIF data";
  return scan;
}

// File header (14 bytes), info header, optional palette, then rows padded to 4 bytes starting
// at the offset the file header gives. stb_image supports uncompressed and bit-field BMPs.
ImageScan scan_bmp(const uint8_t* bytes, size_t size) {
  ImageScan scan;
  if (size < 18) return truncated("BMP");
  uint32_t pixel_offset = le32(bytes + 10);
  uint32_t header_size = le32(bytes + 14);
  if (header_size != 12 && header_size != 40 && header_size != 56 && header_size != 108 &&
      header_size != 124) {
    return corrupt("BMP", "unsupported header size " + std::to_string(header_size));
  }
  if (!fits(size, 14, header_size)) return truncated("BMP");
  int64_t width = 0, height = 0;
  uint32_t bits_per_pixel = 0, compression = 0;
  if (header_size == 12) {
    width = le16(bytes + 18);
    height = le16(bytes + 20);
    bits_per_pixel = le16(bytes + 24);
  } else {
    width = int32_t(le32(bytes + 18));
    height = int32_t(le32(bytes + 22));
    bits_per_pixel = le16(bytes + 28);
    compression = le32(bytes + 30);
  }
  // A negative height means rows are stored top-down; INT32_MIN has no positive counterpart.
  if (width < 0 || height == INT32_MIN) return corrupt("BMP", "bad dimensions");
  if (height < 0) height = -height;
  set_dimensions(scan, uint64_t(width), uint64_t(height));
  bool uncompressed = compression == 0 || compression == 3;  // BI_RGB or BI_BITFIELDS
  bool known_depth = bits_per_pixel == 1 || bits_per_pixel == 4 || bits_per_pixel == 8 ||
                     bits_per_pixel == 16 || bits_per_pixel == 24 || bits_per_pixel == 32;
  if (uncompressed && known_depth) {
    // width < 2^31 and height <= 2^31, so row_bytes < 2^34 and the product stays below 2^64.
    uint64_t row_bytes = (uint64_t(width) * bits_per_pixel + 31) / 32 * 4;
    if (!fits(size, pixel_offset, row_bytes * uint64_t(height))) scan.problem = "truncated BMP data";
  }
  return scan;  // other compressions: stb_image refuses them with its own reason
}

// TGA has no magic, so the header must pass the same plausibility test stb_image applies
// before anything is called a TGA. Then the bytes stb will consume must all be present.
ImageScan scan_tga(const uint8_t* bytes, size_t size) {
  ImageScan scan;
  if (size < 18) {
    scan.supported = false;
    return scan;
  }
  uint32_t id_length = bytes[0], colour_map_type = bytes[1], image_type = bytes[2];
  uint32_t palette_start = le16(bytes + 3), palette_length = le16(bytes + 5);
  uint32_t palette_bits = bytes[7];
  uint32_t width = le16(bytes + 12), height = le16(bytes + 14), pixel_bits = bytes[16];
  bool plausible = true;
  if (colour_map_type > 1) plausible = false;
  if (colour_map_type == 1) {
    if (image_type != 1 && image_type != 9) plausible = false;
    if (palette_bits != 8 && palette_bits != 15 && palette_bits != 16 && palette_bits != 24 &&
        palette_bits != 32) {
      plausible = false;
    }
    if (pixel_bits != 8 && pixel_bits != 16) plausible = false;
  } else if (image_type != 2 && image_type != 3 && image_type != 10 && image_type != 11) {
    plausible = false;
  }
  if (pixel_bits != 8 && pixel_bits != 15 && pixel_bits != 16 && pixel_bits != 24 &&
      pixel_bits != 32) {
    plausible = false;
  }
  if (width == 0 || height == 0) plausible = false;  // indistinguishable from random bytes
  if (!plausible) {
    scan.supported = false;
    return scan;
  }
  set_dimensions(scan, width, height);
  // stb_image skips `palette_start` bytes before the palette (not what the format says, but
  // it is what stb reads, and reading is what must stay inside the buffer).
  uint64_t pos = 18 + uint64_t(id_length);
  if (colour_map_type == 1) pos += palette_start + uint64_t(palette_length) * ((palette_bits + 7) / 8);
  uint64_t pixel_bytes = (pixel_bits + 7) / 8;
  uint64_t pixel_count = uint64_t(width) * height;
  if (image_type < 8) {
    if (!fits(size, pos, pixel_count * pixel_bytes)) scan.problem = "truncated TGA data";
    return scan;
  }
  // Run-length packets: a header byte, then one pixel repeated (high bit set) or raw pixels.
  uint64_t pixels_done = 0;
  while (pixels_done < pixel_count) {
    if (pos >= size) {
      scan.problem = "truncated TGA data";
      return scan;
    }
    uint8_t header = bytes[pos++];
    uint64_t count = (header & 0x7F) + 1;
    uint64_t packet_bytes = (header & 0x80) ? pixel_bytes : count * pixel_bytes;
    if (!fits(size, pos, packet_bytes)) {
      scan.problem = "truncated TGA data";
      return scan;
    }
    pos += packet_bytes;
    pixels_done += count;
  }
  return scan;
}

}  // namespace

const char* source_format_name(SourceFormat format) {
  switch (format) {
    case SourceFormat::jpeg: return "JPEG";
    case SourceFormat::png: return "PNG";
    case SourceFormat::gif: return "GIF";
    case SourceFormat::bmp: return "BMP";
    case SourceFormat::webp: return "WebP";
    case SourceFormat::tga: return "TGA";
  }
  return "image";
}

SourceFormat sniff_format(const uint8_t* bytes, size_t size) {
  auto starts_with = [&](const char* magic, size_t length, size_t offset = 0) {
    return size >= offset + length && std::memcmp(bytes + offset, magic, length) == 0;
  };
  if (starts_with("\xFF\xD8\xFF", 3)) return SourceFormat::jpeg;
  if (starts_with("\x89PNG\r\n\x1A\n", 8)) return SourceFormat::png;
  if (starts_with("GIF87a", 6) || starts_with("GIF89a", 6)) return SourceFormat::gif;
  if (starts_with("BM", 2)) return SourceFormat::bmp;
  if (starts_with("RIFF", 4) && starts_with("WEBP", 4, 8)) return SourceFormat::webp;
  return SourceFormat::tga;
}

ImageScan scan_image(SourceFormat format, const uint8_t* bytes, size_t size) {
  switch (format) {
    case SourceFormat::jpeg: return scan_jpeg(bytes, size);
    case SourceFormat::png: return scan_png(bytes, size);
    case SourceFormat::gif: return scan_gif(bytes, size);
    case SourceFormat::bmp: return scan_bmp(bytes, size);
    case SourceFormat::tga: return scan_tga(bytes, size);
    case SourceFormat::webp: break;  // libwebp reads the header itself (image_io.cpp)
  }
  return ImageScan{};
}

}  // namespace tint
