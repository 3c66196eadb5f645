// Naive reference implementations the tests hold both backends to: direct loops, written for
// obviousness, straight from the definitions (PyTorch semantics, NHWC storage).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tensor.h"

namespace tint::reference {

// weight [out][in][3][3] (PyTorch), padding 1.
inline Tensor conv3x3(const Tensor& x, const std::vector<float>& weight, const std::vector<float>& bias,
                      int out_channels, int stride, bool relu) {
  const Shape s = x.shape;
  const int oh = (s.h - 1) / stride + 1, ow = (s.w - 1) / stride + 1;
  Tensor y(s.n, oh, ow, out_channels);
  for (int n = 0; n < s.n; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < out_channels; ++o) {
          double sum = bias.empty() ? 0.0 : bias[o];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy * stride + ky - 1, ix = ox * stride + kx - 1;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              for (int i = 0; i < s.c; ++i)
                sum += double(x.at(n, iy, ix, i)) * weight[((size_t(o) * s.c + i) * 3 + ky) * 3 + kx];
            }
          y.at(n, oy, ox, o) = float(relu ? std::max(0.0, sum) : sum);
        }
  return y;
}

// PyTorch F.interpolate(scale_factor=2, mode='bilinear', align_corners=False) / mode='nearest'.
inline Tensor upsample2x(const Tensor& x, bool bilinear) {
  const Shape s = x.shape;
  Tensor y(s.n, s.h * 2, s.w * 2, s.c);
  auto source = [](int out, int size, int& i0, int& i1, float& f) {
    float src = std::max(0.0f, (out + 0.5f) / 2.0f - 0.5f);
    i0 = std::min(int(src), size - 1);
    i1 = std::min(i0 + 1, size - 1);
    f = src - i0;
  };
  for (int n = 0; n < s.n; ++n)
    for (int oy = 0; oy < s.h * 2; ++oy)
      for (int ox = 0; ox < s.w * 2; ++ox)
        for (int c = 0; c < s.c; ++c) {
          if (!bilinear) {
            y.at(n, oy, ox, c) = x.at(n, oy / 2, ox / 2, c);
            continue;
          }
          int y0, y1, x0, x1;
          float fy, fx;
          source(oy, s.h, y0, y1, fy);
          source(ox, s.w, x0, x1, fx);
          const float top = x.at(n, y0, x0, c) * (1 - fx) + x.at(n, y0, x1, c) * fx;
          const float bottom = x.at(n, y1, x0, c) * (1 - fx) + x.at(n, y1, x1, c) * fx;
          y.at(n, oy, ox, c) = top * (1 - fy) + bottom * fy;
        }
  return y;
}

// Convolution backward straight from the definition: y[o] = sum w[o][i][ky][kx] x[i][oy*s+ky-1][ox*s+kx-1].
inline void conv3x3_backward(const Tensor& x, const std::vector<float>& weight, const Tensor& grad_output,
                             int stride, Tensor& grad_input, std::vector<float>& grad_weight) {
  const Shape s = x.shape, g = grad_output.shape;
  const int out = g.c;
  grad_input = Tensor(s);
  grad_weight.assign(size_t(out) * s.c * 9, 0.0f);
  std::vector<double> dw(grad_weight.size(), 0.0), dx(x.size(), 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.h; ++oy)
      for (int ox = 0; ox < g.w; ++ox)
        for (int o = 0; o < out; ++o) {
          const double d = grad_output.at(n, oy, ox, o);
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy * stride + ky - 1, ix = ox * stride + kx - 1;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              for (int i = 0; i < s.c; ++i) {
                const size_t w = ((size_t(o) * s.c + i) * 3 + ky) * 3 + kx;
                dw[w] += d * x.at(n, iy, ix, i);
                dx[((size_t(n) * s.h + iy) * s.w + ix) * s.c + i] += d * weight[w];
              }
            }
        }
  for (size_t i = 0; i < dw.size(); ++i) grad_weight[i] = float(dw[i]);
  for (size_t i = 0; i < dx.size(); ++i) grad_input.data[i] = float(dx[i]);
}

inline float max_abs_difference(const Tensor& a, const Tensor& b) {
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a.data[i] - b.data[i]));
  return worst;
}

// A deterministic fill for test tensors (no dependency on the library's RNG under test).
template <class Floats>
void fill_pattern(Floats& values, uint32_t seed, float scale = 1.0f) {
  uint32_t state = seed * 2654435761u + 1;
  for (auto& v : values) {
    state = state * 1664525u + 1013904223u;
    v = scale * (float(state >> 8) / float(1u << 24) * 2.0f - 1.0f);
  }
}

}  // namespace tint::reference
