#pragma once

// The clock for per-round-trip latency samples. A round trip on the floor takes ~100 ns, so the
// clock read inside every sample must be cheap: steady_clock through the vDSO costs ~33 ns here,
// the time-stamp counter ~12 ns. Spans of a second or more use steady_clock (now_ns()).

#include <chrono>
#include <cstdint>
#include <thread>

#include "harness.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace jaegis::bench {

/// Ticks of the time-stamp counter where there is one (x86), else steady_clock nanoseconds.
///
/// rdtsc is not serializing, but every read here follows a branch that waited on a load (a spin
/// that saw the other side's store, or a worker that found the runnable): the core cannot run the
/// read before that branch resolves, so a sample starts and ends where the hand-off did. The TSC
/// must tick at a constant rate and agree across cores (cpu flags constant_tsc and nonstop_tsc,
/// and a kernel that picked "tsc" as its clock source, which it does only after checking that the
/// cores agree); on a machine without them, build with -DJAEGIS_BENCH_STEADY_CLOCK.
class sample_clock {
 public:
  static std::uint64_t now() noexcept {
#if (defined(__x86_64__) || defined(__i386__)) && !defined(JAEGIS_BENCH_STEADY_CLOCK)
    return __rdtsc();
#else
    return now_ns();
#endif
  }

  /// Nanoseconds per tick, measured once against steady_clock over a 50 ms sleep: a clock read
  /// costs tens of ns, so the rate is exact to about one part in a million.
  static double ns_per_tick() {
    static const double rate = calibrate();
    return rate;
  }

  static double to_ns(std::uint64_t ticks) {
    return static_cast<double>(ticks) * ns_per_tick();
  }

 private:
  static double calibrate() {
#if (defined(__x86_64__) || defined(__i386__)) && !defined(JAEGIS_BENCH_STEADY_CLOCK)
    const std::uint64_t ns0 = now_ns();
    const std::uint64_t t0 = now();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::uint64_t ns1 = now_ns();
    const std::uint64_t t1 = now();
    return static_cast<double>(ns1 - ns0) / static_cast<double>(t1 - t0);
#else
    return 1.0;
#endif
  }
};

}  // namespace jaegis::bench
