// The per-thread pools: see pool.hpp for the protocol and its guarantees, README.md for the design.
//
// Layout of a slab (slab_size bytes, aligned to slab_size):
//   [ slab_header | block | block | ... | block | tail too small for a block ]
//   0             64      64+b    ...
// The header is written once, by the owner, before any block of the slab exists; afterwards every
// thread only reads it (the line is shared read-only, never ping-ponged).

#include "jaegis/framework/pool.hpp"

#include <numa.h>
#include <pthread.h>
#include <sched.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>

#include "jaegis/schedulers/cache_line.hpp"
#include "jaegis/schedulers/topology.hpp"

#if defined(JAEGIS_USE_JEMALLOC) && JAEGIS_USE_JEMALLOC
#include <jemalloc/jemalloc.h>
#define JAEGIS_POOL_JEMALLOC 1
#else
#define JAEGIS_POOL_JEMALLOC 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define JAEGIS_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JAEGIS_POOL_ASAN 1
#endif
#endif
#ifndef JAEGIS_POOL_ASAN
#define JAEGIS_POOL_ASAN 0
#endif
#if JAEGIS_POOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

// Checks that a pointer handed to deallocate came from a pool slab of the stated size. Too costly
// for the Release hot path (a modulo), cheap next to a sanitizer's own checks.
#if !defined(NDEBUG) || defined(JAEGIS_SANITIZED)
#define JAEGIS_POOL_CHECKS 1
#else
#define JAEGIS_POOL_CHECKS 0
#endif

