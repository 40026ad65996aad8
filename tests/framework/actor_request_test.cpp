#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "actor_test_support.hpp"

using namespace jaegis;
using namespace jaegis::test;

namespace {

struct square {
  int x;
};
struct nothing {};

struct server : actor<server, square, nothing> {
  int on(square& s) { return s.x * s.x; }
  void on(nothing&) {}
};

/// A server that answers slowly; lets a test race timeouts against replies.
struct sleeper : actor<sleeper, square> {
  void on(square&) { std::this_thread::sleep_for(std::chrono::milliseconds(200)); }
};

struct outcome {
  std::atomic<int> values{0};
  std::atomic<int> errors{0};
  std::atomic<int> last_value{0};
  std::atomic<int> last_error{0};
};

struct client : actor<client, square, nothing> {
  client(actor_ref t, outcome* o, std::chrono::milliseconds timeout)
      : target(t), out(o), limit(timeout) {}
  void on(square& s) {
    request<int>(target, s, limit)
        .then(
            [this](int& v) {
              out->last_value = v;
              out->values.fetch_add(1);
            },
            [this](const error& e) {
              out->last_error = static_cast<int>(e.code());
              out->errors.fetch_add(1);
            });
  }
  void on(nothing&) {}
  actor_ref target;
  outcome* out;
  std::chrono::milliseconds limit;
};

struct co_client : actor<co_client, square> {
  co_client(ref<server> t, outcome* o) : target(std::move(t)), out(o) {}
  task<> on(square& s) {
    result<int> first = co_await request(target, square{s.x}, 5s);
    result<int> second = co_await request(target, square{first.value()}, 5s);
    out->last_value = second.value();
    out->values.fetch_add(1);
  }
  ref<server> target;
  outcome* out;
};

}  // namespace

TEST_CASE("request with then: the handler's return value is the response", "[request]") {
  actor_system sys(quiet_config());
  outcome out;
  auto s = sys.spawn<server>();
  auto c = sys.spawn<client>(s, &out, std::chrono::milliseconds(5000));
  c.send(square{7});
  REQUIRE(eventually([&] { return out.values.load() == 1; }));
  CHECK(out.last_value.load() == 49);
  CHECK(out.errors.load() == 0);
}

TEST_CASE("co_await a request inside a coroutine handler", "[request][coroutine]") {
  actor_system sys(quiet_config());
  outcome out;
  auto s = sys.spawn<server>();
  auto c = sys.spawn<co_client>(s, &out);
  c.send(square{3});
  REQUIRE(eventually([&] { return out.values.load() == 1; }));
  CHECK(out.last_value.load() == 81);
}

TEST_CASE("a request timeout arrives as an error exactly once", "[request][timeout]") {
  actor_system sys(quiet_config());
  outcome out;
  auto slow = sys.spawn<sleeper>();
  auto c = sys.spawn<client>(slow, &out, std::chrono::milliseconds(20));
  c.send(square{2});
  REQUIRE(eventually([&] { return out.errors.load() == 1; }));
  CHECK(out.last_error.load() == static_cast<int>(errc::request_timeout));
  // The late reply (after ~200 ms) must not produce a second outcome.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(out.errors.load() == 1);
  CHECK(out.values.load() == 0);
}

