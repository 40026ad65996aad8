// Remoting over real TCP sockets on loopback: two nodes in this process, a peer in a process of
// its own that is killed mid-stream, and a raw socket that feeds a node bad input. Every failure
// must close only the connection it came on, with a logged reason, while the node goes on serving
// its other peers and loses no local message.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <jaegis/transports/frame_codec.hpp>
#include <jaegis/transports/handshake.hpp>
#include <jaegis/transports/remote_node.hpp>
#include <memory>

#include "../common/actor_test_support.hpp"
#include "child_process.hpp"
#include "remote_test_support.hpp"

using namespace jaegis;
using namespace remote_test;
using namespace std::chrono_literals;
using test::eventually;

namespace {

const std::string secret = "the tcp tests' shared secret";

remote_node_config node_config(std::uint64_t id, log_sink& log) {
  remote_node_config c;
  c.node_id = id;
  c.secret = transports::shared_secret::from_string(secret);
  c.heartbeat_interval = 200ms;
  c.log = log.writer();
  return c;
}

/// A node serving a calc as "calc" on a loopback port.
struct server {
  explicit server(std::uint64_t id)
      : system(test::quiet_config()), node(system, node_config(id, log)) {
    node.publish("calc", system.spawn<calc>(&seen));
    port = node.listen("127.0.0.1", 0);
  }
  log_sink log;
  observed seen;
  actor_system system;
  remote_node node;
  std::uint16_t port = 0;
};

/// A node with a client of some remote calc.
struct user_node {
  explicit user_node(std::uint64_t id)
      : system(test::quiet_config()), node(system, node_config(id, log)) {}
  ref<client> attach(std::uint16_t port, bool trap = true) {
    peer = node.connect("127.0.0.1", port, 5s);
    remote = node.lookup<calc>(peer, "calc", 5s);
    return system.spawn<client>(remote, &seen, trap);
  }
  log_sink log;
  observed seen;
  actor_system system;
  remote_node node;
  node_info peer;
  ref<calc> remote;
};

/// A blocking loopback socket that speaks raw bytes (and, if asked, the handshake).
class raw_peer {
 public:
  explicit raw_peer(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~raw_peer() { ::close(fd_); }

  void write(std::span<const std::byte> bytes) {
    // MSG_NOSIGNAL: the node may have closed already; that is what some tests expect.
    (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  void write(std::string_view text) { write(std::as_bytes(std::span(text.data(), text.size()))); }

  /// Runs the handshake as the initiator with `key`; true once established.
  bool handshake(const std::string& key, std::uint64_t id) {
    transports::handshake hs(
        transports::handshake_role::initiator,
        transports::handshake_config{{id, 7},
                                     transports::shared_secret::from_string(key),
                                     1000,
                                     transports::default_max_payload,
                                     nullptr});
    hs.start();
    write(hs.outbox());
    transports::frame_view f;
    while (!hs.established() && hs.state() != transports::handshake_state::failed) {
      if (!next_frame(f)) return false;
      hs.on_frame(f);
      if (!hs.outbox().empty()) write(hs.outbox());
    }
    return hs.established();
  }

  bool next_frame(transports::frame_view& f) {
    for (;;) {
      const auto st = decoder_.next(f);
      if (st == transports::frame_decoder::status::frame) return true;
      if (st == transports::frame_decoder::status::error) return false;
      std::byte buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      decoder_.feed(std::span(buffer, static_cast<std::size_t>(n)));
    }
  }

  /// True when the node has closed the connection (EOF), after skipping whatever it still sent.
  bool closed_by_peer() {
    std::byte buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_;
  transports::frame_decoder decoder_;
};

std::vector<std::byte> frame(transports::frame_header h, std::span<const std::byte> payload = {}) {
  std::vector<std::byte> out(transports::frame_header_size + payload.size());
  REQUIRE(transports::encode_frame(h, payload, out));
  return out;
}

/// The check after each kind of bad input: the node logged why, counted it, and still serves a
/// good peer, whose messages all arrive.
void still_serves(server& s, user_node& good, ref<client>& user, int expected_sums) {
  for (int i = 0; i < 100; ++i)
    user.send(ask_sum{i, 1});
  REQUIRE(eventually([&] { return good.seen.sums == expected_sums + 100; }, 30s));
  CHECK(good.seen.errors == 0);
  CHECK(s.node.peers().size() >= 1);
}

}  // namespace

TEST_CASE("two nodes over TCP: requests, messages and monitors work as locally", "[remote][tcp]") {
  server s(1);
  user_node u(2);
  ref<client> user = u.attach(s.port);
  user.send(watch_it{});
  const int n = static_cast<int>(test::scaled(20000));
  for (int i = 0; i < n; ++i)
    user.send(ask_sum{i, 1});
  for (int i = 0; i < n; ++i)
    user.send(ask_ping{static_cast<std::uint32_t>(i)});
  REQUIRE(eventually([&] { return u.seen.sums == n && u.seen.pongs == n; }, 60s));
  CHECK(s.seen.pings == n);
  CHECK(u.seen.errors == 0);
  u.remote.send(stop_now{1});
  REQUIRE(eventually([&] { return u.seen.downs == 1; }, 30s));
  std::lock_guard lock(u.seen.mutex);
  CHECK(u.seen.last_down.code() == errc::unhandled_exception);
}

TEST_CASE("a node without a secret refuses to listen beyond loopback", "[remote][tcp]") {
  actor_system system(test::quiet_config());
  remote_node_config c;
  c.log = [](std::string_view) {};
  remote_node node(system, c);
  CHECK_THROWS_WITH(node.listen("0.0.0.0", 0), Catch::Contains("without a shared secret"));
  CHECK(node.listen("127.0.0.1", 0) != 0);
}

TEST_CASE("connect failures are clear errors", "[remote][tcp]") {
  user_node u(3);
  server s(4);
  const std::uint16_t closed_port = [] {
    // A port nobody listens on: bind one, note it, close it.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }();
  CHECK_THROWS_AS(u.node.connect("127.0.0.1", closed_port, 2s), remote_error);
  // The wrong secret: the handshake fails on both sides, and nothing is delivered.
  actor_system other(test::quiet_config());
  log_sink log;
  remote_node_config c = node_config(5, log);
  c.secret = transports::shared_secret::from_string("not the secret of the others");
  remote_node intruder(other, c);
  CHECK_THROWS_WITH(intruder.connect("127.0.0.1", s.port, 2s), Catch::Contains("secret"));
  REQUIRE(eventually([&] { return s.log.contains("handshake failed"); }, 10s));
  CHECK(s.node.peers().empty());
}

TEST_CASE("bad input closes that connection only, with a logged reason", "[remote][tcp]") {
  server s(10);
  user_node good_node(11);
  ref<client> user = good_node.attach(s.port);
  int sums = 0;

  SECTION("garbage instead of frames") {
    raw_peer bad(s.port);
    bad.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(bad.closed_by_peer());
    REQUIRE(eventually([&] { return s.log.contains("bad magic"); }, 10s));
  }
  SECTION("a message before the handshake") {
    raw_peer bad(s.port);
    transports::frame_header h;
    h.kind = transports::frame_kind::message;
    h.type_id = transports::remote_type_id<ping>;
    h.receiver = 1;
    const std::byte payload[4] = {};
    bad.write(frame(h, payload));
    CHECK(bad.closed_by_peer());
    REQUIRE(eventually([&] { return s.log.contains("handshake failed"); }, 10s));
    CHECK(s.seen.pings == 0);
  }
  SECTION("a wrong HMAC (bad cookie)") {
    raw_peer bad(s.port);
    CHECK_FALSE(bad.handshake("a secret that is not the secret", 99));
    CHECK(bad.closed_by_peer());
    REQUIRE(eventually([&] { return s.log.contains("handshake failed"); }, 10s));
  }
  SECTION("an oversized frame") {
    raw_peer bad(s.port);
    REQUIRE(bad.handshake(secret, 98));
    transports::frame_header h;
    h.kind = transports::frame_kind::message;
    h.type_id = transports::remote_type_id<ping>;
    h.receiver = 1;
    h.payload_length = transports::default_max_payload + 1;
    std::vector<std::byte> header(transports::frame_header_size);
    transports::encode_header(h, std::span(header).first<transports::frame_header_size>());
    bad.write(header);
    CHECK(bad.closed_by_peer());
    REQUIRE(eventually([&] { return s.log.contains("oversized"); }, 10s));
  }
  SECTION("an unknown type id, and nothing after it is delivered") {
    raw_peer bad(s.port);
    REQUIRE(bad.handshake(secret, 97));
    // Find the calc's id the way a peer does: a lookup.
    transports::frame_header q;
    q.kind = transports::frame_kind::lookup;
    q.request_id = 1;
    const std::byte query[] = {std::byte{4},
                               {},
                               {},
                               {},
                               std::byte{'c'},
                               std::byte{'a'},
                               std::byte{'l'},
                               std::byte{'c'},
                               {},
                               {},
                               {},
                               {},
                               {},
                               {},
                               {},
                               {}};
    bad.write(frame(q, query));
    transports::frame_view answer;
    REQUIRE(bad.next_frame(answer));
    REQUIRE(answer.header.kind == transports::frame_kind::lookup_result);
    const std::uint64_t calc_id = answer.header.receiver;
    REQUIRE(calc_id != 0);
    // An unknown type, then a well-formed ping to the calc in the same write.
    transports::frame_header h;
    h.kind = transports::frame_kind::message;
    h.type_id = 0x1234567;
    h.receiver = calc_id;
    std::vector<std::byte> bytes = frame(h);
    transports::frame_header p = h;
    p.type_id = transports::remote_type_id<ping>;
    const std::byte payload[4] = {};
    const std::vector<std::byte> good = frame(p, payload);
    bytes.insert(bytes.end(), good.begin(), good.end());
    bad.write(bytes);
    CHECK(bad.closed_by_peer());
    REQUIRE(eventually([&] { return s.log.contains("unknown type id"); }, 10s));
    still_serves(s, good_node, user, sums);
    CHECK(s.seen.pings == 0);  // the ping after the bad frame was not delivered
    return;
  }
  SECTION("a payload that does not decode") {
    raw_peer bad(s.port);
    REQUIRE(bad.handshake(secret, 96));
    transports::frame_header h;
    h.kind = transports::frame_kind::message;
    h.type_id = transports::remote_type_id<ping>;
    h.receiver = 1;
    const std::byte too_short[2] = {};
    bad.write(frame(h, too_short));
    CHECK(bad.closed_by_peer());
    REQUIRE(eventually([&] { return s.log.contains("bad payload"); }, 10s));
  }
  SECTION("a handshake frame after the handshake (out of order)") {
    raw_peer bad(s.port);
    REQUIRE(bad.handshake(secret, 95));
    transports::frame_header h;
    h.kind = transports::frame_kind::accept;
    bad.write(frame(h));
    CHECK(bad.closed_by_peer());
    REQUIRE(eventually([&] { return s.log.contains("out of order"); }, 10s));
  }
  SECTION("a truncated frame, then the connection ends") {
    {
      raw_peer bad(s.port);
      REQUIRE(bad.handshake(secret, 94));
      transports::frame_header h;
      h.kind = transports::frame_kind::message;
      h.type_id = transports::remote_type_id<ping>;
      h.receiver = 1;
      const std::byte payload[4] = {};
      auto bytes = frame(h, payload);
      bad.write(std::span(bytes).first(bytes.size() - 2));
    }
    REQUIRE(eventually([&] { return s.log.contains("truncated"); }, 10s));
  }
  CHECK(s.node.stats().protocol_errors >= 1);
  still_serves(s, good_node, user, sums);
}

namespace {
/// The peer process (tests/transports/remote_peer_main.cpp), its port read from its stdout.
struct peer_process : child_process {
  peer_process() : child_process({JAEGIS_REMOTE_PEER_PATH, secret}) {
    REQUIRE(first_line().rfind("port ", 0) == 0);
    port = static_cast<std::uint16_t>(std::stoi(first_line().substr(5)));
  }
  std::uint16_t port = 0;
};
}  // namespace

TEST_CASE(
    "a peer killed with SIGKILL mid-stream: down messages, failed requests, and the node "
    "goes on",
    "[remote][tcp]") {
  user_node u(20);
  peer_process peer;
  ref<client> user = u.attach(peer.port);
  user.send(watch_it{});
  // A stream in flight: requests keep going out while the peer dies.
  std::atomic<bool> stop{false};
  std::thread streamer([&] {
    for (int i = 0; !stop; ++i) {
      user.send(ask_sum{i, 1});
      if (i % 64 == 0) std::this_thread::sleep_for(100us);
    }
  });
  REQUIRE(eventually([&] { return u.seen.sums > 100; }, 30s));
  peer.kill9();
  REQUIRE(eventually([&] { return u.seen.downs == 1; }, 30s));
  REQUIRE(eventually([&] { return u.seen.errors > 0; }, 30s));
  stop = true;
  streamer.join();
  {
    std::lock_guard lock(u.seen.mutex);
    CHECK(u.seen.last_down.code() == errc::node_down);
    CHECK(u.seen.last_error.code() == errc::node_down);
  }
  // Every request got exactly one outcome.
  REQUIRE(eventually([&] { return u.node.stats().peers == 0; }, 10s));
  // The survivor keeps serving: locally, and to a new peer process (a new incarnation).
  peer_process second;
  const node_info again = u.node.connect("127.0.0.1", second.port, 5s);
  CHECK(again.incarnation != u.peer.incarnation);
  ref<calc> fresh = u.node.lookup<calc>(again, "calc", 5s);
  observed seen;
  auto user2 = u.system.spawn<client>(fresh, &seen, true);
  user2.send(ask_sum{20, 22});
  REQUIRE(eventually([&] { return seen.sums == 1; }, 30s));
  CHECK(seen.last_sum == 42);
}

TEST_CASE("shutdown flushes what was sent before it", "[remote][tcp]") {
  server s(30);
  {
    user_node u(31);
    u.attach(s.port);
    const int n = 5000;
    for (int i = 0; i < n; ++i)
      u.remote.send(text_msg{"message " + std::to_string(i)});
    u.node.shutdown();  // goodbye after the messages: all of them are delivered first
    std::lock_guard log_lock(u.log.mutex);
    for (const auto& line : u.log.lines)
      UNSCOPED_INFO("client: " << line);
  }
  const bool all_arrived = eventually(
      [&] {
        std::lock_guard lock(s.seen.mutex);
        return s.seen.last_text == "message 4999";
      },
      30s);
  if (!all_arrived) {
    std::lock_guard lock(s.seen.mutex);
    std::lock_guard log_lock(s.log.mutex);
    UNSCOPED_INFO("last text: " << s.seen.last_text << " frames "
                                << s.node.stats().frames_received);
    for (const auto& line : s.log.lines)
      UNSCOPED_INFO(line);
  }
  REQUIRE(all_arrived);
  REQUIRE(eventually([&] { return s.log.contains("goodbye"); }, 10s));
}
