#pragma once

// How the benchmark's main thread waits for work it handed to an executor: asleep, never
// spinning, so that on a small machine it takes no core from the workers it measures. Both
// waits give up with a diagnostic when the work stops making progress, so that a lost runnable
// or a lost wake-up in the executor shows up as a report instead of a hung benchmark.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

namespace jaegis::bench {

/// No progress for this long means the executor lost work or a wake-up: every workload here
/// makes millions of steps per second, so 30 s of none is no slow machine.
inline constexpr std::chrono::seconds stall_limit{30};

[[noreturn]] inline void report_stall(const char* what, std::uint64_t progress,
                                      std::uint64_t goal) {
  std::fprintf(stderr, "STALL in %s: no progress for %lld s at %llu of %llu steps\n", what,
               static_cast<long long>(stall_limit.count()),
               static_cast<unsigned long long>(progress), static_cast<unsigned long long>(goal));
  std::fflush(stderr);
  // _Exit: the executor's workers may be wedged; joining them in destructors would hang.
  std::_Exit(3);
}

/// A one-shot signal from a runnable to the waiting main thread: the waiter sleeps on a
/// condition variable and wakes once, when signalled (or every few seconds to check progress).
/// A mutex is fine here: it is taken once per measurement, outside the timed span.
class completion {
 public:
  void reset() {
    std::lock_guard lock(mutex_);
    done_ = false;
  }
  /// Notifies under the lock: the waiter may destroy this object as soon as it sees done_, so
  /// the signalling thread must be finished with the condition variable by then.
  void signal() {
    std::lock_guard lock(mutex_);
    done_ = true;
    cv_.notify_one();
  }
  /// `progress()` counts steps toward `goal`, read only to detect a stall.
  void wait(const char* what, std::uint64_t goal, const std::function<std::uint64_t()>& progress) {
    std::unique_lock lock(mutex_);
    std::uint64_t last = progress();
    auto last_change = std::chrono::steady_clock::now();
    while (!cv_.wait_for(lock, std::chrono::seconds(2), [&] { return done_; })) {
      const std::uint64_t now = progress();
      if (now != last) {
        last = now;
        last_change = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - last_change > stall_limit) {
        report_stall(what, now, goal);
      }
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
};

/// Sleeps in steps of `interval` until `progress()` reaches `goal`. For work whose end no single
/// party can see (many runnables counting on their own workers), polling is the only sleep; the
/// interval bounds the error it adds to the measured span.
inline void poll_until(const char* what, std::uint64_t goal,
                       const std::function<std::uint64_t()>& progress,
                       std::chrono::microseconds interval) {
  std::uint64_t last = 0;
  auto last_change = std::chrono::steady_clock::now();
  for (;;) {
    const std::uint64_t now = progress();
    if (now >= goal) return;
    if (now != last) {
      last = now;
      last_change = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_change > stall_limit) {
      report_stall(what, now, goal);
    }
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace jaegis::bench
