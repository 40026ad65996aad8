// The remoting protocol between two actor systems in one process, over the in-memory carrier and
// the deterministic executor: the handshake, publish and lookup, send and request, monitors and
// links across nodes, node down (a severed link, missed heartbeats) and what it fails. Each case
// runs for several seeds; a seed gives the same interleaving every time.
#include <catch2/catch.hpp>
#include <jaegis/schedulers/deterministic_executor.hpp>
#include <jaegis/transports/mem_transport.hpp>
#include <jaegis/transports/remote_node.hpp>
#include <memory>

#include "../common/actor_test_support.hpp"
#include "remote_test_support.hpp"

using namespace jaegis;
using namespace remote_test;
using namespace std::chrono_literals;

namespace {

actor_system_config deterministic(std::uint64_t seed) {
  actor_system_config config = test::quiet_config();
  config.executor.kind = sched::executor_kind::deterministic;
  config.executor.seed = seed;
  return config;
}

/// Two nodes, "a" and "b", each on its own deterministic system, linked by a mem_network. The
/// network is declared first: it must outlive both nodes.
struct two_nodes {
  explicit two_nodes(std::uint64_t seed, std::string secret_b = {})
      : sys_a(deterministic(seed)), sys_b(deterministic(seed * 7 + 1)) {
    node_a = std::make_unique<remote_node>(sys_a, config(1, secret, log_a));
    node_b = std::make_unique<remote_node>(sys_b,
                                           config(2, secret_b.empty() ? secret : secret_b, log_b));
    node_a->add_transport(net.endpoint("a", sys_a.executor()));
    node_b->add_transport(net.endpoint("b", sys_b.executor()));
    node_a->listen("mem", "a", 0);
    node_b->listen("mem", "b", 0);
  }
  ~two_nodes() {
    node_a.reset();
    node_b.reset();
    settle();
  }

  remote_node_config config(std::uint64_t id, const std::string& key, log_sink& log) {
    remote_node_config c;
    c.node_id = id;
    c.secret = transports::shared_secret::from_string(key);
    c.run_heartbeat_thread = false;
    c.close_flush_timeout = 0ms;  // nothing runs while the test thread would wait
    c.clock_ms = [this] { return now_ms.load(); };
    c.log = log.writer();
    return c;
  }

  sched::deterministic_executor& exec(actor_system& s) {
    return static_cast<sched::deterministic_executor&>(s.executor());
  }
  /// Runs both executors until neither has work, or `done` holds.
  template <class Done>
  bool run_until(Done done, int rounds = 10000) {
    for (int i = 0; i < rounds; ++i) {
      if (done()) return true;
      const std::size_t ran = exec(sys_a).run_until_idle() + exec(sys_b).run_until_idle();
      if (ran == 0 && !done()) return false;
    }
    return done();
  }
  void settle() {
    run_until([] { return false; });
  }

  node_info connect_a_to_b() {
    auto f = node_a->connect_async("mem", "b", 0, 1s);
    REQUIRE(run_until([&] { return f.ready(); }));
    return f.get(0ms);
  }

  std::string secret = "a shared secret of some length";
  std::atomic<std::int64_t> now_ms{1000};
  log_sink log_a;
  log_sink log_b;
  transports::mem_network net;
  actor_system sys_a;
  actor_system sys_b;
  std::unique_ptr<remote_node> node_a;
  std::unique_ptr<remote_node> node_b;
};

/// Node b serves a calc as "calc"; node a has a client holding a ref to it.
struct served : two_nodes {
  explicit served(std::uint64_t seed, bool trap = true) : two_nodes(seed) {
    node_b->publish("calc", sys_b.spawn<calc>(&at_b));
    peer = connect_a_to_b();
    auto f = node_a->lookup_async<calc>(peer, "calc");
    REQUIRE(run_until([&] { return f.ready(); }));
    remote = remote_node::typed<calc>(f.get(0ms));
    REQUIRE(remote);
    user = sys_a.spawn<client>(remote, &at_a, trap);
  }
  ~served() {
    user.reset();
    remote.reset();
  }
  observed at_a;
  observed at_b;
  node_info peer;
  ref<calc> remote;
  ref<client> user;
};

}  // namespace

TEST_CASE("two nodes complete the handshake over the in-memory carrier", "[remote][mem]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    two_nodes n(seed);
    const node_info peer = n.connect_a_to_b();
    CHECK(peer.node_id == 2);
    CHECK(peer.incarnation == n.node_b->identity().incarnation);
    REQUIRE(n.run_until([&] { return n.node_b->peers().size() == 1; }));
    CHECK(n.node_b->peers()[0].node_id == 1);
    CHECK(n.node_a->peers().size() == 1);
  }
}

