#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "jaegis/schedulers/executor.hpp"
#include "jaegis/schedulers/victim_order.hpp"

namespace jaegis::sched {

/// Runs runnables one at a time on the caller's thread, picking the next one at random from
/// those ready with a seeded generator: the same seed and the same submissions give the same
/// order, every time. Protocol tests run actors on it to make interleavings reproducible, and
/// sweep seeds to explore them.
///
/// stop() leaves queued runnables queued and refuses new ones; drain() then runs them.
///
/// The run calls must come from one thread, the driver (the one that constructed it). schedule()
/// from the driver is plain; from any other thread (a timer firing) it goes through a locked inbox
/// that the driver merges before each pick, so the order stays a function of the seed for
/// everything the driver's own runs schedule.
class deterministic_executor final : public executor {
 public:
  explicit deterministic_executor(std::uint64_t seed);

  void schedule(runnable& r) noexcept override;
  void stop() noexcept override;
  void drain() noexcept override;
  std::size_t worker_count() const noexcept override { return 1; }
  std::vector<worker_counters> counters() const override { return {counters_}; }
  std::size_t sleeping_workers() const noexcept override { return 0; }
  int current_worker() const noexcept override;

  /// Runs one ready runnable, chosen by the seed. False if none was ready.
  bool run_one();
  /// Runs until nothing is ready or `max_runs` runs happened; returns the number of runs.
  std::size_t run_until_idle(std::size_t max_runs = SIZE_MAX);
  std::size_t ready() const noexcept { return ready_.size(); }

 private:
  void merge_inbox();

  std::vector<runnable*> ready_;
  std::mutex inbox_mutex_;
  std::vector<runnable*> inbox_;  ///< schedules from threads other than the driver
  std::thread::id driver_;
  xorshift64 random_;
  worker_counters counters_;
  bool stopped_ = false;
};

}  // namespace jaegis::sched
