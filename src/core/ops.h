// The compute backends behind one interface: XNNPACK (native) and our portable SIMD kernels
// (the only backend in WASM; also built natively as a cross-check). Tensors are NHWC f32.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "status.h"
#include "tensor.h"

namespace tint {

struct ConvSpec {
  int in_channels = 0;
  int out_channels = 0;
  int stride = 1;  // 1 or 2; kernel 3x3, padding 1
  bool relu = false;
};

// Output side of a 3x3, padding-1 convolution.
inline int conv_output_size(int input_size, int stride) { return (input_size - 1) / stride + 1; }

// A convolution with its weights packed for one backend. Create once per set of weights
// (packing is the expensive part), run per call; output is resized as needed.
class Conv3x3 {
 public:
  virtual ~Conv3x3() = default;
  virtual Status run(const Tensor& input, Tensor& output) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual int threads() const = 0;
  // weight in PyTorch layout [out][in][3][3], bias [out].
  virtual Result<std::unique_ptr<Conv3x3>> make_conv3x3(const ConvSpec& spec, const float* weight,
                                                        const float* bias) = 0;
  virtual Status upsample2x(const Tensor& input, bool bilinear, Tensor& output) = 0;
  // Channel concat: output channels = a's then b's. Same n, h, w.
  virtual Status concat(const Tensor& a, const Tensor& b, Tensor& output) = 0;
  virtual Status add(const Tensor& a, const Tensor& b, Tensor& output) = 0;
  // The same on every backend (XNNPACK 2022 has no f32 tanh): ops_common's kernel.
  Status tanh(const Tensor& input, Tensor& output);
  // body(begin, end) on threads() contiguous chunks of [0, count), split as parallel_for splits
  // (parallel.h), on the threads this backend's own operators use: natively XNNPACK's pool, whose
  // idle workers would otherwise spin beside a second pool's threads.
  virtual void parallel_for(int count, const std::function<void(int, int)>& body);

  // Training: the two halves of a 3x3 convolution's backward pass (the ReLU, if any, is already
  // folded into grad_output by the caller; bias gradients are a plain sum, see kinds/conv.cpp).
  // grad_input = conv_transpose(grad_output, weight), shaped like `input_shape`.
  virtual Status conv3x3_backward_input(const ConvSpec& spec, const float* weight, const Tensor& grad_output,
                                        Shape input_shape, Tensor& grad_input) = 0;
  // grad_weight [out][in][3][3] = sum over pixels of grad_output (x) the input's 3x3 patches
  // (overwritten, not accumulated).
  virtual Status conv3x3_backward_weight(const ConvSpec& spec, const Tensor& input, const Tensor& grad_output,
                                         float* grad_weight) = 0;
};

// body over [0, count): split on the backend's threads, or in one piece without a backend.
void run_on(Backend* backend, int count, const std::function<void(int, int)>& body);

// "xnnpack" (native builds only) or "simd". threads >= 1.
Result<std::unique_ptr<Backend>> make_backend(const std::string& name, int threads);
std::vector<std::string> available_backends();
const char* default_backend_name();

}  // namespace tint