TEST_CASE("a wrong secret fails the connect and delivers nothing", "[remote][mem]") {
  two_nodes n(5, "another secret of some length");
  auto f = n.node_a->connect_async("mem", "b", 0, 1s);
  REQUIRE(n.run_until([&] { return f.ready(); }));
  try {
    (void)f.get(0ms);
    FAIL("connect succeeded with a wrong secret");
  } catch (const remote_error& e) {
    INFO(e.what());
    CHECK(e.reason().code() == errc::node_down);
    CHECK(std::string(e.what()).find("does not hold this node's secret") != std::string::npos);
  }
  n.settle();
  CHECK(n.node_a->peers().empty());
  CHECK(n.node_b->peers().empty());
  CHECK(n.node_b->stats().protocol_errors + n.node_a->stats().protocol_errors >= 1);
}

TEST_CASE("connecting to an unknown endpoint fails with the reason", "[remote][mem]") {
  two_nodes n(6);
  auto f = n.node_a->connect_async("mem", "nowhere", 0, 1s);
  REQUIRE(f.ready());
  CHECK_THROWS_WITH(f.get(0ms), Catch::Contains("no mem endpoint listens as 'nowhere'"));
}

TEST_CASE("send and request reach a remote actor and answers come back", "[remote][mem]") {
  for (std::uint64_t seed : {11u, 12u, 13u}) {
    served s(seed);
    s.user.send(ask_ping{41});
    s.user.send(ask_sum{2, 40});
    REQUIRE(s.run_until([&] { return s.at_a.pongs == 1 && s.at_a.sums == 1; }));
    CHECK(s.at_b.pings == 1);
    CHECK(s.at_a.last_sum == 42);
    // From outside any actor: fire and forget, with a payload that is not trivially copyable.
    s.remote.send(text_msg{"hello over the wire"});
    REQUIRE(s.run_until([&] {
      std::lock_guard lock(s.at_b.mutex);
      return s.at_b.last_text == "hello over the wire";
    }));
    CHECK(s.at_a.errors == 0);
  }
}

TEST_CASE("many requests in flight are each answered once, in any interleaving", "[remote][mem]") {
  for (std::uint64_t seed : {21u, 22u}) {
    served s(seed);
    for (int i = 0; i < 500; ++i)
      s.user.send(ask_sum{i, 1});
    REQUIRE(s.run_until([&] { return s.at_a.sums == 500; }));
    CHECK(s.at_a.errors == 0);
    CHECK(s.node_b->stats().proxies == 1);  // one proxy for the one remote sender
  }
}

TEST_CASE("lookup failures are clear errors", "[remote][mem]") {
  served s(31);
  auto missing = s.node_a->lookup_async<calc>(s.peer, "no-such-name");
  REQUIRE(s.run_until([&] { return missing.ready(); }));
  CHECK_THROWS_WITH(missing.get(0ms), Catch::Contains("no actor is published as 'no-such-name'"));
  auto wrong = s.node_a->lookup_async<other_actor>(s.peer, "calc");
  REQUIRE(s.run_until([&] { return wrong.ready(); }));
  CHECK_THROWS_WITH(wrong.get(0ms), Catch::Contains("another actor class"));
  node_info stranger{99, 1, "mem:x"};
  auto nowhere = s.node_a->lookup_async<calc>(stranger, "calc");
  CHECK_THROWS_WITH(nowhere.get(0ms), Catch::Contains("not connected to node 99"));
}

TEST_CASE("a monitor of a remote actor gets its exit reason", "[remote][mem]") {
  served s(41);
  s.user.send(watch_it{});
  s.settle();
  s.remote.send(stop_now{1});  // throws: unhandled_exception
  REQUIRE(s.run_until([&] { return s.at_a.downs == 1; }));
  std::lock_guard lock(s.at_a.mutex);
  CHECK(s.at_a.last_down.code() == errc::unhandled_exception);
  CHECK(s.at_a.last_down.what() == "asked to fail");
}

TEST_CASE("a request to a remote actor that stopped fails with actor_down", "[remote][mem]") {
  served s(42);
  s.remote.send(stop_now{0});
  s.settle();
  s.user.send(ask_sum{1, 1});
  REQUIRE(s.run_until([&] { return s.at_a.errors == 1; }));
  std::lock_guard lock(s.at_a.mutex);
  CHECK(s.at_a.last_error.code() == errc::actor_down);
}

