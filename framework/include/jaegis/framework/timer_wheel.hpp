#pragma once

// A hierarchical timing wheel (Varghese & Lauck, 1987): single-threaded and intrusive, with O(1)
// insert and cancel, and an advance that costs in proportion to the timers it touches, never to the
// number of ticks that went by. timer_service drives one from its thread; nothing here is atomic.
//
// Time is a 64-bit count of ticks whose length the owner chooses (timer_service: 1 ms by default).
// now() is the tick the wheel was last advanced to: every node whose deadline is <= now() has been
// handed out.
//
// Layout. A deadline is read as base-64 digits. A node lives at level L, slot s, where L is the
// most significant digit in which its deadline differs from now(), and s is the deadline's digit L.
// Six levels of 64 slots: a level-0 slot is one tick, a level-L slot 64^L ticks, and the levels
// span 2^36 ticks (795 days at 1 ms). Three more lists sit beside the slots:
//   - overdue:  nodes inserted with a deadline <= now(); the next advance() fires them first.
//   - overflow: nodes whose deadline differs from now() above the top level (more than 2^36 ticks
//               ahead, or across a 2^36-tick boundary). This is the top level's 65th slot: each
//               time now() enters a new 2^36-tick span, advance() re-places the overflow list, so a
//               far node is looked at once per span until it fits, and is never fired early.
//   - batch:    the list advance() is working through (a slot it has just reached).
//
// Why the earliest timer is cheap to find. Since a node's digit at its level is strictly greater
// than now()'s, every occupied slot of a level lies ahead of now() with no wrap-around, and every
// node of level L is due before every node of level L+1. So the next slot to process is the lowest
// set bit of the lowest non-zero 64-bit occupancy word. Each slot also keeps the least deadline put
// in it since it was last empty, so next_deadline() is exact unless that node was cancelled (then
// it is early, never late).
//
// advance(now, on_expired): repeatedly take the earliest occupied slot whose start is <= now, move
// now() to that start, and empty the slot: a node due at now() fires, any other moves down to the
// level its deadline now needs (cascading). Then now() = now.
//
// Order guarantee. Within one advance(): first the overdue nodes, in insertion order; then every
// node with deadline <= now, in non-decreasing deadline order, nodes with equal deadlines in the
// order they were inserted. (Equal deadlines always share a level, because a node's level is a
// function of its deadline and now(), and lists are FIFO, cascades included.)
//
// Re-entrancy: on_expired may insert and cancel nodes (including re-inserting the node it was
// handed, as a periodic timer does). A node inserted with a deadline in (now(), now] during an
// advance fires in that same advance; one with a deadline <= now() goes to the overdue list and
// fires on the next one. on_expired must not call advance() or clear().
//
// Nodes are owned by the caller; the wheel only links them. A node may be in one wheel at a time.

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace jaegis::timers {

class timer_wheel;

namespace detail {
/// Links of an intrusive circular doubly-linked list: every node, and the sentinel of every list.
struct wheel_link {
  wheel_link* prev = nullptr;
  wheel_link* next = nullptr;
};
}  // namespace detail

/// The hook a timer embeds (by deriving from it). 24 bytes: two links and the deadline.
class wheel_node : detail::wheel_link {
 public:
  wheel_node() noexcept = default;
  wheel_node(const wheel_node&) = delete;
  wheel_node& operator=(const wheel_node&) = delete;

  /// The deadline given to the last insert (in ticks).
  std::uint64_t deadline() const noexcept { return deadline_; }
  /// True while the node sits in a wheel (inserted, neither fired nor cancelled).
  bool linked() const noexcept { return prev != nullptr; }

 protected:
  /// Lets an owner stash the deadline before handing the node to the wheel's thread.
  void set_deadline(std::uint64_t ticks) noexcept { deadline_ = ticks; }

 private:
  friend class timer_wheel;
  std::uint64_t deadline_ = 0;
};

class timer_wheel {
 public:
  /// Bits per level: 64 slots, so a level's occupancy is one machine word.
  static constexpr unsigned slot_bits = 6;
  static constexpr unsigned slots_per_level = 1u << slot_bits;
  /// Six levels span 2^36 ticks: 795 days of 1 ms ticks, beyond any timeout an actor asks for,
  /// while the wheel stays under 10 KiB. Farther deadlines wait in the overflow list.
  static constexpr unsigned levels = 6;
  static constexpr std::uint64_t span = std::uint64_t{1} << (slot_bits * levels);
  /// next_deadline() of an empty wheel.
  static constexpr std::uint64_t never = ~std::uint64_t{0};

  explicit timer_wheel(std::uint64_t start_tick = 0) noexcept;
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;
  /// Forgets the nodes still linked (they stay linked to nothing valid): clear() them first.
  ~timer_wheel() = default;

  /// Links `n` (not linked anywhere) to fire at `deadline`. O(1), allocates nothing.
  void insert(wheel_node* n, std::uint64_t deadline) noexcept;

  /// Unlinks `n` if it is linked in this wheel; false if it was not linked. O(1).
  bool cancel(wheel_node* n) noexcept;

  /// Fires (unlinks, then calls on_expired(node)) every node due at or before `now`, in the order
  /// stated at the top of this file, then sets now() to max(now(), now). A `now` below now()
  /// fires only the overdue list. Returns the number of nodes fired.
  template <class F>
  std::size_t advance(std::uint64_t now, F&& on_expired) {
    static_assert(std::is_nothrow_invocable_v<F&, wheel_node*>,
                  "on_expired must be noexcept: a throw would leave the wheel mid-advance");
    std::size_t fired = 0;
    begin_advance();
    while (wheel_node* n = next_expired(now)) {
      on_expired(n);
      ++fired;
    }
    end_advance(now);
    return fired;
  }

  /// The tick of the earliest node: advance(next_deadline()) fires at least it. Exact, except that
  /// it may be earlier than the true earliest deadline when the node that set it was cancelled, or
  /// for overflow nodes (then it is the start of the next 2^36-tick span, where they are
  /// re-placed). now() if overdue nodes wait; `never` if the wheel is empty. O(levels).
  std::uint64_t next_deadline() const noexcept;

  std::uint64_t now() const noexcept { return elapsed_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// Unlinks every node, in no particular order, handing each to on_removed (which may not touch
  /// the wheel). Returns how many. For shutdown.
  template <class F>
  std::size_t clear(F&& on_removed) {
    static_assert(std::is_nothrow_invocable_v<F&, wheel_node*>, "on_removed must be noexcept");
    std::size_t removed = 0;
    for (auto& list : lists_) {
      while (list.next != &list) {
        on_removed(pop_front(list));
        ++removed;
      }
    }
    reset_slots();
    return removed;
  }

 private:
  static constexpr unsigned slot_count = levels * slots_per_level;
  static constexpr unsigned overdue_list = slot_count;
  static constexpr unsigned overflow_list = slot_count + 1;
  static constexpr unsigned batch_list = slot_count + 2;
  static constexpr unsigned list_count = slot_count + 3;

  void place(wheel_node* n) noexcept;
  void append(unsigned list, wheel_node* n) noexcept;
  wheel_node* pop_front(detail::wheel_link& list) noexcept;
  void splice_into_batch(unsigned list) noexcept;
  bool collect_next(std::uint64_t now) noexcept;
  void begin_advance() noexcept;
  wheel_node* next_expired(std::uint64_t now) noexcept;
  void end_advance(std::uint64_t now) noexcept;
  void reset_slots() noexcept;

  std::uint64_t elapsed_;
  std::size_t size_ = 0;
  bool advancing_ = false;
  /// Bit s of occupied_[L]: slot (L, s) is non-empty.
  std::uint64_t occupied_[levels] = {};
  /// Least deadline inserted into each slot since it was last empty (a lower bound once cancels
  /// removed it); `never` for an empty slot.
  std::uint64_t slot_min_[slot_count];
  /// Slot (L, s) is lists_[L * 64 + s]; then overdue, overflow, batch. Self-linked when empty.
  detail::wheel_link lists_[list_count];
};

}  // namespace jaegis::timers
