// Tests of the timing wheel (single-threaded, checked against a reference model) and of the timer
// service (one-shot, periodic, cancel racing fire, concurrent schedules, stop, idle CPU).
//
// Service tests assert "not before the deadline" and "eventually", never an upper bound on time:
// a wait below loops until its condition holds, and CTest's per-test timeout catches a hang.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <jaegis/framework/timer_service.hpp>
#include <jaegis/framework/timer_wheel.hpp>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "test_support.hpp"

namespace {

using jaegis::timers::timer_handle;
using jaegis::timers::timer_node;
using jaegis::timers::timer_service;
using jaegis::timers::timer_wheel;
using jaegis::timers::wheel_node;
using clock_type = timer_service::clock;
using namespace std::chrono_literals;

using jaegis::test::scaled;  // fewer iterations in sanitizer builds (test_support.hpp)

constexpr std::uint64_t span = timer_wheel::span;

// ---------------------------------------------------------------------------------------------
// timer_wheel
// ---------------------------------------------------------------------------------------------

struct wnode : wheel_node {
  std::uint32_t id = 0;
};

/// Advances `wheel` to `now`, returning the nodes fired, in order.
std::vector<wnode*> advance(timer_wheel& wheel, std::uint64_t now) {
  std::vector<wnode*> fired;
  wheel.advance(now, [&](wheel_node* n) noexcept {
    fired.push_back(static_cast<wnode*>(n));  // reserve() below keeps this from throwing
  });
  return fired;
}

TEST_CASE("timer_wheel: an empty wheel fires nothing and has no deadline", "[timer_wheel]") {
  timer_wheel wheel;
  CHECK(wheel.empty());
  CHECK(wheel.next_deadline() == timer_wheel::never);
  CHECK(advance(wheel, 1000).empty());
  CHECK(wheel.now() == 1000);
  CHECK(wheel.next_deadline() == timer_wheel::never);
}

TEST_CASE("timer_wheel: a node fires at its deadline tick, not before", "[timer_wheel]") {
  timer_wheel wheel;
  wnode n;
  wheel.insert(&n, 5);
  CHECK(n.linked());
  CHECK(wheel.size() == 1);
  CHECK(wheel.next_deadline() == 5);
  CHECK(advance(wheel, 4).empty());
  CHECK(wheel.next_deadline() == 5);
  const auto fired = advance(wheel, 5);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0] == &n);
  CHECK_FALSE(n.linked());
  CHECK(wheel.empty());
  CHECK_FALSE(wheel.cancel(&n));  // already fired
}

TEST_CASE("timer_wheel: deadlines on every level boundary fire exactly on time", "[timer_wheel]") {
  std::vector<std::uint64_t> deadlines;
  for (unsigned level = 0; level <= timer_wheel::levels + 2; ++level) {
    const std::uint64_t edge = std::uint64_t{1} << (level * timer_wheel::slot_bits);
    for (const std::int64_t off : {-1, 0, 1})
      deadlines.push_back(edge + static_cast<std::uint64_t>(off));
  }
  deadlines.push_back(span * 3 + 12345);
  for (const std::uint64_t d : deadlines) {
    if (d == 0) continue;
    INFO("deadline " << d);
    {  // one jump to the tick before, then one tick
      timer_wheel wheel;
      wnode n;
      wheel.insert(&n, d);
      // From now() = 0 the bound is exact within the levels; beyond them it is the next span.
      CHECK(wheel.next_deadline() == (d < span ? d : span));
      CHECK(advance(wheel, d - 1).empty());
      CHECK(wheel.next_deadline() == d);  // exact once the node has cascaded as far as it can
      CHECK(advance(wheel, d).size() == 1);
      CHECK(wheel.empty());
    }
    if (d < 4 * span) {  // following next_deadline() jump by jump
      timer_wheel wheel;
      wnode n;
      wheel.insert(&n, d);
      std::size_t jumps = 0;
      std::size_t fired = 0;
      while (fired == 0) {
        const std::uint64_t next = wheel.next_deadline();
        REQUIRE(next <= d);  // never late
        fired = advance(wheel, next).size();
        CHECK(wheel.now() == next);
        ++jumps;
        REQUIRE(jumps <= 5);  // one per span crossed, then the exact deadline
      }
      CHECK(wheel.now() == d);
    }
  }
}

