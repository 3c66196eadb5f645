// The XNNPACK backend (native). Convolutions, bilinear resize, add and the strided copies of a
// channel concat run on XNNPACK operators; nearest upsampling and tanh (which this 2022 XNNPACK
// lacks) use the shared kernels. Operators follow XNNPACK's create -> setup -> run -> delete.
#include <xnnpack.h>
#include <pthreadpool.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "conv_weight_gradient.h"
#include "ops.h"
#include "ops_common.h"
#include "parallel.h"

static_assert(tint::kReadPadding >= XNN_EXTRA_BYTES, "FloatBuffer (tensor.h) must pad as much as XNNPACK reads past its inputs");

namespace tint {

namespace {

#define TINT_XNN_CHECK(call, what)                                                       \
  do {                                                                                   \
    const xnn_status xnn_status_ = (call);                                               \
    if (xnn_status_ != xnn_status_success) {                                             \
      return Status::error(std::string("XNNPACK ") + (what) + " failed (status " +       \
                           std::to_string(int(xnn_status_)) + ")");                    \
    }                                                                                    \
  } while (0)

Status initialize_xnnpack() {
  static std::once_flag once;
  static xnn_status status = xnn_status_success;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  if (status != xnn_status_success) {
    return Status::error("XNNPACK cannot initialise on this CPU (status " + std::to_string(int(status)) + ")");
  }
  return Status::ok();
}

struct OperatorDeleter {
  void operator()(xnn_operator_t op) const { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;

struct PoolDeleter {
  void operator()(pthreadpool_t pool) const { pthreadpool_destroy(pool); }
};
using Pool = std::unique_ptr<pthreadpool, PoolDeleter>;

constexpr float no_min = -std::numeric_limits<float>::infinity();
constexpr float no_max = std::numeric_limits<float>::infinity();

// XNNPACK's GEMMs stream all of an operator's packed weights past every tile of output pixels,
// so an operator whose weights overflow L2 (e.g. 256->512: 4.7 MB) runs from L3 at about 60% of
// the rate of one that fits. Such layers are split into operators over groups of output
// channels, writing interleaved into the same output (the output's pixel stride = all channels).
// Returns the group size: output_channels halved while the group's weights exceed the budget.
int output_channel_group(int output_channels, int reduction_length) {
  constexpr size_t l2_budget = 512 * 1024;  // bytes of packed weights per operator
  int group = output_channels;
  while (group % 2 == 0 && group > 32 && size_t(group) * reduction_length * sizeof(float) > l2_budget) group /= 2;
  return group;
}

class XnnConv3x3 final : public Conv3x3 {
 public:
  XnnConv3x3(const ConvSpec& spec, pthreadpool_t pool) : spec_(spec), pool_(pool) {}

  // XNNPACK wants [out][ky][kx][in]; the weights file holds PyTorch's [out][in][ky][kx].
  Status create(const float* weight, const float* bias) {
    const int in = spec_.in_channels, out = spec_.out_channels;
    group_ = output_channel_group(out, 9 * in);
    FloatBuffer ohwi(size_t(out) * 9 * in);
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i)
        for (int k = 0; k < 9; ++k) ohwi[(size_t(o) * 9 + k) * in + i] = weight[(size_t(o) * in + i) * 9 + k];
    for (int first = 0; first < out; first += group_) {
      xnn_operator_t op = nullptr;
      TINT_XNN_CHECK(xnn_create_convolution2d_nhwc_f32(
                         1, 1, 1, 1, 3, 3, spec_.stride, spec_.stride, 1, 1, 1, in, group_, in, out,
                         ohwi.data() + size_t(first) * 9 * in, bias + first, spec_.relu ? 0.0f : no_min, no_max, 0, &op),
                     "convolution create");
      ops_.emplace_back(op);
    }
    return Status::ok();
  }

  Status run(const Tensor& input, Tensor& output) override {
    const Shape s = input.shape;
    TINT_RETURN_IF_ERROR(check_conv_input(spec_, s));
    output.resize({s.n, conv_output_size(s.h, spec_.stride), conv_output_size(s.w, spec_.stride),
                   spec_.out_channels});
    for (size_t g = 0; g < ops_.size(); ++g) {
      TINT_XNN_CHECK(xnn_setup_convolution2d_nhwc_f32(ops_[g].get(), s.n, s.h, s.w, input.ptr(),
                                                      output.ptr() + g * group_, pool_),
                     "convolution setup");
      TINT_XNN_CHECK(xnn_run_operator(ops_[g].get(), pool_), "convolution");
    }
    return Status::ok();
  }

 private:
  ConvSpec spec_;
  pthreadpool_t pool_;
  int group_ = 0;
  std::vector<Operator> ops_;
};

class XnnpackBackend final : public Backend {
 public:
  explicit XnnpackBackend(int threads)
      : threads_(threads), pool_(threads > 1 ? pthreadpool_create(threads) : nullptr) {}
  const char* name() const override { return "xnnpack"; }
  int threads() const override { return threads_; }

