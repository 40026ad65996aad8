#include "jaegis/actors/rate_limiter.hpp"

#include <cmath>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "actors_test_support.hpp"

using namespace jaegis;
using namespace jaegis::actors;
using namespace jaegis::test;

namespace {

using clock_type = std::chrono::steady_clock;

struct call {
  int n = 0;
};

struct arrivals {
  std::mutex mutex;
  std::vector<clock_type::time_point> at;
  std::vector<int> values;
  std::atomic<int> count{0};
};

struct target : actor<target, call> {
  explicit target(arrivals* a) : log(a) {}
  int on(call& c) {
    const auto now = clock_type::now();
    std::lock_guard lock(log->mutex);
    log->at.push_back(now);
    log->values.push_back(c.n);
    log->count.fetch_add(1);
    return 2 * c.n;
  }
  arrivals* log;
};

using limiter = rate_limiter<call>;

double seconds_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

limiter_stats stats_of(actor_system& sys, const actor_ref& l) {
  result<limiter_stats> s = ask<limiter_stats>(sys, l, get_limiter_stats{});
  REQUIRE(s);
  return s.value();
}

}  // namespace

TEST_CASE("token_bucket: burst at once, then the rate", "[rate_limiter]") {
  const clock_type::time_point t0{};
  token_bucket b(10, 3, t0);  // 10/s, burst 3
  CHECK(b.try_take(t0));
  CHECK(b.try_take(t0));
  CHECK(b.try_take(t0));
  CHECK_FALSE(b.try_take(t0));
  CHECK(b.until_next(t0) == 100ms);
  CHECK_FALSE(b.try_take(t0 + 99ms));
  CHECK(b.try_take(t0 + 100ms));
  CHECK(b.tokens(t0 + 10s) == 3);  // never more than the burst
  CHECK(b.until_next(t0 + 10s) == clock_type::duration::zero());
  CHECK_THROWS_AS(token_bucket(0, 1, t0), std::invalid_argument);
  CHECK_THROWS_AS(token_bucket(1, 0.5, t0), std::invalid_argument);
  CHECK_THROWS_AS(token_bucket(NAN, 1, t0), std::invalid_argument);
}

TEST_CASE("delayed messages pass at the rate, in order, and all of them", "[rate_limiter]") {
  arrivals log;
  constexpr double rate = 200;
  constexpr double burst = 5;
  constexpr int n = 60;
  actor_system sys(quiet_config());
  auto t = sys.spawn<target>(&log);
  const auto t0 = clock_type::now();  // before the bucket exists: a bound from here is looser
  auto l = sys.spawn<limiter>(rate_limit{.per_second = rate, .burst = burst}, t);
  for (int i = 0; i < n; ++i)
    l.send(call{i});
  REQUIRE(eventually([&] { return log.count.load() == n; }));
  std::lock_guard lock(log.mutex);
  for (int k = 0; k < n; ++k) {
    // The (k+1)-th arrival passed the limiter no later than it arrived.
    const double allowed = burst + rate * seconds_between(t0, log.at[k]);
    CHECK(k + 1 <= allowed + 1e-6);
    CHECK(log.values[k] == k);  // queued messages never overtake each other
  }
  limiter_stats s = stats_of(sys, l);
  CHECK(s.passed == n);
  CHECK(s.rejected == 0);
  CHECK(s.max_queued <= static_cast<std::size_t>(n));
}

TEST_CASE("requests through a limiter are answered by the target, also when delayed",
          "[rate_limiter]") {
  arrivals log;
  actor_system sys(quiet_config());
  auto t = sys.spawn<target>(&log);
  auto l = sys.spawn<limiter>(rate_limit{.per_second = 500, .burst = 2}, t);
  std::vector<pending_ask<int, call>> asks;
  for (int i = 0; i < 20; ++i)
    asks.push_back(ask_later<int>(sys, l, call{i}));
  for (int i = 0; i < 20; ++i) {
    result<int> r = asks[i].future.get();
    REQUIRE(r);
    CHECK(r.value() == 2 * i);
  }
}

