// Table-driven checks of every op on both backends against the naive reference.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "ops.h"
#include "parallel.h"
#include "reference_ops.h"

using namespace tint;

namespace {

std::unique_ptr<Backend> backend_named(const std::string& name, int threads = 1) {
  auto backend = make_backend(name, threads);
  REQUIRE(backend.is_ok());
  return std::move(backend.value());
}

Tensor random_tensor(Shape shape, uint32_t seed) {
  Tensor t(shape);
  reference::fill_pattern(t.data, seed);
  return t;
}

struct ConvCase {
  int n, h, w, in, out, stride;
  bool relu;
};

}  // namespace

TEST_CASE("conv3x3 matches the naive reference on every backend") {
  const ConvCase cases[] = {
      {1, 1, 1, 1, 1, 1, false},   {1, 5, 7, 1, 64, 1, true},   {1, 8, 8, 3, 8, 2, false},
      {2, 9, 6, 5, 13, 2, true},   {1, 16, 16, 16, 16, 1, true}, {1, 7, 11, 64, 2, 1, false},
      {1, 12, 10, 32, 64, 2, true}, {1, 3, 17, 64, 64, 1, false}, {3, 4, 4, 2, 9, 2, false},
      {1, 2, 3, 7, 1, 2, true},    {1, 13, 13, 24, 40, 1, true}, {1, 6, 5, 64, 32, 2, false},
      {1, 5, 6, 128, 256, 1, true},  // weights over XNNPACK's per-operator budget: split by channels
  };
  for (const std::string& name : available_backends()) {
    for (int threads : {1, 2}) {
      auto backend = backend_named(name, threads);
      for (const ConvCase& c : cases) {
        INFO(name << " threads " << threads << ": n" << c.n << " " << c.h << "x" << c.w << " " << c.in
                  << "->" << c.out << " s" << c.stride << (c.relu ? " relu" : ""));
        Tensor x = random_tensor({c.n, c.h, c.w, c.in}, 7 + c.in);
        std::vector<float> weight(size_t(c.out) * c.in * 9), bias(c.out);
        reference::fill_pattern(weight, 11 + c.out, 0.5f);
        reference::fill_pattern(bias, 13, 0.5f);
        const Tensor expected = reference::conv3x3(x, weight, bias, c.out, c.stride, c.relu);
        auto conv = backend->make_conv3x3({c.in, c.out, c.stride, c.relu}, weight.data(), bias.data());
        REQUIRE(conv.is_ok());
        Tensor y;
        REQUIRE(conv.value()->run(x, y).is_ok());
        REQUIRE(y.shape == expected.shape);
        // Sums of up to 9*64 terms of magnitude <= 0.5: f32 rounding stays well under 1e-4.
        CHECK(reference::max_abs_difference(y, expected) < 1e-4f);
        // The same packed conv runs again on another size (operators are reused across calls).
        Tensor x2 = random_tensor({1, c.h + 1, c.w + 2, c.in}, 3);
        REQUIRE(conv.value()->run(x2, y).is_ok());
        CHECK(reference::max_abs_difference(y, reference::conv3x3(x2, weight, bias, c.out, c.stride, c.relu)) < 1e-4f);
      }
    }
  }
}

TEST_CASE("conv3x3 backward (input and weight gradients) matches the definition on every backend") {
  const ConvCase cases[] = {
      {1, 1, 1, 1, 1, 1, false}, {1, 5, 7, 1, 8, 1, false},  {2, 8, 8, 3, 8, 2, false},  {1, 9, 6, 5, 13, 2, false},
      {1, 7, 11, 64, 2, 1, false}, {1, 12, 10, 16, 24, 2, false}, {2, 3, 4, 7, 5, 2, false}, {1, 6, 5, 32, 64, 1, false},
      {2, 40, 60, 3, 4, 1, false},  // 4800 output pixels: more than one dW chunk
      {1, 4, 6, 256, 128, 2, false},  // a deconvolution split into output-channel groups
      {2, 1, 1, 5, 32, 2, false},   {1, 2, 1, 3, 64, 2, false},  // 1-pixel-wide inputs, stride 2
      {1, 9, 7, 13, 96, 1, false},  // input channels not a multiple of 8
  };
  for (const std::string& name : available_backends()) {
    for (int threads : {1, 2}) {
      auto backend = backend_named(name, threads);
      for (const ConvCase& c : cases) {
        INFO(name << " threads " << threads << ": n" << c.n << " " << c.h << "x" << c.w << " " << c.in << "->" << c.out
                  << " s" << c.stride);
        Tensor x = random_tensor({c.n, c.h, c.w, c.in}, 21 + c.in);
        std::vector<float> weight(size_t(c.out) * c.in * 9);
        reference::fill_pattern(weight, 5 + c.out, 0.5f);
        Tensor grad_output = random_tensor({c.n, (c.h - 1) / c.stride + 1, (c.w - 1) / c.stride + 1, c.out}, 8);
        Tensor expected_dx;
        std::vector<float> expected_dw;
        reference::conv3x3_backward(x, weight, grad_output, c.stride, expected_dx, expected_dw);
        const ConvSpec spec{c.in, c.out, c.stride, false};
        Tensor dx;
        REQUIRE(backend->conv3x3_backward_input(spec, weight.data(), grad_output, x.shape, dx).is_ok());
        REQUIRE(dx.shape == x.shape);
        CHECK(reference::max_abs_difference(dx, expected_dx) < 1e-4f);
        std::vector<float> dw(expected_dw.size(), -1.0f);
        REQUIRE(backend->conv3x3_backward_weight(spec, x, grad_output, dw.data()).is_ok());
        float worst = 0;
        for (size_t i = 0; i < dw.size(); ++i) worst = std::max(worst, std::fabs(dw[i] - expected_dw[i]));
        CHECK(worst < 1e-3f);  // sums over up to 2*12*10 pixels
      }
    }
  }
}

