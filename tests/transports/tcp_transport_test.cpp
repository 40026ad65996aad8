// The TCP carrier over loopback, driven by small test sessions that speak no protocol: an echo
// session and a collecting session, each with a locked outbox that producers fill before they
// call wake().

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <jaegis/transports/tcp_transport.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "carrier_test_support.hpp"
#include "test_support.hpp"

using jaegis::test::eventually;
using jaegis::test::scaled;
using namespace jaegis::transports;
namespace net = jaegis::net;

namespace {

using carrier_test::bytes;
using carrier_test::test_factory;
using carrier_test::test_session;

tcp_config quiet_tcp(std::size_t io_threads = 1) {
  tcp_config c;
  c.io_threads = io_threads;
  c.log = [](std::string_view) {};
  return c;
}

bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 random(seed);
  bytes out(n);
  for (auto& b : out)
    b = static_cast<std::byte>(random());
  return out;
}

/// A loopback port nothing listens on (bound, then closed).
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

/// A server (echoing or collecting) and a client transport, both started.
struct loopback_pair {
  explicit loopback_pair(bool echo, std::size_t io_threads = 1)
      : server_factory(echo), server(quiet_tcp(io_threads)), client(quiet_tcp(io_threads)) {
    server.start(server_factory);
    client.start(client_factory);
    port = server.listen("127.0.0.1", 0, false);
  }
  test_factory server_factory;
  test_factory client_factory;
  tcp_transport server;
  tcp_transport client;
  std::uint16_t port = 0;
};

}  // namespace

TEST_CASE("tcp: listen on port 0 picks a free port, on loopback names and literals") {
  test_factory factory;
  tcp_transport transport(quiet_tcp());
  transport.start(factory);
  const auto port = transport.listen("127.0.0.1", 0, false);
  CHECK(port != 0);
  const auto other = transport.listen("localhost", 0, false);
  CHECK(other != 0);
  CHECK(other != port);

  transport.connect("localhost", port, std::chrono::seconds(10), 1);
  auto& client = factory.connected(1);
  CHECK(client.connection.peer_address() == "127.0.0.1:" + std::to_string(port));
  auto& server = factory.accepted(0);
  CHECK(server.connection.peer_address().rfind("127.0.0.1:", 0) == 0);

  // IPv6 loopback, where the machine has it.
  std::uint16_t v6 = 0;
  try {
    v6 = transport.listen("::1", 0, false);
  } catch (const std::system_error& e) {
    WARN("no IPv6 loopback here: " << e.what());
  }
  if (v6 != 0) {
    transport.connect("[::1]", v6, std::chrono::seconds(10), 2);
    CHECK(factory.connected(2).connection.peer_address() == "[::1]:" + std::to_string(v6));
  }
}

TEST_CASE("tcp: 10 MB echoed in random pieces arrive intact and in order") {
  loopback_pair l(true);
  l.client.connect("127.0.0.1", l.port, std::chrono::seconds(10), 7);
  auto& client = l.client_factory.connected(7);

  const auto data = random_bytes(scaled(10 * 1024 * 1024), 42);
  std::mt19937 random(7);
  std::uniform_int_distribution<std::size_t> piece(1, 64 * 1024);
  for (std::size_t at = 0; at < data.size();) {
    const auto n = std::min(piece(random), data.size() - at);
    client.send(std::span(data).subspan(at, n));
    at += n;
  }
  REQUIRE(eventually([&] { return client.received_size() >= data.size(); }));
  CHECK(client.received() == data);
  CHECK(l.server_factory.accepted(0).received() == data);
}

