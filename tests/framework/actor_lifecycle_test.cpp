#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>

#include "actor_test_support.hpp"
#include "jaegis/framework/send_exit.hpp"

using namespace jaegis;
using namespace jaegis::test;

namespace {

struct fail {};
struct stop {};
struct watch {
  actor_ref whom;
};
struct bind {
  actor_ref whom;
};

/// Sets a flag when handled: a worker that handled it has also handled every system message
/// (a monitor's registration) pushed to it before.
struct probe {
  std::atomic<int>* seen;
};

struct worker : actor<worker, fail, stop, probe> {
  void on(fail&) { throw std::runtime_error("worker failed"); }
  void on(stop&) { quit(); }
  void on(probe& p) { p.seen->store(1); }
};

struct observations {
  std::atomic<int> downs{0};
  std::atomic<int> exits{0};
  std::atomic<int> stops{0};
  std::atomic<int> last_code{0};
  std::mutex mutex;
  std::string last_what;
};

struct watcher : actor<watcher, watch, bind, down_msg, exit_msg> {
  watcher(observations* o, bool trap) : obs(o) { trap_exit(trap); }
  void on(watch& w) { monitor(w.whom); }
  void on(bind& b) { link(b.whom); }
  void on(down_msg& d) {
    obs->last_code = static_cast<int>(d.reason.code());
    {
      std::lock_guard lock(obs->mutex);
      obs->last_what = d.reason.what();
    }
    obs->downs.fetch_add(1);
  }
  void on(exit_msg& e) {
    obs->last_code = static_cast<int>(e.reason.code());
    obs->exits.fetch_add(1);
  }
  void on_stop(const exit_reason& r) override {
    obs->last_code = static_cast<int>(r.code());
    obs->stops.fetch_add(1);
  }
  observations* obs;
};

}  // namespace

TEST_CASE("a monitor receives a down message with the reason", "[monitor]") {
  actor_system sys(quiet_config());
  observations obs;
  auto w = sys.spawn<worker>();
  auto m = sys.spawn<watcher>(&obs, false);
  m.send(watch{w});
  // The monitor request travels as a system message ahead of any later user message to w.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  w.send(fail{});
  REQUIRE(eventually([&] { return obs.downs.load() == 1; }));
  CHECK(obs.last_code.load() == static_cast<int>(errc::unhandled_exception));
  std::lock_guard lock(obs.mutex);
  CHECK(obs.last_what == "worker failed");
}

TEST_CASE("monitoring an actor that already stopped delivers down at once", "[monitor]") {
  actor_system sys(quiet_config());
  observations obs;
  auto w = sys.spawn<worker>();
  w.send(stop{});
  REQUIRE(eventually([&] { return sys.running_actors() == 0; }));
  auto m = sys.spawn<watcher>(&obs, false);
  m.send(watch{w});
  REQUIRE(eventually([&] { return obs.downs.load() == 1; }));
  CHECK(obs.last_code.load() == static_cast<int>(errc::normal));
}

TEST_CASE("a link propagates a failure and stops the partner", "[link]") {
  actor_system sys(quiet_config());
  observations obs;
  auto w = sys.spawn<worker>();
  auto l = sys.spawn<watcher>(&obs, false);
  l.send(bind{w});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  w.send(fail{});
  REQUIRE(eventually([&] { return obs.stops.load() == 1; }));
  CHECK(obs.last_code.load() == static_cast<int>(errc::unhandled_exception));
  CHECK(obs.exits.load() == 0);
}