TEST_CASE("timer_wheel: far deadlines wait in the overflow list and are never early",
          "[timer_wheel]") {
  SECTION("from the last tick of a span, the next tick is in the next span") {
    timer_wheel wheel(span - 1);
    wnode a;
    wnode b;
    wheel.insert(&a, span);
    wheel.insert(&b, span + 70);
    CHECK(wheel.next_deadline() == span);
    auto fired = advance(wheel, span);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0] == &a);
    CHECK(wheel.next_deadline() == span + 70);
    CHECK(advance(wheel, span + 69).empty());
    CHECK(advance(wheel, span + 70).size() == 1);
  }
  SECTION("several spans ahead") {
    timer_wheel wheel;
    wnode n;
    const std::uint64_t d = 5 * span + 777;
    wheel.insert(&n, d);
    for (std::uint64_t s = 1; s <= 5; ++s) {
      CHECK(advance(wheel, s * span).empty());
      CHECK(wheel.size() == 1);
    }
    CHECK(advance(wheel, d - 1).empty());
    CHECK(advance(wheel, d).size() == 1);
  }
  SECTION("one huge jump fires far nodes in deadline order") {
    timer_wheel wheel;
    std::vector<wnode> nodes(6);
    const std::uint64_t ds[] = {9 * span, 2 * span + 1, 3, span - 1, 64, 2 * span};
    for (std::size_t i = 0; i < nodes.size(); ++i)
      wheel.insert(&nodes[i], ds[i]);
    const auto fired = advance(wheel, 10 * span);
    REQUIRE(fired.size() == nodes.size());
    for (std::size_t i = 1; i < fired.size(); ++i) {
      CHECK(fired[i - 1]->deadline() <= fired[i]->deadline());
    }
  }
}

TEST_CASE("timer_wheel: deadlines in the past fire on the next advance", "[timer_wheel]") {
  timer_wheel wheel(1000);
  wnode a;
  wnode b;
  wnode c;
  wheel.insert(&a, 1000);  // now() itself counts as past: it has been handed out already
  wheel.insert(&b, 3);
  wheel.insert(&c, 1001);
  CHECK(wheel.next_deadline() == 1000);
  auto fired = advance(wheel, 1000);  // same tick: the overdue nodes still fire
  REQUIRE(fired.size() == 2);
  CHECK(fired[0] == &a);  // overdue nodes go first, in insertion order
  CHECK(fired[1] == &b);
  CHECK(wheel.next_deadline() == 1001);
  fired = advance(wheel, 5000);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0] == &c);
}

TEST_CASE("timer_wheel: equal deadlines fire in insertion order across levels", "[timer_wheel]") {
  timer_wheel wheel;
  const std::uint64_t d = 3 * 4096 + 5 * 64 + 7;  // level 2 from now() = 0
  std::vector<wnode> nodes(6);
  wheel.insert(&nodes[0], d);
  CHECK(advance(wheel, 3 * 4096 + 1).empty());  // nodes[0] cascades to level 1
  wheel.insert(&nodes[1], d);
  CHECK(advance(wheel, d - 10).empty());  // to level 0
  wheel.insert(&nodes[2], d);
  wheel.insert(&nodes[3], d + 1);
  wheel.insert(&nodes[4], d - 1);
  wheel.insert(&nodes[5], d);
  const auto fired = advance(wheel, d + 100);
  REQUIRE(fired.size() == 6);
  CHECK(fired[0] == &nodes[4]);
  CHECK(fired[1] == &nodes[0]);
  CHECK(fired[2] == &nodes[1]);
  CHECK(fired[3] == &nodes[2]);
  CHECK(fired[4] == &nodes[5]);
  CHECK(fired[5] == &nodes[3]);
}

