// One 3x3 convolution timed on every backend: bench_conv3x3 [in out size stride threads rounds].
// Prints GFLOP/s per backend, best of `rounds` interleaved rounds (this VM's speed drifts, so
// backends are compared within one run). Builds natively and for WASM (run with node).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "ops.h"

using namespace tint;

int main(int argc, char** argv) {
  const int in = argc > 1 ? std::atoi(argv[1]) : 64;
  const int out = argc > 2 ? std::atoi(argv[2]) : 64;
  const int size = argc > 3 ? std::atoi(argv[3]) : 128;
  const int stride = argc > 4 ? std::atoi(argv[4]) : 1;
  const int threads = argc > 5 ? std::atoi(argv[5]) : 1;
  const int rounds = argc > 6 ? std::atoi(argv[6]) : 5;
  if (in < 1 || out < 1 || size < 1 || (stride != 1 && stride != 2) || threads < 1 || rounds < 1) {
    std::fprintf(stderr, "usage: bench_conv3x3 [in out size stride threads rounds]\n");
    return 2;
  }
  Tensor x(1, size, size, in), y;
  for (size_t i = 0; i < x.size(); ++i) x.data[i] = float(i % 17) * 0.01f;
  std::vector<float> weight(size_t(out) * in * 9, 0.01f), bias(out, 0.0f);
  const int out_size = conv_output_size(size, stride);
  const double flops = 2.0 * 9 * in * out * out_size * out_size;

  std::map<std::string, double> best_ms;
  std::vector<std::pair<std::string, std::unique_ptr<Conv3x3>>> convs;
  std::vector<std::unique_ptr<Backend>> backends;
  for (const auto& name : available_backends()) {
    auto backend = make_backend(name, threads);
    if (!backend) return std::fprintf(stderr, "%s\n", backend.message().c_str()), 1;
    auto conv = backend.value()->make_conv3x3({in, out, stride, true}, weight.data(), bias.data());
    if (!conv) return std::fprintf(stderr, "%s\n", conv.message().c_str()), 1;
    convs.emplace_back(name, std::move(conv.value()));
    backends.push_back(std::move(backend.value()));
    convs.back().second->run(x, y);  // warm up
  }
  for (int round = 0; round < rounds; ++round) {
    for (auto& [name, conv] : convs) {
      const int reps = std::max(1, int(2e9 / flops));
      const auto start = std::chrono::steady_clock::now();
      for (int r = 0; r < reps; ++r) conv->run(x, y);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / reps;
      auto it = best_ms.find(name);
      if (it == best_ms.end() || ms < it->second) best_ms[name] = ms;
    }
  }
  std::printf("conv3x3 %d->%d %dx%d stride %d, %d thread(s), %.3f GFLOP\n", in, out, size, size,
              stride, threads, flops * 1e-9);
  for (const auto& [name, ms] : best_ms) {
    std::printf("  %-8s %8.3f ms  %7.1f GFLOP/s\n", name.c_str(), ms, flops / (ms * 1e6));
  }
  return 0;
}
