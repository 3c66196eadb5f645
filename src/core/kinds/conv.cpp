// conv: a 3x3 convolution, padding 1, stride 1 or 2, optional fused ReLU.
//   x [n,h,w,in] -> y [n,ceil(h/s),ceil(w/s),out]; weight [out][in][3][3] (PyTorch's layout), bias [out].
// Forward on the backend (packed once at inference; per call in training, where the weights
// change every step). Backward: the ReLU mask on grad_y (in place), the bias gradient as a sum,
// the weight and input gradients on the backend (ops.h).
#include <cmath>

#include "layer_kind.h"
#include "model.h"
#include "profile.h"

namespace tint {
namespace {

struct PackedConv : LayerState {
  std::unique_ptr<Conv3x3> conv;
};

ConvSpec spec_of(const Layer& layer, const LayerShape& shape) {
  return {shape.in_channels, shape.out_channels, layer.integer("stride"), layer.text("activation") == "relu"};
}

class ConvKind : public LayerKind {
 public:
  std::string op() const override { return "conv"; }
  std::vector<AttributeSpec> attributes() const override {
    return {{"out", AttributeType::integer, "", {}},
            {"stride", AttributeType::integer, "1", {}},
            {"activation", AttributeType::text, "none", {"relu", "none"}}};
  }
  Result<LayerShape> infer(const Layer& layer, const std::vector<LayerShape>& inputs) const override {
    const int out = layer.integer("out"), stride = layer.integer("stride");
    if (out < 1 || out > kMaxLayerChannels) {
      return Status::error("out " + std::to_string(out) + " is outside [1, " + std::to_string(kMaxLayerChannels) + "]");
    }
    if (stride != 1 && stride != 2) return Status::error("stride must be 1 or 2, got " + std::to_string(stride));
    return LayerShape{inputs[0].out_channels, out, inputs[0].depth + (stride == 2 ? 1 : 0)};
  }
  // PyTorch's Conv2d.reset_parameters: kaiming_uniform_(a = sqrt(5)) gives a bound of
  // gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + a^2)) = sqrt(1/3), i.e. 1 / sqrt(fan_in);
  // the bias is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) too. fan_in = in_channels * 3 * 3.
  std::vector<ParameterSpec> parameters(const Layer&, const LayerShape& shape) const override {
    const float bound = 1.0f / std::sqrt(float(shape.in_channels * 9));
    return {{"weight", {shape.out_channels, shape.in_channels, 3, 3}, bound}, {"bias", {shape.out_channels}, bound}};
  }
  double flops(const Layer&, const LayerShape& shape, const Shape& output) const override {
    return 2.0 * 9.0 * shape.in_channels * shape.out_channels * output.h * output.w;
  }
  std::string describe(const Layer& layer, const LayerShape& shape) const override {
    return std::to_string(shape.in_channels) + "->" + std::to_string(shape.out_channels) + " s" +
           std::to_string(layer.integer("stride")) + (layer.text("activation") == "relu" ? " relu" : "");
  }

  Status forward(ForwardCall& call) const override {
    auto* packed = static_cast<PackedConv*>(call.state.get());
    if (!packed || !call.parameters_fixed) {
      ProfileScope phase("conv weight packing");
      auto conv = call.backend.make_conv3x3(spec_of(call.layer, call.shape), call.parameters[0], call.parameters[1]);
      if (!conv) return conv.status();
      if (!packed) call.state = std::make_unique<PackedConv>();
      packed = static_cast<PackedConv*>(call.state.get());
      packed->conv = std::move(conv.value());
    }
    const Status status = packed->conv->run(*call.inputs[0], call.output);
    if (!call.parameters_fixed) packed->conv.reset();  // training: repacked next step anyway
    return status;
  }

  Status backward(BackwardCall& call) const override {
    const ConvSpec spec = spec_of(call.layer, call.shape);
    const Tensor& x = *call.inputs[0];
    Tensor& grad_y = call.grad_output;
    if (spec.relu) {  // ReLU passes gradient only where it passed signal (y > 0), as PyTorch's does
      ProfileScope phase("relu gradient (elementwise)");
      call.backend.parallel_for(int(call.output.size()), [&](int begin, int end) {
        for (size_t i = size_t(begin); i < size_t(end); ++i)
          if (!(call.output.data[i] > 0.0f)) grad_y.data[i] = 0.0f;
      });
    }
    const int out = spec.out_channels;
    {
      ProfileScope phase("conv bias gradient");
      std::vector<double> bias_sum(out, 0.0);  // double: a sum over every pixel of the batch
      const size_t pixels = grad_y.size() / out;
      for (size_t p = 0; p < pixels; ++p)
        for (int o = 0; o < out; ++o) bias_sum[o] += grad_y.data[p * out + o];
      for (int o = 0; o < out; ++o) call.grad_parameters[1][o] = float(bias_sum[o]);
    }
    {
      ProfileScope phase("conv weight gradient");
      TINT_RETURN_IF_ERROR(call.backend.conv3x3_backward_weight(spec, x, grad_y, call.grad_parameters[0]));
    }
    if (call.grad_inputs[0]) {
      ProfileScope phase("conv input gradient");
      TINT_RETURN_IF_ERROR(call.backend.conv3x3_backward_input(spec, call.parameters[0], grad_y, x.shape, *call.grad_inputs[0]));
    }
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<LayerKind> make_conv_kind() { return std::make_unique<ConvKind>(); }

}  // namespace tint