TEST_CASE("a normal exit does not stop a linked partner", "[link]") {
  actor_system sys(quiet_config());
  observations obs;
  auto w = sys.spawn<worker>();
  auto l = sys.spawn<watcher>(&obs, false);
  l.send(bind{w});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  w.send(stop{});
  REQUIRE(eventually([&] { return sys.running_actors() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(obs.stops.load() == 0);
}

TEST_CASE("trap_exit turns a partner's failure into a message", "[link]") {
  actor_system sys(quiet_config());
  observations obs;
  auto w = sys.spawn<worker>();
  auto l = sys.spawn<watcher>(&obs, true);
  l.send(bind{w});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  w.send(fail{});
  REQUIRE(eventually([&] { return obs.exits.load() == 1; }));
  CHECK(obs.stops.load() == 0);
  CHECK(obs.last_code.load() == static_cast<int>(errc::unhandled_exception));
}

TEST_CASE("send_exit stops an actor, is trappable, and killed is not", "[exit]") {
  actor_system sys(quiet_config());
  observations plain_obs, trapping_obs;
  auto plain = sys.spawn<watcher>(&plain_obs, false);
  auto trapping = sys.spawn<watcher>(&trapping_obs, true);

  SECTION("a normal reason is ignored by an actor that does not trap exits") {
    send_exit(plain, errc::normal);
    send_exit(plain, error(errc::linked_exit, "restart"));
    REQUIRE(eventually([&] { return plain_obs.stops.load() == 1; }));
    CHECK(plain_obs.last_code.load() == static_cast<int>(errc::linked_exit));
  }
  SECTION("a trapping actor gets the exit as a message, then dies when killed") {
    send_exit(trapping, error(errc::linked_exit, "restart"));
    REQUIRE(eventually([&] { return trapping_obs.exits.load() == 1; }));
    CHECK(trapping_obs.stops.load() == 0);
    send_exit(trapping, errc::killed);
    REQUIRE(eventually([&] { return trapping_obs.stops.load() == 1; }));
    CHECK(trapping_obs.last_code.load() == static_cast<int>(errc::killed));
  }
  SECTION("an empty ref is a clear error") {
    CHECK_THROWS_WITH(send_exit(actor_ref(), errc::killed), Catch::Contains("empty ref"));
  }
}

TEST_CASE("registry: by id, by name, typed, removal on stop, stale ids", "[registry]") {
  actor_system sys(quiet_config());
  auto w = sys.spawn<worker>();
  const actor_id id = w.id();
  CHECK(sys.registry().get(id) == w);
  sys.registry().put("worker", w);
  CHECK(sys.registry().get("worker") == w);
  CHECK(sys.registry().get<ref<worker>>("worker") == w);
  CHECK_FALSE(sys.registry().get<ref<watcher>>("worker"));  // wrong actor type
  CHECK_FALSE(sys.registry().get("nobody"));
  CHECK(sys.registry().size() == 1);
  w.send(stop{});
  w.reset();
  REQUIRE(eventually([&] { return sys.live_cells() == 0; }));  // the name did not keep it
  CHECK_FALSE(sys.registry().get("worker"));
  CHECK(sys.registry().size() == 0);
  CHECK_FALSE(sys.registry().get(id));  // stale id: gone
  // The freed slot is reused by the next actor, under a new generation.
  auto next = sys.spawn<worker>();
  CHECK(next.id() != id);
  CHECK_FALSE(sys.registry().get(id));
  CHECK(sys.registry().get(next.id()) == next);
  sys.registry().put("worker", next);
  CHECK(sys.registry().erase("worker"));
  CHECK_FALSE(sys.registry().erase("worker"));
}

TEST_CASE("registry lookups from many threads race puts and erases safely", "[registry]") {
  actor_system sys(quiet_config());
  auto a = sys.spawn<worker>();
  auto b = sys.spawn<worker>();
  std::atomic<bool> done{false};
  std::atomic<std::size_t> found{0}, lookups{0}, wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        actor_ref r = sys.registry().get("hot");
        lookups.fetch_add(1);
        if (r) {
          if (!(r == a || r == b)) wrong.fetch_add(1);
          found.fetch_add(1);
        }
      }
    });
  }
  // Keep rebinding until both sides have done plenty (a preempted writer must not leave the
  // readers looking only at an erased name).
  for (std::size_t i = 0;
       (i < scaled(200000) || lookups.load() < scaled(200000)) && i < 100'000'000; ++i) {
    sys.registry().put("hot", (i % 2) ? a.untyped() : b.untyped());
    if (i % 7 == 0) sys.registry().erase("hot");
  }
  done.store(true);
  for (auto& t : readers)
    t.join();
  CHECK(wrong.load() == 0);
  CHECK(found.load() > 0);
}

