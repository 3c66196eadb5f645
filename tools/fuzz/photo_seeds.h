// Fuzz seeds shaped like real photos' files (issue 16): the encoder options cameras, phones and
// image editors use — progressive and baseline JPEG with restart markers, CMYK and YCCK (Adobe),
// 4:2:2 and 4:4:0 subsampling, EXIF with each orientation; interlaced, 16-bit and palette + tRNS
// PNG; animated GIF and WebP. Written with Debian's libjpeg-turbo, libpng and libwebpmux, so the
// seeds exercise what those encoders emit rather than what stb writes. Used by make_seeds.cpp.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tint_photo_seeds {

// Writes every seed into `folder` (which must exist); returns the file names written.
std::vector<std::string> write_photo_seeds(const std::filesystem::path& folder);

}  // namespace tint_photo_seeds