TEST_CASE("conv3x3 rejects an input with the wrong channel count") {
  for (const std::string& name : available_backends()) {
    auto backend = backend_named(name);
    std::vector<float> weight(4 * 3 * 9, 0.1f), bias(4, 0.0f);
    auto conv = backend->make_conv3x3({3, 4, 1, false}, weight.data(), bias.data());
    REQUIRE(conv.is_ok());
    Tensor y;
    CHECK_FALSE(conv.value()->run(Tensor(1, 4, 4, 2), y).is_ok());
  }
}

TEST_CASE("upsample x2, nearest and bilinear, match the reference") {
  const Shape shapes[] = {{1, 1, 1, 1}, {1, 3, 5, 2}, {2, 4, 4, 16}, {1, 7, 2, 3}, {1, 6, 9, 64}};
  for (const std::string& name : available_backends()) {
    for (int threads : {1, 2}) {
      auto backend = backend_named(name, threads);
      for (const Shape& s : shapes) {
        for (bool bilinear : {false, true}) {
          INFO(name << " " << s.h << "x" << s.w << "x" << s.c << (bilinear ? " bilinear" : " nearest"));
          Tensor x = random_tensor(s, 5), y;
          REQUIRE(backend->upsample2x(x, bilinear, y).is_ok());
          const Tensor expected = reference::upsample2x(x, bilinear);
          REQUIRE(y.shape == expected.shape);
          CHECK(reference::max_abs_difference(y, expected) < 1e-6f);
        }
      }
    }
  }
}

TEST_CASE("concat, add and tanh match the reference") {
  for (const std::string& name : available_backends()) {
    auto backend = backend_named(name);
    for (int ca : {1, 3, 64}) {
      for (int cb : {1, 2, 32}) {
        INFO(name << " concat " << ca << "+" << cb);
        Tensor a = random_tensor({2, 3, 5, ca}, 1), b = random_tensor({2, 3, 5, cb}, 2), y;
        REQUIRE(backend->concat(a, b, y).is_ok());
        REQUIRE(y.shape == Shape{2, 3, 5, ca + cb});
        bool exact = true;
        for (int n = 0; n < 2; ++n)
          for (int h = 0; h < 3; ++h)
            for (int w = 0; w < 5; ++w)
              for (int c = 0; c < ca + cb; ++c)
                exact &= y.at(n, h, w, c) == (c < ca ? a.at(n, h, w, c) : b.at(n, h, w, c - ca));
        CHECK(exact);
      }
    }
    Tensor a = random_tensor({1, 5, 3, 7}, 3), b = random_tensor({1, 5, 3, 7}, 4), sum, t;
    REQUIRE(backend->add(a, b, sum).is_ok());
    REQUIRE(backend->tanh(a, t).is_ok());
    float add_error = 0, tanh_error = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      add_error = std::max(add_error, std::fabs(sum.data[i] - (a.data[i] + b.data[i])));
      tanh_error = std::max(tanh_error, std::fabs(t.data[i] - float(std::tanh(double(a.data[i])))));
    }
    CHECK(add_error == 0.0f);
    CHECK(tanh_error < 1e-6f);
    CHECK_FALSE(backend->add(a, random_tensor({1, 5, 3, 6}, 1), sum).is_ok());
    CHECK_FALSE(backend->concat(a, random_tensor({1, 4, 3, 6}, 1), sum).is_ok());
  }
}

TEST_CASE("make_backend rejects unknown names and bad thread counts") {
  CHECK_FALSE(make_backend("cuda", 1).is_ok());
  CHECK_FALSE(make_backend("simd", 0).is_ok());
  CHECK(make_backend("simd", 2).is_ok());
}

TEST_CASE("parallel_for covers every index once, also when called from inside a task or from two threads") {
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(10, 3, [&](int begin, int end) {
    for (int outer = begin; outer < end; ++outer) {
      parallel_for(100, 2, [&](int b, int e) {  // nested: runs on the calling thread
        for (int i = b; i < e; ++i) ++hits[size_t(outer * 100 + i)];
      });
    }
  });
  for (const auto& h : hits) CHECK(h == 1);
#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)  // the plain WASM build has no threads
  std::vector<std::atomic<int>> other(2000);
  std::thread second([&] {
    parallel_for(1000, 2, [&](int b, int e) { for (int i = b; i < e; ++i) ++other[size_t(1000 + i)]; });
  });
  parallel_for(1000, 2, [&](int b, int e) { for (int i = b; i < e; ++i) ++other[size_t(i)]; });
  second.join();
  for (const auto& h : other) CHECK(h == 1);
#endif
}