  void parallel_for(int count, const std::function<void(int, int)>& body) override {
    const int chunks = chunk_count(count, threads_);
    if (chunks == 1 || !pool_) {
      if (count > 0) body(0, count);
      return;
    }
    struct Job {
      const std::function<void(int, int)>* body;
      int count, chunks;
    } job{&body, count, chunks};
    // The chunks of tint::parallel_for (parallel.h), so every value is the same on either pool.
    pthreadpool_parallelize_1d(
        pool_.get(),
        [](void* context, size_t t) {
          const Job& j = *static_cast<const Job*>(context);
          (*j.body)(chunk_begin(j.count, j.chunks, int(t)), chunk_begin(j.count, j.chunks, int(t) + 1));
        },
        &job, size_t(chunks), 0);
  }

  Result<std::unique_ptr<Conv3x3>> make_conv3x3(const ConvSpec& spec, const float* weight,
                                                const float* bias) override {
    TINT_RETURN_IF_ERROR(check_conv_spec(spec));
    auto conv = std::make_unique<XnnConv3x3>(spec, pool_.get());
    TINT_RETURN_IF_ERROR(conv->create(weight, bias));
    return std::unique_ptr<Conv3x3>(std::move(conv));
  }

  Status upsample2x(const Tensor& input, bool bilinear, Tensor& output) override {
    if (!bilinear) {
      upsample2x_nearest(input, output, threads_);
      return Status::ok();
    }
    const Shape s = input.shape;
    output.resize({s.n, s.h * 2, s.w * 2, s.c});
    xnn_operator_t op = nullptr;
    TINT_XNN_CHECK(xnn_create_resize_bilinear2d_nhwc_f32(s.c, s.c, s.c, 0, &op), "resize create");
    Operator owner(op);
    TINT_XNN_CHECK(xnn_setup_resize_bilinear2d_nhwc_f32(op, s.n, s.h, s.w, s.h * 2, s.w * 2,
                                                        input.ptr(), output.ptr(), pool_.get()),
                   "resize setup");
    TINT_XNN_CHECK(xnn_run_operator(op, pool_.get()), "resize");
    return Status::ok();
  }

  // Two strided copies: a's channels to the front of each output pixel, b's after them.
  Status concat(const Tensor& a, const Tensor& b, Tensor& output) override {
    TINT_RETURN_IF_ERROR(check_same_pixels(a, b, "concat"));
    const int ca = a.shape.c, cb = b.shape.c;
    output.resize({a.shape.n, a.shape.h, a.shape.w, ca + cb});
    const size_t pixels = size_t(a.shape.n) * a.shape.h * a.shape.w;
    TINT_RETURN_IF_ERROR(strided_copy(a.ptr(), ca, ca, output.ptr(), ca + cb, pixels));
    return strided_copy(b.ptr(), cb, cb, output.ptr() + ca, ca + cb, pixels);
  }