TEST_CASE("timer_wheel: cancel is O(1), keeps bookkeeping exact, and works from callbacks",
          "[timer_wheel]") {
  timer_wheel wheel;
  std::vector<wnode> nodes(4);
  wheel.insert(&nodes[0], 10);
  wheel.insert(&nodes[1], 10);
  wheel.insert(&nodes[2], 5000);
  wheel.insert(&nodes[3], 2 * span);
  CHECK(wheel.size() == 4);
  CHECK(wheel.cancel(&nodes[3]));
  CHECK_FALSE(wheel.cancel(&nodes[3]));
  CHECK(wheel.size() == 3);

  SECTION("cancelling the only node of a slot clears its occupancy") {
    CHECK(wheel.cancel(&nodes[2]));
    CHECK(wheel.cancel(&nodes[0]));
    CHECK(wheel.cancel(&nodes[1]));
    CHECK(wheel.next_deadline() == timer_wheel::never);
    CHECK(advance(wheel, 10 * span).empty());
  }
  SECTION("a callback cancels a node of the same slot and one further out") {
    std::vector<wnode*> fired;
    bool cancelled_sibling = false;
    bool cancelled_far = false;
    wheel.advance(6000, [&](wheel_node* n) noexcept {
      fired.push_back(static_cast<wnode*>(n));
      if (n == &nodes[0]) {
        cancelled_sibling = wheel.cancel(&nodes[1]);
        cancelled_far = wheel.cancel(&nodes[2]);
      }
    });
    CHECK(cancelled_sibling);
    CHECK(cancelled_far);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0] == &nodes[0]);
    CHECK(wheel.empty());
    CHECK(wheel.next_deadline() == timer_wheel::never);
  }
}

TEST_CASE("timer_wheel: a callback may re-insert its node (periodic) without looping forever",
          "[timer_wheel]") {
  timer_wheel wheel;
  wnode n;
  std::vector<std::uint64_t> fired_at;
  fired_at.reserve(200);
  wheel.insert(&n, 10);
  wheel.advance(1000, [&](wheel_node* node) noexcept {
    fired_at.push_back(node->deadline());
    wheel.insert(node, node->deadline() + 10);  // lands in (now(), 1000]: fires in this advance
  });
  REQUIRE(fired_at.size() == 100);
  for (std::size_t i = 0; i < fired_at.size(); ++i)
    CHECK(fired_at[i] == 10 * (i + 1));
  CHECK(wheel.next_deadline() == 1010);

  // Re-inserting into the past only queues for the next advance.
  std::size_t calls = 0;
  wheel.advance(1010, [&](wheel_node* node) noexcept {
    ++calls;
    wheel.insert(node, 0);
  });
  CHECK(calls == 1);
  CHECK(wheel.next_deadline() == 1010);
  CHECK(advance(wheel, 1010).size() == 1);
}

TEST_CASE("timer_wheel: clear() unlinks every node", "[timer_wheel]") {
  timer_wheel wheel(100);
  std::vector<wnode> nodes(5);
  const std::uint64_t ds[] = {50, 101, 200, 100000, 3 * span};
  for (std::size_t i = 0; i < nodes.size(); ++i)
    wheel.insert(&nodes[i], ds[i]);
  std::size_t seen = 0;
  CHECK(wheel.clear([&](wheel_node*) noexcept { ++seen; }) == 5);
  CHECK(seen == 5);
  CHECK(wheel.empty());
  for (auto& n : nodes)
    CHECK_FALSE(n.linked());
  CHECK(wheel.next_deadline() == timer_wheel::never);
  wheel.insert(&nodes[0], 150);  // still usable
  CHECK(advance(wheel, 150).size() == 1);
}

