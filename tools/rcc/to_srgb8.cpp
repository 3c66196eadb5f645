// tint-to-srgb8: turns any image src/io decodes (JPEG, PNG 8/16-bit, WebP, GIF, BMP, TGA) into
// an 8-bit RGB PNG, for tools/fetch-data.sh.
//   tint-to-srgb8 [--keep-jpeg] [--max-side N] IN OUT.png|OUT.jpg
// EXIF orientation is applied; grey is copied to R, G and B; alpha is flattened onto white
// (what a browser shows for a transparent photo on a white page); 16-bit samples are rounded
// to 8 bits. With --keep-jpeg, a JPEG that is already baseline, 8-bit, three components and
// upright is copied byte for byte to OUT with its extension changed to .jpg (re-encoding would
// only add loss). Prints the path it wrote. Embedded colour profiles are not applied (neither
// stb_image nor tint's colourise path reads them): of the listed photos, all are tagged sRGB or
// untagged except eval's rocket.jpg (Adobe RGB) and hdr_room.png (HLG), taken as sRGB values.
// --max-side caps the long side exactly as `tint train --max-side` does in memory, and a .jpg OUT
// is written at quality 95: a small copy of a photo folder for a machine it must travel to.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "data.h"
#include "file_io.h"
#include "image_io.h"
#include "orientation.h"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "tint-to-srgb8: %s\n", message.c_str());
  return 1;
}

// True for a JPEG whose first frame header is SOF0 (baseline) with 8-bit samples and three
// components. Walks the marker segments before the first scan.
bool is_baseline_rgb8_jpeg(const std::vector<uint8_t>& bytes) {
  size_t size = bytes.size();
  if (size < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return false;
  size_t pos = 2;
  while (pos + 4 <= size) {
    if (bytes[pos] != 0xFF) return false;
    uint8_t marker = bytes[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    size_t length = size_t(bytes[pos + 2]) << 8 | bytes[pos + 3];
    if (length < 2 || pos + 2 + length > size) return false;
    bool is_frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (is_frame) {
      if (length < 8) return false;
      uint8_t precision = bytes[pos + 4];
      uint8_t components = bytes[pos + 9];
      return marker == 0xC0 && precision == 8 && components == 3;
    }
    if (marker == 0xDA) return false;  // a scan before any frame header
    pos += 2 + length;
  }
  return false;
}

// 8-bit RGB: grey spread to three channels, alpha composited onto white, 16 bits rounded.
tint::Image to_rgb8(const tint::Image& image) {
  tint::Image out(image.width, image.height, 3, 8);
  const int colour_channels = image.channels >= 3 ? 3 : 1;
  const double max_value = image.max_value();
  const size_t pixels = size_t(image.width) * size_t(image.height);
  for (size_t i = 0; i < pixels; ++i) {
    size_t in = i * size_t(image.channels);
    double alpha = image.has_alpha() ? image.sample(in + size_t(image.channels) - 1) / max_value : 1.0;
    for (int c = 0; c < 3; ++c) {
      double value = image.sample(in + size_t(colour_channels == 3 ? c : 0)) / max_value;
      double flattened = value * alpha + (1.0 - alpha);
      out.data[i * 3 + size_t(c)] = uint8_t(std::lround(flattened * 255.0));
    }
  }
  return out;
}

std::string with_extension(const std::string& path, const std::string& extension) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + extension;
  return path.substr(0, dot) + extension;
}

}  // namespace

int main(int argc, char** argv) {
  bool keep_jpeg = false;
  int max_side = 0;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    if (argument == "--keep-jpeg") {
      keep_jpeg = true;
    } else if (argument == "--max-side" && i + 1 < argc) {
      max_side = std::atoi(argv[++i]);
      if (max_side < 1) return fail("--max-side must be a positive number of pixels");
    } else {
      paths.push_back(argument);
    }
  }
  if (paths.size() != 2) {
    std::fprintf(stderr, "usage: tint-to-srgb8 [--keep-jpeg] [--max-side N] IN OUT.png|OUT.jpg\n");
    return 2;
  }
  const std::string& in_path = paths[0];
  const std::string& out_path = paths[1];
  tint::Result<tint::ImageFormat> out_format = tint::format_for_path(out_path);
  if (!out_format) return fail(out_format.message());
  if (*out_format != tint::ImageFormat::png && *out_format != tint::ImageFormat::jpeg) {
    return fail(out_path + ": the output must be a .png or .jpg");
  }

  tint::Result<std::vector<uint8_t>> bytes = tint::read_file(in_path);
  if (!bytes) return fail(bytes.message());
  tint::Result<tint::Image> image = tint::decode_image(bytes->data(), bytes->size(), in_path);
  if (!image) return fail(image.message());

  if (keep_jpeg && max_side == 0 && is_baseline_rgb8_jpeg(*bytes) &&
      tint::read_exif_orientation(bytes->data(), bytes->size()) == 1 && image->channels == 3 &&
      image->bits == 8) {
    std::string jpeg_path = with_extension(out_path, ".jpg");
    tint::Status status = tint::write_file_atomic(jpeg_path, bytes->data(), bytes->size());
    if (!status) return fail(status.message());
    std::printf("%s\n", jpeg_path.c_str());
    return 0;
  }
  tint::Image rgb = to_rgb8(*image);
  if (max_side > 0) rgb = tint::cap_long_side(rgb, max_side);
  tint::Status status = tint::write_image(out_path, rgb, 95);
  if (!status) return fail(status.message());
  std::printf("%s\n", out_path.c_str());
  return 0;
}
