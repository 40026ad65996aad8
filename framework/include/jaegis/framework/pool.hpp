#pragma once

// Per-thread size-class memory pools: where envelopes and actors live.
//
// Each thread that allocates owns one pool. A pool keeps, per size class (size_class.hpp):
//   - a local free list, touched only by the owner (plain loads and stores);
//   - a remote-free list, a lock-free stack that any other thread pushes freed blocks onto;
//   - the slab it is carving, and the list of all its slabs.
// Blocks are carved from 64 KiB slabs aligned to their size. A slab's first bytes hold a header
// naming its owning pool and its class, so `deallocate` finds the owner by masking the address.
//
// The protocol:
//   1. allocate(n <= max_small_size) on thread T: pop T's local list of class(n). If it is empty,
//      take T's whole remote list of that class with one exchange (only the owner ever takes, and
//      it takes everything, so the stack has no ABA); if that is empty too, carve the next block of
//      the current slab; if the slab is full, get a new slab from the backing allocator.
//   2. deallocate(p, n) on thread U: mask p to its slab header. If U owns that pool, push p on the
//      local list; otherwise push it on the owner's remote list (a CAS loop).
//   3. n > max_small_size: the backing allocator directly, both ways.
//   4. Thread exit: the pool is not freed (its blocks may be alive elsewhere, and frees to it keep
//      arriving on its remote lists). It goes on an orphan list; the next thread that needs a
//      pool adopts the most recently orphaned one of its NUMA node, local lists and all.
//
// Guarantees:
//   - allocate: wait-free (a local pop; else one exchange that takes a remote list; else a bump
//     in the current slab), except when it needs memory from outside: a new slab, the thread's
//     first pool, a large block. Those may block (the backing allocator, a mutex) and are exactly
//     what global_allocator_calls() counts.
//   - deallocate: wait-free when the freeing thread owns the block, lock-free otherwise (a CAS loop
//     that only fails when another free to the same pool and class raced in).
//   - Once every class a thread uses has seen its peak number of live blocks, allocate and
//     deallocate make no call into the global allocator at all; tests prove it by counting.
//   - Pools and slabs are never returned to the backing allocator: memory held by a pool is reused
//     by that pool (or its adopter) only. Every pool and slab stays reachable from a global
//     registry, so leak checkers see pooled memory as reachable; stats().live_blocks is the leak
//     check for blocks.
//   - A freed block is handed from the freeing thread to the allocating one with release/acquire,
//     so writes made before a free happen before the block's next allocation.
//
// Backing allocator: jemalloc with one arena per NUMA node (JAEGIS_USE_JEMALLOC), or libc
// (aligned_alloc/malloc) in sanitizer builds. Under AddressSanitizer, blocks sitting on a free list
// are poisoned, so a use after free within the pool is still reported.

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "jaegis/framework/size_class.hpp"

namespace jaegis::mem {

/// The size and the alignment of a slab. 64 KiB: a whole number of pages (so a slab can be bound to
/// a NUMA node), big enough that the largest class still gets 15 blocks and the header costs under
/// 0.1%, small enough that a thread touching every class holds under 2 MiB.
inline constexpr std::size_t slab_size = std::size_t{64} * 1024;

/// Memory for `size` bytes, aligned to alignof(std::max_align_t), from the calling thread's pool
/// for size <= max_small_size (a request of 0 bytes gets a distinct block too), from the backing
/// allocator otherwise. Throws std::bad_alloc when the backing allocator fails.
[[nodiscard]] void* allocate(std::size_t size);

/// Returns memory obtained from allocate(size) with the same `size`. May be called from any
/// thread, including one whose pool does not own `p` and one that has no pool. `p` may be nullptr.
void deallocate(void* p, std::size_t size) noexcept;

/// allocate + construct. T must be no more aligned than std::max_align_t. If the constructor
/// throws, the memory is returned and the exception propagates.
template <class T, class... Args>
[[nodiscard]] T* make(Args&&... args) {
  static_assert(alignof(T) <= alignof(std::max_align_t),
                "pool blocks are aligned to alignof(std::max_align_t) only");
  void* p = allocate(sizeof(T));
  try {
    return ::new (p) T(std::forward<Args>(args)...);
  } catch (...) {
    deallocate(p, sizeof(T));
    throw;
  }
}

/// destruct + deallocate(p, sizeof(T)). T must be the object's dynamic type (or the same size):
/// the pool is told the size, it does not find it out. p may be nullptr.
template <class T>
void destroy(T* p) noexcept {
  static_assert(std::is_nothrow_destructible_v<T>);
  if (p == nullptr) return;
  p->~T();
  deallocate(const_cast<std::remove_cv_t<T>*>(p), sizeof(T));
}

/// Cumulative calls the pools made into the backing allocator: slab refills, pool objects, arena
/// creation, and every large allocation and large free. Constant across a steady-state stretch of
/// the message path.
std::uint64_t global_allocator_calls() noexcept;

struct pool_stats {
  std::uint64_t live_blocks = 0;   ///< small blocks allocated and not yet freed (any thread)
  std::uint64_t slabs = 0;         ///< slabs held by all pools (never given back)
  std::uint64_t remote_frees = 0;  ///< frees by a thread other than the block's owner
  std::uint64_t global_allocator_calls = 0;  ///< as global_allocator_calls()
  std::uint64_t allocations = 0;             ///< small allocations, cumulative
  std::uint64_t local_frees = 0;             ///< frees by the block's owner, cumulative
  std::uint64_t large_live = 0;              ///< large (> max_small_size) allocations not yet freed
  std::uint64_t large_allocations = 0;       ///< cumulative
  std::uint64_t pools = 0;                   ///< pools ever created (each is owned or orphaned)
  std::uint64_t orphaned_pools = 0;          ///< pools whose thread exited, waiting to be adopted
  std::uint64_t arenas = 0;  ///< jemalloc arenas created (one per NUMA node used); 0 on libc
};

/// Summed over all pools. Each field is read with relaxed loads, so the sum is approximate while
/// threads allocate and exact once they are quiescent (joined, or synchronized with the caller).
pool_stats stats() noexcept;

/// An identity of the calling thread's pool, 0 if it has none yet. Stable across adoption: a thread
/// that adopts an orphan reports the id the exited thread reported. For tests and diagnostics.
std::uintptr_t this_thread_pool_id() noexcept;

/// The pool id that owns small block `p` (allocated with a size <= max_small_size). For tests.
std::uintptr_t owner_pool_id(const void* p) noexcept;

}  // namespace jaegis::mem
