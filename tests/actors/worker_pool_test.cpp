#include "jaegis/actors/worker_pool.hpp"

#include <stdexcept>
#include <vector>

#include "actors_test_support.hpp"
#include "jaegis/schedulers/deterministic_executor.hpp"

using namespace jaegis;
using namespace jaegis::actors;
using namespace jaegis::test;

namespace {

struct square {
  int n = 0;
};
struct crash {};
struct hang {};

struct counters {
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<int> spawned{0};
  std::atomic<bool> hanging{false};
};

/// Squares, possibly waiting on a gate first (a detached worker, so waiting blocks no worker
/// thread of the system), throws on crash, never answers hang in time.
struct squarer : actor<squarer, square, crash, hang> {
  squarer(counters* c, gate* g) : stats(c), hold(g) { stats->spawned.fetch_add(1); }
  int on(square& s) {
    const int now = stats->running.fetch_add(1) + 1;
    int seen = stats->max_running.load();
    while (now > seen && !stats->max_running.compare_exchange_weak(seen, now)) {
    }
    if (hold != nullptr) hold->wait();
    stats->running.fetch_sub(1);
    return s.n * s.n;
  }
  int on(crash&) { throw std::runtime_error("the worker broke"); }
  int on(hang&) {
    stats->hanging.store(true);  // seq_cst: the test polls it
    hold->wait();                // until the test ends: longer than any job timeout
    return 0;
  }
  counters* stats;
  gate* hold;
};

using pool = worker_pool<squarer, square, crash, hang>;

pool::factory detached(counters* c, gate* g) {
  return [c, g](actor_system& sys) { return sys.spawn_detached<squarer>(c, g); };
}

pool_stats stats_of(actor_system& sys, const actor_ref& p) {
  result<pool_stats> s = ask<pool_stats>(sys, p, get_pool_stats{});
  REQUIRE(s);
  return s.value();
}

}  // namespace

TEST_CASE("a pool answers each job with its worker's answer", "[pool]") {
  counters c;
  actor_system sys(quiet_config());
  auto p = sys.spawn<pool>(pool_config{.workers = 3, .queue_capacity = 100},
                           [&c](actor_system& s) { return s.spawn<squarer>(&c, nullptr); });
  std::vector<pending_ask<int, square>> asks;
  for (int i = 0; i < 50; ++i)
    asks.push_back(ask_later<int>(sys, p, square{i}));
  for (int i = 0; i < 50; ++i) {
    result<int> r = asks[i].future.get();
    REQUIRE(r);
    CHECK(r.value() == i * i);
  }
  pool_stats s = stats_of(sys, p);
  CHECK(s.workers == 3);
  CHECK(s.completed == 50);
  CHECK(s.rejected == 0);
  CHECK(c.spawned.load() == 3);
}

TEST_CASE("a full pool refuses new jobs at once and runs the accepted ones", "[pool]") {
  counters c;
  gate g;
  constexpr std::size_t workers = 2;
  constexpr std::size_t capacity = 3;
  actor_system sys(quiet_config());
  auto p = sys.spawn<pool>(pool_config{.workers = workers, .queue_capacity = capacity},
                           detached(&c, &g));
  // Two jobs occupy both (blocked) workers, three wait; the sixth onward must be refused.
  std::vector<pending_ask<int, square>> accepted;
  for (int i = 0; i < 5; ++i) {
    accepted.push_back(ask_later<int>(sys, p, square{i}));
    if (i < 2) REQUIRE(eventually([&] { return c.running.load() == i + 1; }));
  }
  REQUIRE(eventually([&] { return stats_of(sys, p).queued == capacity; }));
  for (int i = 0; i < 4; ++i) {
    result<int> r = ask<int>(sys, p, square{100 + i});  // answered at once, while all wait
    REQUIRE_FALSE(r);
    CHECK(is(r.error_value(), reason::overloaded));
  }
  pool_stats full = stats_of(sys, p);
  CHECK(full.busy == workers);
  CHECK(full.queued == capacity);
  CHECK(full.rejected == 4);
  g.release();
  for (int i = 0; i < 5; ++i) {
    result<int> r = accepted[i].future.get();
    REQUIRE(r);
    CHECK(r.value() == i * i);
  }
  pool_stats done = stats_of(sys, p);
  CHECK(done.max_queued == capacity);  // never more than the bound waited
  CHECK(done.completed == 5);
  CHECK(c.max_running.load() == static_cast<int>(workers));
}