TEST_CASE("timer_wheel: matches a reference model under random operations", "[timer_wheel]") {
  std::mt19937_64 rng(0x7133e5);
  constexpr std::size_t node_count = 2048;
  const std::size_t rounds = scaled(200000);
  auto nodes = std::make_unique<wnode[]>(node_count);
  struct model {
    bool pending = false;
    bool overdue = false;  // deadline <= now() when inserted
    std::uint64_t seq = 0;
  };
  std::vector<model> m(node_count);
  for (std::uint32_t i = 0; i < node_count; ++i)
    nodes[i].id = i;
  std::uint64_t seq = 0;
  std::size_t pending = 0;
  std::size_t total_fired = 0;
  timer_wheel wheel(rng() % span);  // an arbitrary phase within a span

  // A deadline offset whose magnitude spans every level and the overflow.
  auto random_delta = [&] { return rng() % (std::uint64_t{1} << (rng() % 40)); };

  for (std::size_t round = 0; round < rounds; ++round) {
    const auto op = rng() % 100;
    if (op < 50) {
      const auto i = static_cast<std::uint32_t>(rng() % node_count);
      if (m[i].pending) continue;
      std::uint64_t d;
      if (rng() % 10 == 0) {
        const std::uint64_t back = rng() % 100;
        d = wheel.now() > back ? wheel.now() - back : 0;
      } else {
        d = wheel.now() + 1 + random_delta();
      }
      m[i] = {true, d <= wheel.now(), seq++};
      wheel.insert(&nodes[i], d);
      ++pending;
    } else if (op < 70) {
      const auto i = static_cast<std::uint32_t>(rng() % node_count);
      REQUIRE(wheel.cancel(&nodes[i]) == m[i].pending);
      if (m[i].pending) --pending;
      m[i].pending = false;
    } else {
      const std::uint64_t before = wheel.next_deadline();
      const bool to_next = rng() % 4 == 0 && before != timer_wheel::never;
      const std::uint64_t now = to_next ? before : wheel.now() + random_delta();
      const std::uint64_t horizon = std::max(now, wheel.now());
      // Expected: overdue nodes by insertion, then by (deadline, insertion).
      std::vector<std::tuple<int, std::uint64_t, std::uint64_t, std::uint32_t>> expected;
      for (std::uint32_t i = 0; i < node_count; ++i) {
        if (!m[i].pending || nodes[i].deadline() > horizon) continue;
        expected.emplace_back(m[i].overdue ? 0 : 1, m[i].overdue ? 0 : nodes[i].deadline(),
                              m[i].seq, i);
      }
      std::sort(expected.begin(), expected.end());
      std::vector<wnode*> fired;
      fired.reserve(node_count);
      wheel.advance(now, [&](wheel_node* n) noexcept { fired.push_back(static_cast<wnode*>(n)); });
      REQUIRE(fired.size() == expected.size());
      for (std::size_t k = 0; k < fired.size(); ++k) {
        REQUIRE(fired[k]->id == std::get<3>(expected[k]));
        m[fired[k]->id].pending = false;
      }
      pending -= fired.size();
      total_fired += fired.size();
      REQUIRE(wheel.now() == horizon);
      if (to_next) {
        // Progress: advancing to next_deadline() fires something or moves the bound forward.
        REQUIRE((!fired.empty() || wheel.next_deadline() > before));
      }
    }
    REQUIRE(wheel.size() == pending);
    const std::uint64_t next = wheel.next_deadline();
    if (pending == 0) {
      REQUIRE(next == timer_wheel::never);
    } else {
      std::uint64_t least = timer_wheel::never;
      for (std::uint32_t i = 0; i < node_count; ++i) {
        if (m[i].pending) least = std::min(least, m[i].overdue ? wheel.now() : nodes[i].deadline());
      }
      REQUIRE(next <= least);  // never late
      REQUIRE(next >= wheel.now());
    }
  }
  CHECK(total_fired > rounds / 10);  // the model exercised firing, not only inserts and cancels
}

TEST_CASE("timer_wheel: 10^6 timers, all cancelled or all fired, counted exactly",
          "[timer_wheel]") {
  const std::size_t count = scaled(1'000'000);
  auto nodes = std::make_unique<wnode[]>(count);
  std::mt19937_64 rng(42);
  timer_wheel wheel;
  // Deadlines up to 2^30 ticks: every level but the top, plus some overflow.
  auto deadline = [&] {
    return rng() % 64 == 0 ? span + rng() % span : 1 + rng() % (std::uint64_t{1} << 30);
  };

  SECTION("all cancelled") {
    for (std::size_t i = 0; i < count; ++i)
      wheel.insert(&nodes[i], deadline());
    REQUIRE(wheel.size() == count);
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    std::size_t cancelled = 0;
    for (const std::size_t i : order)
      cancelled += wheel.cancel(&nodes[i]) ? 1 : 0;
    CHECK(cancelled == count);
    CHECK(wheel.empty());
    CHECK(wheel.next_deadline() == timer_wheel::never);
    CHECK(advance(wheel, 4 * span).empty());
  }
  SECTION("all fired, in deadline order, none early") {
    for (std::size_t i = 0; i < count; ++i) {
      nodes[i].id = 0;
      wheel.insert(&nodes[i], deadline());
    }
    std::size_t fired = 0;
    std::uint64_t last = 0;
    bool ordered = true;
    bool early = false;
    std::uint64_t now = 0;
    while (!wheel.empty()) {
      now += 1 + rng() % (std::uint64_t{1} << 24);
      wheel.advance(now, [&](wheel_node* n) noexcept {
        ordered = ordered && n->deadline() >= last;
        early = early || n->deadline() > now;
        last = n->deadline();
        ++static_cast<wnode*>(n)->id;
        ++fired;
      });
    }
    CHECK(fired == count);
    CHECK(ordered);
    CHECK_FALSE(early);
    std::size_t once = 0;
    for (std::size_t i = 0; i < count; ++i)
      once += nodes[i].id == 1 ? 1 : 0;
    CHECK(once == count);
  }
}

