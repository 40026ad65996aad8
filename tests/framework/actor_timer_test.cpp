#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>

#include "actor_test_support.hpp"
#include "jaegis/framework/pool.hpp"

using namespace jaegis;
using namespace jaegis::test;
using clock_type = std::chrono::steady_clock;

namespace {

struct tick {};
struct arm {
  std::chrono::milliseconds delay;
};

struct clockwork : actor<clockwork, tick, arm> {
  explicit clockwork(std::atomic<int>* t) : ticks(t) {}
  void on(tick&) { ticks->fetch_add(1); }
  void on(arm& a) { delayed_send(self(), a.delay, tick{}); }  // an actor timing itself
  std::atomic<int>* ticks;
};

}  // namespace

TEST_CASE("a delayed send arrives, and never before its delay", "[timer]") {
  actor_system sys(quiet_config());
  std::atomic<int> ticks{0};
  auto c = sys.spawn<clockwork>(&ticks);
  const auto start = clock_type::now();
  delayed_send(c, std::chrono::milliseconds(30), tick{});
  REQUIRE(eventually([&] { return ticks.load() == 1; }));
  CHECK(clock_type::now() - start >= std::chrono::milliseconds(30));
  c.send(arm{std::chrono::milliseconds(5)});
  REQUIRE(eventually([&] { return ticks.load() == 2; }));
}

TEST_CASE("a cancelled delayed send never arrives", "[timer]") {
  actor_system sys(quiet_config());
  std::atomic<int> ticks{0};
  auto c = sys.spawn<clockwork>(&ticks);
  auto handle = delayed_send(c, std::chrono::milliseconds(50), tick{});
  CHECK(handle.cancel());
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  CHECK(ticks.load() == 0);
}

TEST_CASE("a periodic send repeats until cancelled", "[timer]") {
  actor_system sys(quiet_config());
  std::atomic<int> ticks{0};
  auto c = sys.spawn<clockwork>(&ticks);
  auto handle = periodic_send(c, std::chrono::milliseconds(2), tick{});
  REQUIRE(eventually([&] { return ticks.load() >= 5; }));
  CHECK(handle.cancel());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a fire in flight may land
  const int after_cancel = ticks.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(ticks.load() == after_cancel);
  CHECK_THROWS_AS(periodic_send(c, std::chrono::milliseconds(0), tick{}), std::invalid_argument);
}

TEST_CASE("a periodic send stops by itself when its target stops", "[timer]") {
  struct stopper : actor<stopper, tick> {
    explicit stopper(std::atomic<int>* t) : ticks(t) {}
    void on(tick&) {
      if (ticks->fetch_add(1) == 2) quit();
    }
    std::atomic<int>* ticks;
  };
  actor_system sys(quiet_config());
  std::atomic<int> ticks{0};
  {
    auto s = sys.spawn<stopper>(&ticks);
    (void)periodic_send(s, std::chrono::milliseconds(1), tick{});  // handle dropped: keeps going
  }
  // The timer held the last reference: once it noticed the stop, the cell is freed.
  REQUIRE(eventually([&] { return sys.live_cells() == 0; }));
  CHECK(ticks.load() >= 3);
}

TEST_CASE("10^6 pending delayed sends are cheap and released at shutdown", "[timer][leak]") {
  const std::uint64_t blocks_before = mem::stats().live_blocks;
  {
    actor_system sys(quiet_config());
    std::atomic<int> ticks{0};
    auto c = sys.spawn<clockwork>(&ticks);
    for (std::size_t i = 0; i < scaled(1'000'000); ++i) {
      delayed_send(c, std::chrono::hours(1), tick{});
    }
    c.reset();
    sys.shutdown();
    CHECK(ticks.load() == 0);
    CHECK(sys.live_cells() == 0);
  }
  CHECK(mem::stats().live_blocks == blocks_before);
}

TEST_CASE("a coroutine waiting on a request does not block other messages", "[coroutine]") {
  struct slow_query {};
  struct slow : actor<slow, slow_query> {
    int on(slow_query&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return 7;
    }
  };
  struct start {};
  struct user : actor<user, start, tick> {
    user(ref<slow> s, std::atomic<int>* t, std::atomic<int>* r)
        : peer(std::move(s)), ticks(t), res(r) {}
    task<> on(start&) {
      result<int> r = co_await request(peer, slow_query{}, std::chrono::seconds(5));
      res->store(r ? r.value() : -1);
    }
    void on(tick&) {
      if (res->load() == 0) ticks->fetch_add(1);  // handled while the coroutine waits
    }
    ref<slow> peer;
    std::atomic<int>* ticks;
    std::atomic<int>* res;
  };
  actor_system sys(quiet_config());
  std::atomic<int> ticks{0}, res{0};
  auto s = sys.spawn<slow>();
  auto u = sys.spawn<user>(s, &ticks, &res);
  u.send(start{});
  for (int i = 0; i < 10; ++i)
    u.send(tick{});
  REQUIRE(eventually([&] { return res.load() != 0; }));
  CHECK(res.load() == 7);
  CHECK(ticks.load() == 10);
}
