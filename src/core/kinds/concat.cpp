// concat: the previous output's channels, then those of the layer named by "with" (same
// resolution). a [n,h,w,ca], b [n,h,w,cb] -> y [n,h,w,ca+cb]. Backward splits the channels.
#include <algorithm>

#include "layer_kind.h"
#include "model.h"

namespace tint {
namespace {

class ConcatKind : public LayerKind {
 public:
  std::string op() const override { return "concat"; }
  std::vector<AttributeSpec> attributes() const override { return {{"with", AttributeType::layer, "", {}}}; }
  Result<LayerShape> infer(const Layer& layer, const std::vector<LayerShape>& inputs) const override {
    const LayerShape &a = inputs[0], &b = inputs[1];
    TINT_RETURN_IF_ERROR(check_same_depth(layer.text("with"), a, b));
    if (a.out_channels + b.out_channels > kMaxLayerChannels) {
      return Status::error("concat gives " + std::to_string(a.out_channels + b.out_channels) + " channels, more than " +
                           std::to_string(kMaxLayerChannels));
    }
    return LayerShape{a.out_channels, a.out_channels + b.out_channels, a.depth};
  }
  std::string describe(const Layer& layer, const LayerShape& shape) const override {
    return "with " + layer.text("with") + " -> " + std::to_string(shape.out_channels);
  }
  Status forward(ForwardCall& call) const override {
    return call.backend.concat(*call.inputs[0], *call.inputs[1], call.output);
  }
  Status backward(BackwardCall& call) const override {
    const Shape g = call.grad_output.shape;
    const int channels_a = call.inputs[0]->shape.c, channels_b = g.c - channels_a;
    Tensor unused_a, unused_b;
    Tensor& grad_a = call.grad_inputs[0] ? *call.grad_inputs[0] : unused_a;
    Tensor& grad_b = call.grad_inputs[1] ? *call.grad_inputs[1] : unused_b;
    grad_a.resize({g.n, g.h, g.w, channels_a});
    grad_b.resize({g.n, g.h, g.w, channels_b});
    const int pixels = g.n * g.h * g.w;
    call.backend.parallel_for(pixels, [&](int begin, int end) {
      for (size_t p = size_t(begin); p < size_t(end); ++p) {
        std::copy_n(call.grad_output.ptr() + p * g.c, channels_a, grad_a.ptr() + p * channels_a);
        std::copy_n(call.grad_output.ptr() + p * g.c + channels_a, channels_b, grad_b.ptr() + p * channels_b);
      }
    });
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<LayerKind> make_concat_kind() { return std::make_unique<ConcatKind>(); }

}  // namespace tint
