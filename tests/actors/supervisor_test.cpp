#include "jaegis/actors/supervisor.hpp"

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "actors_test_support.hpp"
#include "jaegis/actors/errors.hpp"

using namespace jaegis;
using namespace jaegis::actors;
using namespace jaegis::test;

namespace {

struct fail {};
struct finish {};

/// How often each child name was started.
struct starts {
  std::mutex mutex;
  std::map<std::string, int> count;
  int of(const std::string& name) {
    std::lock_guard lock(mutex);
    return count[name];
  }
};

struct child : actor<child, fail, finish> {
  child(std::string n, starts* s) : name(std::move(n)), log(s) {}
  void on_start() override {
    std::lock_guard lock(log->mutex);
    ++log->count[name];
  }
  void on(fail&) { throw std::runtime_error(name + " failed"); }
  void on(finish&) { quit(); }
  std::string name;
  starts* log;
};

/// Monitors one actor and keeps its exit reason.
struct watcher : actor<watcher, down_msg> {
  watcher(actor_ref whom, std::atomic<bool>* d, error* r)
      : target(std::move(whom)), down(d), why(r) {}
  void on_start() override { monitor(target); }
  void on(down_msg& d) {
    *why = d.reason;
    down->store(true);  // seq_cst: the test reads `why` after seeing this
  }
  actor_ref target;
  std::atomic<bool>* down;
  error* why;
};

child_spec spec(const std::string& name, starts* log, restart policy = restart::permanent) {
  return child_spec::of<child>(name, policy, name, log);
}

/// The child registered under `name` once it is running (and is not `not_this`): a restarted
/// child is registered by its supervisor right after it is spawned, maybe after its on_start.
actor_ref live_child(actor_system& sys, const std::string& name, const actor_ref& not_this = {}) {
  actor_ref found;
  REQUIRE(eventually([&] {
    found = sys.registry().get(name);
    return found && found != not_this && !found.cell()->terminated();
  }));
  return found;
}

/// Fails the child `name`, waits until it was started `times` times in all and is registered.
void fail_and_await(actor_system& sys, starts& log, const std::string& name, int times) {
  actor_ref c = live_child(sys, name);
  c.send(fail{});
  REQUIRE(eventually([&] { return log.of(name) == times; }));
  live_child(sys, name, c);
}

bool stopped(const actor_ref& r) {
  return r.cell()->terminated();
}

}  // namespace

TEST_CASE("one-for-one restarts only the failed child", "[supervisor]") {
  starts log;
  actor_system sys(quiet_config());
  auto sup = sys.spawn<supervisor>(
      supervisor_options{.how = strategy::one_for_one},
      std::vector<child_spec>{spec("a", &log), spec("b", &log), spec("c", &log)});
  REQUIRE(eventually([&] { return log.of("c") == 1; }));
  actor_ref old_b = live_child(sys, "b");
  fail_and_await(sys, log, "b", 2);
  CHECK(log.of("a") == 1);
  CHECK(log.of("c") == 1);
  result<actor_ref> which = ask<actor_ref>(sys, sup, which_child{"b"});
  REQUIRE(which);
  CHECK(which.value() == live_child(sys, "b", old_b));
  result<actor_ref> unknown = ask<actor_ref>(sys, sup, which_child{"zz"});
  REQUIRE(unknown);
  CHECK_FALSE(unknown.value());
}

TEST_CASE("all-for-one restarts every child", "[supervisor]") {
  starts log;
  actor_system sys(quiet_config());
  auto sup = sys.spawn<supervisor>(
      supervisor_options{.how = strategy::all_for_one},
      std::vector<child_spec>{spec("a", &log), spec("b", &log), spec("c", &log)});
  REQUIRE(eventually([&] { return log.of("c") == 1; }));
  actor_ref old_a = live_child(sys, "a");
  actor_ref old_c = live_child(sys, "c");
  fail_and_await(sys, log, "b", 2);
  REQUIRE(eventually([&] { return log.of("a") == 2 && log.of("c") == 2; }));
  REQUIRE(eventually([&] { return stopped(old_a) && stopped(old_c); }));
  live_child(sys, "a", old_a);  // the new incarnation is registered
}

TEST_CASE("rest-for-one restarts the failed child and those after it", "[supervisor]") {
  starts log;
  actor_system sys(quiet_config());
  auto sup = sys.spawn<supervisor>(
      supervisor_options{.how = strategy::rest_for_one},
      std::vector<child_spec>{spec("a", &log), spec("b", &log), spec("c", &log)});
  REQUIRE(eventually([&] { return log.of("c") == 1; }));
  actor_ref old_c = live_child(sys, "c");
  fail_and_await(sys, log, "b", 2);
  REQUIRE(eventually([&] { return log.of("c") == 2; }));
  REQUIRE(eventually([&] { return stopped(old_c); }));
  CHECK(log.of("a") == 1);
}

TEST_CASE("restart policies: permanent, transient and temporary children", "[supervisor]") {
  starts log;
  actor_system sys(quiet_config());
  auto sup = sys.spawn<supervisor>(supervisor_options{.max_restarts = 10},
                                   std::vector<child_spec>{spec("perm", &log, restart::permanent),
                                                           spec("trans", &log, restart::transient),
                                                           spec("temp", &log, restart::temporary)});
  REQUIRE(eventually([&] { return log.of("temp") == 1; }));
  live_child(sys, "perm").send(finish{});  // a normal stop: permanent children come back anyway
  REQUIRE(eventually([&] { return log.of("perm") == 2; }));
  fail_and_await(sys, log, "trans", 2);  // a failure: transient children come back
  actor_ref trans = live_child(sys, "trans");
  trans.send(finish{});  // a normal stop: they do not
  actor_ref temp = live_child(sys, "temp");
  temp.send(fail{});  // temporary children never come back
  auto gone = [&](const char* name) {
    result<actor_ref> r = ask<actor_ref>(sys, sup, which_child{name});
    return r && !r.value();
  };
  REQUIRE(eventually([&] { return gone("temp") && gone("trans"); }));
  std::this_thread::sleep_for(20ms);  // room for a wrong restart to show up
  CHECK(log.of("trans") == 2);
  CHECK(log.of("temp") == 1);
}

