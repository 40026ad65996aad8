// Remoting over the shared-memory carrier between two processes: this one and a peer process
// (transports_remote_peer, on shm) that serves a calc and a sink. 10^7 numbered messages arrive
// exactly once and in order; a peer killed with SIGKILL mid-stream gives a node_down to monitors
// and to the pending requests, and the survivor goes on with a new peer.

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <jaegis/transports/remote_node.hpp>
#include <jaegis/transports/shm_transport.hpp>
#include <memory>
#include <string>
#include <thread>

#include "../common/actor_test_support.hpp"
#include "child_process.hpp"
#include "remote_test_support.hpp"
#include "shm_remote_support.hpp"

using namespace jaegis;
using namespace remote_test;
using namespace shm_test;
using namespace std::chrono_literals;
using test::eventually;

namespace {

const std::string secret = "the shm tests' shared secret";

#ifdef JAEGIS_SANITIZED
constexpr std::uint64_t message_count = 100'000;  // sanitizers: the same path, fewer laps
#else
constexpr std::uint64_t message_count = 10'000'000;
#endif

/// A fresh socket path for a peer, removed again once the peer is gone.
struct socket_path {
  socket_path() {
    static std::atomic<int> counter{0};
    value = "/tmp/jaegis-shm-remote-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter.fetch_add(1)) + ".sock";
  }
  ~socket_path() { ::unlink(value.c_str()); }
  std::string value;
};

/// The peer process (tests/transports/remote_peer_main.cpp on shm), ready once it listens.
struct peer_process : socket_path, child_process {
  peer_process() : child_process({JAEGIS_REMOTE_PEER_PATH, secret, "shm", value}), path(value) {
    REQUIRE(first_line() == "ready");
  }
  const std::string& path;
};

/// This process's node, with the shm carrier.
struct local_node {
  local_node() : system(test::quiet_config()), node(system, config(log)) {
    transports::shm_config shm;
    shm.log = log.writer();
    node.add_transport(transports::make_shm_transport(shm));
  }
  static remote_node_config config(log_sink& log) {
    remote_node_config c;
    c.node_id = 1;
    c.secret = transports::shared_secret::from_string(secret);
    c.heartbeat_interval = 200ms;
    c.log = log.writer();
    return c;
  }
  node_info connect(const peer_process& p) {
    return node.connect_async("shm", p.path, 0, 5s).get(10s);
  }
  log_sink log;
  actor_system system;
  remote_node node;
};

/// What the driver saw.
struct progress {
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> reported{0};
  std::atomic<std::uint64_t> out_of_order{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::string failure;
};

struct next_window {};

/// Sends the numbers in windows; after each window a request for the sink's report, which comes
/// back after the window (one proxy, one connection, one mailbox: in order), so at most one
/// window is in flight and memory stays bounded.
struct driver : actor<driver, next_window> {
  driver(ref<sink> t, std::uint64_t total, progress* p)
      : target(std::move(t)), total(total), p(p) {}
  void on(next_window&) {
    const std::uint64_t end = std::min(total, sent + window);
    for (; sent < end; ++sent)
      send(target, numbered{sent});
    request(target, report_ask{}, 60s)
        .then(
            [this](report& r) {
              p->reported = r.count;
              p->out_of_order = r.out_of_order;
              if (r.count != sent || r.out_of_order != 0) {
                fail("the sink's count does not match what was sent");
              } else if (sent == total) {
                p->done = true;
              } else {
                send(self(), next_window{});
              }
            },
            [this](const error& e) { fail(e.to_string()); });
  }
  void fail(std::string why) {
    {
      std::lock_guard lock(p->mutex);
      p->failure = std::move(why);
    }
    p->failed = true;
    p->done = true;
  }
  static constexpr std::uint64_t window = 50'000;
  ref<sink> target;
  std::uint64_t total;
  std::uint64_t sent = 0;
  progress* p;
};

}  // namespace

TEST_CASE("shm remoting: numbered messages between two processes arrive once and in order",
          "[remote][shm]") {
  peer_process peer;
  local_node local;
  const node_info info = local.connect(peer);
  CHECK_THAT(info.address, Catch::StartsWith("shm:" + peer.path));
  ref<sink> remote = local.node.lookup<sink>(info, "sink", 5s);
  progress p;
  auto d = local.system.spawn<driver>(remote, message_count, &p);
  d.send(next_window{});
  REQUIRE(eventually([&] { return p.done.load(); }, 100s));
  {
    std::lock_guard lock(p.mutex);
    INFO("failure: " << p.failure);
    CHECK_FALSE(p.failed);
  }
  CHECK(p.reported == message_count);
  CHECK(p.out_of_order == 0);
  CHECK(local.node.stats().protocol_errors == 0);
}

TEST_CASE("shm remoting: a peer killed with SIGKILL mid-stream is down at once, the node goes on",
          "[remote][shm]") {
  local_node local;
  observed seen;
  ref<client> user;
  node_info first;
  {
    auto peer = std::make_unique<peer_process>();
    first = local.connect(*peer);
    ref<calc> remote = local.node.lookup<calc>(first, "calc", 5s);
    user = local.system.spawn<client>(remote, &seen, true);
    user.send(watch_it{});
    std::atomic<bool> stop{false};
    std::thread streamer([&] {
      for (int i = 0; !stop; ++i) {
        user.send(ask_sum{i, 1});
        if (i % 64 == 0) std::this_thread::sleep_for(100us);
      }
    });
    REQUIRE(eventually([&] { return seen.sums > 100; }, 30s));
    peer->kill9();
    // Well under the heartbeat timeout (600 ms): the socket's end, not silence, reported it.
    REQUIRE(eventually([&] { return seen.downs == 1; }, 30s));
    REQUIRE(eventually([&] { return seen.errors > 0; }, 30s));
    stop = true;
    streamer.join();
  }
  {
    std::lock_guard lock(seen.mutex);
    CHECK(seen.last_down.code() == errc::node_down);
    CHECK(seen.last_error.code() == errc::node_down);
  }
  REQUIRE(eventually([&] { return local.node.stats().peers == 0; }, 10s));
  CHECK(local.log.contains("peer process gone"));
  // The survivor keeps serving: a new peer process is a new incarnation.
  peer_process second;
  const node_info again = local.connect(second);
  CHECK(again.incarnation != first.incarnation);
  ref<calc> fresh = local.node.lookup<calc>(again, "calc", 5s);
  observed seen2;
  auto user2 = local.system.spawn<client>(fresh, &seen2, true);
  user2.send(ask_sum{20, 22});
  REQUIRE(eventually([&] { return seen2.sums == 1; }, 30s));
  CHECK(seen2.last_sum == 42);
}
