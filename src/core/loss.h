// Mean squared error over every element, as torch.nn.functional.mse_loss(reduction="mean").
#pragma once

#include "tensor.h"

namespace tint {

// Returns the loss; when grad is given, fills d loss / d prediction = 2 (prediction - target) / N.
// The sum runs in double so the loss does not depend on the batch's size for its precision.
double mse_loss(const Tensor& prediction, const Tensor& target, Tensor* grad = nullptr);

}  // namespace tint
