#pragma once

#include <atomic>
#include <cstdint>

namespace jaegis::samples {

/// How far a running topology is: the topology says how many units of work it plans (total) and
/// adds the units it completes; the runner's progress line reads both from another thread.
/// Topologies add in batches where a unit is cheap (a ring hop, a ping-pong round trip), so that
/// the shared counter costs nothing next to the work.
class progress {
 public:
  void set_total(std::uint64_t units) noexcept {
    // relaxed: a display figure, read without any other data depending on it.
    total_.store(units, std::memory_order_relaxed);
  }
  void add(std::uint64_t units) noexcept {
    // relaxed: as above; one uncontended atomic add per batch.
    done_.fetch_add(units, std::memory_order_relaxed);
  }
  std::uint64_t total() const noexcept {
    return total_.load(std::memory_order_relaxed);  // relaxed: a display figure
  }
  std::uint64_t done() const noexcept {
    return done_.load(std::memory_order_relaxed);  // relaxed: a display figure
  }

 private:
  // Apart from whatever the topology puts next to it: the reader's loads must not slow the adders.
  alignas(64) std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> total_{0};
};

}  // namespace jaegis::samples
