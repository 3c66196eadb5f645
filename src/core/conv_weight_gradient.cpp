#include "conv_weight_gradient.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace tint {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

namespace {

typedef float vec16 __attribute__((vector_size(64)));
constexpr int out_tile = 32;  // two vectors of output channels
constexpr int in_tile = 8;    // broadcast input channels per pixel: 16 accumulators
// Pixels per pass: their X and dY rows (in + out floats each) should stay in L2 (512 KB of
// Zen 4's 1 MB) while every tile streams them; more pixels per pass means fewer pool dispatches.
size_t pixel_chunk(int in, int out) {
  const size_t fit = (512 * 1024) / ((size_t(in) + out) * sizeof(float));
  return std::clamp<size_t>(fit, 256, 4096);
}

struct Job {
  const float* input;
  const float* grad_output;
  Shape x, g;
  int in, out, stride;
  int in_blocks, out_blocks;
  size_t chunk_begin, chunk_end;
  float* sums;  // [tap][in][out], accumulated across chunks
};

// One tile over the chunk's pixels: acc[i][o] += dY[p][o] * X[tap(p)][i].
template <int inputs>
__attribute__((target("avx512f"))) void tile(const Job& job, int tap, int i0, int o0) {
  vec16 acc[in_tile][2];
  float* sums = job.sums + (size_t(tap) * job.in + i0) * job.out + o0;
  for (int i = 0; i < inputs; ++i) {
    std::memcpy(&acc[i][0], sums + size_t(i) * job.out, 64);
    std::memcpy(&acc[i][1], sums + size_t(i) * job.out + 16, 64);
  }
  const int ky = tap / 3, kx = tap % 3;
  const Shape& x = job.x;
  const Shape& g = job.g;
  size_t pixel = job.chunk_begin;
  while (pixel < job.chunk_end) {
    // One output row's valid run [ox_begin, ox_end) for this tap.
    const int ox = int(pixel % g.w), oy = int(pixel / g.w % g.h), n = int(pixel / (size_t(g.w) * g.h));
    const size_t row_end = std::min(job.chunk_end, pixel + size_t(g.w - ox));
    const int iy = oy * job.stride + ky - 1;
    if (iy >= 0 && iy < x.h) {
      // ix = ox * stride + kx - 1 must lie in [0, x.w).
      const int first = std::max(ox, (1 - kx + job.stride - 1) / job.stride);
      const int span = x.w - kx;  // floor division below needs span >= 0
      const int last = std::min(int(ox + (row_end - pixel)), span < 0 ? 0 : span / job.stride + 1);
      const float* dz = job.grad_output + (pixel + size_t(first - ox)) * job.out + o0;
      const float* xp = job.input + ((size_t(n) * x.h + iy) * x.w + (first * job.stride + kx - 1)) * job.in + i0;
      const size_t x_step = size_t(job.stride) * job.in;
      for (int o = first; o < last; ++o, dz += job.out, xp += x_step) {
        vec16 d0, d1;
        std::memcpy(&d0, dz, 64);
        std::memcpy(&d1, dz + 16, 64);
        for (int i = 0; i < inputs; ++i) {
          const vec16 b = vec16{} + xp[i];
          acc[i][0] += b * d0;
          acc[i][1] += b * d1;
        }
      }
    }
    pixel = row_end;
  }
  for (int i = 0; i < inputs; ++i) {
    std::memcpy(sums + size_t(i) * job.out, &acc[i][0], 64);
    std::memcpy(sums + size_t(i) * job.out + 16, &acc[i][1], 64);
  }
}

void run_tile(void* context, size_t index) {
  const Job& job = *static_cast<const Job*>(context);
  const int o_block = int(index % job.out_blocks);
  const int i_block = int(index / job.out_blocks % job.in_blocks);
  const int tap = int(index / (size_t(job.out_blocks) * job.in_blocks));
  const int i0 = i_block * in_tile, inputs = std::min(in_tile, job.in - i0);
  switch (inputs) {
    case 1: tile<1>(job, tap, i0, o_block * out_tile); break;
    case 2: tile<2>(job, tap, i0, o_block * out_tile); break;
    case 3: tile<3>(job, tap, i0, o_block * out_tile); break;
    case 4: tile<4>(job, tap, i0, o_block * out_tile); break;
    case 5: tile<5>(job, tap, i0, o_block * out_tile); break;
    case 6: tile<6>(job, tap, i0, o_block * out_tile); break;
    case 7: tile<7>(job, tap, i0, o_block * out_tile); break;
    default: tile<8>(job, tap, i0, o_block * out_tile); break;
  }
}

}  // namespace

bool direct_weight_gradient_supported(const ConvSpec& spec) {
  static const bool cpu = __builtin_cpu_supports("avx512f");
  return cpu && spec.out_channels % out_tile == 0;
}

void direct_weight_gradient(const ConvSpec& spec, const Tensor& input, const Tensor& grad_output, float* grad_weight,
                            pthreadpool_t pool) {
  const int in = spec.in_channels, out = spec.out_channels;
  std::vector<float> sums(size_t(9) * in * out, 0.0f);
  Job job{input.ptr(), grad_output.ptr(), input.shape, grad_output.shape, in, out, spec.stride,
          (in + in_tile - 1) / in_tile, out / out_tile, 0, 0, sums.data()};
  const size_t pixels = size_t(job.g.n) * job.g.h * job.g.w;
  const size_t tiles = size_t(9) * job.in_blocks * job.out_blocks;
  const size_t chunk = pixel_chunk(in, out);
  for (size_t begin = 0; begin < pixels; begin += chunk) {
    job.chunk_begin = begin;
    job.chunk_end = std::min(pixels, begin + chunk);
    pthreadpool_parallelize_1d(pool, run_tile, &job, tiles, 0);
  }
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < in; ++i)
      for (int k = 0; k < 9; ++k) grad_weight[(size_t(o) * in + i) * 9 + k] = sums[(size_t(k) * in + i) * out + o];
}

#else

bool direct_weight_gradient_supported(const ConvSpec&) { return false; }
void direct_weight_gradient(const ConvSpec&, const Tensor&, const Tensor&, float*, pthreadpool_t) {}

#endif

}  // namespace tint
