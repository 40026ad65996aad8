#include "jaegis/framework/inline_runs.hpp"

#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/actor_system.hpp"

namespace jaegis::detail {
namespace {
thread_local inline_runs* tl_inline_runs = nullptr;
}  // namespace

inline_runs::inline_runs(actor_system& system) noexcept
    : system_(system), previous_(std::exchange(tl_inline_runs, this)) {}

inline_runs::~inline_runs() {
  run_kept();
  tl_inline_runs = previous_;
}

bool inline_runs::take(actor_cell& cell) noexcept {
  inline_runs* runs = tl_inline_runs;
  return runs != nullptr && runs->keep(cell);
}

bool inline_runs::keep(actor_cell& cell) noexcept {
  if (&cell.system() != &system_ || count_ == capacity || runs_ + count_ >= max_runs) return false;
  sched::executor& executor = system_.executor();
  // Only when waking a worker is the alternative: an awake (or spinning) one takes it sooner.
  if (executor.sleeping_workers() < executor.worker_count()) return false;
  kept_[(head_ + count_) % capacity] = &cell;
  ++count_;
  return true;
}

void inline_runs::run_kept() noexcept {
  while (count_ > 0) {
    actor_cell* cell = kept_[head_];
    head_ = (head_ + 1) % capacity;
    --count_;
    ++runs_;
    // The run holds the reference its schedule() took; done releases it, again hands it on.
    if (cell->run() == sched::run_result::again) system_.executor().schedule(*cell);
  }
}

}  // namespace jaegis::detail
