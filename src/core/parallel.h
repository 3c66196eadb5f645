// A minimal fork-join loop for our own kernels. XNNPACK brings its own pthreadpool; the portable
// backend and our elementwise loops split work across std::threads here. The plain WASM build has
// no threads (it runs from any static server), so this runs inline there; the threaded WASM build
// (-pthread: Emscripten pthreads on Web Workers, for cross-origin isolated pages) splits as natively.
#pragma once

#include <algorithm>
#include <functional>
#include <thread>
#include <vector>

namespace tint {

// Calls body(begin, end) on `threads` contiguous chunks of [0, count). Deterministic chunking:
// the same count and thread count always give the same split, so results do not depend on timing.
inline void parallel_for(int count, int threads, const std::function<void(int, int)>& body) {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  threads = 1;
#endif
  threads = std::max(1, std::min(threads, count));
  if (threads == 1) {
    if (count > 0) body(0, count);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  auto chunk_begin = [&](int t) { return int(int64_t(count) * t / threads); };
  for (int t = 1; t < threads; ++t) {
    workers.emplace_back([&, t] { body(chunk_begin(t), chunk_begin(t + 1)); });
  }
  body(0, chunk_begin(1));
  for (auto& worker : workers) worker.join();
}

}  // namespace tint
