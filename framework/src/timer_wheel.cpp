#include "jaegis/framework/timer_wheel.hpp"

#include <bit>
#include <cassert>

namespace jaegis::timers {
namespace {

constexpr std::uint64_t digit_mask = timer_wheel::slots_per_level - 1;

/// The first tick of slot `slot` of level `level`, given a `now` whose digits above `level` the
/// slot shares.
constexpr std::uint64_t slot_start(std::uint64_t now, unsigned level, unsigned slot) noexcept {
  const unsigned shift = level * timer_wheel::slot_bits;
  const std::uint64_t above = now & ~((std::uint64_t{1} << (shift + timer_wheel::slot_bits)) - 1);
  return above | (std::uint64_t{slot} << shift);
}

}  // namespace

timer_wheel::timer_wheel(std::uint64_t start_tick) noexcept : elapsed_(start_tick) {
  for (auto& list : lists_)
    list.prev = list.next = &list;
  reset_slots();
}

void timer_wheel::reset_slots() noexcept {
  for (auto& word : occupied_)
    word = 0;
  for (auto& least : slot_min_)
    least = never;
}

void timer_wheel::append(unsigned list, wheel_node* n) noexcept {
  detail::wheel_link& head = lists_[list];
  n->prev = head.prev;
  n->next = &head;
  head.prev->next = n;
  head.prev = n;
}

wheel_node* timer_wheel::pop_front(detail::wheel_link& list) noexcept {
  auto* n = static_cast<wheel_node*>(list.next);
  list.next = n->next;
  n->next->prev = &list;
  n->prev = n->next = nullptr;
  --size_;
  return n;
}

void timer_wheel::insert(wheel_node* n, std::uint64_t deadline) noexcept {
  assert(!n->linked());
  n->deadline_ = deadline;
  ++size_;
  if (deadline <= elapsed_) {
    append(overdue_list, n);
  } else {
    place(n);
  }
}

void timer_wheel::place(wheel_node* n) noexcept {
  const std::uint64_t differing = elapsed_ ^ n->deadline_;
  assert(n->deadline_ > elapsed_ && differing != 0);
  if (differing >= span) {
    append(overflow_list, n);
    return;
  }
  const unsigned level = (63 - static_cast<unsigned>(std::countl_zero(differing))) / slot_bits;
  const auto slot = static_cast<unsigned>((n->deadline_ >> (level * slot_bits)) & digit_mask);
  const unsigned index = level * slots_per_level + slot;
  append(index, n);
  occupied_[level] |= std::uint64_t{1} << slot;
  if (n->deadline_ < slot_min_[index]) slot_min_[index] = n->deadline_;
}

bool timer_wheel::cancel(wheel_node* n) noexcept {
  if (!n->linked()) return false;
  detail::wheel_link* prev = n->prev;
  detail::wheel_link* next = n->next;
  prev->next = next;
  next->prev = prev;
  n->prev = n->next = nullptr;
  --size_;
  // A circular list whose remaining neighbours coincide holds only its sentinel, which lives in
  // lists_: that is how an emptied slot is found without storing a slot index in every node.
  if (prev == next) {
    const auto index = static_cast<unsigned>(prev - lists_);
    if (index < slot_count) {
      occupied_[index / slots_per_level] &= ~(std::uint64_t{1} << (index % slots_per_level));
      slot_min_[index] = never;
    }
  }
  return true;
}

void timer_wheel::splice_into_batch(unsigned list) noexcept {
  detail::wheel_link& from = lists_[list];
  detail::wheel_link& batch = lists_[batch_list];
  assert(batch.next == &batch);
  if (from.next == &from) return;
  batch.next = from.next;
  batch.prev = from.prev;
  batch.next->prev = &batch;
  batch.prev->next = &batch;
  from.prev = from.next = &from;
}

bool timer_wheel::collect_next(std::uint64_t now) noexcept {
  for (unsigned level = 0; level < levels; ++level) {
    if (occupied_[level] == 0) continue;
    const auto slot = static_cast<unsigned>(std::countr_zero(occupied_[level]));
    const std::uint64_t start = slot_start(elapsed_, level, slot);
    if (start > now) return false;
    assert(start > elapsed_);
    elapsed_ = start;
    const unsigned index = level * slots_per_level + slot;
    splice_into_batch(index);
    occupied_[level] &= ~(std::uint64_t{1} << slot);
    slot_min_[index] = never;
    return true;
  }
  // Every level is empty; only the overflow list can be left, due no earlier than the next span.
  const detail::wheel_link& overflow = lists_[overflow_list];
  if (overflow.next == &overflow) return false;
  const std::uint64_t next_span = (elapsed_ | (span - 1)) + 1;
  if (next_span > now) return false;
  elapsed_ = next_span;
  splice_into_batch(overflow_list);
  return true;
}

void timer_wheel::begin_advance() noexcept {
  assert(!advancing_ && "on_expired must not call advance()");
  advancing_ = true;
  // Only the nodes overdue now: ones made overdue by on_expired wait for the next advance, so a
  // callback that keeps re-inserting into the past cannot make advance() loop forever.
  splice_into_batch(overdue_list);
}

wheel_node* timer_wheel::next_expired(std::uint64_t now) noexcept {
  detail::wheel_link& batch = lists_[batch_list];
  for (;;) {
    while (batch.next != &batch) {
      wheel_node* n = pop_front(batch);
      if (n->deadline_ <= elapsed_) return n;
      ++size_;  // pop_front counted it out; it stays in the wheel, one level lower
      place(n);
    }
    if (!collect_next(now)) return nullptr;
  }
}

void timer_wheel::end_advance(std::uint64_t now) noexcept {
  // Every slot starting at or before `now` has been emptied, so each remaining node still differs
  // from `now` first at the level it sits on: moving now() there keeps the layout valid.
  if (now > elapsed_) elapsed_ = now;
  advancing_ = false;
}

std::uint64_t timer_wheel::next_deadline() const noexcept {
  const detail::wheel_link& overdue = lists_[overdue_list];
  if (overdue.next != &overdue) return elapsed_;
  for (unsigned level = 0; level < levels; ++level) {
    if (occupied_[level] == 0) continue;
    const auto slot = static_cast<unsigned>(std::countr_zero(occupied_[level]));
    return slot_min_[level * slots_per_level + slot];
  }
  const detail::wheel_link& overflow = lists_[overflow_list];
  if (overflow.next != &overflow) return (elapsed_ | (span - 1)) + 1;
  return never;
}

}  // namespace jaegis::timers