TEST_CASE("tcp: small messages from 4 threads calling wake concurrently all arrive in order") {
  loopback_pair l(false);
  l.client.connect("127.0.0.1", l.port, std::chrono::seconds(10), 1);
  auto& client = l.client_factory.connected(1);
  auto& server = l.server_factory.accepted(0);

  constexpr std::uint32_t producers = 4;
  const auto per_producer = static_cast<std::uint32_t>(scaled(50'000));
  std::vector<std::thread> threads;
  for (std::uint32_t p = 0; p < producers; ++p) {
    threads.emplace_back([&client, p, per_producer] {
      for (std::uint32_t seq = 0; seq < per_producer; ++seq) {
        std::array<std::uint32_t, 2> message{p, seq};  // one send: never split between others
        client.send(std::as_bytes(std::span(message)));
      }
    });
  }
  for (auto& t : threads)
    t.join();

  const std::size_t total = std::size_t{producers} * per_producer * 8;
  REQUIRE(eventually([&] { return server.received_size() >= total; }));
  const auto received = server.received();
  REQUIRE(received.size() == total);
  std::array<std::uint32_t, producers> next{};
  bool in_order = true;
  for (std::size_t at = 0; at < received.size(); at += 8) {
    std::array<std::uint32_t, 2> message{};
    std::memcpy(message.data(), received.data() + at, 8);
    if (message[0] >= producers) FAIL("a message with no producer: the stream is corrupt");
    in_order = in_order && message[1] == next[message[0]];
    next[message[0]] = message[1] + 1;
  }
  CHECK(in_order);
  for (const auto n : next)
    CHECK(n == per_producer);
}

TEST_CASE("tcp: connecting to a closed port reports connection refused") {
  test_factory factory;
  tcp_transport transport(quiet_tcp());
  transport.start(factory);
  const auto port = closed_port();
  transport.connect("127.0.0.1", port, std::chrono::seconds(10), 3);
  const auto reason = factory.failure(3);
  CHECK(reason == "connection refused: 127.0.0.1:" + std::to_string(port));
  CHECK(factory.all().empty());
}

TEST_CASE("tcp: a connect that gets no answer times out with a reason") {
  // A listener whose accept queue is full drops new SYNs (Linux), so a connect to it neither
  // succeeds nor is refused: a timeout on loopback, independent of the network. (A non-routable
  // address such as 10.255.255.1 is no good here: some sandboxes answer every address.)
  const int full = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(full >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(full, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(full, 0) == 0);  // an accept queue of one
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(full, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    // The first connects (blocking) and fills the queue; the rest wait in SYN retransmission.
    const int fd = ::socket(AF_INET, SOCK_STREAM | (i == 0 ? 0 : SOCK_NONBLOCK), 0);
    REQUIRE(fd >= 0);
    fillers.push_back(fd);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    REQUIRE((rc == 0 || errno == EINPROGRESS));
  }

  test_factory factory;
  {
    tcp_transport transport(quiet_tcp());
    transport.start(factory);
    transport.connect("127.0.0.1", ntohs(address.sin_port), std::chrono::milliseconds(200), 4);
    CHECK(factory.failure(4) == "timed out after 200 ms connecting to 127.0.0.1:" +
                                    std::to_string(ntohs(address.sin_port)));
    CHECK(factory.all().empty());
  }
  for (const int fd : fillers)
    ::close(fd);
  ::close(full);
}

TEST_CASE("tcp: the peer closing calls on_closed once, and wake or close after it are harmless") {
  loopback_pair l(false);
  l.client.connect("127.0.0.1", l.port, std::chrono::seconds(10), 1);
  auto& client = l.client_factory.connected(1);
  auto& server = l.server_factory.accepted(0);

  client.connection.close("client done");
  REQUIRE(eventually([&] { return server.closed_count() == 1 && client.closed_count() == 1; }));
  CHECK(server.close_reason() == "closed by the peer");
  CHECK(client.close_reason() == "client done");

  client.connection.wake();
  client.connection.close("again");
  server.connection.wake();
  server.connection.close("again");
  const std::array<std::byte, 3> late{};
  client.send(late);  // queues and wakes a closed connection: nothing happens

  l.client.stop();
  l.server.stop();
  CHECK(server.closed_count() == 1);
  CHECK(client.closed_count() == 1);
}

TEST_CASE("tcp: close sends what is queued before it closes") {
  loopback_pair l(false);
  l.client.connect("127.0.0.1", l.port, std::chrono::seconds(10), 1);
  auto& client = l.client_factory.connected(1);
  auto& server = l.server_factory.accepted(0);

  const auto data = random_bytes(1024 * 1024, 9);
  for (std::size_t at = 0; at < data.size(); at += 4096) {
    client.send(std::span(data).subspan(at, 4096));
  }
  client.connection.close("flushed");
  REQUIRE(eventually([&] { return server.closed_count() == 1; }));
  CHECK(server.received() == data);
  REQUIRE(eventually([&] { return client.closed_count() == 1; }));
  CHECK(client.close_reason() == "flushed");
}

TEST_CASE("tcp: a non-loopback listen needs authentication") {
  test_factory factory;
  tcp_transport transport(quiet_tcp());
  transport.start(factory);
  try {
    transport.listen("0.0.0.0", 0, false);
    FAIL("listened on 0.0.0.0 without authentication");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) ==
          "jaegis: refusing to listen on 0.0.0.0 without a shared secret (set JAEGIS_SECRET or "
          "the config's secret); loopback addresses need none");
  }
  const auto port = transport.listen("0.0.0.0", 0, true);
  CHECK(port != 0);
  transport.connect("127.0.0.1", port, std::chrono::seconds(10), 1);
  CHECK(factory.connected(1).closed_count() == 0);
}

TEST_CASE("tcp: bad hosts and busy ports are refused with clear errors") {
  test_factory factory;
  tcp_transport transport(quiet_tcp());
  transport.start(factory);
  const auto message_of = [&](auto call) -> std::string {
    try {
      call();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no std::invalid_argument)";
  };
  CHECK_THAT(message_of([&] { transport.listen("bad host!", 0, false); }),
             Catch::Contains("'bad host!'"));
  CHECK_THAT(message_of([&] { transport.listen("999.1.1.1", 0, false); }),
             Catch::Contains("'999.1.1.1'") && Catch::Contains("not an IPv4 address"));
  CHECK_THAT(message_of([&] { transport.listen("", 0, false); }), Catch::Contains("empty"));
  CHECK_THAT(message_of([&] { transport.connect("no spaces", 80, {}, 1); }),
             Catch::Contains("'no spaces'"));

  const auto port = transport.listen("127.0.0.1", 0, false);
  try {
    transport.listen("127.0.0.1", port, false);
    FAIL("listened twice on one port");
  } catch (const std::system_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("127.0.0.1:" + std::to_string(port)));
  }

  auto no_threads = quiet_tcp();
  no_threads.io_threads = 0;
  CHECK_THROWS_AS(tcp_transport(no_threads), std::invalid_argument);
  CHECK_THROWS_AS(transport.start(factory), std::logic_error);
  tcp_transport unstarted(quiet_tcp());
  CHECK_THROWS_AS(unstarted.connect("127.0.0.1", port, {}, 1), std::logic_error);
}

