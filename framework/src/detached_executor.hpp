#pragma once

#include <atomic>
#include <thread>
#include <vector>

#include "jaegis/schedulers/event_count.hpp"
#include "jaegis/schedulers/executor.hpp"

namespace jaegis::detail {

/// The home of one detached actor: a thread of its own that sleeps until the actor is scheduled,
/// then runs it until it goes idle. The actor may block in its handlers without holding up any
/// worker. retire() (when the actor is freed) ends the thread; the system joins it.
class detached_executor final : public sched::executor {
 public:
  detached_executor();
  ~detached_executor() override;

  void schedule(sched::runnable& r) noexcept override;
  void stop() noexcept override;
  void drain() noexcept override;
  std::size_t worker_count() const noexcept override { return 1; }
  std::vector<sched::worker_counters> counters() const override;
  std::size_t sleeping_workers() const noexcept override { return sleeping_.waiters(); }
  int current_worker() const noexcept override;

  /// Ends the thread after the current run (called once the actor is gone).
  void retire() noexcept;
  bool retired() const noexcept;

 private:
  void main() noexcept;
  bool spin_for_work() const noexcept;

  static constexpr int spin_rounds = 64;  ///< of 4 pauses each: about 10 us on Zen 3

  std::atomic<sched::runnable*> pending_{nullptr};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> runs_{0};
  sched::event_count sleeping_;
  std::thread thread_;
};

}  // namespace jaegis::detail
