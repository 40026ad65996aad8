#include "jaegis/framework/actor_table.hpp"

#include <cstdlib>
#include <new>
#include <stdexcept>

namespace jaegis::detail {
namespace {

std::uint32_t index_of(actor_id id) noexcept {
  return static_cast<std::uint32_t>(id);
}
std::uint64_t generation_bits(actor_id id) noexcept {
  return id & ~actor_table::count_mask;
}

}  // namespace

actor_table::actor_table()
    : segments_(std::make_unique<std::atomic<actor_slot*>[]>(max_segments)) {}

actor_table::~actor_table() {
  for (std::size_t i = 0; i < max_segments; ++i) {
    // relaxed: the table is destroyed after every user of it has finished.
    delete[] segments_[i].load(std::memory_order_relaxed);
  }
}

actor_slot& actor_table::slot(std::uint32_t index) const noexcept {
  return live_slot(index);
}

actor_slot* actor_table::slot_of(actor_id id) const noexcept {
  const std::uint32_t index = index_of(id);
  if (index == 0) return nullptr;
  // acquire: as in slot().
  actor_slot* segment = segments_[index >> segment_bits].load(std::memory_order_acquire);
  return segment == nullptr ? nullptr : &segment[index & (segment_size - 1)];
}

actor_slot* actor_table::ensure_segment(std::uint32_t index) {
  auto& entry = segments_[index >> segment_bits];
  // acquire: see slot().
  if (actor_slot* existing = entry.load(std::memory_order_acquire)) {
    return &existing[index & (segment_size - 1)];
  }
  auto* fresh = new actor_slot[segment_size];  // a rare path: once per 16384 actors
  actor_slot* expected = nullptr;
  // acq_rel: release publishes the initialised slots; acquire sees a competitor's on failure.
  if (!entry.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) {
    delete[] fresh;
    return &expected[index & (segment_size - 1)];
  }
  return &fresh[index & (segment_size - 1)];
}

std::uint32_t actor_table::pop_free() noexcept {
  // acquire: pairs with free_slot()'s release CAS, so the slot's next_free link is visible.
  std::uint64_t head = free_head_.load(std::memory_order_acquire);
  for (;;) {
    const auto index = static_cast<std::uint32_t>(head);
    if (index == 0) return 0;
    // relaxed: a stale link is harmless, the tag makes the CAS below fail (no ABA).
    const auto next =
        static_cast<std::uint32_t>(slot(index).cell_or_link.load(std::memory_order_relaxed));
    const std::uint64_t tagged_next = ((head >> 32) + 1) << 32 | next;
    // acquire on success: we now own the slot and read its generation next.
    if (free_head_.compare_exchange_weak(head, tagged_next, std::memory_order_acquire,
                                         std::memory_order_acquire)) {
      return index;
    }
  }
}

void actor_table::set_worker_caches(std::size_t workers) {
  caches_ = std::make_unique<worker_cache[]>(workers);
  cache_count_ = workers;
}

std::uint32_t actor_table::fresh_indices(std::uint32_t n) {
  // relaxed: only uniqueness matters; the segment publication in ensure_segment() carries the
  // ordering.
  const std::uint32_t first = next_index_.fetch_add(n, std::memory_order_relaxed);
  if (first == 0 || first > UINT32_MAX - n) {
    throw std::length_error("jaegis: actor table full (2^32 actors alive)");
  }
  return first;
}

std::uint32_t actor_table::take_index(int worker) {
  if (worker < 0 || static_cast<std::size_t>(worker) >= cache_count_) {
    const std::uint32_t index = pop_free();
    return index != 0 ? index : fresh_indices(1);
  }
  worker_cache& c = caches_[static_cast<std::size_t>(worker)];
  if (c.count > 0) return c.freed[--c.count];
  if (c.fresh_next != c.fresh_end) return c.fresh_next++;
  if (const std::uint32_t index = pop_free(); index != 0) return index;
  c.fresh_next = fresh_indices(fresh_batch);
  c.fresh_end = c.fresh_next + fresh_batch;
  return c.fresh_next++;
}

actor_id actor_table::allocate(actor_cell* cell, int worker) {
  const std::uint32_t index = take_index(worker);
  actor_slot* s = ensure_segment(index);
  // relaxed: the generation is only changed by free_slot(), which happened before our pop.
  const std::uint64_t generation = s->state.load(std::memory_order_relaxed) & ~count_mask;
  // relaxed: the cell pointer is published by the release store of the state just below.
  s->cell_or_link.store(reinterpret_cast<std::uintptr_t>(cell), std::memory_order_relaxed);
  // release: a try_retain() that sees the count also sees the cell.
  s->state.store(generation | 1, std::memory_order_release);
  return generation | index;
}

actor_cell* actor_table::try_retain(actor_id id) noexcept {
  actor_slot* s = slot_of(id);
  if (s == nullptr) return nullptr;
  // acquire: pairs with allocate()'s release, so a matching count implies the cell is set.
  std::uint64_t state = s->state.load(std::memory_order_acquire);
  for (;;) {
    if ((state & ~count_mask) != generation_bits(id) || (state & count_mask) == 0) return nullptr;
    // acquire: as above, for the value we install over.
    if (s->state.compare_exchange_weak(state, state + 1, std::memory_order_acquire,
                                       std::memory_order_acquire)) {
      // relaxed: ordered by the acquire above.
      return s->cell(std::memory_order_relaxed);
    }
  }
}

void actor_table::free_slot(actor_slot& s, actor_id id, int worker) noexcept {
  const std::uint32_t index = index_of(id);
  // release: the new generation is visible before the index can be popped and reused.
  s.state.store(generation_bits(id) + (std::uint64_t{1} << 32), std::memory_order_release);
  if (worker >= 0 && static_cast<std::size_t>(worker) < cache_count_) {
    worker_cache& c = caches_[static_cast<std::size_t>(worker)];
    if (c.count < worker_cache::capacity) {
      c.freed[c.count++] = index;  // this worker's own: no other thread touches the cache
      return;
    }
  }
  push_free(s, index);
}

void actor_table::push_free(actor_slot& s, std::uint32_t index) noexcept {
  std::uint64_t head = free_head_.load(std::memory_order_relaxed);  // relaxed: CAS validates
  for (;;) {
    // relaxed: published by the release CAS below.
    s.cell_or_link.store(static_cast<std::uint32_t>(head), std::memory_order_relaxed);
    const std::uint64_t tagged = ((head >> 32) + 1) << 32 | index;
    // release: the link and the generation are visible to the popper.
    if (free_head_.compare_exchange_weak(head, tagged, std::memory_order_release,
                                         std::memory_order_relaxed)) {
      return;
    }
  }
}

std::size_t actor_table::capacity() const noexcept {
  return next_index_.load(std::memory_order_relaxed);  // relaxed: a snapshot
}

}  // namespace jaegis::detail