  Status add(const Tensor& a, const Tensor& b, Tensor& output) override {
    TINT_RETURN_IF_ERROR(check_same_shape(a, b, "add"));
    output.resize(a.shape);
    xnn_operator_t op = nullptr;
    TINT_XNN_CHECK(xnn_create_add_nd_f32(no_min, no_max, 0, &op), "add create");
    Operator owner(op);
    const size_t shape[1] = {a.size()};
    TINT_XNN_CHECK(xnn_setup_add_nd_f32(op, 1, shape, 1, shape, a.ptr(), b.ptr(), output.ptr(), pool_.get()),
                   "add setup");
    TINT_XNN_CHECK(xnn_run_operator(op, pool_.get()), "add");
    return Status::ok();
  }


  // dX is a transposed convolution of dY with the same weights, channels swapped and no spatial
  // flip: wd[in][ky][kx][out] = W[out][in][ky][kx] (docs/toolchain.md, "XNNPACK"). Padding 1 on every side; a
  // stride-2 layer whose input side was even lost one row/column, which `adjustment` restores.
  Status conv3x3_backward_input(const ConvSpec& spec, const float* weight, const Tensor& grad_output,
                                Shape input_shape, Tensor& grad_input) override {
    const int in = spec.in_channels, out = spec.out_channels, stride = spec.stride;
    FloatBuffer swapped(size_t(9) * in * out);
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i)
        for (int k = 0; k < 9; ++k) swapped[(size_t(i) * 9 + k) * out + o] = weight[(size_t(o) * in + i) * 9 + k];
    const Shape g = grad_output.shape;
    const uint32_t adjust_h = stride == 2 && input_shape.h % 2 == 0 ? 1 : 0;
    const uint32_t adjust_w = stride == 2 && input_shape.w % 2 == 0 ? 1 : 0;
    grad_input.resize(input_shape);
    const int group = output_channel_group(in, 9 * out);  // the deconvolution outputs `in` channels
    for (int first = 0; first < in; first += group) {
      xnn_operator_t op = nullptr;
      TINT_XNN_CHECK(xnn_create_deconvolution2d_nhwc_f32(1, 1, 1, 1, 3, 3, stride, stride, 1, 1, 1, out, group, out, in,
                                                         swapped.data() + size_t(first) * 9 * out, nullptr, no_min,
                                                         no_max, 0, &op),
                     "deconvolution create");
      Operator owner(op);
      TINT_XNN_CHECK(xnn_setup_deconvolution2d_nhwc_f32(op, g.n, g.h, g.w, adjust_h, adjust_w, grad_output.ptr(),
                                                        grad_input.ptr() + first, pool_.get()),
                     "deconvolution setup");
      TINT_XNN_CHECK(xnn_run_operator(op, pool_.get()), "deconvolution");
    }
    return Status::ok();
  }

