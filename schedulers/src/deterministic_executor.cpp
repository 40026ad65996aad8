#include "jaegis/schedulers/deterministic_executor.hpp"

#include <utility>

namespace jaegis::sched {

deterministic_executor::deterministic_executor(std::uint64_t seed)
    : driver_(std::this_thread::get_id()), random_(seed) {
  counters_.cpu = 0;
}

void deterministic_executor::schedule(runnable& r) noexcept {
  if (driver_ == std::this_thread::get_id()) {
    if (!stopped_) ready_.push_back(&r);
    return;
  }
  std::lock_guard lock(inbox_mutex_);
  inbox_.push_back(&r);
}

void deterministic_executor::merge_inbox() {
  std::lock_guard lock(inbox_mutex_);
  if (!stopped_) ready_.insert(ready_.end(), inbox_.begin(), inbox_.end());
  inbox_.clear();
}

void deterministic_executor::stop() noexcept {
  stopped_ = true;
}

void deterministic_executor::drain() noexcept {
  stopped_ = false;  // run what is queued and what it schedules
  run_until_idle();
  stopped_ = true;
}

namespace {
/// The executor whose run_one() this thread is in: "the current worker" is per thread, so a timer
/// or foreign thread calling current_worker() while the driver runs is not mistaken for it.
thread_local const deterministic_executor* tl_driving = nullptr;
}  // namespace

int deterministic_executor::current_worker() const noexcept {
  return tl_driving == this ? 0 : -1;
}

bool deterministic_executor::run_one() {
  merge_inbox();
  if (ready_.empty() || stopped_) return false;
  // Pick at random, remove by swapping with the last: O(1), and still a pure function of the
  // seed and the sequence of submissions.
  const std::size_t pick = static_cast<std::size_t>(random_.next() % ready_.size());
  runnable* r = ready_[pick];
  ready_[pick] = ready_.back();
  ready_.pop_back();
  ++counters_.runs;
  const deterministic_executor* outer = std::exchange(tl_driving, this);
  const run_result result = r->run();
  tl_driving = outer;
  if (result == run_result::again) schedule(*r);
  return true;
}

std::size_t deterministic_executor::run_until_idle(std::size_t max_runs) {
  std::size_t runs = 0;
  while (runs < max_runs && run_one())
    ++runs;
  return runs;
}

}  // namespace jaegis::sched
