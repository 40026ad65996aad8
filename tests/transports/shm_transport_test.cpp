// The shared-memory carrier between two transports in this process (each connection's two ends
// map the same memfd twice), driven by small test sessions that speak no protocol, and a fake
// peer that does the rendezvous by hand to write bad ring contents or vanish.

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <deque>
#include <fstream>
#include <jaegis/transports/shm_transport.hpp>
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
#include "crc32c.hpp"
#include "rendezvous.hpp"
#include "shm_ring.hpp"
#include "test_support.hpp"

using jaegis::test::eventually;
using jaegis::test::scaled;
using namespace jaegis::transports;
using namespace std::chrono_literals;
namespace net = jaegis::net;

namespace {

using carrier_test::bytes;
using carrier_test::test_factory;
using carrier_test::test_session;

/// Small rings (8 KiB per direction, 3-slot records) so that every test fills them and wraps.
shm_config small_rings() {
  shm_config c;
  c.slot_size = 128;
  c.slot_count = 64;
  c.max_record = 300;
  c.spin_polls = 100;
  c.log = [](std::string_view) {};
  return c;
}

/// A socket path of this test process, removed before and after.
struct temp_path {
  temp_path() {
    static std::atomic<int> counter{0};
    path = "/tmp/jaegis-shm-test-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter.fetch_add(1)) + ".sock";
    ::unlink(path.c_str());
  }
  ~temp_path() { ::unlink(path.c_str()); }
  std::string path;
};

bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  bytes out(n);
  for (auto& b : out)
    b = static_cast<std::byte>(rng());
  return out;
}

/// Sends `data` in random-sized pieces.
void send_in_pieces(test_session& s, const bytes& data, std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (std::size_t off = 0; off < data.size();) {
    const std::size_t n = std::min<std::size_t>(rng() % 3000 + 1, data.size() - off);
    s.send(std::span(data).subspan(off, n));
    off += n;
  }
}

/// A fake initiator: connects and does the rendezvous by hand, then can write raw ring records.
struct fake_peer {
  explicit fake_peer(const std::string& path, shm::ring_geometry g = {128, 64, 300}) {
    socket = shm::connect_unix(path, shm::clock::now() + 5s);
    bell = shm::make_doorbell();
    result = shm::rendezvous_initiator(socket.get(), g, bell.get(), shm::clock::now() + 5s, -1);
    writer = shm::ring_writer(shm::ring_at(result.segment.bytes(), g, 0), g);
  }
  void write(std::span<const std::byte> data) {
    REQUIRE(writer.write(data) == data.size());
    shm::ring_doorbell(result.peer_bell.get());
  }
  /// Writes one single-slot record at `position` with the given header fields, its seq last (0:
  /// the right one), and rings the reader.
  void raw_record(std::uint64_t position, std::span<const std::byte> payload, std::uint32_t length,
                  std::uint32_t crc, std::uint64_t seq = 0) {
    std::byte* s = slot(position);
    std::memcpy(s + shm::slot_header_size, payload.data(), payload.size());
    std::memcpy(s + 8, &length, 4);
    std::memcpy(s + 12, &crc, 4);
    if (seq == 0) seq = position + 1;
    // release: the header and payload before the seq (the reader maps the same memory).
    reinterpret_cast<std::atomic<std::uint64_t>*>(s)->store(seq, std::memory_order_release);
    shm::ring_doorbell(result.peer_bell.get());
  }
  /// The slot of `position` in the ring this peer writes.
  std::byte* slot(std::uint64_t position) {
    const auto g = result.geometry;
    return shm::ring_at(result.segment.bytes(), g, 0) + sizeof(shm::ring_control) +
           (position % g.slot_count) * g.slot_size;
  }
  shm::unique_fd socket;
  shm::unique_fd bell;
  shm::rendezvous_result result;
  shm::ring_writer writer;
};

}  // namespace