// ---------------------------------------------------------------------------------------------
// timer_service
// ---------------------------------------------------------------------------------------------

/// Waits until `done()` holds; a hang fails the test instead of blocking it.
template <class Pred>
void eventually(Pred done) {
  REQUIRE(jaegis::test::eventually(done));
}

/// A timer that records what happened to it. Fields other than the atomics are written on the
/// timer thread before `fires` is incremented (release) and read after it is read (acquire).
struct probe : timer_node {
  probe() : timer_node(&probe::on_fire, &probe::on_release) {}

  static void on_fire(timer_node* n) noexcept {
    auto* p = static_cast<probe*>(n);
    const auto now = clock_type::now();
    if (p->times != nullptr && p->times->size() < p->times->capacity()) p->times->push_back(now);
    if (p->log != nullptr && p->log->size() < p->log->capacity()) p->log->push_back(p->id);
    p->first_fire = p->fires.load(std::memory_order_relaxed) == 0 ? now : p->first_fire;
    p->fires.fetch_add(1, std::memory_order_release);
    if (p->hook) p->hook(p);
  }
  static void on_release(timer_node* n) noexcept {
    static_cast<probe*>(n)->releases.fetch_add(1, std::memory_order_release);
  }

  std::uint32_t id = 0;
  clock_type::time_point due{};
  clock_type::time_point first_fire{};
  std::vector<clock_type::time_point>* times = nullptr;
  std::vector<std::uint32_t>* log = nullptr;
  void (*hook)(probe*) noexcept = nullptr;
  timer_service* service = nullptr;
  probe* next = nullptr;
  std::atomic<int> fires{0};
  std::atomic<int> releases{0};
};

int fires(const probe& p) {
  return p.fires.load(std::memory_order_acquire);
}
int releases(const probe& p) {
  return p.releases.load(std::memory_order_acquire);
}

TEST_CASE("timer_service: a one-shot timer fires once, not before its deadline",
          "[timer_service]") {
  timer_service service;
  std::vector<probe> probes(6);
  const std::chrono::milliseconds delays[] = {0ms, 1ms, 2ms, 7ms, 20ms, 50ms};
  for (std::size_t i = 0; i < probes.size(); ++i) {
    probes[i].due = clock_type::now() + delays[i];
    REQUIRE(service.schedule(&probes[i], probes[i].due));
  }
  for (auto& p : probes) {
    eventually([&] { return releases(p) == 1; });
    CHECK(fires(p) == 1);
    CHECK(p.first_fire >= p.due);
  }
  std::this_thread::sleep_for(30ms);  // nothing fires twice
  for (auto& p : probes) {
    CHECK(fires(p) == 1);
    CHECK(releases(p) == 1);
  }
  CHECK(service.stop() == 0);
  CHECK(service.stats().fired == probes.size());  // exact once stopped (published each round)
}

TEST_CASE("timer_service: a deadline in the past fires promptly", "[timer_service]") {
  timer_service service;
  probe far;
  REQUIRE(service.schedule(&far, clock_type::now() + 1h));  // the thread now sleeps for an hour
  std::this_thread::sleep_for(10ms);
  probe past;
  REQUIRE(service.schedule(&past, clock_type::now() - 1s));
  eventually([&] { return fires(past) == 1; });
  probe min;
  REQUIRE(service.schedule(&min, clock_type::time_point::min()));
  eventually([&] { return fires(min) == 1; });
  CHECK(service.stop() == 1);
  CHECK(fires(far) == 0);
  CHECK(releases(far) == 1);
}

