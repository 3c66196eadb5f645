#include "layers.h"

#include <algorithm>
#include <cmath>

namespace tint {

Status conv_forward(Backend& backend, const ConvSpec& spec, const float* weight, const float* bias, const Tensor& x,
                    Tensor& y) {
  auto conv = backend.make_conv3x3(spec, weight, bias);
  if (!conv) return conv.status();
  return conv.value()->run(x, y);
}

Status conv_backward(Backend& backend, const ConvSpec& spec, const float* weight, const Tensor& x, const Tensor& y,
                     Tensor& grad_y, Tensor* grad_x, float* grad_weight, float* grad_bias) {
  if (grad_y.shape != y.shape) return Status::error("conv backward: gradient shape differs from the output's");
  if (spec.relu) {  // ReLU passes gradient only where it passed signal (y > 0), as PyTorch's does
    for (size_t i = 0; i < y.size(); ++i)
      if (!(y.data[i] > 0.0f)) grad_y.data[i] = 0.0f;
  }
  const int out = spec.out_channels;
  std::vector<double> bias_sum(out, 0.0);  // double: a sum over every pixel of the batch
  const size_t pixels = grad_y.size() / out;
  for (size_t p = 0; p < pixels; ++p)
    for (int o = 0; o < out; ++o) bias_sum[o] += grad_y.data[p * out + o];
  for (int o = 0; o < out; ++o) grad_bias[o] = float(bias_sum[o]);
  TINT_RETURN_IF_ERROR(backend.conv3x3_backward_weight(spec, x, grad_y, grad_weight));
  if (grad_x) TINT_RETURN_IF_ERROR(backend.conv3x3_backward_input(spec, weight, grad_y, x.shape, *grad_x));
  return Status::ok();
}

void upsample_backward(const Tensor& grad_y, bool bilinear, Tensor& grad_x) {
  const Shape g = grad_y.shape;
  const int h = g.h / 2, w = g.w / 2, c = g.c;
  grad_x.resize({g.n, h, w, c});
  std::fill(grad_x.data.begin(), grad_x.data.end(), 0.0f);
  for (int n = 0; n < g.n; ++n) {
    for (int oy = 0; oy < g.h; ++oy) {
      // Output row oy reads input rows y (weight 3/4) and its neighbour (1/4), clamped at edges
      // (see upsample2x_bilinear); nearest reads row oy/2 with weight 1.
      const int y = oy / 2;
      const int y_far = (oy % 2 == 0) ? std::max(y - 1, 0) : std::min(y + 1, h - 1);
      for (int ox = 0; ox < g.w; ++ox) {
        const int x = ox / 2;
        const int x_far = (ox % 2 == 0) ? std::max(x - 1, 0) : std::min(x + 1, w - 1);
        const float* d = grad_y.ptr() + ((size_t(n) * g.h + oy) * g.w + ox) * c;
        auto add = [&](int yy, int xx, float weight) {
          float* dst = grad_x.ptr() + ((size_t(n) * h + yy) * w + xx) * c;
          for (int k = 0; k < c; ++k) dst[k] += weight * d[k];
        };
        if (!bilinear) {
          add(y, x, 1.0f);
        } else {
          add(y, x, 0.75f * 0.75f);
          add(y, x_far, 0.75f * 0.25f);
          add(y_far, x, 0.25f * 0.75f);
          add(y_far, x_far, 0.25f * 0.25f);
        }
      }
    }
  }
}

void concat_backward(const Tensor& grad_y, int channels_a, Tensor& grad_a, Tensor& grad_b) {
  const Shape g = grad_y.shape;
  const int channels_b = g.c - channels_a;
  grad_a.resize({g.n, g.h, g.w, channels_a});
  grad_b.resize({g.n, g.h, g.w, channels_b});
  const size_t pixels = size_t(g.n) * g.h * g.w;
  for (size_t p = 0; p < pixels; ++p) {
    std::copy_n(grad_y.ptr() + p * g.c, channels_a, grad_a.ptr() + p * channels_a);
    std::copy_n(grad_y.ptr() + p * g.c + channels_a, channels_b, grad_b.ptr() + p * channels_b);
  }
}

void dropout_forward(const Tensor& x, float rate, Random& rng, Tensor& y, std::vector<uint8_t>& keep) {
  y.resize(x.shape);
  keep.resize(x.size());
  const float scale = 1.0f / (1.0f - rate);
  for (size_t i = 0; i < x.size(); ++i) {
    keep[i] = rng.uniform() >= rate;
    y.data[i] = keep[i] ? x.data[i] * scale : 0.0f;
  }
}

void dropout_backward(const Tensor& grad_y, float rate, const std::vector<uint8_t>& keep, Tensor& grad_x) {
  grad_x.resize(grad_y.shape);
  const float scale = 1.0f / (1.0f - rate);
  for (size_t i = 0; i < grad_y.size(); ++i) grad_x.data[i] = keep[i] ? grad_y.data[i] * scale : 0.0f;
}

void tanh_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x) {
  grad_x.resize(y.shape);
  for (size_t i = 0; i < y.size(); ++i) grad_x.data[i] = grad_y.data[i] * (1.0f - y.data[i] * y.data[i]);
}

void accumulate(Tensor& into, const Tensor& from) {
  for (size_t i = 0; i < into.size(); ++i) into.data[i] += from.data[i];
}

}  // namespace tint
