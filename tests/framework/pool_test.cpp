// Tests of the per-thread memory pools (framework/include/jaegis/framework/pool.hpp).
//
// Each test compares stats() before and after, so the tests are independent of their order and of
// the pools earlier tests left behind (pools are never destroyed).

#include "jaegis/framework/pool.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <latch>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "jaegis/framework/size_class.hpp"
#include "jaegis/schedulers/topology.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define POOL_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_TEST_ASAN 1
#endif
#endif
#ifdef POOL_TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace mem = jaegis::mem;

// --- Counting replacement of the global operator new --------------------------------------------
// Lets the steady-state test prove that the pool's hot path makes no hidden call to operator new
// either (through a container, a thread_local's first use, a std::function...), beyond the pool's
// own counter of calls into jemalloc/libc.

// Every unaligned form is replaced, so that no pair mixes ours with the runtime's (AddressSanitizer
// provides its own and would report the mix); the aligned forms stay the runtime's, pairwise.

namespace {
std::atomic<std::uint64_t> operator_new_calls{0};

void* counted_malloc(std::size_t n) noexcept {
  // relaxed: read only after the counted code, on the same thread.
  operator_new_calls.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_malloc(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_malloc(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace {

#ifdef JAEGIS_SANITIZED
// Sanitizers slow every memory access 5-20x: the stress loops run 10x fewer iterations.
constexpr int iteration_divisor = 10;
#else
constexpr int iteration_divisor = 1;
#endif

// A small deterministic generator (xorshift64*): reproducible sizes without <random>'s state.
struct rng {
  std::uint64_t state;
  explicit rng(std::uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
  }
  // Mostly envelope-sized requests, with the whole small range now and then.
  std::size_t small_size(std::size_t min = 1) {
    const std::uint64_t r = next();
    const std::size_t range = (r & 7) == 0 ? mem::max_small_size : 256;
    return std::max(min, static_cast<std::size_t>((r >> 8) % range) + 1);
  }
};

bool aligned(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t) == 0;
}

std::uint8_t pattern_byte(std::uint64_t tag, std::size_t i) {
  return static_cast<std::uint8_t>(tag * 131 + i * 7 + (tag >> 8));
}
void fill(void* p, std::size_t size, std::uint64_t tag) {
  auto* bytes = static_cast<std::uint8_t*>(p);
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = pattern_byte(tag, i);
}
bool holds(const void* p, std::size_t size, std::uint64_t tag) {
  const auto* bytes = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < size; ++i) {
    if (bytes[i] != pattern_byte(tag, i)) return false;
  }
  return true;
}

// Makes sure the calling thread has a pool, so that stats() baselines taken next do not move when
// its first allocation creates one.
void ensure_pool() {
  mem::deallocate(mem::allocate(1), 1);
}

template <class T>
class blocking_queue {
 public:
  void push(T value) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(value));
    }
    ready_.notify_one();
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }
  // An item, or nothing once the queue is closed and empty.
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T value = std::move(items_.front());
    items_.pop_front();
    return value;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
  bool closed_ = false;
};

struct handed_block {
  void* p;
  std::size_t size;
  std::uint64_t tag;
};

}  // namespace

TEST_CASE("every size maps to the smallest class that holds it", "[pool][size_class]") {
  for (std::size_t n = 0; n <= mem::max_small_size; ++n) {
    const unsigned cls = mem::size_class_of(n);
    REQUIRE(cls < mem::size_class_count);
    REQUIRE(mem::size_class_bytes(cls) >= n);
    if (cls > 0) REQUIRE(mem::size_class_bytes(cls - 1) < n);
    REQUIRE(mem::size_class_bytes(cls) % alignof(std::max_align_t) == 0);
  }
}

TEST_CASE("blocks of every size 1..max are aligned, writable, distinct and owned", "[pool]") {
  ensure_pool();
  const mem::pool_stats before = mem::stats();
  std::vector<std::pair<std::uintptr_t, std::size_t>> blocks;
  for (std::size_t n = 1; n <= mem::max_small_size; ++n) {
    void* p = mem::allocate(n);
    REQUIRE(p != nullptr);
    REQUIRE(aligned(p));
    REQUIRE(mem::owner_pool_id(p) == mem::this_thread_pool_id());
    fill(p, n, n);
    blocks.emplace_back(reinterpret_cast<std::uintptr_t>(p), n);
  }
  REQUIRE(mem::stats().live_blocks == before.live_blocks + mem::max_small_size);
  for (const auto& [address, n] : blocks)
    REQUIRE(holds(reinterpret_cast<void*>(address), n, n));
  // No two live blocks overlap.
  std::sort(blocks.begin(), blocks.end());
  for (std::size_t i = 1; i < blocks.size(); ++i)
    REQUIRE(blocks[i - 1].first + blocks[i - 1].second <= blocks[i].first);
  for (const auto& [address, n] : blocks)
    mem::deallocate(reinterpret_cast<void*>(address), n);
  const mem::pool_stats after = mem::stats();
  REQUIRE(after.live_blocks == before.live_blocks);
  REQUIRE(after.local_frees == before.local_frees + mem::max_small_size);
  REQUIRE(after.remote_frees == before.remote_frees);
  REQUIRE(after.large_allocations == before.large_allocations);
}

