#include "image_io.h"

#include <webp/decode.h>
#include <webp/demux.h>

#include <climits>
#include <cstdio>
#include <cstring>

#include "file_io.h"
#include "image_scan.h"

// stb is compiled here and nowhere else, with static linkage so it cannot clash with another
// copy in the same program. Only the formats tint accepts are compiled in: less code that
// untrusted bytes can reach. Files are read by file_io, so stb's stdio layer is left out.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_GIF
// stb's decoder state and buffers are zeroed when allocated, a second line of defence behind
// image_scan's checks: no decode can depend on what the heap happened to hold before.
#define STBI_MALLOC(size) calloc(1, size)
#define STBI_REALLOC(pointer, size) realloc(pointer, size)
#define STBI_FREE(pointer) free(pointer)
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
// PNG's deflate by zlib at level 1 instead of stb's own compressor, which took half the time of
// colourising a 12 MP image (perf). Whole `tint colorize` of a 4000x3000 test image, CPU time and
// output size: stb 4.0 s / 10.1 MB, zlib level 1 2.3 s / 8.2 MB, level 6 4.7 s / 5.9 MB.
#define STBIW_ZLIB_COMPRESS tint_png_deflate
#include <zlib.h>
static unsigned char* tint_png_deflate(unsigned char* data, int length, int* out_length, int /*quality*/) {
  uLongf size = compressBound(uLong(length));
  auto* out = static_cast<unsigned char*>(malloc(size));  // stb frees it with STBIW_FREE (free)
  if (out && compress2(out, &size, data, uLong(length), 1) != Z_OK) {
    free(out);
    out = nullptr;
  }
  *out_length = out ? int(size) : 0;
  return out;
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace tint {
namespace {

const char* const supported_list = "JPEG, PNG, WebP, GIF, BMP, TGA";

// "64 MP" for the usual sizes, exact pixel counts below a megapixel (small test limits).
std::string describe_pixels(uint64_t pixels) {
  if (pixels < 1'000'000) return std::to_string(pixels) + " pixels";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", double(pixels) / 1e6);
  std::string megapixels = text;
  if (megapixels.size() > 2 && megapixels.compare(megapixels.size() - 2, 2, ".0") == 0) {
    megapixels.resize(megapixels.size() - 2);
  }
  return megapixels + " MP";
}

Status check_dimensions(const std::string& name, uint64_t width, uint64_t height,
                        uint64_t max_pixels) {
  std::string size = std::to_string(width) + "x" + std::to_string(height);
  if (width == 0 || height == 0) return Status::error(name + ": " + size + " image has no pixels");
  uint64_t pixels = width * height;  // both below 2^32, so no overflow
  if (pixels > max_pixels) {
    std::string limit = max_pixels >= 1'000'000 ? "the " + describe_pixels(max_pixels) + " limit"
                                                : "the limit of " + describe_pixels(max_pixels);
    return Status::error(name + ": " + size + " is " + describe_pixels(pixels) + ", above " +
                         limit);
  }
  return Status::ok();
}

std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason ? reason : "unknown error";
}

Result<Image> decode_with_stb(const uint8_t* bytes, size_t size, const std::string& name,
                              SourceFormat format, uint64_t max_pixels) {
  const char* format_name = source_format_name(format);
  int length = int(size);  // decode_image has checked that size fits an int
  int width = 0, height = 0, channels = 0;
  // The scan found the dimensions itself; stb's own header reading is what decides its
  // allocation, so check those too before decoding.
  if (!stbi_info_from_memory(bytes, length, &width, &height, &channels)) {
    return Status::error(name + ": corrupt " + format_name + " header (" + stb_reason() + ")");
  }
  TINT_RETURN_IF_ERROR(check_dimensions(name, uint64_t(width), uint64_t(height), max_pixels));
  bool sixteen_bit = stbi_is_16_bit_from_memory(bytes, length) != 0;
  void* pixels = sixteen_bit ? static_cast<void*>(stbi_load_16_from_memory(
                                   bytes, length, &width, &height, &channels, 0))
                             : static_cast<void*>(stbi_load_from_memory(bytes, length, &width,
                                                                        &height, &channels, 0));
  if (!pixels) {
    std::string reason = stb_reason();
    if (reason == "outofmem") {
      return Status::error(name + ": out of memory decoding " + std::to_string(width) + "x" +
                           std::to_string(height) + " pixels");
    }
    return Status::error(name + ": corrupt " + format_name + " data (" + reason + ")");
  }
  Image image(width, height, channels, sixteen_bit ? 16 : 8);
  std::memcpy(image.data.data(), pixels, image.data.size());  // stb's 16-bit is native-endian
  stbi_image_free(pixels);
  return image;
}

std::string webp_problem(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated WebP data";
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory decoding WebP data";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported WebP feature";
    case VP8_STATUS_BITSTREAM_ERROR: return "corrupt WebP data (bitstream error)";
    case VP8_STATUS_INVALID_PARAM: return "corrupt WebP data (invalid parameter)";
    default: return "corrupt WebP data";
  }
}

// An animation's first frame, composited on the canvas by libwebp's demuxer.
Result<Image> decode_animated_webp(const uint8_t* bytes, size_t size, const std::string& name) {
  WebPData data{bytes, size};
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) {
    return Status::error(name + ": libwebp version mismatch");
  }
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  WebPAnimDecoder* decoder = WebPAnimDecoderNew(&data, &options);
  if (!decoder) return Status::error(name + ": corrupt WebP data (bad animation)");
  WebPAnimInfo info;
  uint8_t* frame = nullptr;
  int timestamp = 0;
  Result<Image> result = Status::error(name + ": corrupt WebP data (bad first frame)");
  if (WebPAnimDecoderGetInfo(decoder, &info) &&
      WebPAnimDecoderGetNext(decoder, &frame, &timestamp)) {
    Image image(int(info.canvas_width), int(info.canvas_height), 4);
    std::memcpy(image.data.data(), frame, image.data.size());
    result = std::move(image);
  }
  WebPAnimDecoderDelete(decoder);
  return result;
}

