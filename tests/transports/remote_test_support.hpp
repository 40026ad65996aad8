#pragma once

// Actors and message types shared by the remoting tests (in-memory and TCP).

#include <atomic>
#include <cstdint>
#include <jaegis/framework/actor_system.hpp>
#include <jaegis/framework/send_exit.hpp>
#include <jaegis/transports/remote_node.hpp>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace remote_test {

struct ping {
  std::uint32_t n = 0;
};
struct add_req {
  std::int32_t a = 0;
  std::int32_t b = 0;
};
struct sum {
  std::int32_t value = 0;
};
/// code 0: quit normally; otherwise throw (the actor stops with unhandled_exception).
struct stop_now {
  std::uint32_t code = 0;
};
struct text_msg {
  std::string text;
};
template <class Inspector>
bool serialize(Inspector& f, text_msg& t) {
  return f(t.text);
}
/// Never declared remote: sending it through an untyped remote ref must fail cleanly.
struct not_remote {
  int x = 0;
};

}  // namespace remote_test

JAEGIS_REMOTE_TYPE(remote_test::ping, "test.ping")
JAEGIS_REMOTE_TYPE(remote_test::add_req, "test.add")
JAEGIS_REMOTE_TYPE(remote_test::sum, "test.sum")
JAEGIS_REMOTE_TYPE(remote_test::stop_now, "test.stop")
JAEGIS_REMOTE_TYPE(remote_test::text_msg, "test.text")

namespace remote_test {

/// What the test's actors saw, read by the test thread.
struct observed {
  std::atomic<int> pings{0};
  std::atomic<int> pongs{0};
  std::atomic<int> sums{0};
  std::atomic<int> last_sum{0};
  std::atomic<int> errors{0};
  std::atomic<int> downs{0};
  std::atomic<int> exits{0};
  std::mutex mutex;
  std::string last_text;
  jaegis::error last_error;
  jaegis::error last_down;
  jaegis::error last_exit;
};

/// The served actor: answers pings with pings (to the sender), sums, stops on request.
struct calc : jaegis::actor<calc, ping, add_req, stop_now, text_msg> {
  explicit calc(observed* o) : seen(o) {}
  void on(ping& p) {
    seen->pings.fetch_add(1);
    reply(ping{p.n + 1});
  }
  sum on(add_req& r) { return sum{r.a + r.b}; }
  void on(stop_now& s) {
    if (s.code != 0) throw std::runtime_error("asked to fail");
    quit();
  }
  void on(text_msg& t) {
    std::lock_guard lock(seen->mutex);
    seen->last_text = t.text;
  }
  observed* seen;
};

struct ask_sum {
  std::int32_t a = 0;
  std::int32_t b = 0;
};
struct ask_ping {
  std::uint32_t n = 0;
};
struct watch_it {};
struct link_it {};
struct send_unregistered {};

/// The client on the other node: asks `target`, watches it, links to it.
struct client : jaegis::actor<client, ask_sum, ask_ping, watch_it, link_it, send_unregistered, ping,
                              jaegis::down_msg, jaegis::exit_msg> {
  client(jaegis::ref<calc> t, observed* o, bool trap) : target(std::move(t)), seen(o) {
    trap_exit(trap);
  }
  void on(ask_sum& q) {
    request(target, add_req{q.a, q.b}, std::chrono::seconds(30))
        .then(
            [this](sum& s) {
              seen->last_sum = s.value;
              seen->sums.fetch_add(1);
            },
            [this](const jaegis::error& e) {
              {
                std::lock_guard lock(seen->mutex);
                seen->last_error = e;
              }
              seen->errors.fetch_add(1);
            });
  }
  void on(ask_ping& p) { send(target, ping{p.n}); }
  void on(watch_it&) { monitor(target); }
  void on(link_it&) { link(target); }
  void on(send_unregistered&) {
    const jaegis::actor_ref& untyped = target;
    request<jaegis::unit_t>(untyped, not_remote{1}, std::chrono::seconds(30))
        .then([](jaegis::unit_t&) {},
              [this](const jaegis::error& e) {
                {
                  std::lock_guard lock(seen->mutex);
                  seen->last_error = e;
                }
                seen->errors.fetch_add(1);
              });
  }
  void on(ping&) { seen->pongs.fetch_add(1); }
  void on(jaegis::down_msg& d) {
    {
      std::lock_guard lock(seen->mutex);
      seen->last_down = d.reason;
    }
    seen->downs.fetch_add(1);
  }
  void on(jaegis::exit_msg& x) {
    {
      std::lock_guard lock(seen->mutex);
      seen->last_exit = x.reason;
    }
    seen->exits.fetch_add(1);
  }
  jaegis::ref<calc> target;
  observed* seen;
};

/// Another actor class whose messages are all remote types (lookups that expect it must fail on
/// a calc).
struct other_actor : jaegis::actor<other_actor, ping> {
  void on(ping&) {}
};

/// Collects a node's log lines (protocol errors, nodes down) for assertions.
struct log_sink {
  std::mutex mutex;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> writer() {
    return [this](std::string_view line) {
      std::lock_guard lock(mutex);
      lines.emplace_back(line);
    };
  }
  bool contains(std::string_view part) {
    std::lock_guard lock(mutex);
    for (const auto& l : lines) {
      if (l.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

}  // namespace remote_test