TEST_CASE("a freed block is the next one handed out for its class", "[pool]") {
  ensure_pool();
  void* p = mem::allocate(40);
  mem::deallocate(p, 40);
  const std::uint64_t calls = mem::global_allocator_calls();
  void* q = mem::allocate(33);  // 33 and 40 share the 48-byte class
  REQUIRE(q == p);
  void* r = mem::allocate(40);
  REQUIRE(r != q);
  mem::deallocate(q, 33);
  mem::deallocate(r, 40);
  // Two frees, LIFO: the most recent comes back first.
  REQUIRE(mem::allocate(48) == r);
  REQUIRE(mem::allocate(48) == q);
  mem::deallocate(q, 48);
  mem::deallocate(r, 48);
  REQUIRE(mem::global_allocator_calls() == calls);
  // Another class does not take them.
  void* s = mem::allocate(64);
  REQUIRE(s != q);
  REQUIRE(s != r);
  mem::deallocate(s, 64);
}

TEST_CASE("zero-byte requests get distinct blocks and null frees are no-ops", "[pool]") {
  ensure_pool();
  void* a = mem::allocate(0);
  void* b = mem::allocate(0);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  REQUIRE(a != b);
  mem::deallocate(a, 0);
  mem::deallocate(b, 0);

  const mem::pool_stats before = mem::stats();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{64}, mem::max_small_size,
                        mem::max_small_size + 1, std::size_t{1} << 20})
    mem::deallocate(nullptr, n);
  mem::destroy(static_cast<std::uint64_t*>(nullptr));
  const mem::pool_stats after = mem::stats();
  REQUIRE(after.global_allocator_calls == before.global_allocator_calls);
  REQUIRE(after.local_frees == before.local_frees);
  REQUIRE(after.remote_frees == before.remote_frees);
  REQUIRE(after.live_blocks == before.live_blocks);
  REQUIRE(after.large_live == before.large_live);
}

TEST_CASE("large sizes go to the backing allocator, one counted call each way", "[pool]") {
  ensure_pool();
  for (std::size_t n : {mem::max_small_size + 1, std::size_t{10000}, std::size_t{1} << 20}) {
    const mem::pool_stats before = mem::stats();
    void* p = mem::allocate(n);
    REQUIRE(p != nullptr);
    REQUIRE(aligned(p));
    std::memset(p, 0xab, n);
    mem::pool_stats during = mem::stats();
    REQUIRE(during.global_allocator_calls == before.global_allocator_calls + 1);
    REQUIRE(during.large_live == before.large_live + 1);
    REQUIRE(during.large_allocations == before.large_allocations + 1);
    REQUIRE(during.live_blocks == before.live_blocks);  // not a pool block
    mem::deallocate(p, n);
    const mem::pool_stats after = mem::stats();
    REQUIRE(after.global_allocator_calls == before.global_allocator_calls + 2);
    REQUIRE(after.large_live == before.large_live);
  }
  // The largest class is still a pool block: once warm, no global call.
  mem::deallocate(mem::allocate(mem::max_small_size), mem::max_small_size);
  const std::uint64_t calls = mem::global_allocator_calls();
  mem::deallocate(mem::allocate(mem::max_small_size), mem::max_small_size);
  REQUIRE(mem::global_allocator_calls() == calls);
}

namespace {
struct counted {
  static inline int alive = 0;
  std::uint64_t a, b;
  counted(std::uint64_t x, std::uint64_t y) : a(x), b(y) { ++alive; }
  ~counted() { --alive; }
};
struct throws_on_build {
  char payload[100];
  explicit throws_on_build(int) { throw std::runtime_error("no"); }
};
}  // namespace

