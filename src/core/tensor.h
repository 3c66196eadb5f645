// A dense f32 tensor in NHWC layout (batch, height, width, channels), the layout both
// backends compute in: XNNPACK's operators are NHWC, and our SIMD kernels read a pixel's
// channels as one contiguous run.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <vector>

namespace tint {

// XNNPACK's contract: any buffer it reads stays readable XNN_EXTRA_BYTES (16) past its end (its
// SIMD loads may overrun the last element; the extra lanes are discarded). Every float buffer
// that reaches XNNPACK — tensors, weights, gradients, scratch — is a FloatBuffer, whose
// allocations carry that many zeroed bytes beyond the elements. ops_xnnpack.cpp checks the
// constant against XNN_EXTRA_BYTES.
inline constexpr size_t kReadPadding = 16;

template <class T>
struct PaddedAllocator {
  using value_type = T;
  PaddedAllocator() = default;
  template <class U>
  PaddedAllocator(const PaddedAllocator<U>&) {}
  // std::vector refuses sizes above this before allocating, so n * sizeof(T) + padding cannot wrap.
  size_t max_size() const { return (size_t(-1) - kReadPadding) / sizeof(T); }
  T* allocate(size_t n) {
    auto* bytes = static_cast<unsigned char*>(::operator new(n * sizeof(T) + kReadPadding));
    std::memset(bytes + n * sizeof(T), 0, kReadPadding);
    return reinterpret_cast<T*>(bytes);
  }
  void deallocate(T* pointer, size_t) { ::operator delete(pointer); }
  template <class U>
  bool operator==(const PaddedAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const PaddedAllocator<U>&) const { return false; }
};

using FloatBuffer = std::vector<float, PaddedAllocator<float>>;

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
  FloatBuffer data;

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
