#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "jaegis/schedulers/cache_line.hpp"

namespace jaegis::sched {

/// A fixed-capacity Chase–Lev work-stealing deque of pointers, in the C11 formulation of
/// Lê, Pop, Cohen and Zappa Nardelli, "Correct and Efficient Work-Stealing for Weak Memory
/// Models" (PPoPP 2013), without the growth step: a full deque refuses the push and the caller
/// sends the item elsewhere (the executor's global queue).
///
/// Guarantees:
/// - one owner thread calls push() and pop(); any thread may call steal(), the owner included
///   (the executor's owner takes from the top to run its queue in FIFO order);
/// - every pushed item is returned exactly once, by pop() or by steal();
/// - pop() is LIFO (bottom end), steal() is FIFO (top end);
/// - push() and pop() take no lock and, except when one item is left, no read-modify-write;
///   steal() is one CAS and may fail under contention (it then reports `contended`).
/// Not guaranteed: size() is a snapshot, exact only when no other thread touches the deque.
template <class T>
class chase_lev_deque {
 public:
  struct steal_result {
    T* item = nullptr;
    bool contended = false;  ///< lost a race; the deque may still hold items
  };

  explicit chase_lev_deque(std::size_t capacity)
      : mask_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity) - 1),
        slots_(std::make_unique<std::atomic<T*>[]>(mask_ + 1)) {}

  chase_lev_deque(const chase_lev_deque&) = delete;
  chase_lev_deque& operator=(const chase_lev_deque&) = delete;

  std::size_t capacity() const noexcept { return mask_ + 1; }

  /// Owner only. False when full; the item is then still the caller's.
  bool push(T* item) noexcept {
    // relaxed: only the owner writes bottom.
    const std::int64_t b = bottom_.load(std::memory_order_relaxed);
    // acquire: a thief's CAS on top freed the slot we are about to reuse; we must not write the
    // slot before its read of the old item.
    const std::int64_t t = top_.load(std::memory_order_acquire);
    if (b - t >= static_cast<std::int64_t>(capacity())) return false;
    // relaxed: published by the release store of bottom below.
    slot(b).store(item, std::memory_order_relaxed);
    // release: a thief that reads the new bottom also sees the item (and what it points to).
    // The paper uses a release fence and a relaxed store; the release store is the same on every
    // target and visible to ThreadSanitizer.
    bottom_.store(b + 1, std::memory_order_release);
    return true;
  }

  /// Owner only. Takes the most recently pushed item; nullptr when empty.
  T* pop() noexcept {
    // relaxed: only the owner writes bottom.
    const std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    // relaxed + the seq_cst fence below: thieves must see the reservation before we read top.
    bottom_.store(b, std::memory_order_relaxed);
    // seq_cst fence: orders our store of bottom before our load of top against the thieves' load
    // of top before their load of bottom (the store-load pair of the algorithm).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    // relaxed: the fence above orders it.
    std::int64_t t = top_.load(std::memory_order_relaxed);
    if (t > b) {
      // Empty: undo the reservation. relaxed: only the owner writes bottom.
      bottom_.store(b + 1, std::memory_order_relaxed);
      return nullptr;
    }
    // relaxed: the slot was written by this thread.
    T* item = slot(b).load(std::memory_order_relaxed);
    if (t == b) {
      // Last item: race the thieves for it. seq_cst: the algorithm's single total order on top.
      if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
        item = nullptr;
      }
      // relaxed: only the owner writes bottom.
      bottom_.store(b + 1, std::memory_order_relaxed);
    }
    return item;
  }

  /// Any thread. Takes the oldest item.
  steal_result steal() noexcept {
    // acquire: pairs with a CAS on top by another thief, so that we read bottom no older than it.
    std::int64_t t = top_.load(std::memory_order_acquire);
    // seq_cst fence: the counterpart of pop()'s fence (see there).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    // acquire: pairs with push()'s release store, so that the slot holds the item.
    const std::int64_t b = bottom_.load(std::memory_order_acquire);
    if (t >= b) return {};
    // relaxed: ordered by the acquire above; if the owner overwrote the slot, the CAS below fails.
    T* item = slot(t).load(std::memory_order_relaxed);
    // seq_cst: the algorithm's single total order on top. relaxed on failure: we discard.
    if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                      std::memory_order_relaxed)) {
      return {nullptr, true};
    }
    return {item, false};
  }

  /// A snapshot of the number of items; exact only when the deque is quiescent.
  std::size_t size() const noexcept {
    // relaxed: a snapshot, used for heuristics (how much to steal, whether to park).
    const std::int64_t b = bottom_.load(std::memory_order_relaxed);
    const std::int64_t t = top_.load(std::memory_order_relaxed);
    return b > t ? static_cast<std::size_t>(b - t) : 0;
  }

  bool empty() const noexcept { return size() == 0; }

 private:
  std::atomic<T*>& slot(std::int64_t index) const noexcept {
    return slots_[static_cast<std::size_t>(index) & mask_];
  }

  // top is written by thieves, bottom by the owner: separate lines.
  alignas(cache_line_size) std::atomic<std::int64_t> top_{0};
  alignas(cache_line_size) std::atomic<std::int64_t> bottom_{0};
  alignas(cache_line_size) const std::size_t mask_;
  const std::unique_ptr<std::atomic<T*>[]> slots_;
};

}  // namespace jaegis::sched
