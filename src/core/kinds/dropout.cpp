// dropout (inverted, as in the original Keras model): y = x * keep / (1 - rate), keep ~
// Bernoulli(1 - rate) drawn from the training stream in element order; the identity at inference
// (and in training without a stream, e.g. validation). Backward: the same mask and scale.
#include <cstdio>

#include "layer_kind.h"
#include "model.h"

namespace tint {
namespace {

struct DropoutMask : LayerState {
  float rate = 0.0f;  // what the last forward applied (0: it was the identity)
  std::vector<uint8_t> keep;
};

class DropoutKind : public LayerKind {
 public:
  std::string op() const override { return "dropout"; }
  std::vector<AttributeSpec> attributes() const override { return {{"rate", AttributeType::number, "", {}}}; }
  Result<LayerShape> infer(const Layer& layer, const std::vector<LayerShape>& inputs) const override {
    const float rate = layer.number("rate");
    if (!(rate >= 0.0f && rate < 1.0f)) {  // written so NaN fails too
      char text[32];
      std::snprintf(text, sizeof text, "%g", double(rate));
      return Status::error(std::string("dropout rate must be in [0, 1), got ") + text);
    }
    return LayerShape{inputs[0].out_channels, inputs[0].out_channels, inputs[0].depth};
  }
  std::string describe(const Layer& layer, const LayerShape&) const override {
    char text[32];
    std::snprintf(text, sizeof text, "rate %.2f", double(layer.number("rate")));
    return text;
  }
  Status forward(ForwardCall& call) const override {
    if (!call.state) call.state = std::make_unique<DropoutMask>();
    auto& mask = static_cast<DropoutMask&>(*call.state);
    const Tensor& x = *call.inputs[0];
    mask.rate = call.rng ? call.layer.number("rate") : 0.0f;
    if (mask.rate == 0.0f) {
      call.output = x;
      return Status::ok();
    }
    call.output.resize(x.shape);
    mask.keep.resize(x.size());
    const float scale = 1.0f / (1.0f - mask.rate);
    const uint64_t per_row = uint64_t(x.size()) / uint64_t(x.shape.n);  // one draw per element
    call.rng->advance(per_row * uint64_t(call.rows_before));
    for (size_t i = 0; i < x.size(); ++i) {
      mask.keep[i] = call.rng->uniform() >= mask.rate;
      call.output.data[i] = mask.keep[i] ? x.data[i] * scale : 0.0f;
    }
    call.rng->advance(per_row * uint64_t(call.rows_after));
    return Status::ok();
  }
  Status backward(BackwardCall& call) const override {
    if (!call.grad_inputs[0]) return Status::ok();
    const auto& mask = static_cast<const DropoutMask&>(*call.state);
    Tensor& grad_x = *call.grad_inputs[0];
    if (mask.rate == 0.0f) {
      grad_x = call.grad_output;
      return Status::ok();
    }
    grad_x.resize(call.grad_output.shape);
    const float scale = 1.0f / (1.0f - mask.rate);
    for (size_t i = 0; i < grad_x.size(); ++i) grad_x.data[i] = mask.keep[i] ? call.grad_output.data[i] * scale : 0.0f;
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<LayerKind> make_dropout_kind() { return std::make_unique<DropoutKind>(); }

}  // namespace tint