TEST_CASE("a crashing worker is replaced and its job fails with the crash", "[pool]") {
  counters c;
  actor_system sys(quiet_config());
  auto p = sys.spawn<pool>(pool_config{.workers = 2, .queue_capacity = 10},
                           [&c](actor_system& s) { return s.spawn<squarer>(&c, nullptr); });
  result<int> r = ask<int>(sys, p, crash{});
  REQUIRE_FALSE(r);
  CHECK(r.error_value().code() == errc::unhandled_exception);
  CHECK(r.error_value().what() == "the worker broke");
  for (int i = 0; i < 10; ++i) {
    result<int> ok = ask<int>(sys, p, square{i});
    REQUIRE(ok);
    CHECK(ok.value() == i * i);
  }
  pool_stats s = stats_of(sys, p);
  CHECK(s.workers == 2);
  CHECK(s.restarts == 1);
  CHECK(s.failed == 1);
  CHECK(c.spawned.load() == 3);
}

TEST_CASE("a job over its timeout fails and its stuck worker is replaced", "[pool]") {
  counters c;
  gate g;
  actor_system sys(quiet_config());
  auto p = sys.spawn<pool>(pool_config{.workers = 1, .queue_capacity = 10, .job_timeout = 500ms},
                           detached(&c, &g));
  auto late = ask_later<int>(sys, p, hang{});
  REQUIRE(eventually([&] { return c.hanging.load(); }));
  auto queued = ask_later<int>(sys, p, crash{});  // waits behind the stuck job
  result<int> r = late.future.get();
  REQUIRE_FALSE(r);
  CHECK(r.error_value().code() == errc::request_timeout);
  result<int> q = queued.future.get();  // ran on the replacement (and broke it)
  REQUIRE_FALSE(q);
  CHECK(q.error_value().what() == "the worker broke");
  pool_stats s = stats_of(sys, p);
  CHECK(s.restarts == 2);
  CHECK(s.failed == 2);
  g.release();
}

TEST_CASE("a worker killed while idle is replaced", "[pool]") {
  counters c;
  std::atomic<actor_id> first{0};
  actor_system sys(quiet_config());
  auto p = sys.spawn<pool>(pool_config{.workers = 1, .queue_capacity = 1},
                           [&](actor_system& s) -> ref<squarer> {
                             auto w = s.spawn<squarer>(&c, nullptr);
                             actor_id none = 0;
                             first.compare_exchange_strong(none, w.id());  // seq_cst: polled
                             return w;
                           });
  REQUIRE(eventually([&] { return first.load() != 0; }));
  send_exit(sys.registry().get(first.load()), error(errc::killed));
  REQUIRE(eventually([&] { return stats_of(sys, p).restarts == 1; }));
  result<int> r = ask<int>(sys, p, square{4});
  REQUIRE(r);
  CHECK(r.value() == 16);
}

TEST_CASE("a pool rejects a bad configuration", "[pool]") {
  counters c;
  actor_system sys(quiet_config());
  CHECK_THROWS_WITH(sys.spawn<pool>(pool_config{.workers = 0}, detached(&c, nullptr)),
                    "worker_pool: zero workers");
  CHECK_THROWS_WITH(sys.spawn<pool>(pool_config{.job_timeout = 0ms}, detached(&c, nullptr)),
                    "worker_pool: job_timeout must be positive");
  CHECK_THROWS_WITH(sys.spawn<pool>(pool_config{}), Catch::Contains("pass a factory"));
}

TEST_CASE("the bound and exactly-once answers hold in every interleaving tried", "[pool]") {
  // 12 submitters at once against 2 workers and room for 3: on the deterministic executor, each
  // seed is another order of submissions, answers and dispatches.
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    counters c;
    actor_system_config config = quiet_config();
    config.executor.kind = sched::executor_kind::deterministic;
    config.executor.seed = seed;
    actor_system sys(config);
    auto& exec = static_cast<sched::deterministic_executor&>(sys.executor());
    auto p = sys.spawn<pool>(pool_config{.workers = 2, .queue_capacity = 3},
                             [&c](actor_system& s) { return s.spawn<squarer>(&c, nullptr); });
    std::vector<pending_ask<int, square>> asks;
    for (int i = 0; i < 12; ++i)
      asks.push_back(ask_later<int>(sys, p, square{i}));
    auto stats = ask_later<pool_stats>(sys, p, get_pool_stats{});
    exec.run_until_idle();
    int answered = 0;
    int refused = 0;
    for (int i = 0; i < 12; ++i) {
      REQUIRE(asks[i].future.wait_for(0s) == std::future_status::ready);
      result<int> r = asks[i].future.get();
      if (r) {
        CHECK(r.value() == i * i);
        ++answered;
      } else {
        CHECK(is(r.error_value(), reason::overloaded));
        ++refused;
      }
    }
    REQUIRE(stats.future.wait_for(0s) == std::future_status::ready);
    result<pool_stats> s = stats.future.get();
    REQUIRE(s);
    CHECK(s->max_queued <= 3);
    CHECK(answered + refused == 12);
    CHECK(c.max_running.load() <= 2);
  }
}