TEST_CASE("the reject policy refuses what finds no token", "[rate_limiter]") {
  arrivals log;
  constexpr double rate = 1;
  constexpr double burst = 3;
  actor_system sys(quiet_config());
  auto t = sys.spawn<target>(&log);
  const auto t0 = clock_type::now();
  auto l = sys.spawn<limiter>(
      rate_limit{.per_second = rate, .burst = burst, .policy = overflow::reject}, t);
  std::vector<pending_ask<int, call>> asks;
  for (int i = 0; i < 10; ++i)
    asks.push_back(ask_later<int>(sys, l, call{i}));
  int accepted = 0;
  int refused = 0;
  for (auto& a : asks) {
    result<int> r = a.future.get();
    if (r) {
      ++accepted;
    } else {
      CHECK(is(r.error_value(), reason::overloaded));
      ++refused;
    }
  }
  const double elapsed = seconds_between(t0, clock_type::now());
  CHECK(accepted + refused == 10);
  CHECK(accepted >= 3);  // the burst is there from the start
  CHECK(accepted <= burst + rate * elapsed + 1e-6);
  CHECK(stats_of(sys, l).rejected == static_cast<std::uint64_t>(refused));
}

TEST_CASE("a full delay queue refuses, and its messages still pass later", "[rate_limiter]") {
  arrivals log;
  constexpr double rate = 4;
  actor_system sys(quiet_config());
  auto t = sys.spawn<target>(&log);
  const auto t0 = clock_type::now();
  auto l = sys.spawn<limiter>(rate_limit{.per_second = rate, .burst = 1, .queue_capacity = 2}, t);
  std::vector<pending_ask<int, call>> asks;
  for (int i = 0; i < 10; ++i)
    asks.push_back(ask_later<int>(sys, l, call{i}));
  int accepted = 0;
  for (auto& a : asks) {
    result<int> r = a.future.get();
    if (r) {
      ++accepted;
    } else {
      CHECK(is(r.error_value(), reason::overloaded));
    }
  }
  const double elapsed = seconds_between(t0, clock_type::now());
  // Accepted: the burst, up to two queued, plus whatever the rate refilled meanwhile.
  CHECK(accepted >= 3);
  CHECK(accepted <= 1 + 2 + rate * elapsed + 1e-6);
  limiter_stats s = stats_of(sys, l);
  CHECK(s.max_queued <= 2);
  CHECK(s.queued == 0);
  CHECK(s.passed == static_cast<std::uint64_t>(accepted));
}

TEST_CASE("when the target stops, waiting requests fail and the limiter stops", "[rate_limiter]") {
  arrivals log;
  actor_system sys(quiet_config());
  auto t = sys.spawn<target>(&log);
  // One token per 100 s: after the first message, the others wait.
  auto l = sys.spawn<limiter>(rate_limit{.per_second = 0.01, .burst = 1}, t);
  REQUIRE(ask<int>(sys, l, call{1}));
  auto waiting = ask_later<int>(sys, l, call{2});
  REQUIRE(eventually([&] { return stats_of(sys, l).queued == 1; }));
  send_exit(t, error(errc::killed));
  result<int> r = waiting.future.get();
  REQUIRE_FALSE(r);
  CHECK(r.error_value().code() == errc::actor_down);
  REQUIRE(eventually([&] { return l.cell()->terminated(); }));
}

TEST_CASE("a rate limiter refuses bad configuration", "[rate_limiter]") {
  arrivals log;
  actor_system sys(quiet_config());
  auto t = sys.spawn<target>(&log);
  CHECK_THROWS_AS(sys.spawn<limiter>(rate_limit{}, actor_ref{}), std::invalid_argument);
  CHECK_THROWS_AS(sys.spawn<limiter>(rate_limit{.per_second = -1}, t), std::invalid_argument);
  CHECK_THROWS_AS(sys.spawn<limiter>(rate_limit{.burst = 0}, t), std::invalid_argument);
}
