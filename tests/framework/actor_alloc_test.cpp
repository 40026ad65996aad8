// Proves that the steady-state message path makes no call into the global allocator: neither
// through the pools (their counter) nor through operator new (counted here by replacing it).
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "actor_test_support.hpp"
#include "jaegis/framework/pool.hpp"

namespace {
std::atomic<std::uint64_t> news{0};

[[maybe_unused]] void* counted_malloc(std::size_t size) {
  news.fetch_add(1, std::memory_order_relaxed);  // relaxed: a counter read after joins/waits
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

// Sanitizer builds keep their own operator new (it checks new/delete pairing); the pool counter
// below still proves the point there.
#ifndef JAEGIS_SANITIZED
void* operator new(std::size_t size) {
  return counted_malloc(size);
}
void* operator new[](std::size_t size) {
  return counted_malloc(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
#endif

using namespace jaegis;
using namespace jaegis::test;

namespace {

struct ball {
  std::uint64_t hops;
};

struct player : actor<player, ball, actor_ref> {
  explicit player(std::atomic<std::uint64_t>* h) : hops(h) {}
  void on(actor_ref& p) { partner = p; }
  void on(ball& b) {
    hops->store(b.hops, std::memory_order_release);  // release: the test reads it
    if (b.hops > 0) partner.send(ball{b.hops - 1});
  }
  actor_ref partner;
  std::atomic<std::uint64_t>* hops;
};

}  // namespace

TEST_CASE("the steady-state send/receive path allocates nothing", "[alloc]") {
  actor_system sys(quiet_config());
  std::atomic<std::uint64_t> hops_a{1}, hops_b{1};
  auto a = sys.spawn<player>(&hops_a);
  auto b = sys.spawn<player>(&hops_b);
  a.send(actor_ref(b));
  b.send(actor_ref(a));
  // Warm up until every thread's pool has reached its working set: a round of 20000 hops that
  // needs no new slab. (Until then a block freed remotely may not be back when its owner next
  // allocates, and the owner carves a new one; the set of blocks in circulation grows to cover
  // that race once, then stays.)
  for (int round = 0; round < 50; ++round) {
    const std::uint64_t calls = mem::global_allocator_calls();
    hops_a = 1;
    hops_b = 1;
    a.send(ball{20000});
    REQUIRE(eventually([&] { return hops_a.load() == 0 || hops_b.load() == 0; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (mem::global_allocator_calls() == calls) break;
  }

  const std::uint64_t pool_calls = mem::global_allocator_calls();
  const std::uint64_t news_before = news.load();
  hops_a = 1;
  hops_b = 1;
  a.send(ball{200000});  // 2 * 10^5 messages between two workers
  REQUIRE(eventually([&] { return hops_a.load() == 0 || hops_b.load() == 0; }));
  const std::uint64_t pool_calls_after = mem::global_allocator_calls();
  const std::uint64_t news_after = news.load();
  // The one outside send above goes through the calling thread's pool, already warm.
  CHECK(pool_calls_after == pool_calls);
  CHECK(news_after == news_before);
}