TEST_CASE("a full registry refuses a new name clearly", "[registry]") {
  actor_system_config config = quiet_config();
  config.registry_names = 8;
  actor_system sys(config);
  auto w = sys.spawn<worker>();
  for (int i = 0; i < 8; ++i) {
    std::string name = "n";  // not "n" + to_string(i): GCC 12 -Wrestrict misfires on it at -O3
    name += std::to_string(i);
    sys.registry().put(name, w);
  }
  CHECK_THROWS_AS(sys.registry().put("one-too-many", w), std::length_error);
  CHECK(sys.registry().get("n3") == w);
}

TEST_CASE("a detached actor may block without holding up the workers", "[detached]") {
  struct blocker : actor<blocker, stop> {
    blocker(std::mutex* m, std::atomic<int>* e) : gate(m), entered(e) {}
    void on(stop&) {
      entered->store(1);
      std::lock_guard lock(*gate);  // blocks until the test opens the gate
      entered->store(2);
    }
    std::mutex* gate;
    std::atomic<int>* entered;
  };
  struct add_one {};
  struct adder : actor<adder, add_one> {
    explicit adder(std::atomic<int>* c) : count(c) {}
    void on(add_one&) { count->fetch_add(1); }
    std::atomic<int>* count;
  };
  actor_system sys(quiet_config(1));  // one worker: a blocking handler on it would stall all
  std::mutex gate;
  std::atomic<int> entered{0}, count{0};
  std::unique_lock closed(gate);
  auto b = sys.spawn_detached<blocker>(&gate, &entered);
  b.send(stop{});
  REQUIRE(eventually([&] { return entered.load() == 1; }));
  auto a = sys.spawn<adder>(&count);
  for (int i = 0; i < 100; ++i)
    a.send(add_one{});
  REQUIRE(eventually([&] { return count.load() == 100; }));  // the worker kept going
  closed.unlock();
  REQUIRE(eventually([&] { return entered.load() == 2; }));
}

TEST_CASE("system messages are not starved behind a long user queue", "[monitor]") {
  struct work {};
  struct hold {};
  struct busy : actor<busy, hold, work, watch, down_msg> {
    busy(std::mutex* g, std::atomic<int>* h, std::atomic<long>* at)
        : gate(g), held(h), seen_at(at) {}
    void on(hold&) {
      held->store(1);
      std::lock_guard lock(*gate);  // the backlog builds up behind this
    }
    void on(work&) { ++done; }
    void on(watch& w) { monitor(w.whom); }
    void on(down_msg&) { seen_at->store(done); }
    std::mutex* gate;
    std::atomic<int>* held;
    std::atomic<long>* seen_at;
    long done = 0;
  };
  actor_system sys(quiet_config());
  std::mutex gate;
  std::atomic<int> held{0};
  std::atomic<long> seen_at{-1};
  auto target = sys.spawn<worker>();
  auto b = sys.spawn<busy>(&gate, &held, &seen_at);
  b.send(watch{target});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the monitor is in place
  std::unique_lock closed(gate);
  b.send(hold{});
  REQUIRE(eventually([&] { return held.load() == 1; }));
  const long backlog = 50000;
  for (long i = 0; i < backlog; ++i)
    b.send(work{});
  target.send(stop{});  // its down_msg queues behind 50000 user messages
  REQUIRE(eventually([&] { return sys.running_actors() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  closed.unlock();
  REQUIRE(eventually([&] { return seen_at.load() >= 0; }));
  // Handled within one throughput quantum of user messages, not after the whole backlog.
  CHECK(seen_at.load() <= static_cast<long>(sys.config().throughput));
}
