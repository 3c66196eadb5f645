// upsample: x2, nearest or bilinear (half-pixel centres, PyTorch's align_corners=False).
//   x [n,h,w,c] -> y [n,2h,2w,c]. Forward on the backend. Backward: each input pixel collects
//   the gradient of the outputs it fed, with the forward's weights (1 for nearest; 3/4, 1/4 per
//   axis for bilinear, clamped at the edges as in upsample2x_bilinear).
#include <algorithm>

#include "layer_kind.h"
#include "model.h"

namespace tint {
namespace {

void upsample_backward(const Tensor& grad_y, bool bilinear, Tensor& grad_x) {
  const Shape g = grad_y.shape;
  const int h = g.h / 2, w = g.w / 2, c = g.c;
  grad_x.resize({g.n, h, w, c});
  std::fill(grad_x.data.begin(), grad_x.data.end(), 0.0f);
  for (int n = 0; n < g.n; ++n) {
    for (int oy = 0; oy < g.h; ++oy) {
      // Output row oy reads input rows y (weight 3/4) and its neighbour (1/4); nearest reads
      // row oy/2 with weight 1.
      const int y = oy / 2;
      const int y_far = (oy % 2 == 0) ? std::max(y - 1, 0) : std::min(y + 1, h - 1);
      for (int ox = 0; ox < g.w; ++ox) {
        const int x = ox / 2;
        const int x_far = (ox % 2 == 0) ? std::max(x - 1, 0) : std::min(x + 1, w - 1);
        const float* d = grad_y.ptr() + ((size_t(n) * g.h + oy) * g.w + ox) * c;
        auto add = [&](int yy, int xx, float weight) {
          float* dst = grad_x.ptr() + ((size_t(n) * h + yy) * w + xx) * c;
          for (int k = 0; k < c; ++k) dst[k] += weight * d[k];
        };
        if (!bilinear) {
          add(y, x, 1.0f);
        } else {
          add(y, x, 0.75f * 0.75f);
          add(y, x_far, 0.75f * 0.25f);
          add(y_far, x, 0.25f * 0.75f);
          add(y_far, x_far, 0.25f * 0.25f);
        }
      }
    }
  }
}

class UpsampleKind : public LayerKind {
 public:
  std::string op() const override { return "upsample"; }
  std::vector<AttributeSpec> attributes() const override {
    return {{"mode", AttributeType::text, "nearest", {"nearest", "bilinear"}}};
  }
  Result<LayerShape> infer(const Layer&, const std::vector<LayerShape>& inputs) const override {
    if (inputs[0].depth == 0) return Status::error("upsamples above the input resolution (depth -1)");
    return LayerShape{inputs[0].out_channels, inputs[0].out_channels, inputs[0].depth - 1};
  }
  std::string describe(const Layer& layer, const LayerShape&) const override { return "x2 " + layer.text("mode"); }
  Status forward(ForwardCall& call) const override {
    return call.backend.upsample2x(*call.inputs[0], call.layer.text("mode") == "bilinear", call.output);
  }
  Status backward(BackwardCall& call) const override {
    if (call.grad_inputs[0]) upsample_backward(call.grad_output, call.layer.text("mode") == "bilinear", *call.grad_inputs[0]);
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<LayerKind> make_upsample_kind() { return std::make_unique<UpsampleKind>(); }

}  // namespace tint
