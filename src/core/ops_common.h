// Kernels that both backends share: the ones XNNPACK (2022) lacks (tanh, nearest upsampling) and
// simple memory-bound ones. Plain loops the compiler vectorises; the shapes are checked by callers.
#pragma once

#include "ops.h"
#include "status.h"
#include "tensor.h"

namespace tint {

Status check_same_shape(const Tensor& a, const Tensor& b, const char* op);
// A convolution both backends can build (channels >= 1, stride 1 or 2), and an input it can run on.
Status check_conv_spec(const ConvSpec& spec);
Status check_conv_input(const ConvSpec& spec, const Shape& input);
// Same n, h and w (channels may differ), as a concat needs.
Status check_same_pixels(const Tensor& a, const Tensor& b, const char* op);
void upsample2x_nearest(const Tensor& input, Tensor& output, int threads);
// Half-pixel centres (PyTorch align_corners=False, XNNPACK's default): output row 2i samples
// input rows i-1 and i with weights 1/4, 3/4; row 2i+1 samples i and i+1 with 3/4, 1/4; edges clamp.
void upsample2x_bilinear(const Tensor& input, Tensor& output, int threads);
void concat_channels(const Tensor& a, const Tensor& b, Tensor& output);
void add_elementwise(const Tensor& a, const Tensor& b, Tensor& output);
void tanh_elementwise(const Tensor& input, Tensor& output);

// Portable convolution backward (the simd backend's, and the reference XNNPACK's is tested
// against). Gather formulations, parallel over rows, so results do not depend on timing.
void conv3x3_backward_input_portable(const ConvSpec& spec, const float* weight, const Tensor& grad_output,
                                     Shape input_shape, Tensor& grad_input, int threads);
void conv3x3_backward_weight_portable(const ConvSpec& spec, const Tensor& input, const Tensor& grad_output,
                                      float* grad_weight, int threads);

}  // namespace tint
