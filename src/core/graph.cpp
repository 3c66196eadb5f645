#include "graph.h"

#include <algorithm>
#include <chrono>

#include "profile.h"

namespace tint {

namespace {

std::string shape_text(const std::vector<int>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

Result<std::unique_ptr<Graph>> Graph::create(const Model& model, Backend& backend, Mode mode) {
  std::unique_ptr<Graph> graph(new Graph(model, backend, mode));
  const auto& layers = model.architecture.layers;
  if (model.shapes.size() != layers.size()) {
    return Status::error("model '" + model.architecture.name + "' has no shape inference (call validate_architecture)");
  }
  const auto inputs = layer_inputs(model.architecture);
  graph->nodes_.resize(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    Node& node = graph->nodes_[i];
    const Layer& layer = layers[i];
    node.kind = find_layer_kind(layer.op);
    if (!node.kind) return Status::error("layer " + layer.name + ": unknown op \"" + layer.op + "\"");
    node.inputs = inputs[i];
    node.last_reader = int(i) + 1;  // the next layer reads it (the last layer's is read by the caller)
    for (const ParameterSpec& spec : node.kind->parameters(layer, model.shapes[i])) {
      const std::string name = layer.name + "." + spec.suffix;
      size_t expected = 1;
      for (int dimension : spec.shape) expected *= size_t(dimension);
      const auto found = std::find_if(model.parameters.begin(), model.parameters.end(),
                                      [&](const Parameter& p) { return p.name == name; });
      if (found == model.parameters.end()) return Status::error("layer " + layer.name + ": parameter " + name + " is missing");
      if (found->values.size() != expected) {
        return Status::error("layer " + layer.name + ": parameter " + name + " has " + std::to_string(found->values.size()) +
                             " values, expected " + std::to_string(expected) + " (" + shape_text(spec.shape) + ")");
      }
      node.parameters.push_back(int(found - model.parameters.begin()));
    }
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    for (int j : graph->nodes_[i].inputs)
      if (j >= 0) graph->nodes_[size_t(j)].last_reader = std::max(graph->nodes_[size_t(j)].last_reader, int(i));
  }
  graph->outputs_.resize(layers.size());
  graph->multiple_ = stride_multiple(model.architecture);
  if (mode == Mode::training) {
    graph->output_grads_.resize(layers.size());
    for (const Parameter& parameter : model.parameters) graph->gradients_.emplace_back(parameter.values.size(), 0.0f);
  }
  return graph;
}

std::vector<const float*> Graph::parameter_values(const Node& node) const {
  std::vector<const float*> values;
  for (int p : node.parameters) values.push_back(model_.parameters[size_t(p)].values.data());
  return values;
}

Status Graph::forward(const Tensor& input, Random* rng, int rows_before, int rows_after, int through) {
  const Architecture& architecture = model_.architecture;
  const int multiple = multiple_;
  const Shape s = input.shape;
  if (s.c != architecture.input_channels || s.h % multiple != 0 || s.w % multiple != 0 || s.n < 1 || s.h < 1 || s.w < 1) {
    return Status::error("forward: input is [" + std::to_string(s.n) + "," + std::to_string(s.h) + "," +
                         std::to_string(s.w) + "," + std::to_string(s.c) + "], expected " +
                         std::to_string(architecture.input_channels) + " channel(s) and sides that are multiples of " +
                         std::to_string(multiple));
  }
  input_ = &input;
  const bool training = mode_ == Mode::training;
  layer_milliseconds_.assign(nodes_.size(), 0.0);
  const size_t layers = through < 0 ? nodes_.size() : std::min(nodes_.size(), size_t(through) + 1);
  for (size_t i = 0; i < layers; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ProfileScope phase("forward ", architecture.layers[i].op);
    Node& node = nodes_[i];
    std::vector<const Tensor*> inputs;
    for (int j : node.inputs) inputs.push_back(&tensor(j));
    ForwardCall call{architecture.layers[i], model_.shapes[i], backend_, inputs, parameter_values(node),
                     !training, training ? rng : nullptr, node.state, outputs_[i], rows_before, rows_after};
    TINT_RETURN_IF_ERROR(node.kind->forward(call));
    if (!training) {  // release what no later layer reads
      for (int j : node.inputs) {
        const bool kept = std::find(kept_.begin(), kept_.end(), j) != kept_.end();
        if (j >= 0 && nodes_[size_t(j)].last_reader == int(i) && !kept) outputs_[size_t(j)] = Tensor();
      }
    }
    if (profiling_) {
      layer_milliseconds_[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
  }
  return Status::ok();
}

int Graph::layer_index(const std::string& name) const {
  const auto& layers = model_.architecture.layers;
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].name == name) return int(i);
  return -1;
}

Status Graph::backward(Tensor& grad_output, Tensor* grad_input) {
  std::vector<Seed> seeds;
  seeds.emplace_back(nodes_.size() - 1, std::move(grad_output));
  return backward(std::move(seeds), grad_input);
}

Status Graph::backward(std::vector<Seed> seeds, Tensor* grad_input) {
  if (mode_ != Mode::training) return Status::error("backward needs a graph created for training");
  if (!input_) return Status::error("backward needs a forward pass first");
  for (auto& g : output_grads_) g.shape = {};  // shape {} marks "no gradient yet"
  for (auto& [layer, gradient] : seeds) {
    if (layer >= nodes_.size() || gradient.shape != outputs_[layer].shape) {
      return Status::error("backward: a gradient for layer #" + std::to_string(layer) +
                           " must be shaped like that layer's output");
    }
  }
  Tensor input_grad;
  // Adds a gradient for layer j's output (j = -1: the input), summing over its readers.
  auto deliver = [&](int j, Tensor& gradient) {
    ProfileScope phase("gradient sums (a layer read twice)");
    Tensor& slot = j < 0 ? input_grad : output_grads_[size_t(j)];
    if (slot.shape.size() == 0) {
      std::swap(slot, gradient);
    } else {
      for (size_t k = 0; k < slot.size(); ++k) slot.data[k] += gradient.data[k];
    }
  };
  for (auto& seed : seeds) deliver(int(seed.first), seed.second);
  for (int i = int(nodes_.size()) - 1; i >= 0; --i) {
    Node& node = nodes_[size_t(i)];
    ProfileScope phase("backward ", model_.architecture.layers[size_t(i)].op);
    Tensor& grad_y = output_grads_[size_t(i)];
    if (grad_y.shape.size() == 0) {  // nothing downstream used this output: its gradients are 0
      for (int p : node.parameters) std::fill(gradients_[size_t(p)].begin(), gradients_[size_t(p)].end(), 0.0f);
      continue;
    }
    std::vector<const Tensor*> inputs;
    std::vector<Tensor> grads(node.inputs.size());
    std::vector<Tensor*> grad_inputs;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      inputs.push_back(&tensor(node.inputs[k]));
      grad_inputs.push_back(node.inputs[k] >= 0 || grad_input ? &grads[k] : nullptr);
    }
    std::vector<float*> grad_parameters;
    for (int p : node.parameters) grad_parameters.push_back(gradients_[size_t(p)].data());
    BackwardCall call{model_.architecture.layers[size_t(i)], model_.shapes[size_t(i)], backend_, inputs,
                      outputs_[size_t(i)], grad_y, grad_inputs, parameter_values(node), grad_parameters,
                      node.state.get()};
    TINT_RETURN_IF_ERROR(node.kind->backward(call));
    for (size_t k = 0; k < node.inputs.size(); ++k)
      if (grad_inputs[k] && grads[k].size() > 0) deliver(node.inputs[k], grads[k]);
  }
  if (grad_input) *grad_input = std::move(input_grad);
  return Status::ok();
}

}  // namespace tint