TEST_CASE("make and destroy construct and destruct in pool memory", "[pool]") {
  ensure_pool();
  const mem::pool_stats before = mem::stats();
  counted* c = mem::make<counted>(3u, 4u);
  REQUIRE(counted::alive == 1);
  REQUIRE(c->a == 3);
  REQUIRE(c->b == 4);
  REQUIRE(aligned(c));
  REQUIRE(mem::owner_pool_id(c) == mem::this_thread_pool_id());
  REQUIRE(mem::stats().live_blocks == before.live_blocks + 1);
  mem::destroy(c);
  REQUIRE(counted::alive == 0);
  REQUIRE(mem::stats().live_blocks == before.live_blocks);

  REQUIRE_THROWS_AS(mem::make<throws_on_build>(1), std::runtime_error);
  REQUIRE(mem::stats().live_blocks == before.live_blocks);
}

TEST_CASE("steady state makes zero calls into the global allocator", "[pool][steady]") {
  ensure_pool();
  constexpr std::size_t ring_size = 64;  // live blocks at any time, as a busy actor would hold
  // Warm-up: every class reaches ring_size live blocks once, so any mix of ring_size blocks fits.
  {
    std::vector<void*> warm;
    warm.reserve(ring_size);
    for (unsigned cls = 0; cls < mem::size_class_count; ++cls) {
      for (std::size_t i = 0; i < ring_size; ++i)
        warm.push_back(mem::allocate(mem::size_class_bytes(cls)));
      for (void* p : warm)
        mem::deallocate(p, mem::size_class_bytes(cls));
      warm.clear();
    }
  }
  std::vector<std::pair<void*, std::size_t>> ring(ring_size, {nullptr, 0});
  rng random(42);
  const int cycles = 1'000'000 / iteration_divisor;

  const mem::pool_stats before = mem::stats();
  const std::uint64_t news_before = operator_new_calls.load(std::memory_order_relaxed);
  for (int i = 0; i < cycles; ++i) {
    auto& [p, n] = ring[random.next() % ring_size];
    mem::deallocate(p, n);  // nullptr on the first visit of a slot
    n = random.small_size();
    p = mem::allocate(n);
    static_cast<volatile unsigned char*>(p)[0] = static_cast<unsigned char>(i);
  }
  const std::uint64_t news_after = operator_new_calls.load(std::memory_order_relaxed);
  const mem::pool_stats after = mem::stats();

  REQUIRE(after.global_allocator_calls == before.global_allocator_calls);
  REQUIRE(after.slabs == before.slabs);
  REQUIRE(news_after == news_before);
  REQUIRE(after.allocations == before.allocations + static_cast<std::uint64_t>(cycles));
  for (auto& [p, n] : ring)
    mem::deallocate(p, n);
  REQUIRE(mem::stats().live_blocks == before.live_blocks);
}

TEST_CASE("cross-thread free storm: blocks survive intact and come home", "[pool][threads]") {
  constexpr int producers = 4;
  constexpr int consumers = 4;
  constexpr std::size_t wave = 256;  // blocks a producer allocates before handing any over
  constexpr std::size_t batch = 32;  // blocks per queue item, to keep the queues' mutex cool
  const int waves = 200 / iteration_divisor;

  const mem::pool_stats baseline = mem::stats();
  std::vector<blocking_queue<std::vector<handed_block>>> queues(consumers);
  std::atomic<int> producers_sending{producers};
  std::atomic<std::uint64_t> corrupt{0};
  std::atomic<std::uint64_t> received{0};
  std::latch consumed(1);             // the main thread has checked the storm's aftermath
  std::latch second_wave(producers);  // producers have allocated their second first-wave
  std::vector<std::uintptr_t> consumer_pools(consumers, 1);

  std::vector<std::thread> threads;
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&, c] {
      while (std::optional<std::vector<handed_block>> items = queues[c].pop()) {
        for (const handed_block& h : *items) {
          // relaxed: tallies read after join.
          if (!holds(h.p, h.size, h.tag)) corrupt.fetch_add(1, std::memory_order_relaxed);
          mem::deallocate(h.p, h.size);
        }
        received.fetch_add(items->size(), std::memory_order_relaxed);
      }
      consumer_pools[c] = mem::this_thread_pool_id();  // freeing alone must not create a pool
    });
  }
  for (int t = 0; t < producers; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::size_t> first_wave_sizes;
      std::uint64_t seq = 0;
      rng random(1000 + t);
      for (int w = 0; w < waves; ++w) {
        std::vector<handed_block> blocks;
        blocks.reserve(wave);
        for (std::size_t i = 0; i < wave; ++i) {
          const std::size_t n = random.small_size();
          const std::uint64_t tag = (static_cast<std::uint64_t>(t) << 32) | seq++;
          void* p = mem::allocate(n);
          fill(p, n, tag);
          blocks.push_back({p, n, tag});
          if (w == 0) first_wave_sizes.push_back(n);
        }
        for (std::size_t i = 0; i < wave; i += batch) {
          queues[(i / batch + static_cast<std::size_t>(t)) % consumers].push(
              std::vector<handed_block>(blocks.begin() + static_cast<std::ptrdiff_t>(i),
                                        blocks.begin() + static_cast<std::ptrdiff_t>(i + batch)));
        }
      }
      // acq_rel: the last producer out closes the queues after every other producer's pushes.
      if (producers_sending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        for (auto& q : queues)
          q.close();
      }
      consumed.wait();
      // Everything this pool handed out was freed by other threads: the same demand again must be
      // met from the reclaimed remote lists, with no new slab.
      std::vector<std::pair<void*, std::size_t>> again;
      for (std::size_t n : first_wave_sizes)
        again.emplace_back(mem::allocate(n), n);
      second_wave.count_down();
      for (auto& [p, n] : again)
        mem::deallocate(p, n);
    });
  }

  // The consumers exit once the queues are closed and drained; the producers wait on `consumed`.
  for (int c = 0; c < consumers; ++c)
    threads[static_cast<std::size_t>(c)].join();
  const std::uint64_t handed = static_cast<std::uint64_t>(producers) * waves * wave;
  const mem::pool_stats storm = mem::stats();
  REQUIRE(corrupt.load() == 0);
  REQUIRE(received.load() == handed);
  REQUIRE(storm.live_blocks == baseline.live_blocks);
  REQUIRE(storm.remote_frees == baseline.remote_frees + handed);
  REQUIRE(storm.pools <= baseline.pools + producers);  // consumers never got one
  for (std::uintptr_t id : consumer_pools)
    REQUIRE(id == 0);
  consumed.count_down();

  second_wave.wait();
  const mem::pool_stats reused = mem::stats();
  for (std::size_t t = 0; t < threads.size(); ++t) {
    if (t >= consumers) threads[t].join();
  }
  REQUIRE(reused.slabs == storm.slabs);
  REQUIRE(reused.global_allocator_calls == storm.global_allocator_calls);
  REQUIRE(mem::stats().live_blocks == baseline.live_blocks);
}

