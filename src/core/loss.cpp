#include "loss.h"

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

}  // namespace tint