TEST_CASE("many racing timeouts and replies: one outcome per request", "[request][timeout]") {
  actor_system sys(quiet_config());
  outcome out;
  auto s = sys.spawn<server>();
  // A 1 ms timeout against a reply that takes about as long: both orders happen.
  auto c = sys.spawn<client>(s, &out, std::chrono::milliseconds(1));
  const int requests = static_cast<int>(scaled(20000));
  for (int i = 0; i < requests; ++i)
    c.send(square{i % 100});
  REQUIRE(eventually([&] { return out.values.load() + out.errors.load() == requests; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(out.values.load() + out.errors.load() == requests);
}

namespace {
/// A server that keeps every `square` request open (answering them only when it stops).
struct mute : actor<mute, square> {
  void on(square&) { held.push_back(detail::open_request::take(*detail::actor_cell::current())); }
  void on_stop(const exit_reason&) override {
    for (detail::open_request& r : held)
      detail::respond_error(r, error(errc::actor_down, "mute stopped"));
  }
  std::vector<detail::open_request> held;
};

/// Sends two requests to `target`: the first with a long timeout, then one with a short one.
struct two_timeouts : actor<two_timeouts, nothing> {
  two_timeouts(actor_ref t, outcome* l, outcome* s) : target(t), long_out(l), short_out(s) {}
  void on(nothing&) {
    request<int>(target, square{1}, std::chrono::seconds(30))
        .then([this](int&) { long_out->values.fetch_add(1); },
              [this](const error&) { long_out->errors.fetch_add(1); });
    request<int>(target, square{2}, std::chrono::milliseconds(30))
        .then([this](int&) { short_out->values.fetch_add(1); },
              [this](const error& e) {
                short_out->last_error = static_cast<int>(e.code());
                short_out->errors.fetch_add(1);
              });
  }
  actor_ref target;
  outcome* long_out;
  outcome* short_out;
};
}  // namespace

TEST_CASE("a shorter timeout after a longer one still fires on time", "[request][timeout]") {
  // One timer per actor, armed for the earliest deadline: the second request must re-arm it.
  actor_system sys(quiet_config());
  outcome long_out, short_out;
  auto silent = sys.spawn<mute>();
  auto c = sys.spawn<two_timeouts>(silent, &long_out, &short_out);
  c.send(nothing{});
  REQUIRE(eventually([&] { return short_out.errors.load() == 1; }));
  CHECK(short_out.last_error.load() == static_cast<int>(errc::request_timeout));
  CHECK(long_out.errors.load() + long_out.values.load() == 0);  // still open: 30 s
}

TEST_CASE("an armed request timeout does not keep its actor alive", "[request][timeout]") {
  actor_system sys(quiet_config());
  outcome out;
  auto s = sys.spawn<server>();
  {
    // A 60 s timeout, answered at once: the actor, once unreferenced, must go now, not in 60 s.
    auto c = sys.spawn<client>(s, &out, std::chrono::milliseconds(60000));
    c.send(square{3});
    REQUIRE(eventually([&] { return out.values.load() == 1; }));
  }
  REQUIRE(eventually([&] { return sys.running_actors() == 1; }));  // only the server is left
  CHECK(out.last_value.load() == 9);
}

TEST_CASE("requests fail clearly: unexpected message, stopped receiver", "[request]") {
  struct other {};
  actor_system sys(quiet_config());
  outcome out;
  auto s = sys.spawn<server>();
  {
    struct asker : actor<asker, nothing> {
      asker(actor_ref t, outcome* o) : target(t), out(o) {}
      void on(nothing&) {
        request<int>(target, other{}, 5s)
            .then([](int&) {},
                  [this](const error& e) {
                    out->last_error = static_cast<int>(e.code());
                    out->errors.fetch_add(1);
                  });
      }
      actor_ref target;
      outcome* out;
    };
    auto a = sys.spawn<asker>(s, &out);
    a.send(nothing{});
    REQUIRE(eventually([&] { return out.errors.load() == 1; }));
    CHECK(out.last_error.load() == static_cast<int>(errc::unexpected_message));
  }
  struct quitter : actor<quitter, square> {
    int on(square&) {
      quit();
      return 1;
    }
  };
  auto q = sys.spawn<quitter>();
  auto c = sys.spawn<client>(q, &out, std::chrono::milliseconds(5000));
  c.send(square{1});  // answered, then the quitter stops
  REQUIRE(eventually([&] { return out.values.load() == 1; }));
  c.send(square{1});  // to a stopped actor: actor_down
  REQUIRE(eventually([&] { return out.errors.load() == 2; }));
  CHECK(out.last_error.load() == static_cast<int>(errc::actor_down));
}

TEST_CASE("a void handler answers a request with unit_t", "[request]") {
  actor_system sys(quiet_config());
  struct asker : actor<asker, nothing> {
    asker(ref<server> t, std::atomic<int>* d) : target(std::move(t)), done(d) {}
    void on(nothing&) {
      request(target, nothing{}, 5s)
          .then([this](unit_t&) { done->store(1); }, [this](const error&) { done->store(2); });
    }
    ref<server> target;
    std::atomic<int>* done;
  };
  std::atomic<int> done{0};
  auto s = sys.spawn<server>();
  auto a = sys.spawn<asker>(s, &done);
  a.send(nothing{});
  REQUIRE(eventually([&] { return done.load() != 0; }));
  CHECK(done.load() == 1);
}

TEST_CASE("exclusively(): other messages wait until the response", "[request]") {
  struct tick {};
  struct waiter : actor<waiter, square, tick> {
    waiter(ref<sleeper> t, std::vector<int>* l, std::atomic<int>* d)
        : target(std::move(t)), log(l), done(d) {}
    void on(square&) {
      request(target, square{1}, 5s)
          .exclusively()
          .then([this](unit_t&) { log->push_back(1); },
                [this](const error&) { log->push_back(-1); });
    }
    void on(tick&) {
      log->push_back(2);
      done->store(1);
    }
    ref<sleeper> target;
    std::vector<int>* log;
    std::atomic<int>* done;
  };
  actor_system sys(quiet_config());
  std::vector<int> log;
  std::atomic<int> done{0};
  auto slow = sys.spawn<sleeper>();
  auto w = sys.spawn<waiter>(slow, &log, &done);
  w.send(square{1});
  w.send(tick{});
  REQUIRE(eventually([&] { return done.load() == 1; }));
  CHECK(log == std::vector<int>{1, 2});
}

TEST_CASE("a coroutine handler's message outlives its suspensions", "[request][coroutine]") {
  struct keeper : actor<keeper, square> {
    keeper(ref<server> t, outcome* o) : target(std::move(t)), out(o) {}
    task<> on(square& s) {  // by reference: the message must stay alive across co_await
      result<int> r = co_await request(target, square{2}, 5s);
      std::this_thread::yield();
      out->last_value = s.x + r.value();
      out->values.fetch_add(1);
    }
    ref<server> target;
    outcome* out;
  };
  actor_system sys(quiet_config());
  outcome out;
  auto s = sys.spawn<server>();
  auto k = sys.spawn<keeper>(s, &out);
  for (int i = 0; i < 50; ++i)
    k.send(square{1000 + i});
  REQUIRE(eventually([&] { return out.values.load() == 50; }));
  CHECK(out.last_value.load() >= 1004);
}