TEST_CASE("shm: bytes flow both ways through small rings, wrapping and spanning slots",
          "[shm][transport]") {
  temp_path where;
  test_factory server_factory(true);  // echoes
  test_factory client_factory;
  auto server = make_shm_transport(small_rings());
  auto client = make_shm_transport(small_rings());
  server->start(server_factory);
  client->start(client_factory);
  CHECK(server->listen(where.path, 0, false) == 0);
  client->connect(where.path, 0, 5s, 7);
  test_session& c = client_factory.connected(7);
  test_session& s = server_factory.accepted(0);
  CHECK_THAT(c.connection.peer_address(), Catch::StartsWith("shm:" + where.path));

  const bytes data = random_bytes(scaled(4 << 20), 1);
  // Two producer threads at once would interleave: one sends, the other only wakes.
  std::thread waker([&] {
    for (int i = 0; i < 1000; ++i)
      c.connection.wake();
  });
  send_in_pieces(c, data, 2);
  waker.join();
  REQUIRE(eventually([&] { return c.received_size() == data.size(); }, 60s));
  CHECK(s.received() == data);
  CHECK(c.received() == data);

  c.connection.close("done");
  REQUIRE(eventually([&] { return c.closed_count() == 1 && s.closed_count() == 1; }));
  CHECK(c.close_reason() == "done");
  CHECK(s.close_reason() == "the peer closed the connection");
  c.connection.wake();  // after on_closed: does nothing
  c.connection.close("again");
  server->stop();
  client->stop();
  CHECK(c.closed_count() == 1);
  CHECK(s.closed_count() == 1);
}

TEST_CASE("shm: two sides that both write fast do not deadlock on full rings", "[shm][transport]") {
  temp_path where;
  test_factory server_factory;
  test_factory client_factory;
  auto server = make_shm_transport(small_rings());
  auto client = make_shm_transport(small_rings());
  server->start(server_factory);
  client->start(client_factory);
  server->listen(where.path, 0, false);
  client->connect(where.path, 0, 5s, 1);
  test_session& c = client_factory.connected(1);
  test_session& s = server_factory.accepted(0);
  const bytes up = random_bytes(scaled(8 << 20), 3);
  const bytes down = random_bytes(scaled(8 << 20), 4);
  std::thread t([&] { send_in_pieces(s, down, 5); });
  send_in_pieces(c, up, 6);
  t.join();
  REQUIRE(eventually(
      [&] { return s.received_size() == up.size() && c.received_size() == down.size(); }, 60s));
  CHECK(s.received() == up);
  CHECK(c.received() == down);
}

TEST_CASE("shm: close flushes what is queued, and stop closes every connection once",
          "[shm][transport]") {
  temp_path where;
  test_factory server_factory;
  test_factory client_factory;
  auto server = make_shm_transport(small_rings());
  auto client = make_shm_transport(small_rings());
  server->start(server_factory);
  client->start(client_factory);
  server->listen(where.path, 0, false);
  for (std::uint64_t i = 0; i < 3; ++i)
    client->connect(where.path, 0, 5s, i);
  test_session& c = client_factory.connected(0);
  REQUIRE(eventually([&] { return server_factory.accepted_count() == 3; }));
  const bytes data = random_bytes(200000, 7);  // far more than the ring holds
  c.send(data);
  c.connection.close("flushed");
  // The receiving session is the accepted one whose bytes arrive (accept order is not connect
  // order): wait for all of them somewhere.
  REQUIRE(eventually([&] {
    for (std::size_t i = 0; i < 3; ++i) {
      if (server_factory.accepted(i).received_size() == data.size()) return true;
    }
    return false;
  }));
  REQUIRE(eventually([&] { return c.closed_count() == 1; }));
  CHECK(c.close_reason() == "flushed");
  client->stop();
  for (std::uint64_t i = 0; i < 3; ++i) {
    test_session& x = client_factory.connected(i);
    CHECK(x.closed_count() == 1);
    if (i > 0) CHECK(x.close_reason() == "the shm transport stopped");
  }
  for (std::size_t i = 0; i < 3; ++i) {
    test_session& x = server_factory.accepted(i);
    REQUIRE(eventually([&] { return x.closed_count() == 1; }));
  }
  server->stop();
  struct stat st {};
  CHECK(::stat(where.path.c_str(), &st) != 0);  // the listener removed its socket file
}