Result<Image> decode_webp(const uint8_t* bytes, size_t size, const std::string& name,
                          uint64_t max_pixels) {
  WebPBitstreamFeatures features;
  VP8StatusCode status = WebPGetFeatures(bytes, size, &features);
  if (status != VP8_STATUS_OK) return Status::error(name + ": " + webp_problem(status));
  TINT_RETURN_IF_ERROR(check_dimensions(name, uint64_t(features.width),
                                        uint64_t(features.height), max_pixels));
  // The RIFF header gives the size of everything after its first 8 bytes; a file shorter
  // than that lost its end (libwebp would otherwise accept a cut-off animation or metadata).
  uint64_t riff_size = uint64_t(bytes[4]) | uint64_t(bytes[5]) << 8 | uint64_t(bytes[6]) << 16 |
                       uint64_t(bytes[7]) << 24;
  if (riff_size + 8 > size) return Status::error(name + ": truncated WebP data");
  if (features.has_animation) return decode_animated_webp(bytes, size, name);

  int channels = features.has_alpha ? 4 : 3;
  Image image(features.width, features.height, channels);
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return Status::error(name + ": libwebp version mismatch");
  // Decode straight into the Image's buffer: no second copy of a large picture.
  config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = image.data.data();
  config.output.u.RGBA.stride = features.width * channels;
  config.output.u.RGBA.size = image.data.size();
  status = WebPDecode(bytes, size, &config);
  WebPFreeDecBuffer(&config.output);
  if (status != VP8_STATUS_OK) return Status::error(name + ": " + webp_problem(status));
  return image;
}

Result<Image> decode_pixels(const uint8_t* bytes, size_t size, const std::string& name,
                            SourceFormat format, uint64_t max_pixels) {
  if (format == SourceFormat::webp) return decode_webp(bytes, size, name, max_pixels);
  ImageScan scan = scan_image(format, bytes, size);
  if (!scan.supported) {
    return Status::error(name + ": not a supported image (" + supported_list + ")");
  }
  // The size limit comes before completeness, so a huge header fails on its size alone.
  if (!scan.has_dimensions) return Status::error(name + ": " + scan.problem);
  TINT_RETURN_IF_ERROR(check_dimensions(name, scan.width, scan.height, max_pixels));
  if (!scan.problem.empty()) return Status::error(name + ": " + scan.problem);
  return decode_with_stb(bytes, size, name, format, max_pixels);
}

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

std::string lower_case(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return text;
}

}  // namespace

Result<Image> decode_image(const uint8_t* bytes, size_t size, const std::string& name,
                           const DecodeOptions& options) {
  if (size == 0) return Status::error(name + ": file is empty");
  if (size > size_t(INT_MAX)) {  // stb_image takes an int length
    return Status::error(name + ": " + format_byte_count(size) +
                         " is above the 2 GiB limit for an encoded image");
  }
  SourceFormat format = sniff_format(bytes, size);
  Result<Image> image = decode_pixels(bytes, size, name, format, options.max_pixels);
  if (image.is_ok() && format == SourceFormat::jpeg && options.apply_exif_orientation) {
    int orientation = read_exif_orientation(bytes, size);
    if (orientation != 1) image = apply_orientation(image.value(), orientation);
  }
  return image;
}

