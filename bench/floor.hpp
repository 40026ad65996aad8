#pragma once

// The hardware floor of a cross-thread hand-off: two threads, each spinning on its own core,
// bounce one atomic word. The initiator writes an odd value, the responder waits for it and writes
// the next even one, the initiator waits for that. A round trip moves the cache line to the other
// core and back (two coherence transfers) and does nothing else, so no scheduler, mailbox or queue
// can hand work to another thread and get an answer back faster. Every cross-thread latency
// figure is printed beside it, measured in the same run with the same clock.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "clock.hpp"
#include "harness.hpp"

namespace jaegis::bench {

struct floor_setup {
  std::uint64_t round_trips = 1'000'000;
  /// Cpus for the initiator and the responder; -1: leave the thread where the OS puts it.
  int initiator_cpu = -1;
  int responder_cpu = -1;
  /// Whether the two threads have a core each. Without, a pure spin would hold its core for a
  /// whole time slice while the other thread waits for it, so the spin yields instead.
  bool own_cores = true;
};

/// Measures `setup.round_trips` round trips and returns their whole span in sample_clock ticks.
/// With `samples`, `(*samples)[i]` becomes the i-th round trip in ticks (chained timestamps: one
/// clock read per round trip, as the executor ping-pongs take them); without, the clock is read
/// only at the start and the end, so that the mean carries no clock cost.
inline std::uint64_t measure_floor(const floor_setup& setup, std::vector<std::uint64_t>* samples) {
  // Unmeasured round trips first, so that both threads run, pinned, with the line warm.
  constexpr std::uint64_t warmup = 10'000;
  if (samples != nullptr) samples->assign(setup.round_trips, 0);

  struct alignas(64) shared_word {
    std::atomic<std::uint64_t> value{0};
  };
  shared_word word;
  // Each side starts only when both exist, so that neither measures the other's thread start.
  std::atomic<int> ready{0};
  const std::uint64_t total = warmup + setup.round_trips;
  auto wait_for = [&](std::uint64_t expected) {
    // acquire: pairs with the other side's release store, as a hand-off of data would need; on
    // x86 and AArch64 (ldar) it costs no more than the relaxed load the floor must at least do.
    while (word.value.load(std::memory_order_acquire) != expected) {
      if (setup.own_cores) {
        cpu_relax();
      } else {
        std::this_thread::yield();
      }
    }
  };
  auto round_trip = [&](std::uint64_t i) {
    // release: pairs with the responder's acquire load (see wait_for).
    word.value.store(2 * i + 1, std::memory_order_release);
    wait_for(2 * i + 2);
  };
  auto arrive_and_wait = [&] {
    // acq_rel / acquire: only a start gate; it orders nothing measured.
    ready.fetch_add(1, std::memory_order_acq_rel);
    while (ready.load(std::memory_order_acquire) < 2) {
      std::this_thread::yield();
    }
  };

  std::thread responder([&] {
    if (setup.responder_cpu >= 0) pin_this_thread(setup.responder_cpu);
    arrive_and_wait();
    for (std::uint64_t i = 0; i < total; ++i) {
      wait_for(2 * i + 1);
      // release: pairs with the initiator's acquire load (see wait_for).
      word.value.store(2 * i + 2, std::memory_order_release);
    }
  });

  std::uint64_t span = 0;
  std::thread initiator([&] {
    if (setup.initiator_cpu >= 0) pin_this_thread(setup.initiator_cpu);
    arrive_and_wait();
    for (std::uint64_t i = 0; i < warmup; ++i) {
      round_trip(i);
    }
    const std::uint64_t start = sample_clock::now();
    if (samples == nullptr) {
      for (std::uint64_t i = warmup; i < total; ++i) {
        round_trip(i);
      }
      span = sample_clock::now() - start;
      return;
    }
    std::uint64_t last = start;
    for (std::uint64_t i = warmup; i < total; ++i) {
      round_trip(i);
      const std::uint64_t t = sample_clock::now();
      (*samples)[i - warmup] = t - last;
      last = t;
    }
    span = last - start;
  });
  initiator.join();
  responder.join();
  return span;
}

}  // namespace jaegis::bench
