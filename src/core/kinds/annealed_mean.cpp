// annealed_mean: decodes a distribution over the gamut ab bins (ab_bins.h) into one colour per
// pixel, ab / 128 (Zhang et al. 2016): f = p^(1/T) / sum p^(1/T), ab = sum_k f_k c_k. T = 1 is
// the mean (safe, dull), T -> 0 the mode (vivid, blotchy); the paper's 0.38 sits between.
//   x [n,h,w,Q] (probabilities, Q = the bin count) -> y [n,h,w,2].
// Backward: d ab_j / d p_k = (1/T) (f_k / p_k) (c_kj - ab_j), f_k / p_k = p_k^(1/T - 1) / S.
#include <cmath>
#include <cstdio>

#include "ab_bins.h"
#include "layer_kind.h"
#include "model.h"

namespace tint {
namespace {

constexpr float kFloor = 1e-30f;  // log(0) guard: a bin with p = 0 gets weight 0 either way

class AnnealedMeanKind : public LayerKind {
 public:
  std::string op() const override { return "annealed_mean"; }
  std::vector<AttributeSpec> attributes() const override {
    return {{"temperature", AttributeType::number, "0.38", {}}};
  }
  Result<LayerShape> infer(const Layer& layer, const std::vector<LayerShape>& inputs) const override {
    const int bins = AbBins::gamut().count();
    if (inputs[0].out_channels != bins) {
      return Status::error("annealed_mean reads a distribution over the " + std::to_string(bins) + " ab bins, got " +
                           std::to_string(inputs[0].out_channels) + " channels");
    }
    const float t = layer.number("temperature");
    if (!(t >= 0.01f && t <= 10.0f)) {
      char text[32];
      std::snprintf(text, sizeof text, "%g", double(t));
      return Status::error(std::string("temperature must be in [0.01, 10], got ") + text);
    }
    return LayerShape{bins, 2, inputs[0].depth};
  }
  std::string describe(const Layer& layer, const LayerShape&) const override {
    char text[32];
    std::snprintf(text, sizeof text, "T %.2f", double(layer.number("temperature")));
    return text;
  }
  Status forward(ForwardCall& call) const override {
    const AbBins& bins = AbBins::gamut();
    const Tensor& p = *call.inputs[0];
    const int q = p.shape.c;
    const float inverse_t = 1.0f / call.layer.number("temperature");
    call.output.resize({p.shape.n, p.shape.h, p.shape.w, 2});
    std::vector<float> logs(static_cast<size_t>(q));
    const size_t pixels = p.size() / size_t(q);
    for (size_t i = 0; i < pixels; ++i) {
      const float* in = p.ptr() + i * q;
      float top = -1e30f;
      for (int k = 0; k < q; ++k) top = std::max(top, logs[size_t(k)] = inverse_t * std::log(std::max(in[k], kFloor)));
      double sum = 0, a = 0, b = 0;
      for (int k = 0; k < q; ++k) {
        const double f = std::exp(double(logs[size_t(k)] - top));
        sum += f;
        a += f * bins.a(k);
        b += f * bins.b(k);
      }
      call.output.ptr()[2 * i] = float(a / sum / 128.0);
      call.output.ptr()[2 * i + 1] = float(b / sum / 128.0);
    }
    return Status::ok();
  }
  Status backward(BackwardCall& call) const override {
    if (!call.grad_inputs[0]) return Status::ok();
    const AbBins& bins = AbBins::gamut();
    const Tensor& p = *call.inputs[0];
    const int q = p.shape.c;
    const float inverse_t = 1.0f / call.layer.number("temperature");
    Tensor& grad = *call.grad_inputs[0];
    grad.resize(p.shape);
    std::vector<double> f(static_cast<size_t>(q));
    const size_t pixels = p.size() / size_t(q);
    for (size_t i = 0; i < pixels; ++i) {
      const float* in = p.ptr() + i * q;
      double top = -1e300, sum = 0;
      for (int k = 0; k < q; ++k) top = std::max(top, f[size_t(k)] = double(inverse_t) * std::log(std::max(in[k], kFloor)));
      for (int k = 0; k < q; ++k) sum += (f[size_t(k)] = std::exp(f[size_t(k)] - top));
      const double a = call.output.ptr()[2 * i] * 128.0, b = call.output.ptr()[2 * i + 1] * 128.0;
      const double ga = call.grad_output.ptr()[2 * i] / 128.0, gb = call.grad_output.ptr()[2 * i + 1] / 128.0;
      for (int k = 0; k < q; ++k) {
        const double fk = f[size_t(k)] / sum;
        const double pk = std::max(in[k], kFloor);
        grad.ptr()[i * q + k] = float(inverse_t * fk / pk * (ga * (bins.a(k) - a) + gb * (bins.b(k) - b)));
      }
    }
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<LayerKind> make_annealed_mean_kind() { return std::make_unique<AnnealedMeanKind>(); }

}  // namespace tint
