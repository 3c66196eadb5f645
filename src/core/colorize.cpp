#include "colorize.h"

#include <algorithm>
#include <cmath>

#include "lab.h"

namespace tint {

namespace {

// sRGB sample value -> linear light, one entry per possible sample (256 or 65536).
std::vector<float> linear_table(int bits) {
  const int levels = 1 << bits;
  std::vector<float> table(levels);
  for (int v = 0; v < levels; ++v) table[v] = srgb_to_linear(float(v) / float(levels - 1));
  return table;
}

constexpr float luminance_r = 0.2126729f, luminance_g = 0.7151522f, luminance_b = 0.0721750f;

// L of row y into `out` (width floats).
void lightness_row(const Image& image, const std::vector<float>& to_linear, int y, float* out) {
  const int c = image.channels;
  const size_t base = size_t(y) * image.width * c;
  for (int x = 0; x < image.width; ++x) {
    const size_t i = base + size_t(x) * c;
    float luminance;
    if (c <= 2) {
      luminance = to_linear[image.sample(i)];
    } else {
      luminance = luminance_r * to_linear[image.sample(i)] + luminance_g * to_linear[image.sample(i + 1)] +
                  luminance_b * to_linear[image.sample(i + 2)];
    }
    out[x] = linear_luminance_to_lightness(luminance);
  }
}

// Area-weighted 1D resampling (box filter over each output cell's footprint): averages when
// shrinking, repeats (with blended cell edges) when enlarging. Reads src[i * src_stride].
void resample_area(const float* src, int src_count, int src_stride, float* dst, int dst_count, int dst_stride) {
  const double scale = double(src_count) / dst_count;
  for (int o = 0; o < dst_count; ++o) {
    const double begin = o * scale, end = (o + 1) * scale;
    double sum = 0.0;
    for (int i = int(begin); i < src_count && i < end; ++i) {
      const double overlap = std::min(end, double(i + 1)) - std::max(begin, double(i));
      sum += overlap * src[size_t(i) * src_stride];
    }
    dst[size_t(o) * dst_stride] = float(sum / (end - begin));
  }
}

// Half-pixel-centre bilinear sampling positions of `dst_count` outputs over `src_count` inputs.
struct Tap {
  int i0, i1;
  float w1;
};
std::vector<Tap> bilinear_taps(int src_count, int dst_count) {
  std::vector<Tap> taps(dst_count);
  const float scale = float(src_count) / float(dst_count);
  for (int o = 0; o < dst_count; ++o) {
    const float position = std::clamp((o + 0.5f) * scale - 0.5f, 0.0f, float(src_count - 1));
    const int i0 = int(position);
    taps[o] = {i0, std::min(i0 + 1, src_count - 1), position - float(i0)};
  }
  return taps;
}

bool in_unit_range(float r, float g, float b) {
  constexpr float slack = 1e-5f;  // the white point and matrix agree to ~1e-5
  return r >= -slack && g >= -slack && b >= -slack && r <= 1 + slack && g <= 1 + slack && b <= 1 + slack;
}

// Linear RGB for (l, a, b), scaling the chroma down (bisection) until it fits the sRGB gamut:
// hue and lightness are kept, only saturation gives way.
void lab_to_linear_in_gamut(float l, float a, float b, float& r, float& g, float& bl) {
  lab_to_linear({l, a, b}, r, g, bl);
  if (in_unit_range(r, g, bl)) return;
  float low = 0.0f, high = 1.0f;
  for (int step = 0; step < 12; ++step) {
    const float middle = 0.5f * (low + high);
    lab_to_linear({l, a * middle, b * middle}, r, g, bl);
    (in_unit_range(r, g, bl) ? low : high) = middle;
  }
  lab_to_linear({l, a * low, b * low}, r, g, bl);
}

}  // namespace

void working_dimensions(int width, int height, int long_side, int& work_width, int& work_height) {
  const double scale = double(long_side) / std::max(width, height);
  work_width = std::max(1, int(std::lround(width * scale)));
  work_height = std::max(1, int(std::lround(height * scale)));
}

std::vector<float> lightness_plane(const Image& image) {
  const auto to_linear = linear_table(image.bits);
  std::vector<float> plane(size_t(image.width) * image.height);
  for (int y = 0; y < image.height; ++y) lightness_row(image, to_linear, y, plane.data() + size_t(y) * image.width);
  return plane;
}

Result<Image> colorize(const Image& input, Network& network, const ColorizeOptions& options) {
  const int width = input.width, height = input.height;
  if (width <= 0 || height <= 0) return Status::error("image has no pixels");
  if (uint64_t(width) * uint64_t(height) > options.max_pixels) {
    return Status::error("image is " + std::to_string(width) + "x" + std::to_string(height) + ", above the limit of " +
                         std::to_string(options.max_pixels / 1000000) + " MP");
  }
  if (input.channels < 1 || input.channels > 4 || (input.bits != 8 && input.bits != 16) ||
      input.data.size() != input.sample_count() * size_t(input.bits / 8)) {
    return Status::error("image buffer does not match its size, channels and bit depth");
  }
  const Architecture& architecture = network.model().architecture;
  const int long_side = options.working_size > 0 ? options.working_size : architecture.working_size;
  if (long_side < 8 || long_side > 8192) return Status::error("working size must be between 8 and 8192");
  int work_width, work_height;
  working_dimensions(width, height, long_side, work_width, work_height);
  const int multiple = stride_multiple(architecture);
  const int padded_width = (work_width + multiple - 1) / multiple * multiple;
  const int padded_height = (work_height + multiple - 1) / multiple * multiple;

  // 1. L at working size: each full-resolution row is shrunk horizontally as it is computed, so
  //    memory stays at height x work_width, never the full-resolution plane.
  const auto to_linear = linear_table(input.bits);
  std::vector<float> row(width), narrow(size_t(height) * work_width);
  for (int y = 0; y < height; ++y) {
    lightness_row(input, to_linear, y, row.data());
    resample_area(row.data(), width, 1, narrow.data() + size_t(y) * work_width, work_width, 1);
  }
  Tensor lightness(1, padded_height, padded_width, 1);
  std::vector<float> column(work_height);
  for (int x = 0; x < work_width; ++x) {
    resample_area(narrow.data() + x, height, work_width, column.data(), work_height, 1);
    for (int y = 0; y < padded_height; ++y) lightness.at(0, y, x, 0) = column[std::min(y, work_height - 1)] / 100.0f;
  }
  for (int y = 0; y < padded_height; ++y) {  // replicate the right edge into the padding
    for (int x = work_width; x < padded_width; ++x) lightness.at(0, y, x, 0) = lightness.at(0, y, work_width - 1, 0);
  }
  narrow = {};

  // 2. The network: ab / 128 at working size.
  Tensor ab;
  TINT_RETURN_IF_ERROR(network.forward(lightness, ab));

  // 3. Full resolution: bilinear ab joined with each pixel's own L, back to sRGB.
  const int out_channels = input.has_alpha() ? 4 : 3;
  Image output(width, height, out_channels, input.bits);
  const auto x_taps = bilinear_taps(work_width, width), y_taps = bilinear_taps(work_height, height);
  const float max_value = float(input.max_value());
  std::vector<float> ab_row(size_t(work_width) * 2);
  for (int y = 0; y < height; ++y) {
    const Tap ty = y_taps[y];
    for (int x = 0; x < work_width; ++x) {
      for (int k = 0; k < 2; ++k) {
        ab_row[2 * x + k] = 128.0f * ((1 - ty.w1) * ab.at(0, ty.i0, x, k) + ty.w1 * ab.at(0, ty.i1, x, k));
      }
    }
    lightness_row(input, to_linear, y, row.data());
    for (int x = 0; x < width; ++x) {
      const Tap tx = x_taps[x];
      const float a = (1 - tx.w1) * ab_row[2 * tx.i0] + tx.w1 * ab_row[2 * tx.i1];
      const float b = (1 - tx.w1) * ab_row[2 * tx.i0 + 1] + tx.w1 * ab_row[2 * tx.i1 + 1];
      float linear[3];
      lab_to_linear_in_gamut(row[x], a, b, linear[0], linear[1], linear[2]);
      const size_t out_index = (size_t(y) * width + x) * out_channels;
      for (int k = 0; k < 3; ++k) {
        const float clamped = std::clamp(linear[k], 0.0f, 1.0f);
        output.set_sample(out_index + k, input.bits == 8 ? linear_to_srgb8(clamped)
                                                         : uint32_t(std::lround(linear_to_srgb(clamped) * max_value)));
      }
      if (out_channels == 4) {
        output.set_sample(out_index + 3, input.sample((size_t(y) * width + x) * input.channels + input.channels - 1));
      }
    }
  }
  return output;
}

}  // namespace tint
