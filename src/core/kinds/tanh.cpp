// tanh: y = tanh(x), elementwise (ops_common's kernel on every backend). Backward from the
// output: grad_x = grad_y * (1 - y^2).
#include "layer_kind.h"
#include "model.h"

namespace tint {
namespace {

class TanhKind : public LayerKind {
 public:
  std::string op() const override { return "tanh"; }
  Result<LayerShape> infer(const Layer&, const std::vector<LayerShape>& inputs) const override {
    return LayerShape{inputs[0].out_channels, inputs[0].out_channels, inputs[0].depth};
  }
  Status forward(ForwardCall& call) const override { return call.backend.tanh(*call.inputs[0], call.output); }
  Status backward(BackwardCall& call) const override {
    if (!call.grad_inputs[0]) return Status::ok();
    const Tensor& y = call.output;
    Tensor& grad_x = *call.grad_inputs[0];
    grad_x.resize(y.shape);
    for (size_t i = 0; i < y.size(); ++i) grad_x.data[i] = call.grad_output.data[i] * (1.0f - y.data[i] * y.data[i]);
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<LayerKind> make_tanh_kind() { return std::make_unique<TanhKind>(); }

}  // namespace tint
