#include "training_graph.h"

#include <algorithm>

namespace tint {

TrainingGraph::TrainingGraph(Model& model, Backend& backend) : model_(model), backend_(backend) {
  const auto& layers = model.architecture.layers;
  with_index_.assign(layers.size(), -1);
  weight_index_.assign(layers.size(), -1);
  for (size_t i = 0; i < layers.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (!layers[i].with.empty() && layers[j].name == layers[i].with) with_index_[i] = int(j);
    for (size_t p = 0; p < model.parameters.size(); ++p)
      if (layers[i].op == LayerOp::conv && model.parameters[p].name == layers[i].name + ".weight") weight_index_[i] = int(p);
  }
  activations_.resize(layers.size());
  dropout_keep_.resize(layers.size());
  dropout_rate_.assign(layers.size(), 0.0f);
  layer_grads_.resize(layers.size());
  for (const auto& parameter : model.parameters) gradients_.emplace_back(parameter.values.size(), 0.0f);
}

Status TrainingGraph::forward(const Tensor& input, bool training, Random& rng) {
  const auto& layers = model_.architecture.layers;
  const int multiple = stride_multiple(model_.architecture);
  if (input.shape.c != 1 || input.shape.h % multiple || input.shape.w % multiple || input.shape.n < 1) {
    return Status::error("training input must be [n,h,w,1] with sides multiples of " + std::to_string(multiple));
  }
  input_ = &input;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& layer = layers[i];
    const Tensor& x = i == 0 ? input : activations_[i - 1];
    Tensor& y = activations_[i];
    switch (layer.op) {
      case LayerOp::conv: {
        const auto& weight = model_.parameters[weight_index_[i]];
        const auto& bias = model_.parameters[weight_index_[i] + 1];
        const ConvSpec spec{model_.shapes[i].in_channels, layer.out_channels, layer.stride, layer.relu};
        TINT_RETURN_IF_ERROR(conv_forward(backend_, spec, weight.values.data(), bias.values.data(), x, y));
        break;
      }
      case LayerOp::upsample:
        TINT_RETURN_IF_ERROR(backend_.upsample2x(x, layer.bilinear, y));
        break;
      case LayerOp::concat:
        TINT_RETURN_IF_ERROR(backend_.concat(x, activations_[with_index_[i]], y));
        break;
      case LayerOp::add:
        TINT_RETURN_IF_ERROR(backend_.add(x, activations_[with_index_[i]], y));
        break;
      case LayerOp::dropout:
        dropout_rate_[i] = training ? layer.rate : 0.0f;
        if (dropout_rate_[i] > 0.0f) {
          dropout_forward(x, dropout_rate_[i], rng, y, dropout_keep_[i]);
        } else {
          y = x;
          dropout_keep_[i].assign(x.size(), 1);
        }
        break;
      case LayerOp::tanh:
        TINT_RETURN_IF_ERROR(backend_.tanh(x, y));
        break;
    }
  }
  return Status::ok();
}

Status TrainingGraph::backward(Tensor& grad_output, Tensor* grad_input) {
  const auto& layers = model_.architecture.layers;
  if (!input_ || grad_output.shape != activations_.back().shape) {
    return Status::error("backward needs a forward pass and a gradient shaped like its output");
  }
  for (auto& g : layer_grads_) g.shape = {};  // shape {} marks "no gradient yet"
  layer_grads_.back() = std::move(grad_output);
  // Adds a gradient for layer j's output (j = -1: the input), summing over its readers.
  Tensor input_grad;
  auto deliver = [&](int j, Tensor& gradient) {
    Tensor& slot = j < 0 ? input_grad : layer_grads_[j];
    if (slot.shape.size() == 0) {
      std::swap(slot, gradient);
    } else {
      accumulate(slot, gradient);
    }
  };
  for (int i = int(layers.size()) - 1; i >= 0; --i) {
    const Layer& layer = layers[i];
    Tensor& grad_y = layer_grads_[i];
    if (grad_y.shape.size() == 0) {  // nothing downstream used this output: its gradients are 0
      if (weight_index_[i] >= 0) {
        for (int k : {0, 1}) std::fill(gradients_[weight_index_[i] + k].begin(), gradients_[weight_index_[i] + k].end(), 0.0f);
      }
      continue;
    }
    const Tensor& x = i == 0 ? *input_ : activations_[i - 1];
    const bool need_input_grad = i > 0 || grad_input != nullptr;
    Tensor grad_x, grad_other;
    switch (layer.op) {
      case LayerOp::conv: {
        const int w = weight_index_[i];
        const ConvSpec spec{model_.shapes[i].in_channels, layer.out_channels, layer.stride, layer.relu};
        TINT_RETURN_IF_ERROR(conv_backward(backend_, spec, model_.parameters[w].values.data(), x, activations_[i], grad_y,
                                           need_input_grad ? &grad_x : nullptr, gradients_[w].data(),
                                           gradients_[w + 1].data()));
        break;
      }
      case LayerOp::upsample:
        upsample_backward(grad_y, layer.bilinear, grad_x);
        break;
      case LayerOp::concat:
        concat_backward(grad_y, x.shape.c, grad_x, grad_other);
        break;
      case LayerOp::add:
        grad_x = grad_y;
        grad_other = grad_y;
        break;
      case LayerOp::dropout:
        dropout_backward(grad_y, dropout_rate_[i], dropout_keep_[i], grad_x);
        break;
      case LayerOp::tanh:
        tanh_backward(activations_[i], grad_y, grad_x);
        break;
    }
    if (grad_other.size() > 0) deliver(with_index_[i], grad_other);
    if (need_input_grad && grad_x.size() > 0) deliver(i - 1, grad_x);
  }
  if (grad_input) *grad_input = std::move(input_grad);
  return Status::ok();
}

}  // namespace tint
