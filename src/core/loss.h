// Training losses over every element: mean squared error, as torch.nn.functional.mse_loss
// (reduction="mean"), and the Huber loss, as torch.nn.functional.huber_loss(reduction="mean").
#pragma once

#include <vector>

#include "tensor.h"

namespace tint {

// Returns the loss; when grad is given, fills d loss / d prediction = 2 (prediction - target) / N.
// The sum runs in double so the loss does not depend on the batch's size for its precision.
double mse_loss(const Tensor& prediction, const Tensor& target, Tensor* grad = nullptr);

// Per element 0.5 d^2 for |d| < delta, else delta (|d| - 0.5 delta); d = prediction - target.
// Quadratic near the target, linear (median-seeking) beyond delta: a bimodal colour is pulled less
// towards the brown average between its modes than under MSE. grad as above (d or +-delta, / N).
double huber_loss(const Tensor& prediction, const Tensor& target, float delta, Tensor* grad = nullptr);

// The training loss: Huber with delta > 0, else MSE.
double training_loss(const Tensor& prediction, const Tensor& target, float huber_delta, Tensor* grad = nullptr);

}  // namespace tint

namespace tint {

class AbBins;
class Backend;

// Cross-entropy of a classification head's logits [n,h,w,Q] (Q = bins.count()) against ab
// targets [n,h,w,2] (ab / 128), each soft-encoded over its 5 nearest bins (sigma in ab units) and
// each pixel weighted by the class-rebalancing weight of its nearest bin (empty: 1); the mean over
// pixels of -w sum_k t_k log softmax(z)_k. grad: d loss / d logits = w (softmax(z) - t) / pixels.
// With a backend, pixels are split across its threads; the sum is taken in pixel order, so any
// thread count gives the same bits.
double ab_cross_entropy(const Tensor& logits, const Tensor& ab, const AbBins& bins,
                        const std::vector<float>& class_weights, float sigma, Tensor* grad = nullptr,
                        Backend* backend = nullptr);

// Each factor x factor block averaged into one value: the targets of a layer at 1/factor of the
// input's resolution (sides must divide).
Tensor downsample_average(const Tensor& x, int factor);

}  // namespace tint