TEST_CASE("a link to a remote actor carries its failure both ways", "[remote][mem]") {
  SECTION("the remote actor fails: the local one gets the exit") {
    served s(51, /*trap=*/true);
    s.user.send(link_it{});
    s.settle();
    s.remote.send(stop_now{1});
    REQUIRE(s.run_until([&] { return s.at_a.exits == 1; }));
    std::lock_guard lock(s.at_a.mutex);
    CHECK(s.at_a.last_exit.code() == errc::unhandled_exception);
  }
  SECTION("the local actor fails: the remote one stops with its reason") {
    served s(52, /*trap=*/false);
    observed watcher;
    // A second client on node a watches the calc, to see it stop.
    auto second = s.sys_a.spawn<client>(s.remote, &watcher, true);
    second.send(watch_it{});
    s.user.send(link_it{});
    s.settle();
    send_exit(s.user, error(errc::linked_exit, "the local side failed"));
    REQUIRE(s.run_until([&] { return watcher.downs == 1; }));
    std::lock_guard lock(watcher.mutex);
    CHECK(watcher.last_down.code() == errc::linked_exit);
    CHECK(watcher.last_down.what() == "the local side failed");
  }
}

TEST_CASE("a severed link is node down: monitors, links and requests all learn it",
          "[remote][mem]") {
  for (std::uint64_t seed : {61u, 62u, 63u}) {
    served s(seed);
    s.user.send(watch_it{});
    s.settle();
    // A request in flight: sent by node a, not yet answered (node b does not run) when the
    // link breaks.
    s.user.send(ask_sum{1, 2});
    s.exec(s.sys_a).run_until_idle();
    REQUIRE(s.net.sever("a", "b") == 1);
    REQUIRE(s.run_until([&] { return s.at_a.downs == 1 && s.at_a.errors == 1; }));
    {
      std::lock_guard lock(s.at_a.mutex);
      CHECK(s.at_a.last_down.code() == errc::node_down);
      CHECK(s.at_a.last_error.code() == errc::node_down);
    }
    // A request after the loss fails the same way (the proxy stopped with node_down).
    s.user.send(ask_sum{1, 2});
    REQUIRE(s.run_until([&] { return s.at_a.errors == 2; }));
    {
      std::lock_guard lock(s.at_a.mutex);
      CHECK(s.at_a.last_error.code() == errc::node_down);
    }
    CHECK(s.node_a->peers().empty());
    CHECK(s.node_b->peers().empty());
    CHECK(s.log_a.contains("is down"));
    // Reconnecting makes a new connection; the old ref stays dead, a new lookup works.
    const node_info again = s.connect_a_to_b();
    CHECK(again.node_id == 2);
    auto f = s.node_a->lookup_async<calc>(again, "calc");
    REQUIRE(s.run_until([&] { return f.ready(); }));
    ref<calc> fresh = remote_node::typed<calc>(f.get(0ms));
    CHECK(fresh.id() != s.remote.id());
    CHECK(s.remote.cell()->terminated());
  }
}

TEST_CASE("missed heartbeats declare the peer down", "[remote][mem]") {
  served s(71);
  s.user.send(watch_it{});
  s.settle();
  // Time passes with traffic: heartbeats keep both sides up.
  for (int i = 0; i < 10; ++i) {
    s.now_ms += 500;
    s.node_a->tick();
    s.node_b->tick();
    s.settle();
  }
  CHECK(s.at_a.downs == 0);
  CHECK(s.node_a->peers().size() == 1);
  // Node b goes silent (its ticks stop, so it sends no heartbeat): after three of its intervals
  // node a gives up on it.
  for (int i = 0; i < 8; ++i) {
    s.now_ms += 500;
    s.node_a->tick();
    s.exec(s.sys_a).run_until_idle();  // b's executor does not run: b is frozen
  }
  REQUIRE(s.run_until([&] { return s.at_a.downs == 1; }));
  std::lock_guard lock(s.at_a.mutex);
  CHECK(s.at_a.last_down.code() == errc::node_down);
  CHECK(s.at_a.last_down.what().find("heartbeat timeout") != std::string::npos);
}

TEST_CASE("an unregistered type sent through an untyped remote ref is refused at the sender",
          "[remote][mem]") {
  served s(81);
  s.user.send(send_unregistered{});
  REQUIRE(s.run_until([&] { return s.at_a.errors == 1; }));
  {
    std::lock_guard lock(s.at_a.mutex);
    CHECK(s.at_a.last_error.code() == errc::unexpected_message);
    CHECK(s.at_a.last_error.what().find("not a registered remote type") != std::string::npos);
  }
  // Nothing reached node b, and the connection still works.
  CHECK(s.node_b->stats().protocol_errors == 0);
  s.user.send(ask_sum{3, 4});
  REQUIRE(s.run_until([&] { return s.at_a.sums == 1; }));
}

TEST_CASE("disconnect says goodbye and the peer marks the node down at once", "[remote][mem]") {
  served s(91);
  s.user.send(watch_it{});
  s.settle();
  s.node_a->disconnect(2);
  REQUIRE(s.run_until([&] { return s.at_a.downs == 1; }));
  REQUIRE(s.run_until([&] { return s.node_b->peers().empty(); }));
  CHECK(s.log_b.contains("goodbye"));
}
