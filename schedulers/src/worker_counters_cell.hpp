#pragma once

#include <atomic>
#include <cstdint>

#include "jaegis/schedulers/cache_line.hpp"
#include "jaegis/schedulers/cpu_relax.hpp"
#include "jaegis/schedulers/worker_counters.hpp"

namespace jaegis::sched::detail {

/// One worker's counters on a line of their own. Only the worker writes them, so an increment is
/// a relaxed load and store (no read-modify-write); readers take relaxed snapshots.
struct alignas(cache_line_size) counters_cell {
  std::atomic<std::uint64_t> runs{0}, lifo_runs{0}, steals{0}, steal_attempts{0}, global_pulls{0},
      parks{0}, wakeups{0}, spins{0};

  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) noexcept {
    // relaxed: single writer; a reader wants an untorn value, not an order.
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  worker_counters snapshot() const noexcept {
    worker_counters c;
    // relaxed: a snapshot; see add().
    c.runs = runs.load(std::memory_order_relaxed);
    c.lifo_runs = lifo_runs.load(std::memory_order_relaxed);
    c.steals = steals.load(std::memory_order_relaxed);
    c.steal_attempts = steal_attempts.load(std::memory_order_relaxed);
    c.global_pulls = global_pulls.load(std::memory_order_relaxed);
    c.parks = parks.load(std::memory_order_relaxed);
    c.wakeups = wakeups.load(std::memory_order_relaxed);
    c.spins = spins.load(std::memory_order_relaxed);
    return c;
  }
};

using sched::cpu_relax;

/// `pause`s between two searches of a spinning worker. A `pause` costs ~40 ns on Zen 3 (and up
/// to ~140 cycles on Skylake and later), so 4 re-check the queues every ~150 ns: bench/RESULTS.md
/// measured the cross-thread round trip at 1152 ns p50 with 32 and 491 ns with 4.
inline constexpr int spin_pauses = 4;

}  // namespace jaegis::sched::detail
