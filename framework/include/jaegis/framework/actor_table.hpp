#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "jaegis/framework/envelope.hpp"

namespace jaegis::detail {

/// Where every actor's id and reference count live.
///
/// A slot holds one 64-bit word, (generation << 32) | strong count, and the actor's address. Ids
/// are (generation << 32) | index. Slots are never freed (segments are only added), so any thread
/// may read any slot at any time; that makes a lookup by id safe without locks or hazard
/// pointers: it CASes the count up only if the generation matches and the count is not zero.
/// When the count reaches zero the actor is freed and the generation advances, so a stale id
/// resolves to nothing, never to the slot's next actor (until the generation wraps after 2^32
/// reuses of one slot).
///
/// Free indices go on a lock-free stack whose head carries an ABA tag; a free slot's second word
/// holds the stack's link, so a slot is 16 bytes.
struct actor_slot {
  std::atomic<std::uint64_t> state{0};  ///< generation << 32 | strong count
  /// The actor (an actor_cell*) while the count is not zero; the next free index while free.
  std::atomic<std::uintptr_t> cell_or_link{0};

  actor_cell* cell(std::memory_order order) const noexcept {
    return reinterpret_cast<actor_cell*>(cell_or_link.load(order));
  }
};
static_assert(sizeof(actor_slot) == 16);

class actor_table {
 public:
  actor_table();
  ~actor_table();
  actor_table(const actor_table&) = delete;
  actor_table& operator=(const actor_table&) = delete;

  /// Gives each of `workers` executor workers a private cache of free indices, so that spawning
  /// and freeing on a worker touch no shared line in the common case. Call once, before use.
  void set_worker_caches(std::size_t workers);

  /// A slot for `cell` with a count of one. Returns the id. `worker` is the calling thread's
  /// worker index (executor::current_worker()), or -1 for any other thread.
  actor_id allocate(actor_cell* cell, int worker);

  /// A counted reference to the actor `id` names, or nullptr if it is gone.
  actor_cell* try_retain(actor_id id) noexcept;

  static void retain(actor_slot& slot) noexcept {
    // relaxed: the caller already holds a reference, so the actor cannot go away meanwhile; the
    // count itself orders nothing (as with shared_ptr).
    slot.state.fetch_add(1, std::memory_order_relaxed);
  }
  /// True when this was the last reference: the caller must then free the actor and the slot.
  static bool release(actor_slot& slot) noexcept {
    // acq_rel: the last releaser must see every write made through the other references.
    const std::uint64_t before = slot.state.fetch_sub(1, std::memory_order_acq_rel);
    return (before & count_mask) == 1;
  }

  /// After the actor in `slot` is gone: advance the generation and recycle the index (into the
  /// calling worker's cache, as for allocate, or the shared free stack).
  void free_slot(actor_slot& slot, actor_id id, int worker) noexcept;

  /// The slot of a live id (the caller holds a reference). nullptr if never allocated.
  actor_slot* slot_of(actor_id id) const noexcept;
  /// The slot of an id whose actor the caller holds (or is): two loads, no checks.
  actor_slot& live_slot(actor_id id) const noexcept {
    const auto index = static_cast<std::uint32_t>(id);
    // acquire: pairs with the release CAS that installed the segment.
    return segments_[index >> segment_bits].load(
        std::memory_order_acquire)[index & (segment_size - 1)];
  }

  /// Calls f(actor_cell*) for every actor with a non-zero count at the moment its slot is read,
  /// holding a reference while f runs. For shutdown and diagnostics, not the hot path.
  template <class F>
  void for_each_live(F&& f);
  std::size_t capacity() const noexcept;

  static constexpr std::uint64_t count_mask = 0xffffffffull;

 private:
  static constexpr std::size_t segment_bits = 14;  // 16384 slots (256 KiB) per segment
  static constexpr std::size_t segment_size = std::size_t{1} << segment_bits;
  static constexpr std::size_t max_segments = std::size_t{1} << (32 - segment_bits);

  /// One worker's indices: recently freed ones (reused first, while their slot is still in
  /// cache) and a range of never-used ones taken from next_index_ in one RMW.
  struct alignas(64) worker_cache {
    static constexpr std::uint32_t capacity = 64;
    std::uint32_t count = 0;
    std::uint32_t fresh_next = 0;
    std::uint32_t fresh_end = 0;
    std::uint32_t freed[capacity];
  };
  static constexpr std::uint32_t fresh_batch = 64;

  actor_slot& slot(std::uint32_t index) const noexcept;
  actor_slot* ensure_segment(std::uint32_t index);
  std::uint32_t pop_free() noexcept;
  void push_free(actor_slot& s, std::uint32_t index) noexcept;
  std::uint32_t take_index(int worker);
  std::uint32_t fresh_indices(std::uint32_t n);

  std::unique_ptr<std::atomic<actor_slot*>[]> segments_;
  std::unique_ptr<worker_cache[]> caches_;
  std::size_t cache_count_ = 0;
  alignas(64) std::atomic<std::uint64_t> free_head_{0};   ///< tag << 32 | index (0: empty)
  alignas(64) std::atomic<std::uint32_t> next_index_{1};  ///< index 0 is never used
};

template <class F>
void actor_table::for_each_live(F&& f) {
  // acquire: pairs with allocate()'s release of next_index_, so the slots below it exist.
  const std::uint32_t end = next_index_.load(std::memory_order_acquire);
  for (std::uint32_t index = 1; index < end; ++index) {
    actor_slot* s = slot_of(index);
    if (s == nullptr) continue;
    // acquire: the generation read pairs with free_slot()'s release.
    const std::uint64_t state = s->state.load(std::memory_order_acquire);
    if ((state & count_mask) == 0) continue;
    const actor_id id = (state & ~count_mask) | index;
    if (actor_cell* cell = try_retain(id)) f(cell);
  }
}

}  // namespace jaegis::detail
