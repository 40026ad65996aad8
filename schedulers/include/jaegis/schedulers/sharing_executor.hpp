#pragma once

#include <memory>

#include "jaegis/schedulers/executor.hpp"

namespace jaegis::sched {

/// One global queue shared by every worker: no stealing, no LIFO slot. The baseline the work
/// stealing executor is measured against.
class sharing_executor final : public executor {
 public:
  explicit sharing_executor(const executor_config& config);
  ~sharing_executor() override;

  void schedule(runnable& r) noexcept override;
  void stop() noexcept override;
  void drain() noexcept override;
  std::size_t worker_count() const noexcept override;
  std::vector<worker_counters> counters() const override;
  std::size_t sleeping_workers() const noexcept override;
  int current_worker() const noexcept override;

  struct state;

 private:
  std::unique_ptr<state> state_;
};

}  // namespace jaegis::sched