TEST_CASE("tcp: stop closes every connection and calls on_closed for each session") {
  loopback_pair l(false);
  constexpr std::uint64_t connections = 3;
  for (std::uint64_t cookie = 1; cookie <= connections; ++cookie) {
    l.client.connect("127.0.0.1", l.port, std::chrono::seconds(10), cookie);
  }
  std::vector<test_session*> clients;
  for (std::uint64_t cookie = 1; cookie <= connections; ++cookie) {
    clients.push_back(&l.client_factory.connected(cookie));
  }
  const std::array<std::byte, 5> hello{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                                       std::byte{5}};
  for (auto* c : clients)
    c->send(hello);

  l.client.stop();
  for (auto* c : clients) {
    CHECK(c->closed_count() == 1);
    CHECK(c->close_reason() == "the TCP transport stopped");
  }
  for (std::size_t i = 0; i < connections; ++i) {
    auto& server = l.server_factory.accepted(i);
    REQUIRE(eventually([&] { return server.closed_count() == 1; }));
    CHECK(server.received().size() == hello.size());  // stop flushed the queued bytes
  }
  l.client.stop();  // idempotent
  l.server.stop();
  for (auto* s : l.server_factory.all())
    CHECK(s->closed_count() == 1);
}

TEST_CASE("tcp: two I/O threads on each side carry several connections") {
  loopback_pair l(true, 2);
  constexpr std::uint64_t connections = 6;
  for (std::uint64_t cookie = 1; cookie <= connections; ++cookie) {
    l.client.connect("127.0.0.1", l.port, std::chrono::seconds(10), cookie);
  }
  std::vector<bytes> sent;
  for (std::uint64_t cookie = 1; cookie <= connections; ++cookie) {
    sent.push_back(random_bytes(scaled(512 * 1024), static_cast<std::uint32_t>(cookie)));
    auto& c = l.client_factory.connected(cookie);
    for (std::size_t at = 0; at < sent.back().size(); at += 1000) {
      const auto n = std::min<std::size_t>(1000, sent.back().size() - at);
      c.send(std::span(sent.back()).subspan(at, n));
    }
  }
  for (std::uint64_t cookie = 1; cookie <= connections; ++cookie) {
    auto& c = l.client_factory.connected(cookie);
    const auto& expected = sent[cookie - 1];
    REQUIRE(eventually([&] { return c.received_size() >= expected.size(); }));
    CHECK(c.received() == expected);
  }
  l.client.stop();
  l.server.stop();
  for (auto* s : l.client_factory.all())
    CHECK(s->closed_count() == 1);
  for (auto* s : l.server_factory.all())
    CHECK(s->closed_count() == 1);
}