TEST_CASE("an exited thread's blocks are freed later and its pool is adopted", "[pool][threads]") {
  ensure_pool();
  constexpr std::size_t count = 100;
  const mem::pool_stats baseline = mem::stats();
  std::vector<void*> blocks;
  std::uintptr_t exited_pool = 0;
  std::thread([&] {
    for (std::size_t i = 0; i < count; ++i) {
      void* p = mem::allocate(64);
      fill(p, 64, i);
      blocks.push_back(p);
    }
    exited_pool = mem::this_thread_pool_id();
  }).join();
  REQUIRE(exited_pool != 0);
  REQUIRE(exited_pool != mem::this_thread_pool_id());
  const mem::pool_stats exited = mem::stats();
  REQUIRE(exited.live_blocks == baseline.live_blocks + count);
  REQUIRE(exited.orphaned_pools >= 1);

  // The blocks outlive their thread, and go back to its (orphaned) pool as remote frees.
  for (std::size_t i = 0; i < count; ++i) {
    REQUIRE(holds(blocks[i], 64, i));
    REQUIRE(mem::owner_pool_id(blocks[i]) == exited_pool);
    mem::deallocate(blocks[i], 64);
  }
  const mem::pool_stats freed = mem::stats();
  REQUIRE(freed.live_blocks == baseline.live_blocks);
  REQUIRE(freed.remote_frees == baseline.remote_frees + count);

  // The next thread adopts the most recently orphaned pool of its node and, once the pool's local
  // list of the class is used up, gets back every block freed to it remotely, before carving any.
  std::uintptr_t adopted_pool = 0;
  std::size_t seen = 0;
  std::thread([&] {
    std::vector<void*> taken;
    std::sort(blocks.begin(), blocks.end());
    constexpr std::size_t enough = 100'000;  // far more than any earlier test leaves free
    while (seen < count && taken.size() < enough) {
      taken.push_back(mem::allocate(64));
      if (std::binary_search(blocks.begin(), blocks.end(), taken.back())) ++seen;
    }
    adopted_pool = mem::this_thread_pool_id();
    for (void* p : taken)
      mem::deallocate(p, 64);
  }).join();
  REQUIRE(adopted_pool == exited_pool);
  REQUIRE(seen == count);
  const mem::pool_stats after = mem::stats();
  REQUIRE(after.pools == exited.pools);
  REQUIRE(after.slabs == exited.slabs);
  REQUIRE(after.orphaned_pools == exited.orphaned_pools);
  REQUIRE(after.live_blocks == baseline.live_blocks);
}