Result<Image> read_image(const std::string& path, const DecodeOptions& options) {
  Result<std::vector<uint8_t>> bytes = read_file(path);
  if (!bytes.is_ok()) return bytes.status();
  return decode_image(bytes->data(), bytes->size(), path, options);
}

Result<ImageFormat> format_for_path(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string file_name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = file_name.find_last_of('.');
  const char* choices = "use .png, .jpg or .jpeg";
  if (dot == std::string::npos || dot == 0) {
    return Status::error(path + ": no file extension to choose the format (" + choices + ")");
  }
  std::string extension = lower_case(file_name.substr(dot));
  if (extension == ".png") return ImageFormat::png;
  if (extension == ".jpg" || extension == ".jpeg") return ImageFormat::jpeg;
  return Status::error(path + ": cannot write " + file_name.substr(dot) + " files (" + choices +
                       ")");
}

Result<std::vector<uint8_t>> encode_image(const Image& image, ImageFormat format,
                                          int jpeg_quality, const std::string& name) {
  bool valid = image.width > 0 && image.height > 0 && image.channels >= 1 &&
               image.channels <= 4 && (image.bits == 8 || image.bits == 16) &&
               image.data.size() == image.sample_count() * size_t(image.bits / 8);
  if (!valid) {
    return Status::error(name + ": cannot encode an invalid image (" +
                         std::to_string(image.width) + "x" + std::to_string(image.height) + ", " +
                         std::to_string(image.channels) + " channels, " +
                         std::to_string(image.bits) + " bits, " +
                         std::to_string(image.data.size()) + " bytes)");
  }
  const uint64_t row_bytes = uint64_t(image.width) * uint64_t(image.channels);
  if (format == ImageFormat::jpeg) {
    if (jpeg_quality < 1 || jpeg_quality > 100) {
      return Status::error(name + ": JPEG quality " + std::to_string(jpeg_quality) +
                           " is outside 1..100");
    }
    // The JPEG frame header stores each side in 16 bits.
    if (image.width > 65535 || image.height > 65535) {
      return Status::error(name + ": " + std::to_string(image.width) + "x" +
                           std::to_string(image.height) +
                           " is too large for JPEG (at most 65535 pixels a side)");
    }
  } else if ((row_bytes + 1) * uint64_t(image.height) > uint64_t(INT_MAX) / 2) {
    // stb_image_write sizes its PNG buffers with int arithmetic.
    return Status::error(name + ": " + std::to_string(image.width) + "x" +
                         std::to_string(image.height) + " is too large to encode as PNG");
  }

  // stb_image_write takes 8-bit samples only. Round to nearest: v * 255 / 65535, + half.
  std::vector<uint8_t> converted;
  const uint8_t* samples = image.data.data();
  if (image.bits == 16) {
    converted.resize(image.sample_count());
    for (size_t i = 0; i < converted.size(); ++i) {
      converted[i] = uint8_t((image.sample(i) * 255u + 32767u) / 65535u);
    }
    samples = converted.data();
  }

  std::vector<uint8_t> out;
  int ok = 0;
  if (format == ImageFormat::png) {
    ok = stbi_write_png_to_func(append_bytes, &out, image.width, image.height, image.channels,
                                samples, int(row_bytes));
  } else {
    // stb reads grey+alpha as grey and RGBA as RGB: alpha is dropped (see image_io.h).
    ok = stbi_write_jpg_to_func(append_bytes, &out, image.width, image.height, image.channels,
                                samples, jpeg_quality);
  }
  if (!ok || out.empty()) {
    return Status::error(name + ": " + (format == ImageFormat::png ? "PNG" : "JPEG") +
                         " encoding failed");
  }
  return out;
}

Status write_image(const std::string& path, const Image& image, int jpeg_quality) {
  Result<ImageFormat> format = format_for_path(path);
  if (!format.is_ok()) return format.status();
  Result<std::vector<uint8_t>> bytes = encode_image(image, *format, jpeg_quality, path);
  if (!bytes.is_ok()) return bytes.status();
  return write_file_atomic(path, bytes->data(), bytes->size());
}

}  // namespace tint