TEST_CASE("timer_service: an earlier deadline wakes a sleeping timer thread", "[timer_service]") {
  timer_service service;
  probe far;
  REQUIRE(service.schedule(&far, clock_type::time_point::max()));
  std::this_thread::sleep_for(20ms);  // the thread is asleep without a timeout by now
  probe near;
  near.due = clock_type::now() + 5ms;
  REQUIRE(service.schedule(&near, near.due));
  eventually([&] { return fires(near) == 1; });
  CHECK(near.first_fire >= near.due);
  CHECK(fires(far) == 0);
  CHECK(service.stop() == 1);  // the far one
}

TEST_CASE("timer_service: a periodic timer fires at due + k * period until cancelled",
          "[timer_service]") {
  timer_service service;
  probe p;
  std::vector<clock_type::time_point> times;
  times.reserve(10000);
  p.times = &times;
  p.due = clock_type::now() + 3ms;
  const auto period = 4ms;
  timer_handle handle = service.schedule_cancellable(&p, p.due, period);
  REQUIRE(handle);
  eventually([&] { return fires(p) >= 5; });
  CHECK(handle.cancel());
  CHECK_FALSE(handle.cancel());
  const int at_cancel = fires(p);
  handle.reset();
  eventually([&] { return releases(p) == 1; });
  // One fire may have been running while cancel() ran; none starts after it returned.
  CHECK(fires(p) <= at_cancel + 1);
  const int settled = fires(p);
  std::this_thread::sleep_for(20ms);
  CHECK(fires(p) == settled);
  REQUIRE(times.size() == static_cast<std::size_t>(settled));
  for (std::size_t k = 0; k < times.size(); ++k) {
    INFO("fire " << k);
    CHECK(times[k] >= p.due + k * period);  // fixed rate: never early, later only if late
  }
}

TEST_CASE("timer_service: a periodic timer may cancel itself from fire()", "[timer_service]") {
  timer_service service;
  probe p;
  p.service = &service;
  p.hook = [](probe* self) noexcept {
    if (self->fires.load(std::memory_order_relaxed) == 3) {
      // Safe without a handle: the service holds its reference until fire() returns.
      self->id = self->service->cancel(self) ? 1 : 2;
    }
  };
  REQUIRE(service.schedule(&p, clock_type::now(), 1ms));
  eventually([&] { return releases(p) == 1; });
  CHECK(fires(p) == 3);
  CHECK(p.id == 1);
}

TEST_CASE("timer_service: a handle outlives its timer safely", "[timer_service]") {
  timer_service service;
  probe p;
  timer_handle handle = service.schedule_cancellable(&p, clock_type::now());
  eventually([&] { return fires(p) == 1; });
  std::this_thread::sleep_for(5ms);
  CHECK(releases(p) == 0);  // the handle still holds its reference
  CHECK_FALSE(handle.cancel());
  timer_handle moved = std::move(handle);
  CHECK_FALSE(handle);
  CHECK_FALSE(moved.cancel());
  moved.reset();
  CHECK(releases(p) == 1);
  CHECK(fires(p) == 1);
}

TEST_CASE("timer_service: one thread's timers for the same tick fire in schedule order",
          "[timer_service]") {
  timer_service service;
  const std::size_t count = scaled(10000);
  std::vector<probe> probes(count);
  std::vector<std::uint32_t> log;
  log.reserve(count);
  const auto due = clock_type::now() + 10ms;
  for (std::size_t i = 0; i < count; ++i) {
    probes[i].id = static_cast<std::uint32_t>(i);
    probes[i].log = &log;
    REQUIRE(service.schedule(&probes[i], due));
  }
  eventually([&] { return releases(probes.back()) == 1; });
  for (auto& p : probes)
    eventually([&] { return releases(p) == 1; });
  REQUIRE(log.size() == count);
  CHECK(std::is_sorted(log.begin(), log.end()));
}

