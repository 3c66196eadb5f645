// A dense f32 tensor in NHWC layout (batch, height, width, channels), the layout both
// backends compute in: XNNPACK's operators are NHWC, and our SIMD kernels read a pixel's
// channels as one contiguous run.
#pragma once

#include <cstddef>
#include <vector>

namespace tint {

struct Shape {
  int n = 0, h = 0, w = 0, c = 0;
  size_t size() const { return size_t(n) * size_t(h) * size_t(w) * size_t(c); }
  bool operator==(const Shape& other) const {
    return n == other.n && h == other.h && w == other.w && c == other.c;
  }
  bool operator!=(const Shape& other) const { return !(*this == other); }
};

struct Tensor {
  Shape shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(Shape s) : shape(s), data(s.size(), 0.0f) {}
  Tensor(int n, int h, int w, int c) : Tensor(Shape{n, h, w, c}) {}

  // Reshapes, keeping the allocation when it is large enough (buffers are reused across calls).
  void resize(Shape s) {
    shape = s;
    data.resize(s.size());
  }
  size_t size() const { return data.size(); }
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }
  float& at(int n, int y, int x, int c) {
    return data[((size_t(n) * shape.h + y) * shape.w + x) * shape.c + c];
  }
  float at(int n, int y, int x, int c) const {
    return data[((size_t(n) * shape.h + y) * shape.w + x) * shape.c + c];
  }
};

}  // namespace tint