TEST_CASE("too many restarts stop the supervisor and its children", "[supervisor]") {
  starts log;
  std::atomic<bool> down{false};
  error why;
  actor_system sys(quiet_config());
  auto sup = sys.spawn<supervisor>(
      supervisor_options{.how = strategy::one_for_one, .max_restarts = 2, .within = 60s},
      std::vector<child_spec>{spec("a", &log), spec("flaky", &log)});
  auto w = sys.spawn<watcher>(sup, &down, &why);
  REQUIRE(eventually([&] { return log.of("flaky") == 1; }));
  fail_and_await(sys, log, "flaky", 2);
  fail_and_await(sys, log, "flaky", 3);
  actor_ref a = live_child(sys, "a");
  live_child(sys, "flaky").send(fail{});  // the third within the period: one too many
  REQUIRE(eventually([&] { return down.load(); }));
  CHECK(is(why, reason::intensity_exceeded));
  CHECK_THAT(why.what(), Catch::Contains("child 'flaky' stopped with unhandled_exception"));
  REQUIRE(eventually([&] { return stopped(a); }));
  CHECK(log.of("flaky") == 3);
}

TEST_CASE("a supervisor that gives up is restarted by its parent: escalation", "[supervisor]") {
  starts log;
  auto inner_spec = child_spec::of<supervisor>("inner", restart::permanent,
                                               supervisor_options{.max_restarts = 1, .within = 60s},
                                               std::vector<child_spec>{spec("w", &log)});
  std::atomic<bool> down{false};
  error why;
  actor_system sys(quiet_config());
  auto parent = sys.spawn<supervisor>(supervisor_options{.max_restarts = 1, .within = 60s},
                                      std::vector<child_spec>{inner_spec});
  auto watch = sys.spawn<watcher>(parent, &down, &why);
  REQUIRE(eventually([&] { return log.of("w") == 1; }));
  actor_ref inner = live_child(sys, "inner");
  fail_and_await(sys, log, "w", 2);  // inner restarts w (its one allowed restart)
  fail_and_await(sys, log, "w", 3);  // inner gives up; parent restarts inner, which starts w
  REQUIRE(eventually([&] { return stopped(inner); }));
  live_child(sys, "inner", inner);  // the parent started a new one
  CHECK_FALSE(down.load());
  fail_and_await(sys, log, "w", 4);   // the new inner restarts w
  live_child(sys, "w").send(fail{});  // the new inner gives up; the parent's limit is reached too
  REQUIRE(eventually([&] { return down.load(); }));
  CHECK(is(why, reason::intensity_exceeded));
  CHECK_THAT(why.what(), Catch::Contains("child 'inner' stopped with linked_exit: "
                                         "intensity_exceeded"));
}

TEST_CASE("a supervisor refuses bad specs, and stops if a child cannot start", "[supervisor]") {
  starts log;
  std::atomic<bool> down{false};
  error why;
  actor_system sys(quiet_config());
  CHECK_THROWS_WITH(
      sys.spawn<supervisor>(supervisor_options{},
                            std::vector<child_spec>{spec("x", &log), spec("x", &log)}),
      "supervisor: two children named 'x'");
  CHECK_THROWS_AS(
      sys.spawn<supervisor>(supervisor_options{}, std::vector<child_spec>{spec("", &log)}),
      std::invalid_argument);
  CHECK_THROWS_AS(
      sys.spawn<supervisor>(supervisor_options{}, std::vector<child_spec>{child_spec{"n", {}}}),
      std::invalid_argument);
  CHECK_THROWS_AS(
      sys.spawn<supervisor>(supervisor_options{.within = 0s}, std::vector<child_spec>{}),
      std::invalid_argument);

  child_spec broken{"broken",
                    [](actor_system&) -> actor_ref { throw std::runtime_error("no db"); }};
  auto sup = sys.spawn<supervisor>(supervisor_options{},
                                   std::vector<child_spec>{spec("ok", &log), broken});
  auto w = sys.spawn<watcher>(sup, &down, &why);
  REQUIRE(eventually([&] { return down.load(); }));
  CHECK(is(why, reason::child_failed));
  CHECK_THAT(why.what(), Catch::Contains("cannot start child 'broken': no db"));
}

TEST_CASE("restart_window counts restarts within the period", "[supervisor]") {
  using clock = restart_window::clock;
  restart_window w(2, std::chrono::seconds(10));
  const clock::time_point t0{};
  CHECK(w.record(t0));
  CHECK(w.record(t0 + 1s));
  CHECK_FALSE(w.record(t0 + 2s));  // three within 10 s
  CHECK(w.recent(t0 + 2s) == 2);
  CHECK(w.record(t0 + 11500ms));  // those at t0 and t0 + 1 s have aged out
  CHECK(w.recent(t0 + 30s) == 0);
  restart_window never(0, 1s);
  CHECK_FALSE(never.record(t0));
}
