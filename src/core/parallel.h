// A minimal fork-join loop for our own kernels. XNNPACK brings its own pthreadpool; the portable
// backend and our elementwise loops split work across a pool of threads here. The plain WASM build
// has no threads (it runs from any static server), so this runs inline there; the threaded WASM
// build (-pthread: Emscripten pthreads on Web Workers, for cross-origin isolated pages) splits as
// natively.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tint {

// Threads started once and kept: starting a thread per call cost more than a small layer's work,
// above all under Emscripten, where a thread start is a message to a Web Worker. One caller at a
// time: a call that finds the pool busy (another thread's call, or a call from inside a task) runs
// its tasks itself, one after another — the same tasks, so the same results.
class ThreadPool {
 public:
  static ThreadPool& shared() {
    static ThreadPool pool;
    return pool;
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& worker : workers_) worker.join();
  }

  // Calls task(t) for every t in [0, tasks), task 0 on the calling thread; returns when all are done.
  void run(int tasks, const std::function<void(int)>& task) {
    // Checked before the lock: a call from inside a task on the calling thread, which holds busy_
    // already, must not try to lock it again (undefined for std::mutex).
    std::unique_lock<std::mutex> busy;
    if (!inside_task()) busy = std::unique_lock<std::mutex>(busy_, std::try_to_lock);
    if (!busy.owns_lock()) {
      for (int t = 0; t < tasks; ++t) task(t);
      return;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    while (int(workers_.size()) < tasks - 1) workers_.emplace_back([this] { work(); });
    task_ = &task;
    tasks_ = tasks;
    next_ = 1;
    unfinished_ = tasks - 1;
    ++generation_;
    lock.unlock();
    wake_.notify_all();
    inside_task() = true;
    task(0);
    inside_task() = false;
    lock.lock();
    done_.wait(lock, [this] { return unfinished_ == 0; });
    task_ = nullptr;
  }

 private:
  static bool& inside_task() {
    thread_local bool inside = false;
    return inside;
  }

  void work() {
    inside_task() = true;
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && task_ && next_ < tasks_); });
      if (stopping_) return;
      while (task_ && next_ < tasks_) {
        const int t = next_++;
        const std::function<void(int)>* task = task_;
        lock.unlock();
        (*task)(t);
        lock.lock();
        if (--unfinished_ == 0) done_.notify_all();
      }
      seen = generation_;
    }
  }

  std::mutex busy_;  // held by the one caller the pool serves at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  int tasks_ = 0, next_ = 0, unfinished_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

// The split of every parallel loop (here and Backend::parallel_for): [0, count) in
// chunk_count(count, threads) contiguous chunks, chunk t starting at chunk_begin(count, chunks, t).
// The same count and thread count always give the same split, so results do not depend on timing.
inline int chunk_count(int count, int threads) { return std::max(1, std::min(threads, count)); }
inline int chunk_begin(int count, int chunks, int t) { return int(int64_t(count) * t / chunks); }

// Calls body(begin, end) on each chunk of [0, count), on `threads` threads of the shared pool.
inline void parallel_for(int count, int threads, const std::function<void(int, int)>& body) {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  threads = 1;
#endif
  const int chunks = chunk_count(count, threads);
  if (chunks == 1) {
    if (count > 0) body(0, count);
    return;
  }
  ThreadPool::shared().run(chunks, [&](int t) { body(chunk_begin(count, chunks, t), chunk_begin(count, chunks, t + 1)); });
}

}  // namespace tint
