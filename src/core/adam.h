// Adam and AdamW with PyTorch 1.13's semantics (torch.optim.Adam / AdamW, single-tensor path):
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)      (eps outside the sqrt)
// AdamW first decays p *= 1 - lr * weight_decay (Loshchilov & Hutter, "Decoupled Weight Decay
// Regularization", 2019). Optional global-norm gradient clipping as torch.nn.utils.clip_grad_norm_.
// Optionally it keeps an exponential moving average of the weights (Polyak averaging, as
// torch.optim.swa_utils.AveragedModel with an EMA): after each update a = d a + (1 - d) p, starting
// from the weights it was created with. Training validates and saves the average (trainer.h).
#pragma once

#include <cstdint>
#include <vector>

#include "model.h"
#include "ops.h"

namespace tint {

struct AdamOptions {
  float learning_rate = 3e-4f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  float weight_decay = 0.0f;  // decoupled (AdamW); 0 = plain Adam
  float clip_norm = 0.0f;     // max global L2 norm of the gradients; 0 = no clipping
  float average_decay = 0.0f; // d of the weights' moving average; 0 = none kept
};

class Adam {
 public:
  Adam(const AdamOptions& options, const std::vector<Parameter>& parameters);

  // One update of every parameter from its gradient (same order and sizes as `parameters`).
  // Gradients may be scaled in place by clipping. Returns the gradient norm before clipping.
  double step(std::vector<Parameter>& parameters, std::vector<std::vector<float>>& gradients);

  AdamOptions options;
  // When set, each large parameter's elements are split across the backend's threads
  // (elementwise: the same bits for any count).
  Backend* backend = nullptr;
  int64_t steps = 0;
  std::vector<std::vector<float>> first_moment, second_moment;  // m and v, per parameter
  std::vector<std::vector<float>> average;  // the weights' moving average; empty when not kept
};

// The global L2 norm of all gradients (double accumulation).
double gradient_norm(const std::vector<std::vector<float>>& gradients);

}  // namespace tint
