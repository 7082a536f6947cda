// parallel_for.h
//
// ParallelFor runs fn(0), ..., fn(n - 1) on `threads` threads and returns the error of the
// smallest failing index (or OK). Indices are handed out in increasing order and every
// index below a failing one has been started, so the error returned does not depend on
// scheduling. After a failure no new index is started.
//
//   WSOL_RETURN_IF_ERROR(ParallelFor(images.size(), 4, [&](int64_t i) {
//     return WriteMask(images[i]);
//   }));
//
// ParallelForWorkers also passes the worker (0 .. WorkerCount(n, threads) - 1) running
// each index, for per-thread state such as metric accumulators merged at the end.
#ifndef WSOL_UTIL_PARALLEL_FOR_H_
#define WSOL_UTIL_PARALLEL_FOR_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace wsol {

// DefaultThreads is the number of hardware threads, at least 1.
inline int DefaultThreads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// ResolveThreads maps a requested thread count (0 or less: all cores) to a count >= 1.
inline int ResolveThreads(int requested) { return requested > 0 ? requested : DefaultThreads(); }

// The number of workers ParallelForWorkers starts for n indices: at least 1.
inline int WorkerCount(int64_t n, int threads) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
}

inline absl::Status ParallelForWorkers(int64_t n, int threads,
                                       const std::function<absl::Status(int, int64_t)>& fn) {
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  int64_t error_index = std::numeric_limits<int64_t>::max();
  absl::Status error;
  auto work = [&](int worker) {
    while (!failed.load(std::memory_order_relaxed)) {
      const int64_t i = next.fetch_add(1);
      if (i >= n) return;
      absl::Status status = fn(worker, i);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < error_index) {
          error_index = i;
          error = std::move(status);
        }
        failed = true;
      }
    }
  };
  const int count = WorkerCount(n, threads);
  std::vector<std::thread> pool;
  for (int t = 1; t < count; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& t : pool) t.join();
  return error;
}

inline absl::Status ParallelFor(int64_t n, int threads,
                                const std::function<absl::Status(int64_t)>& fn) {
  return ParallelForWorkers(n, threads, [&fn](int, int64_t i) { return fn(i); });
}

}  // namespace wsol

#endif  // WSOL_UTIL_PARALLEL_FOR_H_