TEST_CASE("timer_service: cancel racing fire gives exactly one outcome per timer",
          "[timer_service]") {
  timer_service service;
  const std::size_t count = scaled(100'000);
  constexpr int cancellers = 4;
  std::vector<probe> probes(count);
  std::vector<timer_handle> handles(count);
  std::vector<std::atomic<int>> cancels(count);
  std::mt19937_64 rng(7);
  // Deadlines spread over 200 ms. Each canceller walks them in deadline order and tries each timer
  // at due + 500 us + t * 300 us: the timer fires between due and due + 1 ms (the deadline rounded
  // up to the 1 ms tick), so the attempts straddle the fire and both outcomes are common.
  const auto window = std::chrono::microseconds(200'000);
  const auto base = clock_type::now() + 20ms;
  for (std::size_t i = 0; i < count; ++i) {
    probes[i].due = base + std::chrono::microseconds(rng() % window.count());
    handles[i] = service.schedule_cancellable(&probes[i], probes[i].due);
  }
  std::vector<std::size_t> by_due(count);
  std::iota(by_due.begin(), by_due.end(), std::size_t{0});
  std::sort(by_due.begin(), by_due.end(),
            [&](std::size_t a, std::size_t b) { return probes[a].due < probes[b].due; });
  std::vector<std::thread> threads;
  for (int t = 0; t < cancellers; ++t) {
    threads.emplace_back([&, t] {
      const auto offset = std::chrono::microseconds(500 + 300 * t);
      for (const std::size_t i : by_due) {
        while (clock_type::now() < probes[i].due + offset)
          std::this_thread::yield();
        // relaxed: a tally read after join().
        if (handles[i].cancel()) cancels[i].fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (auto& h : handles)
    h.reset();
  for (auto& p : probes)
    eventually([&] { return releases(p) == 1; });
  std::size_t fired = 0;
  std::size_t cancelled = 0;
  std::size_t exactly_one = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const int f = fires(probes[i]);
    const int c = cancels[i].load(std::memory_order_relaxed);
    fired += static_cast<std::size_t>(f);
    cancelled += static_cast<std::size_t>(c);
    exactly_one += f + c == 1 ? 1 : 0;
    if (f == 1 && probes[i].first_fire < probes[i].due) FAIL("timer " << i << " fired early");
  }
  INFO("fired " << fired << ", cancelled " << cancelled);
  CHECK(exactly_one == count);
  CHECK(fired + cancelled == count);
  CHECK(service.stop() == 0);
  for (auto& p : probes)
    CHECK(releases(p) == 1);
}

TEST_CASE("timer_service: 10^5 schedules from 4 threads all fire, exactly once",
          "[timer_service]") {
  timer_service service;
  const std::size_t count = scaled(100'000);
  constexpr std::size_t producers = 4;
  std::vector<probe> probes(count);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < producers; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      for (std::size_t i = t; i < count; i += producers) {
        probes[i].due = clock_type::now() + std::chrono::microseconds(rng() % 10000);
        // relaxed would not do for a REQUIRE here (Catch2 is not thread-safe): tallied below.
        probes[i].id = service.schedule(&probes[i], probes[i].due) ? 1 : 0;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (auto& p : probes)
    eventually([&] { return releases(p) == 1; });
  std::size_t accepted = 0;
  std::size_t once = 0;
  std::size_t early = 0;
  for (auto& p : probes) {
    accepted += p.id;
    once += fires(p) == 1 ? 1 : 0;
    early += p.first_fire < p.due ? 1 : 0;
  }
  CHECK(accepted == count);
  CHECK(once == count);
  CHECK(early == 0);
  CHECK(service.stop() == 0);
  CHECK(service.stats().fired == count);
}

TEST_CASE("timer_service: stop() releases pending timers without firing them", "[timer_service]") {
  const std::size_t count = 1000;
  std::vector<probe> probes(count);
  std::vector<timer_handle> handles;
  probe late;
  {
    timer_service service;
    for (std::size_t i = 0; i < count; ++i) {
      const auto due = clock_type::now() + 1h;
      if (i % 3 == 0) {
        handles.push_back(service.schedule_cancellable(&probes[i], due));
      } else {
        REQUIRE(service.schedule(&probes[i], due, i % 3 == 1 ? 1s : 0s));
      }
    }
    CHECK(service.stop() == count);
    CHECK(service.stop() == 0);
    for (auto& h : handles)
      CHECK_FALSE(h.cancel());  // the service is stopped, not destroyed
    CHECK_FALSE(service.schedule(&late, clock_type::now()));
    CHECK(releases(late) == 1);
    CHECK(fires(late) == 0);
  }
  handles.clear();
  for (auto& p : probes) {
    CHECK(fires(p) == 0);
    CHECK(releases(p) == 1);
  }
}

TEST_CASE("timer_service: stop() racing cancels releases every timer once", "[timer_service]") {
  const std::size_t count = scaled(20'000);
  std::vector<probe> probes(count);
  std::vector<timer_handle> handles(count);
  std::atomic<std::size_t> cancelled{0};
  std::size_t stopped = 0;
  {
    timer_service service;
    for (std::size_t i = 0; i < count; ++i) {
      handles[i] = service.schedule_cancellable(&probes[i], clock_type::now() + 1h);
    }
    std::thread canceller([&] {
      std::size_t mine = 0;
      for (std::size_t i = count; i-- > 0;)
        mine += handles[i].cancel() ? 1 : 0;
      // relaxed: read after join().
      cancelled.store(mine, std::memory_order_relaxed);
    });
    std::this_thread::sleep_for(1ms);
    stopped = service.stop();
    canceller.join();
  }
  CHECK(stopped + cancelled.load(std::memory_order_relaxed) == count);
  handles.clear();
  for (auto& p : probes) {
    CHECK(fires(p) == 0);
    CHECK(releases(p) == 1);
  }
}

TEST_CASE("timer_service: cancelled timers are reclaimed in batches", "[timer_service]") {
  timer_service::config cfg;
  cfg.cancel_batch = 64;
  timer_service service(cfg);
  const std::size_t count = 640;
  std::vector<probe> probes(count);
  std::vector<timer_handle> handles(count);
  // The first half in decreasing deadline order: each is earlier than the thread's sleep target,
  // so each wakes it, and all end up armed in the wheel.
  const auto far = clock_type::now() + 1h;
  for (std::size_t i = 0; i < count / 2; ++i) {
    handles[i] = service.schedule_cancellable(&probes[i], far - std::chrono::seconds(i));
  }
  eventually([&] { return service.stats().pending == count / 2; });
  // The second half later than the target: no wake-up, they stay queued in the inbox. Cancels of
  // both kinds count toward the batch.
  for (std::size_t i = count / 2; i < count; ++i) {
    handles[i] = service.schedule_cancellable(&probes[i], far + 1h);
  }
  for (auto& h : handles) {
    CHECK(h.cancel());
    h.reset();
  }
  // Without a wake-up per cancel, at most cancel_batch - 1 wait for the thread's next round.
  eventually([&] { return service.stats().cancelled >= count - cfg.cancel_batch + 1; });
  CHECK(service.stop() == 0);
  for (auto& p : probes) {
    CHECK(fires(p) == 0);
    CHECK(releases(p) == 1);
  }
}

TEST_CASE("timer_service: fire() may schedule another timer", "[timer_service]") {
  timer_service service;
  probe second;
  probe first;
  first.service = &service;
  first.next = &second;
  first.hook = [](probe* self) noexcept {
    self->next->due = clock_type::now() + 2ms;
    self->service->schedule(self->next, self->next->due);
  };
  REQUIRE(service.schedule(&first, clock_type::now()));
  eventually([&] { return releases(second) == 1; });
  CHECK(fires(first) == 1);
  CHECK(fires(second) == 1);
  CHECK(second.first_fire >= second.due);
}

/// utime + stime of this process, in seconds.
double process_cpu_seconds() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string s; fields >> s;)
    f.push_back(s);
  const auto ticks = std::stoull(f.at(14 - 3)) + std::stoull(f.at(15 - 3));
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

TEST_CASE("timer_service: an idle service burns no CPU", "[timer_service]") {
  timer_service service;
  probe far;
  SECTION("no timer at all") {}
  SECTION("one timer an hour away") {
    REQUIRE(service.schedule(&far, clock_type::now() + 1h));
  }
  std::this_thread::sleep_for(50ms);
  const auto wakeups = service.stats().wakeups;
  const double before = process_cpu_seconds();
  std::this_thread::sleep_for(1s);
  const double used = process_cpu_seconds() - before;
  INFO("CPU seconds used in 1 s: " << used);
  CHECK(used < 0.02);                             // under 2% of a core
  CHECK(service.stats().wakeups - wakeups <= 1);  // no periodic polling
}

}  // namespace
