#pragma once

#include <memory>

#include "jaegis/schedulers/executor.hpp"
#include "jaegis/schedulers/topology.hpp"
#include "jaegis/schedulers/victim_order.hpp"

namespace jaegis::sched {

/// The default executor. See schedulers/README.md for the protocol; in short:
/// - each worker has a LIFO slot, a fixed-capacity Chase–Lev deque run in FIFO order, and
///   counters; submissions from outside go to a global injection queue (moodycamel);
/// - an idle worker steals half of a victim's deque, trying workers on its own NUMA node first;
///   at most half of the workers search at once;
/// - a worker that finds nothing spins briefly, then parks on a futex event count; a push wakes
///   a sleeper only when no worker is searching, and a worker re-checks every queue after it
///   announces that it sleeps, so no wake-up is lost.
class work_stealing_executor final : public executor {
 public:
  explicit work_stealing_executor(const executor_config& config);
  ~work_stealing_executor() override;

  void schedule(runnable& r) noexcept override;
  void stop() noexcept override;
  void drain() noexcept override;
  std::size_t worker_count() const noexcept override;
  std::vector<worker_counters> counters() const override;
  std::size_t sleeping_workers() const noexcept override;
  int current_worker() const noexcept override;

  const topology& placement() const noexcept;
  /// The steal order of worker `index` (for tests and reports).
  const victim_order& victims_of(std::size_t index) const noexcept;

  struct state;

 private:
  std::unique_ptr<state> state_;
};

}  // namespace jaegis::sched
