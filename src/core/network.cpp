#include "network.h"

#include <chrono>

namespace tint {

Result<std::unique_ptr<Network>> Network::create(const Model& model, Backend& backend) {
  std::unique_ptr<Network> network(new Network(model, backend));
  const auto& layers = model.architecture.layers;
  if (model.shapes.size() != layers.size()) {
    return Status::error("model '" + model.architecture.name + "' has no shape inference (call validate_architecture)");
  }
  network->convs_.resize(layers.size());
  network->with_index_.assign(layers.size(), -1);
  network->last_reader_.resize(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& layer = layers[i];
    network->last_reader_[i] = int(i) + 1;  // the next layer reads it
    if (!layer.with.empty()) {
      for (size_t j = 0; j < i; ++j) {
        if (layers[j].name == layer.with) network->with_index_[i] = int(j);
      }
      if (network->with_index_[i] < 0) return Status::error("layer " + layer.name + ": unknown 'with' " + layer.with);
    }
    if (layer.op != LayerOp::conv) continue;
    const Parameter* weight = model.find(layer.name + ".weight");
    const Parameter* bias = model.find(layer.name + ".bias");
    const LayerShape& shape = model.shapes[i];
    const size_t weight_count = size_t(shape.out_channels) * shape.in_channels * 9;
    if (!weight || !bias || weight->values.size() != weight_count || bias->values.size() != size_t(shape.out_channels)) {
      return Status::error("layer " + layer.name + ": parameters missing or of the wrong size");
    }
    auto conv = backend.make_conv3x3({shape.in_channels, shape.out_channels, layer.stride, layer.relu},
                                     weight->values.data(), bias->values.data());
    if (!conv) return conv.status();
    network->convs_[i] = std::move(conv.value());
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    if (network->with_index_[i] >= 0) {
      int& reader = network->last_reader_[network->with_index_[i]];
      reader = std::max(reader, int(i));
    }
  }
  network->outputs_.resize(layers.size());
  return network;
}

Status Network::forward(const Tensor& input, Tensor& output) {
  const auto& layers = model_.architecture.layers;
  const int multiple = stride_multiple(model_.architecture);
  const Shape s = input.shape;
  if (s.c != model_.architecture.input_channels || s.h % multiple != 0 || s.w % multiple != 0 || s.n < 1) {
    return Status::error("forward: input [" + std::to_string(s.n) + "," + std::to_string(s.h) + "," +
                         std::to_string(s.w) + "," + std::to_string(s.c) + "] must have 1 channel and sides that are multiples of " +
                         std::to_string(multiple));
  }
  layer_milliseconds_.assign(layers.size(), 0.0);
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    const Tensor& previous = i == 0 ? input : outputs_[i - 1];
    Tensor& out = outputs_[i];
    const Layer& layer = layers[i];
    switch (layer.op) {
      case LayerOp::conv:
        TINT_RETURN_IF_ERROR(convs_[i]->run(previous, out));
        break;
      case LayerOp::upsample:
        TINT_RETURN_IF_ERROR(backend_.upsample2x(previous, layer.bilinear, out));
        break;
      case LayerOp::concat:
        TINT_RETURN_IF_ERROR(backend_.concat(previous, outputs_[with_index_[i]], out));
        break;
      case LayerOp::add:
        TINT_RETURN_IF_ERROR(backend_.add(previous, outputs_[with_index_[i]], out));
        break;
      case LayerOp::dropout:  // identity at inference (inverted dropout scales during training)
        out = previous;
        break;
      case LayerOp::tanh:
        TINT_RETURN_IF_ERROR(backend_.tanh(previous, out));
        break;
    }
    // Release what no later layer reads, so peak memory is the live set, not the whole network.
    for (size_t j = 0; j < i; ++j) {
      if (last_reader_[j] == int(i)) outputs_[j] = Tensor();
    }
    if (profiling_) {
      layer_milliseconds_[i] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
  }
  output = std::move(outputs_.back());
  outputs_.back() = Tensor();
  return Status::ok();
}

}  // namespace tint
