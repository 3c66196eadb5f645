// Internal to src/io: a cheap walk over an encoded image's container before any decoder runs.
// It finds the format by magic bytes, the dimensions the decoder will allocate for, and whether
// the file is complete. The last matters because stb_image reads zeros past the end of its
// buffer instead of failing: nearly every truncation of a BMP or TGA, and a PNG cut inside its
// final chunks, would otherwise decode "successfully" into a picture with a black bottom.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tint {

enum class SourceFormat { jpeg, png, gif, bmp, webp, tga };

// "JPEG", "PNG", ...: for messages.
const char* source_format_name(SourceFormat format);

// By magic bytes. TGA has none, so anything unrecognised is reported as a TGA candidate and
// scan_image decides whether its header is plausible.
SourceFormat sniff_format(const uint8_t* bytes, size_t size);

struct ImageScan {
  bool supported = true;        // false: no known magic and not a plausible TGA header
  bool has_dimensions = false;  // the header was complete enough to hold them
  uint64_t width = 0;
  uint64_t height = 0;
  std::string problem;  // empty when the container is complete; else "truncated PNG data", ...
};

ImageScan scan_image(SourceFormat format, const uint8_t* bytes, size_t size);

}  // namespace tint
