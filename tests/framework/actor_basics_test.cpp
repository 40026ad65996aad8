#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "actor_test_support.hpp"

using namespace jaegis;
using namespace jaegis::test;

namespace {

struct add {
  int n;
};
struct get {};
struct boom {};
struct swap_mode {};
struct stranger {};

struct counter : actor<counter, add, get, boom, swap_mode> {
  explicit counter(std::atomic<int>* stops = nullptr) : stops_(stops) {}
  void on(add& a) { total += a.n; }
  int on(get&) { return total; }
  void on(boom&) { throw std::runtime_error("boom"); }
  void on(swap_mode&) {
    become([this](add& a) { total -= a.n; }, [this](swap_mode&) { unbecome(); });
  }
  void on_stop(const exit_reason& r) override {
    reason = r.to_string();
    if (stops_ != nullptr) stops_->fetch_add(1);
  }
  int total = 0;
  std::string reason;
  std::atomic<int>* stops_;
};

/// Asks `target` for its total and stores it, so tests can observe an actor from outside.
struct probe : actor<probe, get> {
  probe(ref<counter> t, std::atomic<int>* out, std::atomic<int>* errors = nullptr)
      : target(std::move(t)), result(out), failures(errors) {}
  void on(get&) {
    request(target, get{}, 5s)
        .then([this](int& v) { result->store(v); },
              [this](const error&) {
                if (failures) failures->fetch_add(1);
              });
  }
  ref<counter> target;
  std::atomic<int>* result;
  std::atomic<int>* failures;
};

int read_total(actor_system& sys, const ref<counter>& c) {
  std::atomic<int> out{-1};
  auto p = sys.spawn<probe>(c, &out);
  p.send(get{});
  REQUIRE(eventually([&] { return out.load() != -1; }));
  return out.load();
}

}  // namespace

TEST_CASE("typed actors handle their messages in order", "[actor]") {
  actor_system sys(quiet_config());
  auto c = sys.spawn<counter>();
  for (int i = 1; i <= 100; ++i)
    c.send(add{i});
  CHECK(read_total(sys, c) == 5050);
  CHECK(c.id() != 0);
}

TEST_CASE("become swaps handlers until unbecome", "[actor]") {
  actor_system sys(quiet_config());
  auto c = sys.spawn<counter>();
  c.send(add{10});
  c.send(swap_mode{});
  c.send(add{3});  // subtracts now
  CHECK(read_total(sys, c) == 7);
  c.send(swap_mode{});  // the become() handler calls unbecome()
  c.send(add{5});
  CHECK(read_total(sys, c) == 12);
}

TEST_CASE("an untyped ref delivers unknown types to the unhandled hook", "[actor]") {
  std::vector<std::string> lines;
  std::mutex lines_mutex;
  actor_system_config config = quiet_config();
  config.log = [&](std::string_view line) {
    std::lock_guard lock(lines_mutex);
    lines.emplace_back(line);
  };
  actor_system sys(config);
  auto c = sys.spawn<counter>();
  const actor_ref& any = c;
  any.send(stranger{});
  any.send(stranger{});
  any.send(add{1});
  CHECK(read_total(sys, c) == 1);  // the actor survived both
  CHECK(sys.unhandled_messages() == 2);
  std::lock_guard lock(lines_mutex);
  REQUIRE(lines.size() == 1);  // logged once per type
  CHECK(lines[0].find("stranger") != std::string::npos);
}

TEST_CASE("an exception escaping a handler stops the actor with that reason", "[actor]") {
  std::atomic<int> stops{0};
  actor_system sys(quiet_config());
  auto c = sys.spawn<counter>(&stops);
  c.send(boom{});
  REQUIRE(eventually([&] { return stops.load() == 1; }));
  REQUIRE(eventually([&] { return sys.running_actors() == 0; }));
  // A stopped actor answers requests with actor_down.
  std::atomic<int> out{-1}, failures{0};
  auto p = sys.spawn<probe>(c, &out, &failures);
  p.send(get{});
  REQUIRE(eventually([&] { return failures.load() == 1; }));
  CHECK(out.load() == -1);
}

TEST_CASE("dropping the last ref stops an actor as unreachable and frees it", "[actor]") {
  std::atomic<int> stops{0};
  actor_system sys(quiet_config());
  {
    auto c = sys.spawn<counter>(&stops);
    c.send(add{1});
  }
  REQUIRE(eventually([&] { return stops.load() == 1 && sys.live_cells() == 0; }));
  CHECK(sys.running_actors() == 0);
}

