// The one graph interpreter: runs a model's layers through the layer-kind table (layer_kind.h)
// on one backend, for inference and for training alike.
//   inference: parameters are packed once (they must not change while the graph lives) and each
//              intermediate is released after its last reader, so peak memory is the live set.
//   training:  every activation is kept for the backward pass, parameters are read at every
//              forward (the optimiser changes them between steps), and backward() fills one
//              gradient per parameter, aligned with Model::parameters.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "layer_kind.h"
#include "model.h"
#include "ops.h"
#include "random.h"
#include "tensor.h"

namespace tint {

class Graph {
 public:
  enum class Mode { inference, training };

  // The model and backend must outlive the graph. Fails when a layer's parameters are missing
  // or of the wrong size.
  static Result<std::unique_ptr<Graph>> create(const Model& model, Backend& backend, Mode mode);

  // input [n, h, w, input_channels] (the architecture's inputs, network_inputs()), h and w
  // multiples of stride_multiple(). rng: training only, turns dropout on (its masks are drawn
  // from it); null = dropout off, as at inference. rows_before / rows_after: the input is a share
  // of a larger batch with that many rows before and after it (a data-parallel rank's), and the
  // masks are the share's part of the whole batch's, so the ranks together draw what one process
  // would have drawn. through: the last layer to compute (-1: all); training stops at the last
  // layer a loss reads, since nothing after it changes the loss or its gradients.
  Status forward(const Tensor& input, Random* rng = nullptr, int rows_before = 0, int rows_after = 0, int through = -1);
  // [n, h, w, 2] = ab / 128 of the last forward.
  const Tensor& output() const { return outputs_.back(); }
  Tensor take_output() { return std::move(outputs_.back()); }
  // Training: each layer's output of the last forward.
  const Tensor& activation(size_t layer) const { return outputs_[layer]; }

  // Training: from d loss / d output (consumed) to gradients(); grad_input, when given, gets
  // d loss / d input.
  Status backward(Tensor& grad_output, Tensor* grad_input = nullptr);
  // The same with d loss / d (each listed layer's output), e.g. a loss on a classification
  // head beside one on the output; gradients reaching a layer from several places are summed.
  using Seed = std::pair<size_t, Tensor>;
  Status backward(std::vector<Seed> seeds, Tensor* grad_input = nullptr);
  // Inference: keep this layer's output after each forward (activation(layer) reads it).
  void keep(size_t layer) { kept_.push_back(int(layer)); }
  // The index of a layer by name, or -1.
  int layer_index(const std::string& name) const;
  std::vector<std::vector<float>>& gradients() { return gradients_; }

  // Per-layer wall time of the last forward, in milliseconds (for `tint bench`).
  void set_profiling(bool enabled) { profiling_ = enabled; }
  const std::vector<double>& layer_milliseconds() const { return layer_milliseconds_; }
  const Model& model() const { return model_; }
  Backend& backend() const { return backend_; }

 private:
  struct Node {
    const LayerKind* kind = nullptr;
    std::vector<int> inputs;      // layer indices it reads; -1 = the network input
    std::vector<int> parameters;  // indices into Model::parameters, in the kind's order
    int last_reader = 0;          // the last layer that reads this one's output
    std::unique_ptr<LayerState> state;
  };
  Graph(const Model& model, Backend& backend, Mode mode) : model_(model), backend_(backend), mode_(mode) {}
  const Tensor& tensor(int index) const { return index < 0 ? *input_ : outputs_[size_t(index)]; }
  std::vector<const float*> parameter_values(const Node& node) const;

  const Model& model_;
  Backend& backend_;
  const Mode mode_;
  int multiple_ = 1;  // input sides must be multiples of this (stride_multiple)
  std::vector<Node> nodes_;
  const Tensor* input_ = nullptr;
  std::vector<Tensor> outputs_;
  std::vector<Tensor> output_grads_;  // training: d loss / d each layer's output
  std::vector<std::vector<float>> gradients_;
  bool profiling_ = false;
  std::vector<double> layer_milliseconds_;
  std::vector<int> kept_;
};

}  // namespace tint
