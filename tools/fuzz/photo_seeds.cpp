#include "photo_seeds.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "image_fixtures.h"

namespace tint_photo_seeds {
namespace {

using Bytes = std::vector<uint8_t>;
namespace fs = std::filesystem;

constexpr int kWidth = 64, kHeight = 48;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "tint-fuzz-seeds: %s\n", what);
  std::exit(1);
}

// A small "photo": a sky gradient, a sun, a horizon and some texture, so the encoders see the
// smooth areas and edges of real pictures. frame shifts the sun (the animations' second frame).
Bytes photo_rgb(int frame = 0) {
  Bytes rgb(size_t(kWidth) * kHeight * 3);
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      uint8_t* p = &rgb[(size_t(y) * kWidth + x) * 3];
      const double sun = std::hypot(x - 44.0 + 6 * frame, y - 12.0);
      const bool ground = y > 30 + 3 * std::sin(x * 0.2);
      const double texture = 12 * std::sin(x * 1.7 + y * 2.3);
      if (sun < 7) {
        p[0] = 250, p[1] = 220, p[2] = 90;
      } else if (ground) {
        p[0] = uint8_t(60 + texture), p[1] = uint8_t(120 + texture), p[2] = uint8_t(40 + texture / 2);
      } else {
        p[0] = uint8_t(90 + y * 2), p[1] = uint8_t(150 + y), p[2] = uint8_t(235 - y);
      }
    }
  return rgb;
}

struct JpegOptions {
  J_COLOR_SPACE in = JCS_RGB;   // JCS_RGB, JCS_GRAYSCALE or JCS_CMYK
  J_COLOR_SPACE out = JCS_YCbCr;
  int luma_h = 2, luma_v = 2;   // sampling of the first component; the others 1x1
  bool progressive = false;
  int restart_interval = 0;     // MCUs between restart markers; 0 = none
  int exif_orientation = 0;     // 0 = no EXIF segment
};

Bytes jpeg(const JpegOptions& options) {
  const Bytes rgb = photo_rgb();
  const int channels = options.in == JCS_GRAYSCALE ? 1 : options.in == JCS_CMYK ? 4 : 3;
  Bytes pixels(size_t(kWidth) * kHeight * channels);
  for (size_t i = 0; i < size_t(kWidth) * kHeight; ++i) {
    const uint8_t* p = &rgb[i * 3];
    if (channels == 1) {
      pixels[i] = uint8_t((p[0] * 3 + p[1] * 6 + p[2]) / 10);
    } else if (channels == 3) {
      std::copy(p, p + 3, &pixels[i * 3]);
    } else {  // CMYK as Adobe writes it (inverted): C = 255 - R etc., K from the brightest
      const uint8_t k = uint8_t(255 - std::max({p[0], p[1], p[2]}));
      for (int c = 0; c < 3; ++c) pixels[i * 4 + c] = uint8_t(255 - (255 - p[c] - k));
      pixels[i * 4 + 3] = uint8_t(255 - k);
    }
  }
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr error{};
  cinfo.err = jpeg_std_error(&error);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = kWidth;
  cinfo.image_height = kHeight;
  cinfo.input_components = channels;
  cinfo.in_color_space = options.in;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, options.out);
  jpeg_set_quality(&cinfo, 80, TRUE);
  if (cinfo.num_components > 1) {
    cinfo.comp_info[0].h_samp_factor = options.luma_h;
    cinfo.comp_info[0].v_samp_factor = options.luma_v;
    for (int c = 1; c < cinfo.num_components; ++c) cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
  }
  if (options.progressive) jpeg_simple_progression(&cinfo);
  cinfo.restart_interval = unsigned(options.restart_interval);
  jpeg_start_compress(&cinfo, TRUE);
  if (options.exif_orientation) {
    const Bytes segment = tint_test::exif_segment(options.exif_orientation, options.exif_orientation % 2 == 0);
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, segment.data() + 4, unsigned(segment.size() - 4));
  }
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = &pixels[size_t(cinfo.next_scanline) * kWidth * channels];
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