TEST_CASE("on_start runs first, on the actor's thread", "[actor]") {
  struct starter : actor<starter, get> {
    explicit starter(std::atomic<int>* s) : seen(s) {}
    void on_start() override { started = true; }
    void on(get&) { seen->store(started ? 1 : 2); }
    bool started = false;
    std::atomic<int>* seen;
  };
  actor_system sys(quiet_config());
  std::atomic<int> seen{0};
  auto s = sys.spawn<starter>(&seen);
  s.send(get{});
  REQUIRE(eventually([&] { return seen.load() != 0; }));
  CHECK(seen.load() == 1);
}

TEST_CASE("a throwing constructor leaves nothing behind", "[actor]") {
  struct fragile : actor<fragile, get> {
    fragile() { throw std::runtime_error("no"); }
    void on(get&) {}
  };
  actor_system sys(quiet_config());
  CHECK_THROWS_AS(sys.spawn<fragile>(), std::runtime_error);
  CHECK(sys.live_cells() == 0);
  CHECK(sys.running_actors() == 0);
}

TEST_CASE("sending through an empty ref is a clear error", "[actor]") {
  ref<counter> nobody;
  CHECK_THROWS_AS(nobody.send(add{1}), std::logic_error);
}

TEST_CASE("shutdown stops running actors and frees them", "[actor]") {
  std::atomic<int> stops{0};
  {
    actor_system sys(quiet_config());
    auto a = sys.spawn<counter>(&stops);
    auto b = sys.spawn<counter>(&stops);
    sys.registry().put("b", b);
    a.send(add{1});
    sys.shutdown();
    CHECK(stops.load() == 2);
    CHECK(sys.running_actors() == 0);
    a.reset();
    b.reset();
    CHECK(sys.live_cells() == 0);
  }
}

TEST_CASE("actor_system_config::from_env validates JAEGIS_THROUGHPUT", "[actor][config]") {
  ::setenv("JAEGIS_THROUGHPUT", "7", 1);
  CHECK(actor_system_config::from_env().throughput == 7);
  ::setenv("JAEGIS_THROUGHPUT", "0", 1);
  CHECK_THROWS_AS(actor_system_config::from_env(), std::invalid_argument);
  ::setenv("JAEGIS_THROUGHPUT", "lots", 1);
  CHECK_THROWS_AS(actor_system_config::from_env(), std::invalid_argument);
  ::unsetenv("JAEGIS_THROUGHPUT");
  CHECK(actor_system_config::from_env().throughput == 128);
}

namespace {
struct job {
  int x;
};
struct result_msg {
  int y;
};
struct doubler : actor<doubler, job> {
  int on(job& j) { return 2 * j.x; }
};
/// Forwards jobs to a doubler: requests keep their requester, so the answer goes straight back.
struct relay : actor<relay, job> {
  explicit relay(ref<doubler> d) : next(std::move(d)) {}
  void on(job&) { forward(next); }
  ref<doubler> next;
};
/// Replies to plain sends with a message back to the sender.
struct echo : actor<echo, job> {
  void on(job& j) { reply(result_msg{j.x}); }
};
struct asker : actor<asker, job, result_msg> {
  asker(actor_ref r, actor_ref e, std::atomic<int>* a, std::atomic<int>* b)
      : via_relay(std::move(r)), to_echo(std::move(e)), answer(a), echoed(b) {}
  void on(job& j) {
    request<int>(via_relay, job{j.x}, 5s)
        .then([this](int& v) { answer->store(v); }, [this](const error&) { answer->store(-1); });
    to_echo.send(job{j.x + 1});
  }
  void on(result_msg& r) { echoed->store(r.y); }
  actor_ref via_relay, to_echo;
  std::atomic<int>* answer;
  std::atomic<int>* echoed;
};
}  // namespace

TEST_CASE("forward hands a request on, reply answers a plain send", "[actor]") {
  actor_system sys(quiet_config());
  std::atomic<int> answer{0}, echoed{0};
  auto d = sys.spawn<doubler>();
  auto r = sys.spawn<relay>(d);
  auto e = sys.spawn<echo>();
  auto a = sys.spawn<asker>(r, e, &answer, &echoed);
  a.send(job{21});
  REQUIRE(eventually([&] { return answer.load() != 0 && echoed.load() != 0; }));
  CHECK(answer.load() == 42);
  CHECK(echoed.load() == 22);
}
