#include "loss.h"

#include <cmath>

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
