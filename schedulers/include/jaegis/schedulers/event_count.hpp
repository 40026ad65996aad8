#pragma once

#include <atomic>
#include <cstdint>

namespace jaegis::sched {

/// A futex-based event count: lets a thread sleep until "something changed" without a lost
/// wake-up, and costs a notifier nothing but a load when nobody sleeps.
///
/// Protocol (the waiter):
///   1. key = prepare_wait();        // announce: "I am about to sleep"
///   2. atomic_thread_fence(seq_cst); re-check the condition;
///   3. if it holds: cancel_wait();  // else: wait(key);
/// and the notifier: make the condition true, atomic_thread_fence(seq_cst), then notify_one() or
/// notify_all(). The two fences make the pair a Dekker handshake: either the notifier sees the
/// announcement, or the waiter's re-check sees the condition.
///
/// No lost wake-up: if the notifier sees the announcement, it bumps the epoch, and wait(key)
/// returns (the futex refuses to sleep on a changed epoch). If it does not, the waiter's re-check
/// sees the condition and it cancels. A notifier that sees no waiter pays one relaxed load.
///
/// The state word holds the waiter count in its low 32 bits and the epoch in its high 32 bits;
/// the futex sleeps on the epoch half.
class event_count {
 public:
  using key = std::uint32_t;

  key prepare_wait() noexcept;
  void cancel_wait() noexcept;
  /// Sleeps until the epoch differs from `k`. Returns false if it never slept (already changed).
  bool wait(key k) noexcept;

  /// Wakes one waiter, if any.
  void notify_one() noexcept { notify(1); }
  /// Wakes every waiter.
  void notify_all() noexcept { notify(INT32_MAX); }

  /// The number of threads between prepare_wait() and the end of wait() / cancel_wait().
  std::uint32_t waiters() const noexcept;

 private:
  void notify(int count) noexcept;
  std::uint32_t* epoch_word() noexcept;

  std::atomic<std::uint64_t> state_{0};
};

}  // namespace jaegis::sched
