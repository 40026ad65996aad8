#include "jaegis/actors/pipeline.hpp"

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors_test_support.hpp"

using namespace jaegis;
using namespace jaegis::actors;
using namespace jaegis::test;

namespace {

/// Counts 0..n-1, then ends; `produced` counts what the source pulled.
struct counter_source {
  int n;
  std::atomic<int>* produced;
  std::optional<int> operator()() {
    const int next = produced->load(std::memory_order_relaxed);  // relaxed: only the source runs it
    if (next == n) return std::nullopt;
    produced->store(next + 1, std::memory_order_relaxed);  // relaxed: as above
    return next;
  }
};

struct collected {
  std::mutex mutex;
  std::vector<std::string> items;
  std::atomic<int> count{0};
  std::atomic<bool> ended{false};
  std::atomic<int> count_at_end{-1};
};

stage_stats stats_of(actor_system& sys, const actor_ref& a) {
  result<stage_stats> s = ask<stage_stats>(sys, a, get_stage_stats{});
  REQUIRE(s);
  return s.value();
}

}  // namespace

TEST_CASE("a pipeline delivers every item once, in order, then the end", "[pipeline]") {
  const int n = static_cast<int>(scaled(20000));
  std::atomic<int> produced{0};
  collected out;
  actor_system sys(quiet_config());
  auto last = sys.spawn<sink<std::string>>(
      [&](std::string& s) {
        std::lock_guard lock(out.mutex);
        out.items.push_back(s);
        out.count.fetch_add(1);
      },
      [&] {
        out.count_at_end = out.count.load();
        out.ended = true;
      });
  auto fmt = sys.spawn<stage<int, std::string>>([](int& x) { return std::to_string(x); }, last,
                                                link_options{.window = 8});
  auto twice =
      sys.spawn<stage<int, int>>([](int& x) { return 2 * x; }, fmt, link_options{.window = 4});
  auto from = sys.spawn<source<int>>(counter_source{n, &produced}, twice);
  REQUIRE(eventually([&] { return out.ended.load(); }));
  CHECK(out.count_at_end.load() == n);  // the end came after the last item
  std::lock_guard lock(out.mutex);
  REQUIRE(out.items.size() == static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (out.items[i] != std::to_string(2 * i)) FAIL("item " << i << " is " << out.items[i]);
  }
  CHECK(stats_of(sys, twice).processed == static_cast<std::uint64_t>(n));
  CHECK(stats_of(sys, twice).max_in_flight <= 4);
  CHECK(stats_of(sys, fmt).max_in_flight <= 8);
  CHECK(stats_of(sys, last).ended);
}

TEST_CASE("a slow sink holds the source back: in-flight items stay within the windows",
          "[pipeline]") {
  const int n = static_cast<int>(scaled(3000));
  constexpr std::size_t k1 = 3, k2 = 5, k3 = 2;
  std::atomic<int> produced{0};
  std::atomic<int> consumed{0};
  std::atomic<int> max_in_pipeline{0};
  std::atomic<bool> ended{false};
  // The sink runs detached and sleeps a little per item, so the source is far faster.
  actor_system sys(quiet_config());
  auto last = sys.spawn_detached<sink<int>>(
      [&](int&) {
        std::this_thread::sleep_for(20us);
        consumed.fetch_add(1);
      },
      [&] { ended = true; });
  auto b =
      sys.spawn<stage<int, int>>([](int& x) { return x + 1; }, last, link_options{.window = k3});
  auto a = sys.spawn<stage<int, int>>([](int& x) { return x * 3; }, b, link_options{.window = k2});
  // Measured when the source pulls an item: pulled so far minus consumed so far.
  auto pull = [&, inner = counter_source{n, &produced}]() mutable {
    std::optional<int> item = inner();
    const int in_pipeline = produced.load() - consumed.load();
    int seen = max_in_pipeline.load();
    while (in_pipeline > seen && !max_in_pipeline.compare_exchange_weak(seen, in_pipeline)) {
    }
    return item;
  };
  auto from = sys.spawn<source<int>>(pull, a, link_options{.window = k1});
  REQUIRE(eventually([&] { return ended.load(); }));
  CHECK(consumed.load() == n);
  // Every item pulled and not consumed is unacknowledged on exactly one link.
  CHECK(max_in_pipeline.load() <= static_cast<int>(k1 + k2 + k3));
  CHECK(max_in_pipeline.load() > 0);
  const stage_stats sa = stats_of(sys, a);
  const stage_stats sb = stats_of(sys, b);
  CHECK(sa.max_in_flight <= k2);
  CHECK(sb.max_in_flight == k3);  // the slow sink kept its window full
  CHECK(sa.processed == static_cast<std::uint64_t>(n));
  CHECK(sb.lost == 0);
}

TEST_CASE("a stage whose next actor stopped counts the item as lost", "[pipeline]") {
  actor_system sys(quiet_config());
  auto dead = sys.spawn<sink<int>>([](int&) {});
  send_exit(dead, error(errc::killed));
  REQUIRE(eventually([&] { return sys.running_actors() == 0; }));
  auto s = sys.spawn<stage<int, int>>([](int& x) { return x; }, dead);
  s.send(1);
  REQUIRE(eventually([&] { return stats_of(sys, s).lost == 1; }));
}

TEST_CASE("pipeline pieces refuse bad configuration", "[pipeline]") {
  actor_system sys(quiet_config());
  auto last = sys.spawn<sink<int>>([](int&) {});
  auto same = [](int& x) { return x; };
  CHECK_THROWS_WITH((sys.spawn<stage<int, int>>(same, actor_ref{})),
                    "jaegis::actors::pipeline: empty next ref");
  CHECK_THROWS_WITH((sys.spawn<stage<int, int>>(same, last, link_options{.window = 0})),
                    "jaegis::actors::pipeline: window 0");
  CHECK_THROWS_AS((sys.spawn<stage<int, int>>(same, last, link_options{.ack_timeout = 0s})),
                  std::invalid_argument);
}
