// add: the previous output plus the output of the layer named by "with" (same resolution and
// channels). Backward: both inputs receive grad_y.
#include "layer_kind.h"
#include "model.h"

namespace tint {
namespace {

class AddKind : public LayerKind {
 public:
  std::string op() const override { return "add"; }
  std::vector<AttributeSpec> attributes() const override { return {{"with", AttributeType::layer, "", {}}}; }
  Result<LayerShape> infer(const Layer& layer, const std::vector<LayerShape>& inputs) const override {
    const LayerShape &a = inputs[0], &b = inputs[1];
    TINT_RETURN_IF_ERROR(check_same_depth(layer.text("with"), a, b));
    if (a.out_channels != b.out_channels) {
      return Status::error("cannot add " + layer.text("with") + "'s " + std::to_string(b.out_channels) +
                           " channels to the previous " + std::to_string(a.out_channels) + " channels");
    }
    return LayerShape{a.out_channels, a.out_channels, a.depth};
  }
  std::string describe(const Layer& layer, const LayerShape& shape) const override {
    return "with " + layer.text("with") + " -> " + std::to_string(shape.out_channels);
  }
  Status forward(ForwardCall& call) const override {
    return call.backend.add(*call.inputs[0], *call.inputs[1], call.output);
  }
  Status backward(BackwardCall& call) const override {
    for (Tensor* grad : call.grad_inputs)
      if (grad) *grad = call.grad_output;
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<LayerKind> make_add_kind() { return std::make_unique<AddKind>(); }

}  // namespace tint