void append(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

enum class PngKind { interlaced_rgb, rgb16, palette_trns, grey_alpha16_interlaced };

Bytes png(PngKind kind) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) fail("libpng could not start");
  Bytes out;
  if (setjmp(png_jmpbuf(png))) fail("libpng failed");
  png_set_write_fn(png, &out, append, nullptr);
  const Bytes rgb = photo_rgb();
  const bool sixteen = kind == PngKind::rgb16 || kind == PngKind::grey_alpha16_interlaced;
  const int type = kind == PngKind::palette_trns ? PNG_COLOR_TYPE_PALETTE
                   : kind == PngKind::grey_alpha16_interlaced ? PNG_COLOR_TYPE_GRAY_ALPHA : PNG_COLOR_TYPE_RGB;
  const int channels = type == PNG_COLOR_TYPE_PALETTE ? 1 : type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 3;
  const bool interlaced = kind == PngKind::interlaced_rgb || kind == PngKind::grey_alpha16_interlaced;
  png_set_IHDR(png, info, kWidth, kHeight, sixteen ? 16 : 8, type, interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (type == PNG_COLOR_TYPE_PALETTE) {  // 16 colours of the photo's kinds, the last 4 translucent
    png_color palette[16];
    png_byte alpha[16];
    for (int i = 0; i < 16; ++i) {
      palette[i] = {png_byte(i * 16), png_byte(100 + i * 8), png_byte(240 - i * 12)};
      alpha[i] = png_byte(i < 12 ? 255 : 64 * (i - 12));
    }
    png_set_PLTE(png, info, palette, 16);
    png_set_tRNS(png, info, alpha, 16, nullptr);
  }
  const size_t sample_bytes = sixteen ? 2 : 1;
  Bytes pixels(size_t(kWidth) * kHeight * channels * sample_bytes);
  for (size_t i = 0; i < size_t(kWidth) * kHeight; ++i) {
    const uint8_t* p = &rgb[i * 3];
    uint16_t samples[3] = {p[0], p[1], p[2]};
    if (type == PNG_COLOR_TYPE_PALETTE) samples[0] = uint16_t(p[1] / 16);
    if (type == PNG_COLOR_TYPE_GRAY_ALPHA) samples[0] = uint16_t((p[0] + p[1] + p[2]) / 3), samples[1] = uint16_t(255 - i % 256);
    for (int c = 0; c < channels; ++c) {
      const uint16_t value = sixteen ? uint16_t(samples[c] * 257) : samples[c];
      uint8_t* q = &pixels[(i * channels + c) * sample_bytes];
      if (sixteen) q[0] = uint8_t(value >> 8), q[1] = uint8_t(value);  // PNG is big-endian
      else q[0] = uint8_t(value);
    }
  }
  std::vector<png_bytep> rows(kHeight);
  for (int y = 0; y < kHeight; ++y) rows[size_t(y)] = &pixels[size_t(y) * kWidth * channels * sample_bytes];
  png_set_rows(png, info, rows.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// Two frames spliced from hand_gif's single-frame files, with a looping extension and a delay.
Bytes animated_gif() {
  std::vector<uint8_t> first(size_t(kWidth) * kHeight), second(first.size());
  for (size_t i = 0; i < first.size(); ++i) first[i] = uint8_t((i / kWidth / 12) % 4), second[i] = uint8_t((i % kWidth / 16) % 4);
  const Bytes a = tint_test::hand_gif(kWidth, kHeight, first), b = tint_test::hand_gif(kWidth, kHeight, second);
  const size_t image_start = 13 + 12;  // header, screen descriptor, 4-entry colour table
  Bytes gif(a.begin(), a.begin() + image_start);
  const Bytes loop = {0x21, 0xFF, 11, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0', 3, 1, 0, 0, 0};
  const Bytes delay = {0x21, 0xF9, 4, 0, 10, 0, 0, 0};  // 0.1 s, no transparency
  gif.insert(gif.end(), loop.begin(), loop.end());
  for (const Bytes* frame : {&a, &b}) {
    gif.insert(gif.end(), delay.begin(), delay.end());
    gif.insert(gif.end(), frame->begin() + image_start, frame->end() - 1);  // up to the trailer
  }
  gif.push_back(0x3B);
  return gif;
}

Bytes animated_webp(bool lossless) {
  WebPAnimEncoderOptions options;
  WebPConfig config;
  if (!WebPAnimEncoderOptionsInit(&options) || !WebPConfigInit(&config)) fail("libwebp version mismatch");
  config.lossless = lossless;
  config.quality = 70;
  WebPAnimEncoder* encoder = WebPAnimEncoderNew(kWidth, kHeight, &options);
  if (!encoder) fail("WebPAnimEncoderNew failed");
  for (int frame = 0; frame < 2; ++frame) {
    WebPPicture picture;
    WebPPictureInit(&picture);
    picture.width = kWidth, picture.height = kHeight, picture.use_argb = 1;
    const Bytes rgb = photo_rgb(frame);
    if (!WebPPictureImportRGB(&picture, rgb.data(), kWidth * 3) || !WebPAnimEncoderAdd(encoder, &picture, frame * 100, &config)) {
      fail("WebP frame encoding failed");
    }
    WebPPictureFree(&picture);
  }
  WebPData data;
  WebPDataInit(&data);
  if (!WebPAnimEncoderAdd(encoder, nullptr, 200, nullptr) || !WebPAnimEncoderAssemble(encoder, &data)) fail("WebP assembly failed");
  Bytes out(data.bytes, data.bytes + data.size);
  WebPDataClear(&data);
  WebPAnimEncoderDelete(encoder);
  return out;
}

}  // namespace

std::vector<std::string> write_photo_seeds(const fs::path& folder) {
  std::vector<std::pair<std::string, Bytes>> seeds = {
      {"photo-baseline-restart.jpg", jpeg({JCS_RGB, JCS_YCbCr, 2, 2, false, 3})},
      {"photo-progressive.jpg", jpeg({JCS_RGB, JCS_YCbCr, 2, 2, true, 0})},
      {"photo-progressive-restart.jpg", jpeg({JCS_RGB, JCS_YCbCr, 2, 2, true, 2})},
      {"photo-grey-progressive.jpg", jpeg({JCS_GRAYSCALE, JCS_GRAYSCALE, 1, 1, true, 0})},
      {"photo-422.jpg", jpeg({JCS_RGB, JCS_YCbCr, 2, 1, false, 0})},
      {"photo-440.jpg", jpeg({JCS_RGB, JCS_YCbCr, 1, 2, false, 4})},
      {"photo-444.jpg", jpeg({JCS_RGB, JCS_YCbCr, 1, 1, true, 0})},
      {"photo-cmyk.jpg", jpeg({JCS_CMYK, JCS_CMYK, 1, 1, false, 0})},
      {"photo-ycck.jpg", jpeg({JCS_CMYK, JCS_YCCK, 2, 2, true, 0})},
      {"photo-interlaced.png", png(PngKind::interlaced_rgb)},
      {"photo-rgb16.png", png(PngKind::rgb16)},
      {"photo-palette-trns.png", png(PngKind::palette_trns)},
      {"photo-grey-alpha16-interlaced.png", png(PngKind::grey_alpha16_interlaced)},
      {"photo-animated.gif", animated_gif()},
      {"photo-animated-lossy.webp", animated_webp(false)},
      {"photo-animated-lossless.webp", animated_webp(true)},
  };
  for (int orientation = 1; orientation <= 8; ++orientation) {
    JpegOptions options;
    options.exif_orientation = orientation;
    seeds.push_back({"photo-exif-" + std::to_string(orientation) + ".jpg", jpeg(options)});
  }
  std::vector<std::string> names;
  for (const auto& [name, bytes] : seeds) {
    std::ofstream(folder / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), long(bytes.size()));
    names.push_back(name);
  }
  return names;
}

}  // namespace tint_photo_seeds