TEST_CASE("adoption respects the NUMA node a thread is placed on", "[pool][threads][numa]") {
  // A topology override makes node 1 exist on any machine; the pool does not bind memory to a
  // virtual node, but keeps it in its own arena and its own orphans.
  ensure_pool();  // node 0's arena exists
  const auto run_on_node = [](int node) {
    std::uintptr_t id = 0;
    std::thread([&] {
      jaegis::sched::set_this_thread_node(node);
      mem::deallocate(mem::allocate(128), 128);
      id = mem::this_thread_pool_id();
    }).join();
    return id;
  };
  const std::uintptr_t on_node1 = run_on_node(1);
  const mem::pool_stats after_node1 = mem::stats();
#ifdef JAEGIS_TEST_JEMALLOC
  REQUIRE(after_node1.arenas >= 2);  // nodes 0 and 1 each got one
#else
  REQUIRE(after_node1.arenas == 0);
#endif
  const std::uintptr_t on_node0 = run_on_node(0);
  REQUIRE(on_node0 != on_node1);  // node 1's orphan was waiting, but node 0 does not take it
  REQUIRE(run_on_node(1) == on_node1);
}

TEST_CASE("threads come and go while others free their blocks", "[pool][threads]") {
  // Rounds of short-lived threads hand every block to one long-lived freer; each round's threads
  // adopt the pools of the round before, so the pool count stays at the threads alive at once.
  constexpr int threads_per_round = 4;
  const int rounds = 50 / iteration_divisor;
  constexpr std::size_t per_thread = 500;

  ensure_pool();
  const mem::pool_stats baseline = mem::stats();
  blocking_queue<std::vector<handed_block>> to_free;
  std::atomic<std::uint64_t> corrupt{0};
  std::thread freer([&] {
    while (std::optional<std::vector<handed_block>> items = to_free.pop()) {
      for (const handed_block& h : *items) {
        // relaxed: read after join.
        if (!holds(h.p, h.size, h.tag)) corrupt.fetch_add(1, std::memory_order_relaxed);
        mem::deallocate(h.p, h.size);
      }
    }
  });
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_per_round; ++t) {
      threads.emplace_back([&, round, t] {
        rng random(static_cast<std::uint64_t>(round * threads_per_round + t));
        std::vector<handed_block> blocks;
        for (std::size_t i = 0; i < per_thread; ++i) {
          const std::size_t n = random.small_size();
          const std::uint64_t tag = random.next();
          void* p = mem::allocate(n);
          fill(p, n, tag);
          blocks.push_back({p, n, tag});
          if (blocks.size() == 50) to_free.push(std::exchange(blocks, {}));
        }
        to_free.push(std::move(blocks));  // still alive when this thread exits
      });
    }
    for (auto& t : threads)
      t.join();
  }
  to_free.close();
  freer.join();
  const mem::pool_stats after = mem::stats();
  REQUIRE(corrupt.load() == 0);
  REQUIRE(after.live_blocks == baseline.live_blocks);
  REQUIRE(after.pools <= baseline.pools + threads_per_round);
}

#ifdef POOL_TEST_ASAN
TEST_CASE("free blocks are poisoned for AddressSanitizer, live ones are not", "[pool][asan]") {
  ensure_pool();
  for (std::size_t n : {std::size_t{24}, std::size_t{200}, mem::max_small_size}) {
    const std::size_t bytes = mem::size_class_bytes(mem::size_class_of(n));
    void* p = mem::allocate(n);
    const char* last =
        static_cast<char*>(p) + bytes - 1;  // char*, not for REQUIRE: Catch prints it as a string
    REQUIRE(__asan_region_is_poisoned(p, bytes) == nullptr);
    mem::deallocate(p, n);  // local free
    REQUIRE(__asan_address_is_poisoned(p));
    REQUIRE(__asan_address_is_poisoned(last));
    REQUIRE(mem::allocate(n) == p);
    REQUIRE(__asan_region_is_poisoned(p, bytes) == nullptr);
    std::thread([&] { mem::deallocate(p, n); }).join();  // remote free
    REQUIRE(__asan_address_is_poisoned(p));
    REQUIRE(__asan_address_is_poisoned(last));
    // The remote free comes home once the local list is drained, unpoisoned again.
    std::vector<void*> taken;
    while (taken.size() < 100'000 && (taken.empty() || taken.back() != p))
      taken.push_back(mem::allocate(n));
    REQUIRE(taken.back() == p);
    REQUIRE(__asan_region_is_poisoned(p, bytes) == nullptr);
    for (void* t : taken)
      mem::deallocate(t, n);
  }
}
#endif
