#include "detached_executor.hpp"

#include "jaegis/schedulers/cpu_relax.hpp"

namespace jaegis::detail {
namespace {
thread_local const detached_executor* tl_detached = nullptr;
}

detached_executor::detached_executor() : thread_([this] { main(); }) {}

detached_executor::~detached_executor() {
  stop();
}

void detached_executor::schedule(sched::runnable& r) noexcept {
  // release: the runnable's state is visible to the thread that takes it.
  pending_.store(&r, std::memory_order_release);
  // seq_cst: the notifier's half of the event-count handshake (event_count.hpp).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  sleeping_.notify_one();
}

void detached_executor::main() noexcept {
  tl_detached = this;
  for (;;) {
    // acquire: pairs with schedule()'s release.
    if (sched::runnable* r = pending_.exchange(nullptr, std::memory_order_acquire)) {
      // relaxed: a single-writer counter read only for reports.
      runs_.store(runs_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      while (r->run() == sched::run_result::again) {
        runs_.store(runs_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);  // same
      }
      continue;  // `r` may be gone now (it frees itself when its last reference drops)
    }
    // relaxed: a hint; retire() wakes us after setting it.
    if (stopping_.load(std::memory_order_relaxed)) break;
    if (spin_for_work()) continue;
    const auto key = sleeping_.prepare_wait();
    // seq_cst: the waiter's half of the handshake.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    // relaxed: ordered by the fence.
    if (pending_.load(std::memory_order_relaxed) != nullptr ||
        stopping_.load(std::memory_order_relaxed)) {
      sleeping_.cancel_wait();
      continue;
    }
    sleeping_.wait(key);
  }
  tl_detached = nullptr;
}

bool detached_executor::spin_for_work() const noexcept {
  // An actor in a conversation is usually scheduled again within microseconds, and a futex
  // wake-up costs several: watch for it a little (~10 us) before sleeping.
  for (int round = 0; round < spin_rounds; ++round) {
    for (int i = 0; i < 4; ++i)
      sched::cpu_relax();
    // relaxed: a hint; the exchange in main() synchronizes.
    if (pending_.load(std::memory_order_relaxed) != nullptr ||
        stopping_.load(std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void detached_executor::retire() noexcept {
  // seq_cst store and fence: the thread sees the flag or is woken below.
  stopping_.store(true, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  sleeping_.notify_all();
}

bool detached_executor::retired() const noexcept {
  return stopping_.load(std::memory_order_relaxed);  // relaxed: a snapshot for the reaper
}

void detached_executor::stop() noexcept {
  retire();
  if (thread_.joinable()) thread_.join();
}

void detached_executor::drain() noexcept {
  // acquire: as in main().
  while (sched::runnable* r = pending_.exchange(nullptr, std::memory_order_acquire)) {
    while (r->run() == sched::run_result::again) {
    }
  }
}

std::vector<sched::worker_counters> detached_executor::counters() const {
  sched::worker_counters c;
  c.runs = runs_.load(std::memory_order_relaxed);  // relaxed: a report
  return {c};
}

int detached_executor::current_worker() const noexcept {
  return tl_detached == this ? 0 : -1;
}

}  // namespace jaegis::detail
