#include "ops_common.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#include <algorithm>

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

Status check_conv_spec(const ConvSpec& spec) {
  if (spec.in_channels >= 1 && spec.out_channels >= 1 && (spec.stride == 1 || spec.stride == 2)) return Status::ok();
  return Status::error("conv3x3: " + std::to_string(spec.in_channels) + " -> " + std::to_string(spec.out_channels) +
                       " channels at stride " + std::to_string(spec.stride) +
                       " is not supported (channels >= 1, stride 1 or 2)");
}

Status check_conv_input(const ConvSpec& spec, const Shape& input) {
  if (input.c == spec.in_channels) return Status::ok();
  return Status::error("conv3x3: input has " + std::to_string(input.c) + " channels, expected " +
                       std::to_string(spec.in_channels));
}

Status check_same_pixels(const Tensor& a, const Tensor& b, const char* op) {
  if (a.shape.n != b.shape.n || a.shape.h != b.shape.h || a.shape.w != b.shape.w) {
    return Status::error(std::string(op) + ": spatial shapes differ, " + shape_text(a.shape) + " vs " +
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

void conv3x3_backward_input_portable(const ConvSpec& spec, const float* weight, const Tensor& grad_output,
                                     Shape input_shape, Tensor& grad_input, int threads) {
  const int in = spec.in_channels, out = spec.out_channels, stride = spec.stride;
  const Shape g = grad_output.shape;
  grad_input.resize(input_shape);
  // weight [out][in][ky][kx] -> [ky][kx][in][out], so the innermost sum runs over contiguous out.
  std::vector<float> transposed(size_t(9) * in * out);
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < in; ++i)
      for (int k = 0; k < 9; ++k) transposed[(size_t(k) * in + i) * out + o] = weight[(size_t(o) * in + i) * 9 + k];
  parallel_for(input_shape.n * input_shape.h, threads, [&](int begin, int end) {
    for (int row = begin; row < end; ++row) {
      const int n = row / input_shape.h, iy = row % input_shape.h;
      float* dst_row = grad_input.ptr() + size_t(row) * input_shape.w * in;
      std::fill(dst_row, dst_row + size_t(input_shape.w) * in, 0.0f);
      for (int ky = 0; ky < 3; ++ky) {
        const int y = iy + 1 - ky;  // = oy * stride
        if (y < 0 || y % stride != 0 || y / stride >= g.h) continue;
        const int oy = y / stride;
        for (int ix = 0; ix < input_shape.w; ++ix) {
          float* dst = dst_row + size_t(ix) * in;
          for (int kx = 0; kx < 3; ++kx) {
            const int x = ix + 1 - kx;
            if (x < 0 || x % stride != 0 || x / stride >= g.w) continue;
            const float* dz = grad_output.ptr() + ((size_t(n) * g.h + oy) * g.w + x / stride) * out;
            const float* w = transposed.data() + size_t(ky * 3 + kx) * in * out;
            for (int i = 0; i < in; ++i) {
              float sum = 0.0f;
              for (int o = 0; o < out; ++o) sum += w[size_t(i) * out + o] * dz[o];
              dst[i] += sum;
            }
          }
        }
      }
    }
  });
}

void conv3x3_backward_weight_portable(const ConvSpec& spec, const Tensor& input, const Tensor& grad_output,
                                      float* grad_weight, int threads) {
  const int in = spec.in_channels, out = spec.out_channels, stride = spec.stride;
  const Shape x = input.shape, g = grad_output.shape;
  const size_t weight_count = size_t(9) * in * out;
  // Each thread sums its own rows into [ky][kx][out][in]; partial sums are then added in
  // thread order, so the result depends on the thread count but never on timing.
  const int parts = std::max(1, std::min(threads, g.n * g.h));
  std::vector<std::vector<float>> partial(parts, std::vector<float>(weight_count, 0.0f));
  parallel_for(parts, parts, [&](int part_begin, int part_end) {
    for (int part = part_begin; part < part_end; ++part) {
      float* acc = partial[part].data();
      const int rows = g.n * g.h;
      const int row_begin = int(int64_t(rows) * part / parts), row_end = int(int64_t(rows) * (part + 1) / parts);
      for (int row = row_begin; row < row_end; ++row) {
        const int n = row / g.h, oy = row % g.h;
        for (int ox = 0; ox < g.w; ++ox) {
          const float* dz = grad_output.ptr() + ((size_t(n) * g.h + oy) * g.w + ox) * out;
          for (int ky = 0; ky < 3; ++ky) {
            const int iy = oy * stride + ky - 1;
            if (iy < 0 || iy >= x.h) continue;
            for (int kx = 0; kx < 3; ++kx) {
              const int ix = ox * stride + kx - 1;
              if (ix < 0 || ix >= x.w) continue;
              const float* xp = input.ptr() + ((size_t(n) * x.h + iy) * x.w + ix) * in;
              float* a = acc + size_t(ky * 3 + kx) * out * in;
              for (int o = 0; o < out; ++o) {
                const float d = dz[o];
                float* ao = a + size_t(o) * in;
                for (int i = 0; i < in; ++i) ao[i] += d * xp[i];
              }
            }
          }
        }
      }
    }
  });
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < in; ++i)
      for (int k = 0; k < 9; ++k) {
        float sum = 0.0f;
        for (int part = 0; part < parts; ++part) sum += partial[part][(size_t(k) * out + o) * in + i];
        grad_weight[(size_t(o) * in + i) * 9 + k] = sum;
      }
}

}  // namespace tint
