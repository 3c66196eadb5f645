// softmax: over the channels of each pixel, y_k = exp(x_k - max) / sum_j exp(x_j - max): turns a
// classification head's logits into a distribution (over the ab bins, ab_bins.h). Backward:
// grad_x_k = y_k (grad_y_k - sum_j grad_y_j y_j).
#include <algorithm>
#include <cmath>

#include "layer_kind.h"
#include "model.h"

namespace tint {
namespace {

class SoftmaxKind : public LayerKind {
 public:
  std::string op() const override { return "softmax"; }
  Result<LayerShape> infer(const Layer&, const std::vector<LayerShape>& inputs) const override {
    if (inputs[0].out_channels < 2) return Status::error("softmax needs 2 or more channels, got " + std::to_string(inputs[0].out_channels));
    return LayerShape{inputs[0].out_channels, inputs[0].out_channels, inputs[0].depth};
  }
  Status forward(ForwardCall& call) const override {
    const Tensor& x = *call.inputs[0];
    call.output.resize(x.shape);
    const int c = x.shape.c;
    const size_t pixels = x.size() / size_t(c);
    for (size_t p = 0; p < pixels; ++p) {
      const float* in = x.ptr() + p * c;
      float* out = call.output.ptr() + p * c;
      const float top = *std::max_element(in, in + c);
      double sum = 0;
      for (int k = 0; k < c; ++k) sum += (out[k] = std::exp(in[k] - top));
      const float scale = float(1.0 / sum);
      for (int k = 0; k < c; ++k) out[k] *= scale;
    }
    return Status::ok();
  }
  Status backward(BackwardCall& call) const override {
    if (!call.grad_inputs[0]) return Status::ok();
    const Tensor& y = call.output;
    Tensor& grad_x = *call.grad_inputs[0];
    grad_x.resize(y.shape);
    const int c = y.shape.c;
    const size_t pixels = y.size() / size_t(c);
    for (size_t p = 0; p < pixels; ++p) {
      const float* yp = y.ptr() + p * c;
      const float* gy = call.grad_output.ptr() + p * c;
      double dot = 0;
      for (int k = 0; k < c; ++k) dot += double(gy[k]) * yp[k];
      for (int k = 0; k < c; ++k) grad_x.ptr()[p * c + k] = yp[k] * (gy[k] - float(dot));
    }
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<LayerKind> make_softmax_kind() { return std::make_unique<SoftmaxKind>(); }

}  // namespace tint
