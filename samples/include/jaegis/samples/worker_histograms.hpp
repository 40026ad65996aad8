#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "jaegis/samples/histogram.hpp"
#include "jaegis/schedulers/executor.hpp"

namespace jaegis::samples {

/// One latency histogram per worker of an executor, for topologies whose samples are taken by
/// many small actors: a handler records into the histogram of the worker it runs on, so no two
/// threads ever write the same one (a worker runs one actor at a time) and nothing is shared on
/// the hot path. Threads that are not workers (a detached actor, the deterministic executor's
/// driver) share one extra histogram; they must not record concurrently.
///
/// merged() may be called once every recording handler happened before the caller, e.g. after
/// actor_system::await_all_actors_done().
class worker_histograms {
 public:
  explicit worker_histograms(const sched::executor& executor)
      : executor_(&executor), slots_(executor.worker_count() + 1) {}

  void record(std::uint64_t nanoseconds) noexcept { slot().histogram.record(nanoseconds); }

  latency_histogram merged() const {
    latency_histogram all;
    for (const padded& s : slots_)
      all.merge(s.histogram);
    return all;
  }

 private:
  // A cache line of its own for each worker's counters (the buckets are separate allocations).
  struct alignas(64) padded {
    latency_histogram histogram;
  };

  padded& slot() noexcept {
    const int worker = executor_->current_worker();
    const std::size_t last = slots_.size() - 1;
    return slots_[worker >= 0 && static_cast<std::size_t>(worker) < last
                      ? static_cast<std::size_t>(worker)
                      : last];
  }

  const sched::executor* executor_;
  std::vector<padded> slots_;
};

}  // namespace jaegis::samples
