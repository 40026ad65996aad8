#include "jaegis/schedulers/event_count.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bit>
#include <climits>

namespace jaegis::sched {
namespace {

constexpr std::uint64_t one_waiter = 1;
constexpr std::uint64_t waiter_mask = 0xffffffffull;
constexpr int epoch_shift = 32;
constexpr std::uint64_t one_epoch = std::uint64_t{1} << epoch_shift;

}  // namespace

std::uint32_t* event_count::epoch_word() noexcept {
  static_assert(sizeof(std::atomic<std::uint64_t>) == sizeof(std::uint64_t));
  // The futex sleeps on the 32-bit half that holds the epoch.
  auto* words = reinterpret_cast<std::uint32_t*>(&state_);
  return std::endian::native == std::endian::little ? words + 1 : words;
}

event_count::key event_count::prepare_wait() noexcept {
  // seq_cst: this announcement and a notifier's epoch bump must be totally ordered, and the
  // caller's re-check of its condition must not be reordered before it.
  const std::uint64_t previous = state_.fetch_add(one_waiter, std::memory_order_seq_cst);
  return static_cast<key>(previous >> epoch_shift);
}

void event_count::cancel_wait() noexcept {
  // relaxed: withdrawing the announcement publishes nothing; a notifier that still counts us
  // only wakes one thread too many.
  state_.fetch_sub(one_waiter, std::memory_order_relaxed);
}

bool event_count::wait(key k) noexcept {
  bool slept = false;
  // acquire: pairs with the notifier's release bump, so what it published before notifying is
  // visible when we return.
  while (static_cast<key>(state_.load(std::memory_order_acquire) >> epoch_shift) == k) {
    slept = true;
    syscall(SYS_futex, epoch_word(), FUTEX_WAIT_PRIVATE, k, nullptr, nullptr, 0);
  }
  // relaxed: see cancel_wait().
  state_.fetch_sub(one_waiter, std::memory_order_relaxed);
  return slept;
}

void event_count::notify(int count) noexcept {
  // relaxed fast path: the caller made its condition true and issued a seq_cst fence (or
  // read-modify-write) before calling, so a waiter whose announcement we miss here re-checks
  // after it and sees the condition.
  if ((state_.load(std::memory_order_relaxed) & waiter_mask) == 0) return;
  // seq_cst (includes release): ordered against prepare_wait(); publishes the condition to a
  // waiter that reads the new epoch.
  state_.fetch_add(one_epoch, std::memory_order_seq_cst);
  syscall(SYS_futex, epoch_word(), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

std::uint32_t event_count::waiters() const noexcept {
  // relaxed: a snapshot for heuristics and reports.
  return static_cast<std::uint32_t>(state_.load(std::memory_order_relaxed) & waiter_mask);
}

}  // namespace jaegis::sched
