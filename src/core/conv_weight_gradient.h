// A direct kernel for a 3x3 convolution's weight gradient on x86-64 with AVX-512 (native
// builds): dW[o][i][ky][kx] = sum over pixels of dY[p][o] * X[tap(p, ky, kx)][i], with no im2col
// copy. Vectorised over output channels (contiguous in dY), broadcasting 8 input channels, in
// tiles of 8 x 32 accumulators that stay in registers while pixels stream past.
#pragma once

#include "ops.h"
#include "tensor.h"

typedef struct pthreadpool* pthreadpool_t;

namespace tint {

// True when this CPU and shape can use the kernel (AVX-512F, out a multiple of 32).
bool direct_weight_gradient_supported(const ConvSpec& spec);
// grad_weight in PyTorch layout [out][in][3][3], overwritten. Work is split over the pool by
// (tap, input-channel block, output-channel block); each tile sums pixels in a fixed order, so
// the result does not depend on the thread count.
void direct_weight_gradient(const ConvSpec& spec, const Tensor& input, const Tensor& grad_output, float* grad_weight,
                            pthreadpool_t pool);

}  // namespace tint