namespace jaegis::mem {
namespace {

using sched::cache_line_size;

struct block {
  block* next;
};

struct pool;

struct slab_header {
  pool* owner;
  slab_header* next_slab;  ///< the owner's slab list: keeps every slab reachable
  std::uint32_t magic;
  std::uint8_t size_class;
};

// One cache line: the first block then starts aligned for every class (all are multiples of 16),
// and classes that are multiples of 64 get line-aligned blocks.
constexpr std::size_t slab_header_bytes = cache_line_size;
static_assert(sizeof(slab_header) <= slab_header_bytes);
static_assert(slab_header_bytes % size_class_quantum == 0);
static_assert((slab_size & (slab_size - 1)) == 0, "slabs are found by masking: a power of two");
static_assert(slab_size - slab_header_bytes >= max_small_size, "every class fits in a slab");

// "JAEGslab": tells a pool slab from a stray pointer in checked builds.
constexpr std::uint32_t slab_magic = 0x4a41'4547;

// The node ids topology::parse accepts (at most 1024 nodes); beyond it a thread uses node 0.
constexpr int max_nodes = 1024;

// --- AddressSanitizer: a block on a free list is poisoned, whole ---------------------------------

inline void poison(void* p, std::size_t n) noexcept {
#if JAEGIS_POOL_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}

inline void unpoison(void* p, std::size_t n) noexcept {
#if JAEGIS_POOL_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}

// A counter with a single writer (the pool's owner) that other threads read for stats(). A relaxed
// load and store compile to a plain add: no locked instruction on the hot path.
inline void increment(std::atomic<std::uint64_t>& counter) noexcept {
  // relaxed: only the owner writes, so no update is lost; readers want a value, not an ordering.
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// --- Process-wide state --------------------------------------------------------------------------
// Counters and the registry list are constant-initialized atomics with trivial destructors, so they
// work from any static constructor or destructor and are never torn down.

constinit std::atomic<std::uint64_t> global_calls{0};
constinit std::atomic<std::uint64_t> large_allocations{0};
constinit std::atomic<std::uint64_t> large_frees{0};
constinit std::atomic<std::uint64_t> pools_created{0};
constinit std::atomic<std::uint64_t> pools_orphaned{0};
constinit std::atomic<std::uint64_t> arenas_created{0};
constinit std::atomic<pool*> all_pools{nullptr};  ///< every pool ever made, newest first

inline void count_global_call() noexcept {
  // relaxed: a statistic; tests read it after joining the threads that moved it.
  global_calls.fetch_add(1, std::memory_order_relaxed);
}

// The state guarded by a mutex: thread start and exit and the first use of a NUMA node, none of
// them on the message path. Allocated once and never destroyed, so a thread exiting during static
// destruction still finds it.
struct registry {
  std::mutex mutex;
  pool* orphans = nullptr;  ///< guarded by mutex; most recently orphaned first
  pthread_key_t exit_key{};

  registry();
};

registry& the_registry() {
  static registry* const r = new registry();
  return *r;
}

constinit thread_local pool* this_thread_pool = nullptr;
/// Remote frees made by threads that have no pool (they never allocated).
std::atomic<std::uint64_t> poolless_remote_frees{0};

int current_node() noexcept {
  const int node = sched::this_thread_node();
  return node >= 0 && node < max_nodes ? node : 0;
}

// --- Backing allocator ---------------------------------------------------------------------------

#if JAEGIS_POOL_JEMALLOC
// arena index + 1 per node; 0 = not created yet; arena_failed = fall back to the default arenas.
constinit std::array<std::atomic<unsigned>, max_nodes> node_arenas{};
constexpr unsigned arena_failed = ~0u;

unsigned create_arena(int node) {
  registry& r = the_registry();
  std::lock_guard lock(r.mutex);
  // relaxed: the mutex orders this against the only other writer.
  unsigned slot = node_arenas[node].load(std::memory_order_relaxed);
  if (slot != 0) return slot;
  unsigned index = 0;
  std::size_t len = sizeof(index);
  count_global_call();
  if (mallctl("arenas.create", &index, &len, nullptr, 0) == 0) {
    slot = index + 1;
    arenas_created.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
  } else {
    slot = arena_failed;  // jemalloc's arena limit: share its default arenas rather than fail
  }
  // release: a reader that sees the slot may use the arena; jemalloc made it usable before
  // mallctl returned, and this store publishes that to readers that skip the mutex.
  node_arenas[node].store(slot, std::memory_order_release);
  return slot;
}

int arena_flags(int node) {
  // acquire: pairs with the release store in create_arena.
  unsigned slot = node_arenas[node].load(std::memory_order_acquire);
  if (slot == 0) slot = create_arena(node);
  // The thread caches are bypassed: they would mix blocks of different arenas (nodes), and every
  // call that reaches here is a slow path whose cost the pool amortizes anyway.
  return (slot == arena_failed ? 0 : MALLOCX_ARENA(slot - 1)) | MALLOCX_TCACHE_NONE;
}
#endif

// Binds a fresh slab to `node` when that is a real node and the thread really runs there. On a
// one-node machine there is nothing to choose; under a topology override the node is virtual; and a
// thread not placed on its node (node 0 by default) is better served by first-touch placement.
void bind_to_node(void* p, std::size_t n, int node) noexcept {
  static const bool multi_node = numa_available() >= 0 && numa_max_node() > 0;
  if (!multi_node) return;
  const int cpu = sched_getcpu();
  if (cpu < 0 || numa_node_of_cpu(cpu) != node) return;
  numa_tonode_memory(p, n, node);
}

void* backing_allocate_aligned(std::size_t size, std::size_t alignment, int node) {
  count_global_call();
#if JAEGIS_POOL_JEMALLOC
  void* p = mallocx(size, arena_flags(node) | MALLOCX_ALIGN(alignment));
#else
  (void)node;
  void* p = std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
#endif
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

// The slow paths are kept out of line (noinline), so that the fast paths of allocate and deallocate
// need no stack frame and no saved registers.
[[gnu::noinline, gnu::cold]] void* allocate_large(std::size_t size) {
  count_global_call();
#if JAEGIS_POOL_JEMALLOC
  void* p = mallocx(size, arena_flags(current_node()));
#else
  void* p = std::malloc(size);
#endif
  if (p == nullptr) throw std::bad_alloc();
  large_allocations.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
  return p;
}

[[gnu::noinline, gnu::cold]] void deallocate_large(void* p, std::size_t size) noexcept {
  count_global_call();
  large_frees.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
#if JAEGIS_POOL_JEMALLOC
  sdallocx(p, size, MALLOCX_TCACHE_NONE);
#else
  (void)size;
  std::free(p);
#endif
}

// --- The pool ------------------------------------------------------------------------------------

struct alignas(cache_line_size) remote_list {
  std::atomic<block*> head{nullptr};
};

struct carve_range {
  char* next = nullptr;
  char* end = nullptr;
};

struct alignas(cache_line_size) pool {
  // Owner only, touched by every allocate and local free.
  std::array<block*, size_class_count> free{};
  std::atomic<std::uint64_t> allocations{0};  ///< single writer: the owner
  std::atomic<std::uint64_t> local_frees{0};  ///< single writer: the owner
  /// Frees this pool's thread made into other pools. Counted here, by the freer, rather than on
  /// the receiving list's line: a remote free then costs one RMW (the push), not two.
  std::atomic<std::uint64_t> remote_frees_made{0};  ///< single writer: the owner

  // Owner only, slow path.
  std::array<carve_range, size_class_count> carving{};
  slab_header* slabs = nullptr;
  std::atomic<std::uint64_t> slab_count{0};  ///< single writer: the owner
  int node = 0;                              ///< the node of its latest slab; guides adoption
  pool* next_orphan = nullptr;               ///< guarded by the registry mutex
  pool* next_in_registry = nullptr;          ///< immutable once published in all_pools

  // Written by other threads: one line per class, apart from the owner's fields.
  std::array<remote_list, size_class_count> remote{};

  void* allocate(unsigned cls) {
    block* b = free[cls];
    if (b == nullptr) [[unlikely]]
      return allocate_slow(cls);
    return take(b, cls);
  }

  // Pops `b`, the head of the non-empty local list of `cls`.
  void* take(block* b, unsigned cls) noexcept {
    unpoison(b, size_class_bytes(cls));  // before reading the link that lives inside the block
    free[cls] = b->next;
    increment(allocations);
    return b;
  }

  [[gnu::noinline]] void* allocate_slow(unsigned cls) {
    remote_list& r = remote[cls];
    // relaxed: only a hint that saves the exchange (a write to a line other threads write) when
    // there is nothing to take; the exchange is what synchronizes.
    if (r.head.load(std::memory_order_relaxed) != nullptr) {
      // acquire: pairs with the freers' release CAS (and, through the release sequence of that
      // RMW chain, with every earlier push), so their writes to the blocks, links included, are
      // visible. Only the owner takes, and it takes the whole stack: no ABA.
      block* batch = r.head.exchange(nullptr, std::memory_order_acquire);
      return take(batch, cls);
    }
    carve_range& c = carving[cls];
    const std::size_t bytes = size_class_bytes(cls);
    if (c.next == c.end) new_slab(cls);
    char* p = c.next;
    c.next += bytes;
    unpoison(p, bytes);
    increment(allocations);
    return p;
  }

  void new_slab(unsigned cls) {
    const int slab_node = current_node();
    void* mem = backing_allocate_aligned(slab_size, slab_size, slab_node);
    bind_to_node(mem, slab_size, slab_node);
    slabs = ::new (mem) slab_header{this, slabs, slab_magic, static_cast<std::uint8_t>(cls)};
    increment(slab_count);
    node = slab_node;
    const std::size_t bytes = size_class_bytes(cls);
    char* first = static_cast<char*>(mem) + slab_header_bytes;
    char* end = first + (slab_size - slab_header_bytes) / bytes * bytes;
    // Not carved yet (and the tail, never carved): no one may touch it.
    poison(first, slab_size - slab_header_bytes);
    carving[cls] = {first, end};
  }

  void free_local(block* b, unsigned cls) noexcept {
    // Under ASan, a write to an already poisoned (free) block: a double free is reported here.
    b->next = free[cls];
    poison(b, size_class_bytes(cls));
    free[cls] = b;
    increment(local_frees);
  }

  void free_remote(block* b, unsigned cls) noexcept {
    remote_list& r = remote[cls];
    // relaxed: only the CAS's first guess; the CAS validates it.
    block* head = r.head.load(std::memory_order_relaxed);
    b->next = head;  // as in free_local: a double free is reported here under ASan
    // Poisoned before the CAS publishes it: afterwards the owner may already have reallocated it.
    poison(b, size_class_bytes(cls));
    // release on success: the link and the caller's last use of the block happen before the
    // owner's acquire exchange takes it. relaxed on failure: we only retry with the new head.
    while (!r.head.compare_exchange_weak(head, b, std::memory_order_release,
                                         std::memory_order_relaxed)) {
      unpoison(b, sizeof(block));
      b->next = head;
      poison(b, sizeof(block));
    }
  }
};

// Called by pthreads when a thread that has a pool exits (after its C++ thread_local destructors,
// so frees made by those are still local). If a later destructor allocates again, the thread
// attaches again and pthreads calls this once more (up to PTHREAD_DESTRUCTOR_ITERATIONS times).
void orphan_pool(void* value) noexcept {
  auto* p = static_cast<pool*>(value);
  this_thread_pool = nullptr;  // first: this thread must never touch p's local lists again
  registry& r = the_registry();
  std::lock_guard lock(r.mutex);
  p->next_orphan = r.orphans;
  r.orphans = p;
  pools_orphaned.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic (mutex held)
}

registry::registry() {
  if (pthread_key_create(&exit_key, &orphan_pool) != 0) {
    std::fputs("jaegis::mem: pthread_key_create failed; pools cannot be recycled\n", stderr);
    std::abort();
  }
}

pool* create_pool(int node) {
  void* mem = backing_allocate_aligned(sizeof(pool), alignof(pool), node);
  auto* p = ::new (mem) pool();
  p->node = node;
  return p;
}

// The slow path of a thread's first allocation: adopt an orphan of this node, or make a pool.
[[gnu::noinline, gnu::cold]] pool* attach() {
  registry& r = the_registry();
  const int node = current_node();
  pool* p = nullptr;
  {
    std::lock_guard lock(r.mutex);
    for (pool** link = &r.orphans; *link != nullptr; link = &(*link)->next_orphan) {
      if ((*link)->node == node) {
        p = *link;
        *link = p->next_orphan;
        p->next_orphan = nullptr;
        pools_orphaned.fetch_sub(1, std::memory_order_relaxed);  // relaxed: a statistic
        break;
      }
    }
  }
  // The mutex made the exited owner's last writes to p happen before our first ones.
  if (p == nullptr) {
    p = create_pool(node);
    std::lock_guard lock(r.mutex);
    // relaxed load: writers are serialized by the mutex. release store: stats() walks the list
    // without the mutex and must see next_in_registry and the counters initialized.
    p->next_in_registry = all_pools.load(std::memory_order_relaxed);
    all_pools.store(p, std::memory_order_release);
    pools_created.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
  }
  // Fails only when pthreads cannot allocate the key's slot: the pool then still works but is not
  // orphaned at thread exit, so it is never recycled (its memory stays reachable and counted).
  (void)pthread_setspecific(r.exit_key, p);
  this_thread_pool = p;
  return p;
}

inline slab_header* slab_of(const void* p) noexcept {
  return reinterpret_cast<slab_header*>(reinterpret_cast<std::uintptr_t>(p) & ~(slab_size - 1));
}

#if JAEGIS_POOL_CHECKS
[[noreturn]] void bad_free(const void* p, std::size_t size, const char* why) noexcept {
  std::fprintf(stderr, "jaegis::mem::deallocate(%p, %zu): %s\n", p, size, why);
  std::abort();
}
#endif

inline void check_block(const slab_header* h, const void* p, std::size_t size) noexcept {
#if JAEGIS_POOL_CHECKS
  if (h->magic != slab_magic) bad_free(p, size, "not a pool block");
  if (h->size_class != size_class_of(size)) bad_free(p, size, "size differs from the allocation's");
  const auto offset =
      static_cast<std::size_t>(static_cast<const char*>(p) - reinterpret_cast<const char*>(h));
  if (offset < slab_header_bytes || (offset - slab_header_bytes) % size_class_bytes(h->size_class))
    bad_free(p, size, "not the start of a block");
#else
  (void)h;
  (void)p;
  (void)size;
#endif
}

}  // namespace

void* allocate(std::size_t size) {
  if (size > max_small_size) [[unlikely]]
    return allocate_large(size);
  pool* p = this_thread_pool;
  if (p == nullptr) [[unlikely]]
    p = attach();
  return p->allocate(size_class_of(size));
}

void deallocate(void* p, std::size_t size) noexcept {
  if (p == nullptr) return;
  if (size > max_small_size) [[unlikely]]
    return deallocate_large(p, size);
  const slab_header* h = slab_of(p);
  check_block(h, p, size);
  pool* owner = h->owner;
  // The class comes from the header, not from `size`: one load from the line we read anyway, and
  // a block always returns to the list it was carved for.
  pool* self = this_thread_pool;
  if (owner == self) {
    owner->free_local(static_cast<block*>(p), h->size_class);
    return;
  }
  owner->free_remote(static_cast<block*>(p), h->size_class);
  if (self != nullptr) {
    increment(self->remote_frees_made);
  } else {
    // relaxed: a statistic, exact once the freeing threads are joined (or otherwise synchronized).
    poolless_remote_frees.fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t global_allocator_calls() noexcept {
  return global_calls.load(std::memory_order_relaxed);  // relaxed: see count_global_call
}

pool_stats stats() noexcept {
  // All loads relaxed: each value is a statistic; exactness at quiescence comes from the
  // synchronization (joins) that made the threads quiescent, not from these loads.
  pool_stats s;
  std::uint64_t freed = 0;
  // acquire: pairs with the release store in attach, so each pool's fields are initialized.
  for (pool* p = all_pools.load(std::memory_order_acquire); p != nullptr; p = p->next_in_registry) {
    s.allocations += p->allocations.load(std::memory_order_relaxed);
    s.local_frees += p->local_frees.load(std::memory_order_relaxed);
    s.slabs += p->slab_count.load(std::memory_order_relaxed);
    s.remote_frees += p->remote_frees_made.load(std::memory_order_relaxed);
  }
  s.remote_frees += poolless_remote_frees.load(std::memory_order_relaxed);
  freed = s.local_frees + s.remote_frees;
  // While threads run, a free may be counted and its allocation not: clamp rather than wrap.
  s.live_blocks = s.allocations > freed ? s.allocations - freed : 0;
  s.global_allocator_calls = global_calls.load(std::memory_order_relaxed);
  s.large_allocations = large_allocations.load(std::memory_order_relaxed);
  const std::uint64_t large_freed = large_frees.load(std::memory_order_relaxed);
  s.large_live = s.large_allocations > large_freed ? s.large_allocations - large_freed : 0;
  s.pools = pools_created.load(std::memory_order_relaxed);
  s.orphaned_pools = pools_orphaned.load(std::memory_order_relaxed);
  s.arenas = arenas_created.load(std::memory_order_relaxed);
  return s;
}

std::uintptr_t this_thread_pool_id() noexcept {
  return reinterpret_cast<std::uintptr_t>(this_thread_pool);
}

std::uintptr_t owner_pool_id(const void* p) noexcept {
  return reinterpret_cast<std::uintptr_t>(slab_of(p)->owner);
}

}  // namespace jaegis::mem
