#include "loss.h"

#include <algorithm>
#include <cmath>

#include "ab_bins.h"
#include "ops.h"

namespace tint {

double mse_loss(const Tensor& prediction, const Tensor& target, Tensor* grad) {
  const size_t count = prediction.size();
  if (grad) grad->resize(prediction.shape);
  double sum = 0.0;
  const float scale = 2.0f / float(count);
  for (size_t i = 0; i < count; ++i) {
    const float difference = prediction.data[i] - target.data[i];
    sum += double(difference) * difference;
    if (grad) grad->data[i] = scale * difference;
  }
  return count ? sum / double(count) : 0.0;
}

double huber_loss(const Tensor& prediction, const Tensor& target, float delta, Tensor* grad) {
  const size_t count = prediction.size();
  if (grad) grad->resize(prediction.shape);
  double sum = 0.0;
  const float scale = 1.0f / float(count);
  for (size_t i = 0; i < count; ++i) {
    const float difference = prediction.data[i] - target.data[i];
    const float magnitude = std::fabs(difference);
    if (magnitude < delta) {
      sum += 0.5 * double(difference) * difference;
      if (grad) grad->data[i] = scale * difference;
    } else {
      sum += double(delta) * (double(magnitude) - 0.5 * double(delta));
      if (grad) grad->data[i] = scale * std::copysign(delta, difference);
    }
  }
  return count ? sum / double(count) : 0.0;
}

double training_loss(const Tensor& prediction, const Tensor& target, float huber_delta, Tensor* grad) {
  return huber_delta > 0 ? huber_loss(prediction, target, huber_delta, grad) : mse_loss(prediction, target, grad);
}

}  // namespace tint

namespace tint {

double ab_cross_entropy(const Tensor& logits, const Tensor& ab, const AbBins& bins,
                        const std::vector<float>& class_weights, float sigma, Tensor* grad, Backend* backend) {
  const int q = logits.shape.c;
  const size_t pixels = logits.size() / size_t(q);
  if (grad) grad->resize(logits.shape);
  std::vector<double> losses(pixels);  // each pixel's w * loss, summed in order below
  const std::function<void(int, int)> pixel_range = [&](int begin, int end) {
    std::vector<double> p(static_cast<size_t>(q));
    for (size_t i = size_t(begin); i < size_t(end); ++i) {
      const float* z = logits.ptr() + i * q;
      const float top = *std::max_element(z, z + q);
      double sum = 0;
      for (int k = 0; k < q; ++k) sum += (p[size_t(k)] = std::exp(double(z[k] - top)));
      const double log_sum = std::log(sum);
      int nearest[5];
      float target[5];
      const int n = bins.soft_encode(128.0f * ab.ptr()[2 * i], 128.0f * ab.ptr()[2 * i + 1], sigma, nearest, target);
      const double w = class_weights.empty() ? 1.0 : class_weights[size_t(nearest[0])];
      double loss = 0;
      for (int m = 0; m < n; ++m) loss -= target[m] * (double(z[nearest[m]] - top) - log_sum);
      losses[i] = w * loss;
      if (grad) {
        float* g = grad->ptr() + i * q;
        for (int k = 0; k < q; ++k) g[k] = float(w * p[size_t(k)] / sum / double(pixels));
        for (int m = 0; m < n; ++m) g[nearest[m]] -= float(w * target[m] / double(pixels));
      }
    }
  };
  run_on(backend, int(pixels), pixel_range);
  double total = 0;
  for (const double loss : losses) total += loss;
  return total / double(pixels);
}

Tensor downsample_average(const Tensor& x, int factor) {
  const Shape s = x.shape;
  Tensor y(s.n, s.h / factor, s.w / factor, s.c);
  const float scale = 1.0f / float(factor * factor);
  for (int n = 0; n < s.n; ++n)
    for (int yy = 0; yy < y.shape.h; ++yy)
      for (int xx = 0; xx < y.shape.w; ++xx)
        for (int c = 0; c < s.c; ++c) {
          float sum = 0;
          for (int dy = 0; dy < factor; ++dy)
            for (int dx = 0; dx < factor; ++dx) sum += x.at(n, yy * factor + dy, xx * factor + dx, c);
          y.at(n, yy, xx, c) = sum * scale;
        }
  return y;
}

}  // namespace tint
