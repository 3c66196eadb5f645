// Image files <-> tint::Image. Decodes JPEG, PNG, GIF (first frame), BMP and TGA with
// stb_image and WebP with libwebp; encodes PNG and JPEG with stb_image_write. The format is
// found from the file's magic bytes, never its name. Errors are values whose one-line message
// names the file ("photo.jpg: truncated JPEG data").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "image.h"
#include "orientation.h"
#include "status.h"

namespace tint {

struct DecodeOptions {
  // Larger images are refused from their header, before the decoder allocates anything.
  uint64_t max_pixels = default_max_pixels;
  // Turn JPEGs upright according to their EXIF orientation tag.
  bool apply_exif_orientation = true;
};

// Decodes an encoded image held in memory; `name` is used only in messages. Channels are the
// file's own: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (GIF and animated WebP always give 4, as
// the first frame is composited on a transparent canvas). 16-bit PNGs give bits = 16.
Result<Image> decode_image(const uint8_t* bytes, size_t size, const std::string& name,
                           const DecodeOptions& options = {});

// read_file + decode_image, with the path as the name.
Result<Image> read_image(const std::string& path, const DecodeOptions& options = {});

enum class ImageFormat { png, jpeg };

// From the extension, case-insensitive: .png, .jpg, .jpeg. Anything else is an error that
// names the extension.
Result<ImageFormat> format_for_path(const std::string& path);

// Encodes in memory. 16-bit images are rounded to 8 bits (stb_image_write writes 8-bit only).
// JPEG has no alpha channel: alpha is dropped, not composited, so transparent pixels keep
// whatever colour they store. stb_image_write always writes three-component JPEGs, so a grey
// image comes back from a JPEG as RGB with equal channels. jpeg_quality (1..100) is checked
// only for JPEG. `name` is used only in messages.
Result<std::vector<uint8_t>> encode_image(const Image& image, ImageFormat format,
                                          int jpeg_quality = 92,
                                          const std::string& name = "image");

// Encodes by the path's extension, then writes with write_file_atomic: `path` ends up either
// untouched or holding the whole new file.
Status write_image(const std::string& path, const Image& image, int jpeg_quality = 92);

}  // namespace tint
