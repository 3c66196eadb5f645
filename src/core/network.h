// A model prepared for inference on one backend: convolutions packed once, activations
// reused across calls, and each intermediate released after its last reader.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model.h"
#include "ops.h"
#include "tensor.h"

namespace tint {

class Network {
 public:
  // The backend must outlive the network. Fails when the model's parameters don't fit its layers.
  static Result<std::unique_ptr<Network>> create(const Model& model, Backend& backend);

  // input: [n, h, w, 1] holding L/100; h and w multiples of stride_multiple(architecture).
  // output: [n, h, w, 2] holding ab/128.
  Status forward(const Tensor& input, Tensor& output);

  // Per-layer wall time of the last forward, in milliseconds (for `tint bench`).
  void set_profiling(bool enabled) { profiling_ = enabled; }
  const std::vector<double>& layer_milliseconds() const { return layer_milliseconds_; }
  const Model& model() const { return model_; }

 private:
  Network(const Model& model, Backend& backend) : model_(model), backend_(backend) {}

  const Model& model_;
  Backend& backend_;
  std::vector<std::unique_ptr<Conv3x3>> convs_;  // per layer; null for non-conv layers
  std::vector<int> with_index_;                  // per layer: index of `with`, or -1
  std::vector<int> last_reader_;                 // per layer: last layer that reads its output
  std::vector<Tensor> outputs_;
  bool profiling_ = false;
  std::vector<double> layer_milliseconds_;
};

}  // namespace tint
