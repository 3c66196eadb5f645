// The portable SIMD backend: our own kernels, written once with GCC/Clang vector extensions so
// the same source compiles to wasm_simd128 (-msimd128) for the browser and to SSE natively.
//
// The 3x3 convolution (NHWC) runs over a zero-padded copy of the input, with the weights packed
// per block of 8 output channels as [block][ky][kx][in][8]. For one kernel row ky, the inputs an
// output pixel needs - three neighbouring pixels' channels - are one contiguous run of 3*in floats
// in the padded row, and the matching weights are one contiguous run of 3*in*8 floats, so the
// reduction is one flat loop with bumped pointers (docs/toolchain.md, "SIMD kernels").
// A tile is 4 output pixels x 8 output channels: 8 accumulators + 2 weight vectors + 1 broadcast
// = 11 live vectors, under the 15 that V8 on x64 can keep in registers without spilling.
#include <algorithm>
#include <cstring>
#include <memory>

#include "ops.h"
#include "ops_common.h"
#include "parallel.h"

namespace tint {

typedef float vec4 __attribute__((vector_size(16)));

namespace {

constexpr int block_channels = 8;
constexpr int tile_pixels = 4;

inline vec4 load4(const float* p) {
  vec4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store4(float* p, vec4 v) { std::memcpy(p, &v, sizeof(v)); }
inline vec4 splat(float x) { return vec4{x, x, x, x}; }

// acc + x * w. The relaxed-SIMD build (TINT_RELAXED_SIMD: tint-threads-relaxed.wasm) makes it one
// f32x4.relaxed_madd, fused where the CPU has FMA: one instruction instead of two. LLVM 14 emits it
// as the pre-standard f32x4.fma(a, b, c) = a + b*c, which tools/wasm/relaxed-simd.mjs rewrites after
// linking to the standard relaxed_madd(a, b, c) = a*b + c, so the operands are in the standard's
// order (docs/toolchain.md, "Relaxed SIMD").
inline vec4 madd(vec4 x, vec4 w, vec4 acc) {
#if defined(TINT_RELAXED_SIMD)
  return __builtin_wasm_fma_f32x4(x, w, acc);
#else
  return acc + x * w;
#endif
}

// One output tile: 4 pixels x 8 channels over the 3 kernel rows. For kernel row ky, pixel p's
// inputs are the run of 3*in floats at rows[ky] + p * pixel_step, and the weights the run of
// 3*in*8 floats at weights + ky * run * 8. The accumulators are plain locals so the compiler
// keeps all 8 in registers (an array passed by reference was spilled: 18 vs 33 GFLOP/s in V8).
inline void tile_4x8(const float* const rows[3], int pixel_step, const float* weights, int run, vec4 bias0,
                     vec4 bias1, vec4 out[8]) {
  vec4 a00 = bias0, a01 = bias1, a10 = bias0, a11 = bias1, a20 = bias0, a21 = bias1, a30 = bias0, a31 = bias1;
  for (int ky = 0; ky < 3; ++ky) {
    const float* in = rows[ky];
    const float* w = weights + size_t(ky) * run * block_channels;
    const float* const w_end = w + size_t(run) * block_channels;
#if defined(__clang__)
#pragma clang loop unroll(disable)
#endif
    for (; w < w_end; w += block_channels, ++in) {
      const vec4 w0 = load4(w), w1 = load4(w + 4);
      vec4 x = splat(in[0]);
      a00 = madd(x, w0, a00);
      a01 = madd(x, w1, a01);
      x = splat(in[pixel_step]);
      a10 = madd(x, w0, a10);
      a11 = madd(x, w1, a11);
      x = splat(in[2 * pixel_step]);
      a20 = madd(x, w0, a20);
      a21 = madd(x, w1, a21);
      x = splat(in[3 * pixel_step]);
      a30 = madd(x, w0, a30);
      a31 = madd(x, w1, a31);
    }
  }
  out[0] = a00, out[1] = a01, out[2] = a10, out[3] = a11, out[4] = a20, out[5] = a21, out[6] = a30, out[7] = a31;
}

// The same for one pixel (the row's remainder).
inline void tile_1x8(const float* const rows[3], const float* weights, int run, vec4 bias0, vec4 bias1, vec4 out[2]) {
  vec4 a0 = bias0, a1 = bias1;
  for (int ky = 0; ky < 3; ++ky) {
    const float* in = rows[ky];
    const float* w = weights + size_t(ky) * run * block_channels;
    const float* const w_end = w + size_t(run) * block_channels;
    for (; w < w_end; w += block_channels, ++in) {
      const vec4 x = splat(in[0]);
      a0 = madd(x, load4(w), a0);
      a1 = madd(x, load4(w + 4), a1);
    }
  }
  out[0] = a0, out[1] = a1;
}

class SimdConv3x3 final : public Conv3x3 {
 public:
  SimdConv3x3(const ConvSpec& spec, const float* weight, const float* bias, int threads)
      : spec_(spec), threads_(threads) {
    const int in = spec.in_channels, blocks = block_count();
    packed_.assign(size_t(blocks) * 9 * in * block_channels, 0.0f);
    bias_.assign(size_t(blocks) * block_channels, 0.0f);
    for (int o = 0; o < spec.out_channels; ++o) {
      const int block = o / block_channels, lane = o % block_channels;
      bias_[o] = bias ? bias[o] : 0.0f;
      for (int i = 0; i < in; ++i) {
        for (int ky = 0; ky < 3; ++ky) {
          for (int kx = 0; kx < 3; ++kx) {
            const size_t dst = (((size_t(block) * 3 + ky) * 3 + kx) * in + i) * block_channels + lane;
            packed_[dst] = weight[((size_t(o) * in + i) * 3 + ky) * 3 + kx];
          }
        }
      }
    }
  }

  Status run(const Tensor& input, Tensor& output) override {
    const Shape s = input.shape;
    TINT_RETURN_IF_ERROR(check_conv_input(spec_, s));
    const int stride = spec_.stride;
    const int out_h = conv_output_size(s.h, stride), out_w = conv_output_size(s.w, stride);
    output.resize({s.n, out_h, out_w, spec_.out_channels});
    pad_input(input);
    parallel_for(s.n * out_h, threads_, [&](int begin, int end) {
      for (int row = begin; row < end; ++row) compute_row(row / out_h, row % out_h, s, output);
    });
    return Status::ok();
  }

 private:
  int block_count() const { return (spec_.out_channels + block_channels - 1) / block_channels; }

  // Copies the input into a buffer with a one-pixel zero border (plus one spare pixel on the right
  // so stride-2 tiles never read past a row's end).
  void pad_input(const Tensor& input) {
    const Shape s = input.shape;
    padded_w_ = s.w + 3;
    padded_h_ = s.h + 2;
    const size_t row_floats = size_t(padded_w_) * s.c;
    padded_.assign(size_t(s.n) * padded_h_ * row_floats, 0.0f);
    for (int n = 0; n < s.n; ++n) {
      for (int y = 0; y < s.h; ++y) {
        const float* src = input.ptr() + (size_t(n) * s.h + y) * s.w * s.c;
        float* dst = padded_.data() + (size_t(n) * padded_h_ + y + 1) * row_floats + s.c;
        std::memcpy(dst, src, size_t(s.w) * s.c * sizeof(float));
      }
    }
  }

  void compute_row(int n, int oy, const Shape& s, Tensor& output) const {
    const int in = s.c, stride = spec_.stride, run = 3 * in;
    const int out_w = output.shape.w, out_c = spec_.out_channels;
    const size_t row_floats = size_t(padded_w_) * in;
    const float* rows[3];
    for (int ky = 0; ky < 3; ++ky) {
      rows[ky] = padded_.data() + (size_t(n) * padded_h_ + oy * stride + ky) * row_floats;
    }
    float* out_row = output.ptr() + (size_t(n) * output.shape.h + oy) * out_w * out_c;
    const int pixel_step = stride * in;
    for (int block = 0; block < block_count(); ++block) {
      const float* block_weights = packed_.data() + size_t(block) * 9 * in * block_channels;
      const vec4 bias0 = load4(bias_.data() + block * block_channels);
      const vec4 bias1 = load4(bias_.data() + block * block_channels + 4);
      const int lanes = std::min(block_channels, out_c - block * block_channels);
      int ox = 0;
      vec4 acc[2 * tile_pixels];
      for (; ox + tile_pixels <= out_w; ox += tile_pixels) {
        const float* tile_rows[3] = {rows[0] + size_t(ox) * pixel_step, rows[1] + size_t(ox) * pixel_step,
                                     rows[2] + size_t(ox) * pixel_step};
        tile_4x8(tile_rows, pixel_step, block_weights, run, bias0, bias1, acc);
        store_tile(acc, tile_pixels, out_row + size_t(ox) * out_c + block * block_channels, out_c, lanes);
      }
      for (; ox < out_w; ++ox) {
        const float* tile_rows[3] = {rows[0] + size_t(ox) * pixel_step, rows[1] + size_t(ox) * pixel_step,
                                     rows[2] + size_t(ox) * pixel_step};
        tile_1x8(tile_rows, block_weights, run, bias0, bias1, acc);
        store_tile(acc, 1, out_row + size_t(ox) * out_c + block * block_channels, out_c, lanes);
      }
    }
  }

  void store_tile(const vec4* acc, int pixels, float* out, int out_c, int lanes) const {
    const vec4 zero = splat(0.0f);
    for (int p = 0; p < pixels; ++p) {
      vec4 a0 = acc[2 * p], a1 = acc[2 * p + 1];
      if (spec_.relu) {
        a0 = a0 > zero ? a0 : zero;
        a1 = a1 > zero ? a1 : zero;
      }
      float* dst = out + size_t(p) * out_c;
      if (lanes == block_channels) {
        store4(dst, a0);
        store4(dst + 4, a1);
      } else {
        float lane_values[block_channels];
        store4(lane_values, a0);
        store4(lane_values + 4, a1);
        std::memcpy(dst, lane_values, size_t(lanes) * sizeof(float));
      }
    }
  }

  ConvSpec spec_;
  int threads_;
  std::vector<float> packed_, bias_;
  std::vector<float> padded_;
  int padded_w_ = 0, padded_h_ = 0;
};

class SimdBackend final : public Backend {
 public:
  explicit SimdBackend(int threads) : threads_(threads) {}
  const char* name() const override { return "simd"; }
  int threads() const override { return threads_; }

  Result<std::unique_ptr<Conv3x3>> make_conv3x3(const ConvSpec& spec, const float* weight,
                                                const float* bias) override {
    TINT_RETURN_IF_ERROR(check_conv_spec(spec));
    return std::unique_ptr<Conv3x3>(new SimdConv3x3(spec, weight, bias, threads_));
  }
  Status upsample2x(const Tensor& input, bool bilinear, Tensor& output) override {
    if (bilinear) {
      upsample2x_bilinear(input, output, threads_);
    } else {
      upsample2x_nearest(input, output, threads_);
    }
    return Status::ok();
  }
  Status concat(const Tensor& a, const Tensor& b, Tensor& output) override {
    TINT_RETURN_IF_ERROR(check_same_pixels(a, b, "concat"));
    concat_channels(a, b, output);
    return Status::ok();
  }
  Status add(const Tensor& a, const Tensor& b, Tensor& output) override {
    TINT_RETURN_IF_ERROR(check_same_shape(a, b, "add"));
    add_elementwise(a, b, output);
    return Status::ok();
  }
  Status conv3x3_backward_input(const ConvSpec& spec, const float* weight, const Tensor& grad_output,
                                Shape input_shape, Tensor& grad_input) override {
    conv3x3_backward_input_portable(spec, weight, grad_output, input_shape, grad_input, threads_);
    return Status::ok();
  }
  Status conv3x3_backward_weight(const ConvSpec& spec, const Tensor& input, const Tensor& grad_output,
                                 float* grad_weight) override {
    conv3x3_backward_weight_portable(spec, input, grad_output, grad_weight, threads_);
    return Status::ok();
  }

 private:
  int threads_;
};

}  // namespace

std::unique_ptr<Backend> make_simd_backend(int threads) {
  return std::make_unique<SimdBackend>(threads);
}

}  // namespace tint
