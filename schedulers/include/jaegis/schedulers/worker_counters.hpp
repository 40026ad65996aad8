#pragma once

#include <cstdint>

namespace jaegis::sched {

/// What one worker did, as read through executor::counters(). Each worker writes only its own
/// counters (no shared cache line on the hot path); a reader sums or compares them.
struct worker_counters {
  std::uint64_t runs = 0;            ///< runnables run
  std::uint64_t lifo_runs = 0;       ///< of which taken from the LIFO slot
  std::uint64_t steals = 0;          ///< runnables taken from other workers
  std::uint64_t steal_attempts = 0;  ///< visits to a victim's deque
  std::uint64_t global_pulls = 0;    ///< runnables taken from the global injection queue
  std::uint64_t parks = 0;           ///< times the worker went to sleep
  std::uint64_t wakeups = 0;         ///< times it was woken from sleep
  std::uint64_t spins = 0;           ///< search rounds spent spinning before a park
  int node = 0;                      ///< NUMA node of the worker
  int cpu = -1;                      ///< virtual cpu it is placed on (see topology)
  bool pinned = false;               ///< whether its thread is pinned to that cpu's real cpu
};

}  // namespace jaegis::sched