  // dW as GEMMs over chunks of output pixels: XNNPACK's fully-connected operator with the chunk's
  // dY [pixels][out] as its "weights" (XNN_FLAG_TRANSPOSE_WEIGHTS) and the transposed im2col of
  // the input [9*in][pixels] as its batch, giving [9*in][out] per chunk. Packing dY is cheap;
  // packing the im2col matrix instead cost 5x the multiply (docs/toolchain.md, "XNNPACK"). Chunks keep the
  // operands in cache and the f32 sums short.
  Status conv3x3_backward_weight(const ConvSpec& spec, const Tensor& input, const Tensor& grad_output,
                                 float* grad_weight) override {
    if (direct_weight_gradient_supported(spec)) {
      direct_weight_gradient(spec, input, grad_output, grad_weight, pool_.get());
      return Status::ok();
    }
    const int in = spec.in_channels, out = spec.out_channels, stride = spec.stride;
    const Shape x = input.shape, g = grad_output.shape;
    const size_t pixels = size_t(g.n) * g.h * g.w, rows = size_t(9) * in;
    const size_t chunk = std::min<size_t>(pixels, 2048);
    // Rows of the transposed im2col are padded by 16 floats: at a power-of-two stride (8 KB for
    // 2048 pixels) every row's line fell in the same L1 set, and the transposing stores missed
    // (a third of a whole training step went to them).
    const size_t row_stride = chunk + 16;
    // Scratch kept across calls: the columns alone reach 38 MB for a 512-channel layer, and
    // fresh zeroed pages each step cost page faults and memsets.
    columns_.resize(rows * row_stride);
    product_.resize(rows * out);
    sum_.assign(rows * out, 0.0f);
    for (size_t begin = 0; begin < pixels; begin += chunk) {
      const size_t count = std::min(chunk, pixels - begin);
      // columns[(k*in + i) * row_stride + p] = x at the k-th tap of output pixel begin+p, channel i.
      // Blocks of 32 pixels keep the 9*in destination rows' current cache lines in L1 while a
      // block is transposed into them; blocks go to the pool's threads (disjoint columns).
      struct Transpose {
        const float* input;
        float* columns;
        Shape x, g;
        int in, stride;
        size_t begin, count, row_stride;
      } job{input.ptr(), columns_.data(), x, g, in, stride, begin, count, row_stride};
      constexpr size_t block = 32;
      pthreadpool_parallelize_1d(
          pool_.get(),
          [](void* context, size_t block_index) {
            const Transpose& t = *static_cast<const Transpose*>(context);
            const size_t block_begin = block_index * block, block_end = std::min(t.count, block_begin + block);
            for (int k = 0; k < 9; ++k) {
              float* rows_k = t.columns + size_t(k) * t.in * t.row_stride;
              for (size_t p = block_begin; p < block_end; ++p) {
                const size_t pixel = t.begin + p;
                const int ox = int(pixel % t.g.w), oy = int(pixel / t.g.w % t.g.h), n = int(pixel / (size_t(t.g.w) * t.g.h));
                const int iy = oy * t.stride + k / 3 - 1, ix = ox * t.stride + k % 3 - 1;
                float* dst = rows_k + p;
                if (iy < 0 || iy >= t.x.h || ix < 0 || ix >= t.x.w) {
                  for (int i = 0; i < t.in; ++i) dst[size_t(i) * t.row_stride] = 0.0f;
                } else {
                  const float* src = t.input + ((size_t(n) * t.x.h + iy) * t.x.w + ix) * t.in;
                  for (int i = 0; i < t.in; ++i) dst[size_t(i) * t.row_stride] = src[i];
                }
              }
            }
          },
          &job, (count + block - 1) / block, 0);
      xnn_operator_t op = nullptr;
      TINT_XNN_CHECK(xnn_create_fully_connected_nc_f32(count, out, row_stride, out, grad_output.ptr() + begin * out,
                                                       nullptr, no_min, no_max, XNN_FLAG_TRANSPOSE_WEIGHTS, &op),
                     "fully-connected create");
      Operator owner(op);
      TINT_XNN_CHECK(xnn_setup_fully_connected_nc_f32(op, rows, columns_.data(), product_.data(), pool_.get()),
                     "fully-connected setup");
      TINT_XNN_CHECK(xnn_run_operator(op, pool_.get()), "fully-connected");
      for (size_t j = 0; j < sum_.size(); ++j) sum_[j] += product_[j];
    }
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i)
        for (int k = 0; k < 9; ++k) grad_weight[(size_t(o) * in + i) * 9 + k] = sum_[(size_t(k) * in + i) * out + o];
    return Status::ok();
  }

 private:
  Status strided_copy(const float* src, int channels, int src_stride, float* dst, int dst_stride,
                      size_t pixels) {
    xnn_operator_t op = nullptr;
    TINT_XNN_CHECK(xnn_create_copy_nc_x32(channels, src_stride, dst_stride, 0, &op), "copy create");
    Operator owner(op);
    TINT_XNN_CHECK(xnn_setup_copy_nc_x32(op, pixels, src, dst, pool_.get()), "copy setup");
    TINT_XNN_CHECK(xnn_run_operator(op, pool_.get()), "copy");
    return Status::ok();
  }

  int threads_;
  Pool pool_;
  FloatBuffer columns_, product_, sum_;  // conv3x3_backward_weight's scratch
};

}  // namespace

Result<std::unique_ptr<Backend>> make_xnnpack_backend(int threads) {
  TINT_RETURN_IF_ERROR(initialize_xnnpack());
  return std::unique_ptr<Backend>(new XnnpackBackend(threads));
}

}  // namespace tint