TEST_CASE("shm: bad addresses and failed connects are clear errors", "[shm][transport]") {
  test_factory factory;
  auto t = make_shm_transport(small_rings());
  t->start(factory);
  temp_path nobody;
  t->connect(nobody.path, 0, 2s, 1);
  CHECK_THAT(factory.failure(1), Catch::Contains("no such file"));
  CHECK_THROWS_AS(t->connect("", 0, 1s, 2), std::invalid_argument);
  CHECK_THROWS_WITH(t->connect(std::string(200, 'x'), 0, 1s, 3), Catch::Contains("longer than"));
  CHECK_THROWS_WITH(t->listen("/tmp/x.sock", 5, false), Catch::Contains("no port"));
  shm_config bad_geometry;
  bad_geometry.slot_size = 100;
  CHECK_THROWS_WITH(make_shm_transport(bad_geometry), Catch::Contains("slot_size"));

  SECTION("a regular file is not replaced") {
    temp_path file;
    std::ofstream(file.path) << "precious";
    CHECK_THROWS_WITH(t->listen(file.path, 0, false), Catch::Contains("not a socket"));
    std::ifstream in(file.path);
    std::string content;
    in >> content;
    CHECK(content == "precious");
  }
  SECTION("a stale socket file is replaced, a live one refused") {
    temp_path where;
    {
      // A socket file whose listener is gone.
      shm::unique_fd fd(::socket(AF_UNIX, SOCK_SEQPACKET, 0));
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::strcpy(a.sun_path, where.path.c_str());
      REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    CHECK(t->listen(where.path, 0, false) == 0);
    test_factory other_factory;
    auto other = make_shm_transport(small_rings());
    other->start(other_factory);
    CHECK_THROWS_WITH(other->listen(where.path, 0, false),
                      Catch::Contains("another process listens there"));
    // The first listener still works.
    other->connect("shm://" + where.path, 0, 5s, 9);
    other_factory.connected(9);
  }
}

TEST_CASE("shm: bad ring contents close that connection only, with the reason",
          "[shm][transport]") {
  temp_path where;
  test_factory factory;
  test_factory client_factory;
  std::mutex log_mutex;
  std::vector<std::string> log;
  auto config = small_rings();
  config.log = [&](std::string_view line) {
    std::lock_guard lock(log_mutex);
    log.emplace_back(line);
  };
  auto server = make_shm_transport(config);
  auto client = make_shm_transport(small_rings());
  server->start(factory);
  client->start(client_factory);
  server->listen(where.path, 0, false);
  client->connect(where.path, 0, 5s, 1);
  test_session& good = client_factory.connected(1);
  REQUIRE(eventually([&] { return factory.accepted_count() == 1; }));

  fake_peer bad(where.path);
  test_session& victim = factory.accepted(1);
  const bytes hello = random_bytes(100, 8);
  bad.write(hello);
  REQUIRE(eventually([&] { return victim.received_size() == 100; }));
  std::string expected;
  // Position 1 is the next slot: each record below is written by hand, its seq last.
  const bytes payload = random_bytes(50, 9);
  SECTION("a checksum mismatch") {
    const auto crc = shm::crc32c(payload) ^ 1U;  // any wrong value
    bad.raw_record(1, payload, 50, crc);
    expected = "checksum mismatch in the record at ring position 1";
  }
  SECTION("an impossible length") {
    bad.raw_record(1, payload, 100000, 0);
    expected = "impossible record length 100000";
  }
  SECTION("a bad sequence number") {
    bad.raw_record(1, payload, 50, 0, 12345);
    expected = "bad sequence number at ring position 1: expected 2, found 12345";
  }
  REQUIRE(eventually([&] { return victim.closed_count() == 1; }));
  CHECK_THAT(victim.close_reason(),
             Catch::Contains("bad shared-memory ring contents") && Catch::Contains(expected));
  {
    std::lock_guard lock(log_mutex);
    REQUIRE_FALSE(log.empty());
    CHECK_THAT(log.back(), Catch::Contains(expected));
  }
  // The fake peer's socket sees the close; the good connection keeps working.
  const bytes more = random_bytes(50000, 12);
  good.send(more);
  REQUIRE(eventually([&] { return factory.accepted(0).received_size() == more.size(); }));
  CHECK(good.closed_count() == 0);
}

TEST_CASE("shm: a peer whose socket closes without a close is reported gone at once",
          "[shm][transport]") {
  temp_path where;
  test_factory factory;
  auto server = make_shm_transport(small_rings());
  server->start(factory);
  server->listen(where.path, 0, false);
  auto bad = std::make_unique<fake_peer>(where.path);
  test_session& s = factory.accepted(0);
  const bytes last = random_bytes(500, 13);
  bad->write(last);  // published before it dies: still delivered
  bad.reset();       // closes its socket and unmaps: what a SIGKILL leaves
  REQUIRE(eventually([&] { return s.closed_count() == 1; }));
  CHECK(s.received() == last);
  CHECK_THAT(s.close_reason(), Catch::Contains("peer process gone"));
}
