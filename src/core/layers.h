// Forward and backward of each layer kind, for training. Each backward sits beside its forward,
// with its shape contract in the comment above it. Tensors are NHWC; gradients have the shape of
// what they are the gradient of. The inference path (network.h) shares the forward kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "ops.h"
#include "random.h"
#include "status.h"
#include "tensor.h"

namespace tint {

// conv: x [n,h,w,in] -> y [n,ceil(h/s),ceil(w/s),out]; weight [out][in][3][3], bias [out].
// Weights change every step, so the backend packs them per call.
Status conv_forward(Backend& backend, const ConvSpec& spec, const float* weight, const float* bias, const Tensor& x,
                    Tensor& y);
// grad_y is consumed (the ReLU mask is applied to it in place). grad_x may be null (first layer).
// grad_weight / grad_bias are overwritten.
Status conv_backward(Backend& backend, const ConvSpec& spec, const float* weight, const Tensor& x, const Tensor& y,
                     Tensor& grad_y, Tensor* grad_x, float* grad_weight, float* grad_bias);

// upsample x2: x [n,h,w,c] -> y [n,2h,2w,c]. Backward: each input pixel collects the gradient of
// the outputs it fed, with the forward's weights (1 for nearest; 3/4, 1/4 per axis for bilinear).
void upsample_backward(const Tensor& grad_y, bool bilinear, Tensor& grad_x);

// concat: a [n,h,w,ca], b [n,h,w,cb] -> y [n,h,w,ca+cb]. Backward splits the channels.
void concat_backward(const Tensor& grad_y, int channels_a, Tensor& grad_a, Tensor& grad_b);

// dropout (inverted, as in the original Keras model): y = x * keep / (1 - rate), keep ~
// Bernoulli(1 - rate) drawn from rng in element order; identity at inference. Backward: the same
// mask and scale.
void dropout_forward(const Tensor& x, float rate, Random& rng, Tensor& y, std::vector<uint8_t>& keep);
void dropout_backward(const Tensor& grad_y, float rate, const std::vector<uint8_t>& keep, Tensor& grad_x);

// tanh: y = tanh(x). Backward from the output: grad_x = grad_y * (1 - y^2).
void tanh_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x);

// Elementwise helpers the graph uses to accumulate gradients: into += from.
void accumulate(Tensor& into, const Tensor& from);

}  // namespace tint
