// A model's forward and backward over a batch, for training: every activation is kept for the
// backward pass, dropout is active when asked, and gradients come out aligned with
// Model::parameters. Convolutions run on the given backend (XNNPACK natively).
#pragma once

#include <vector>

#include "layers.h"
#include "model.h"
#include "ops.h"
#include "random.h"

namespace tint {

class TrainingGraph {
 public:
  // model and backend must outlive the graph; the model's parameters may change between steps.
  TrainingGraph(Model& model, Backend& backend);

  // input [n,h,w,1] = L/100; sides multiples of stride_multiple(). Dropout draws from rng only
  // when training is true.
  Status forward(const Tensor& input, bool training, Random& rng);
  const Tensor& output() const { return activations_.back(); }
  const Tensor& activation(size_t layer) const { return activations_[layer]; }

  // From d loss / d output (consumed). Fills gradients(); grad_input, when given, gets
  // d loss / d input.
  Status backward(Tensor& grad_output, Tensor* grad_input = nullptr);
  std::vector<std::vector<float>>& gradients() { return gradients_; }

 private:
  Model& model_;
  Backend& backend_;
  const Tensor* input_ = nullptr;
  std::vector<Tensor> activations_;
  std::vector<std::vector<uint8_t>> dropout_keep_;
  std::vector<float> dropout_rate_;  // per layer: the rate the last forward applied (0 at inference)
  std::vector<int> with_index_;     // per layer: index of `with`, or -1
  std::vector<int> weight_index_;   // per conv layer: index into model.parameters, or -1
  std::vector<std::vector<float>> gradients_;
  std::vector<Tensor> layer_grads_;  // d loss / d activation, per layer
};

}  // namespace tint
