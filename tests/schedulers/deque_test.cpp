#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "jaegis/schedulers/chase_lev_deque.hpp"
#include "test_support.hpp"

using jaegis::sched::chase_lev_deque;

TEST_CASE("owner pops LIFO, thieves steal FIFO", "[deque]") {
  int items[4] = {0, 1, 2, 3};
  chase_lev_deque<int> d(8);
  for (int& i : items)
    REQUIRE(d.push(&i));
  CHECK(d.size() == 4);
  CHECK(d.pop() == &items[3]);
  CHECK(d.steal().item == &items[0]);
  CHECK(d.pop() == &items[2]);
  CHECK(d.steal().item == &items[1]);
  CHECK(d.pop() == nullptr);
  const auto empty = d.steal();
  CHECK(empty.item == nullptr);
  CHECK_FALSE(empty.contended);
  CHECK(d.empty());
}

TEST_CASE("capacity rounds up to a power of two and a full deque refuses", "[deque]") {
  chase_lev_deque<int> d(5);
  REQUIRE(d.capacity() == 8);
  std::vector<int> items(9);
  for (int i = 0; i < 8; ++i)
    REQUIRE(d.push(&items[i]));
  CHECK_FALSE(d.push(&items[8]));
  CHECK(d.steal().item == &items[0]);
  CHECK(d.push(&items[8]));  // the freed slot is reused
  for (int i = 8; i >= 1; --i)
    CHECK(d.pop() == &items[i]);
  CHECK(d.pop() == nullptr);
}

TEST_CASE("wrap-around keeps order over many cycles", "[deque]") {
  chase_lev_deque<int> d(4);
  std::vector<int> items(1000);
  for (std::size_t i = 0; i + 2 < items.size(); i += 3) {
    REQUIRE(d.push(&items[i]));
    REQUIRE(d.push(&items[i + 1]));
    REQUIRE(d.push(&items[i + 2]));
    CHECK(d.steal().item == &items[i]);
    CHECK(d.pop() == &items[i + 2]);
    CHECK(d.pop() == &items[i + 1]);
  }
  CHECK(d.empty());
}

TEST_CASE("1 owner and N thieves: every item is taken exactly once", "[deque][stress]") {
  // The owner pushes and pops; thieves steal; 10^7 items in all pass through a small deque, so
  // the ring wraps constantly and the last-item race between pop and steal happens often.
  const std::size_t total = jaegis::test::scaled(10'000'000);
  const unsigned thieves = GENERATE(1u, 3u);
  std::vector<std::uint32_t> ids(total);
  std::vector<std::atomic<std::uint8_t>> taken(total);
  for (std::size_t i = 0; i < total; ++i)
    ids[i] = static_cast<std::uint32_t>(i);
  chase_lev_deque<std::uint32_t> d(256);
  std::atomic<bool> done{false};
  std::atomic<std::size_t> stolen{0};

  auto take = [&](std::uint32_t* item) {
    // relaxed: the flag is checked only after the threads are joined.
    taken[*item].fetch_add(1, std::memory_order_relaxed);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < thieves; ++t) {
    pool.emplace_back([&] {
      std::size_t mine = 0;
      // acquire: after `done`, one last sweep sees everything the owner left.
      while (!done.load(std::memory_order_acquire) || !d.empty()) {
        if (auto r = d.steal(); r.item != nullptr) {
          take(r.item);
          ++mine;
        }
      }
      stolen.fetch_add(mine, std::memory_order_relaxed);  // relaxed: read after join
    });
  }
  std::size_t popped = 0;
  std::size_t next = 0;
  std::uint64_t rng = 42;
  while (next < total) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    const unsigned pushes = 1 + static_cast<unsigned>((rng >> 33) % 8);
    for (unsigned p = 0; p < pushes && next < total; ++p) {
      if (!d.push(&ids[next])) break;
      ++next;
    }
    const unsigned pops = static_cast<unsigned>((rng >> 40) % 8);
    for (unsigned p = 0; p < pops; ++p) {
      if (std::uint32_t* item = d.pop()) {
        take(item);
        ++popped;
      }
    }
  }
  while (std::uint32_t* item = d.pop()) {
    take(item);
    ++popped;
  }
  done.store(true, std::memory_order_release);  // release: pairs with the thieves' acquire
  for (auto& t : pool)
    t.join();

  std::size_t wrong = 0;
  for (std::size_t i = 0; i < total; ++i)
    wrong += taken[i].load(std::memory_order_relaxed) != 1;
  CHECK(wrong == 0);
  CHECK(popped + stolen.load() == total);
  CHECK(stolen.load() > 0);
}
