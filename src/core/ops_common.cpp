#include "ops_common.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "parallel.h"

namespace tint {

namespace {
std::string shape_text(const Shape& s) {
  char text[64];
  std::snprintf(text, sizeof text, "[%d,%d,%d,%d]", s.n, s.h, s.w, s.c);
  return text;
}
}  // namespace

Status check_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  if (a.shape != b.shape) {
    return Status::error(std::string(op) + ": shapes differ, " + shape_text(a.shape) + " vs " +
                         shape_text(b.shape));
  }
  return Status::ok();
}

void upsample2x_nearest(const Tensor& input, Tensor& output, int threads) {
  const Shape in = input.shape;
  output.resize({in.n, in.h * 2, in.w * 2, in.c});
  const size_t pixel_bytes = size_t(in.c) * sizeof(float);
  parallel_for(in.n * in.h, threads, [&](int begin, int end) {
    for (int row = begin; row < end; ++row) {
      const float* src = input.ptr() + size_t(row) * in.w * in.c;
      float* dst = output.ptr() + size_t(row) * 2 * (2 * in.w) * in.c;
      for (int x = 0; x < in.w; ++x) {
        std::memcpy(dst + size_t(2 * x) * in.c, src + size_t(x) * in.c, pixel_bytes);
        std::memcpy(dst + size_t(2 * x + 1) * in.c, src + size_t(x) * in.c, pixel_bytes);
      }
      std::memcpy(dst + size_t(2 * in.w) * in.c, dst, 2 * in.w * pixel_bytes);
    }
  });
}

void upsample2x_bilinear(const Tensor& input, Tensor& output, int threads) {
  const Shape in = input.shape;
  const int out_w = in.w * 2, c = in.c;
  output.resize({in.n, in.h * 2, out_w, c});
  parallel_for(in.n * in.h * 2, threads, [&](int begin, int end) {
    std::vector<float> row(size_t(in.w) * c);
    for (int index = begin; index < end; ++index) {
      const int n = index / (in.h * 2), oy = index % (in.h * 2);
      const int y = oy / 2;
      const int y_near = y, y_far = (oy % 2 == 0) ? std::max(y - 1, 0) : std::min(y + 1, in.h - 1);
      const float* near_row = input.ptr() + (size_t(n) * in.h + y_near) * in.w * c;
      const float* far_row = input.ptr() + (size_t(n) * in.h + y_far) * in.w * c;
      for (size_t i = 0; i < row.size(); ++i) row[i] = 0.75f * near_row[i] + 0.25f * far_row[i];
      float* dst = output.ptr() + (size_t(n) * in.h * 2 + oy) * out_w * c;
      for (int ox = 0; ox < out_w; ++ox) {
        const int x = ox / 2;
        const int x_far = (ox % 2 == 0) ? std::max(x - 1, 0) : std::min(x + 1, in.w - 1);
        const float* near_pixel = row.data() + size_t(x) * c;
        const float* far_pixel = row.data() + size_t(x_far) * c;
        for (int k = 0; k < c; ++k) dst[size_t(ox) * c + k] = 0.75f * near_pixel[k] + 0.25f * far_pixel[k];
      }
    }
  });
}

void concat_channels(const Tensor& a, const Tensor& b, Tensor& output) {
  const int ca = a.shape.c, cb = b.shape.c;
  output.resize({a.shape.n, a.shape.h, a.shape.w, ca + cb});
  const size_t pixels = size_t(a.shape.n) * a.shape.h * a.shape.w;
  for (size_t p = 0; p < pixels; ++p) {
    std::memcpy(output.ptr() + p * (ca + cb), a.ptr() + p * ca, ca * sizeof(float));
    std::memcpy(output.ptr() + p * (ca + cb) + ca, b.ptr() + p * cb, cb * sizeof(float));
  }
}

void add_elementwise(const Tensor& a, const Tensor& b, Tensor& output) {
  output.resize(a.shape);
  const float* x = a.ptr();
  const float* y = b.ptr();
  float* z = output.ptr();
  for (size_t i = 0; i < a.size(); ++i) z[i] = x[i] + y[i];
}

void tanh_elementwise(const Tensor& input, Tensor& output) {
  output.resize(input.shape);
  for (size_t i = 0; i < input.size(); ++i) output.data[i] = std::tanh(input.data[i]);
}

}  // namespace tint
