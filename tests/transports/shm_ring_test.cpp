// The shared-memory ring alone (transports/src/shm/shm_ring.hpp) in process-local memory: CRC32C
// vectors, records that wrap and span slots, a full ring, every kind of corruption reported with
// its reason, and a ping-pong between two threads that sleep on eventfds after every record (a
// lost wake-up shows up as a poll timeout, counted, never as a hang).

#include "shm_ring.hpp"

#include <poll.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "crc32c.hpp"
#include "rendezvous.hpp"
#include "test_support.hpp"

using namespace jaegis::transports::shm;
using bytes = std::vector<std::byte>;

namespace {

/// A zeroed, cache-line-aligned segment in this process's memory.
struct local_segment {
  explicit local_segment(ring_geometry g) : geometry(g), size(segment_size(g)) {
    REQUIRE(g.check().empty());
    memory.reset(static_cast<std::byte*>(std::aligned_alloc(cache_line, size)));
    std::memset(memory.get(), 0, size);
    format_segment({memory.get(), size}, g);
  }
  std::span<std::byte> span() { return {memory.get(), size}; }
  std::byte* ring(int direction) { return ring_at(span(), geometry, direction); }
  /// The slot of `position` in ring `direction`.
  std::byte* slot(int direction, std::uint64_t position) {
    return ring(direction) + sizeof(ring_control) +
           (position % geometry.slot_count) * geometry.slot_size;
  }
  struct free_deleter {
    void operator()(std::byte* p) const { std::free(p); }
  };
  ring_geometry geometry;
  std::size_t size;
  std::unique_ptr<std::byte, free_deleter> memory;
};

bytes pattern(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  bytes out(n);
  for (auto& b : out)
    b = static_cast<std::byte>(rng());
  return out;
}

std::span<const std::byte> text(const char* s) {
  return std::as_bytes(std::span(s, std::strlen(s)));
}

}  // namespace

TEST_CASE("crc32c matches the known vectors in both implementations", "[shm][crc]") {
  CHECK(crc32c_portable(text("123456789")) == 0xE3069283U);
  CHECK(crc32c_hardware(text("123456789")) == 0xE3069283U);
  CHECK(crc32c(text("123456789")) == 0xE3069283U);
  CHECK(crc32c_portable({}) == 0U);
  // RFC 3720 (iSCSI), B.4: 32 bytes of zeros, of ones, ascending.
  bytes zeros(32, std::byte{0});
  bytes ones(32, std::byte{0xFF});
  bytes ascending(32);
  std::iota(reinterpret_cast<std::uint8_t*>(ascending.data()),
            reinterpret_cast<std::uint8_t*>(ascending.data()) + 32, std::uint8_t{0});
  for (auto* f : {&crc32c_portable, &crc32c_hardware}) {
    CHECK(f(zeros, 0) == 0x8A9136AAU);
    CHECK(f(ones, 0) == 0x62A8AB43U);
    CHECK(f(ascending, 0) == 0x46DD794EU);
  }
  // Both agree on every length and alignment, and chaining equals one pass.
  const bytes data = pattern(1000, 1);
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t n = 0; n + start <= 200; n += 7) {
      const auto piece = std::span(data).subspan(start, n);
      REQUIRE(crc32c_portable(piece) == crc32c_hardware(piece));
    }
  }
  const auto whole = crc32c(data);
  CHECK(crc32c(std::span(data).subspan(333), crc32c(std::span(data).first(333))) == whole);
  INFO("hardware CRC32C available: " << crc32c_hardware_available());
  SUCCEED();
}

TEST_CASE("ring geometry is checked", "[shm][ring]") {
  CHECK(ring_geometry{}.check().empty());
  CHECK_THAT((ring_geometry{100, 64, 1000}.check()), Catch::Contains("slot_size"));
  CHECK_THAT((ring_geometry{64, 100, 16}.check()), Catch::Contains("slot_count"));
  CHECK_THAT((ring_geometry{64, 4, 1000}.check()), Catch::Contains("max_record"));
  CHECK_THAT((ring_geometry{64, 4, 0}.check()), Catch::Contains("max_record"));
  local_segment s({64, 8, 96});
  CHECK(read_segment_header(s.span()).slot_count == 8);
  CHECK_THROWS_WITH(read_segment_header(s.span().first(s.size - 64)),
                    Catch::Contains("geometry needs"));
  s.span()[0] = std::byte{0};
  CHECK_THROWS_WITH(read_segment_header(s.span()), Catch::Contains("bad magic"));
}

TEST_CASE("records wrap around the ring and span slots, in order", "[shm][ring]") {
  // 16 slots of 64 bytes: 48 payload bytes each; records up to 200 bytes (5 slots).
  local_segment s({64, 16, 200});
  ring_writer w(s.ring(0), s.geometry);
  ring_reader r(s.ring(0), s.geometry);
  const bytes stream = pattern(200000, 2);
  std::mt19937 rng(3);
  std::size_t sent = 0;
  bytes received;
  std::size_t records = 0;
  while (received.size() < stream.size()) {
    // Write a random amount in random pieces (a record takes bytes of several pieces).
    const std::size_t want = std::min<std::size_t>(rng() % 700 + 1, stream.size() - sent);
    std::vector<std::span<const std::byte>> pieces;
    for (std::size_t off = 0; off < want;) {
      const std::size_t n = std::min<std::size_t>(rng() % 90 + 1, want - off);
      pieces.push_back(std::span(stream).subspan(sent + off, n));
      off += n;
    }
    sent += w.write(pieces);
    bytes out;
    out.reserve(400);
    const auto result = r.read(out, 400);
    REQUIRE_FALSE(result.error);
    records += result.records;
    received.insert(received.end(), out.begin(), out.end());
    if (rng() % 2 == 0) r.commit();
  }
  CHECK(received == stream);
  CHECK(records > 1000);  // many laps of a 16-slot ring
}

TEST_CASE("a full ring takes nothing until the reader commits", "[shm][ring]") {
  local_segment s({64, 8, 48 * 8});
  ring_writer w(s.ring(1), s.geometry);
  ring_reader r(s.ring(1), s.geometry);
  const bytes data = pattern(1000, 4);
  CHECK(w.write(data) == 48 * 8);  // one record of 8 slots: the whole ring
  CHECK_FALSE(w.has_space());
  CHECK(w.write(data) == 0);
  bytes out;
  out.reserve(1000);
  REQUIRE(r.read(out, 1000).records == 1);
  CHECK(w.write(data) == 0);  // read, but not handed back yet
  r.commit();
  CHECK(w.has_space());
  CHECK(w.write(std::span(data).subspan(384)) == 384);
  REQUIRE(r.read(out, 1000).records == 1);
  CHECK(out == bytes(data.begin(), data.begin() + 768));
}

TEST_CASE("bad ring contents are errors with a reason, and nothing bad is delivered",
          "[shm][ring]") {
  local_segment s({64, 8, 200});
  ring_writer w(s.ring(0), s.geometry);
  ring_reader r(s.ring(0), s.geometry);
  const bytes good = pattern(48, 5);
  const bytes big = pattern(150, 6);  // 4 slots
  REQUIRE(w.write(good) == 48);       // position 0
  REQUIRE(w.write(big) == 150);       // positions 1..4
  bytes out;
  out.reserve(1000);
  std::string expected;

  SECTION("a flipped payload byte") {
    s.slot(0, 2)[20] ^= std::byte{0x10};
    expected = "checksum mismatch in the record at ring position 1";
  }
  SECTION("a changed length") {
    s.slot(0, 1)[8] = std::byte{149};
    expected = "checksum mismatch";
  }
  SECTION("an impossible length") {
    std::uint32_t length = 201;
    std::memcpy(s.slot(0, 1) + 8, &length, 4);
    expected = "impossible record length 201";
  }
  SECTION("a zero length") {
    std::memset(s.slot(0, 1) + 8, 0, 4);
    expected = "impossible record length 0";
  }
  SECTION("a sequence number from the future") {
    std::uint64_t seq = 77;
    std::memcpy(s.slot(0, 1), &seq, 8);
    expected = "bad sequence number at ring position 1: expected 2, found 77";
  }
  SECTION("a continuation slot with a wrong sequence number") {
    std::uint64_t seq = 3 + 8;
    std::memcpy(s.slot(0, 3), &seq, 8);
    expected = "bad sequence number in a continuation slot at ring position 3";
  }
  const auto result = r.read(out, 1000);
  CHECK(result.error);
  CHECK_THAT(result.reason, Catch::Contains(expected));
  // The good record before it was delivered; the bad one was not.
  CHECK(result.records == 1);
  CHECK(out == good);
  CHECK(r.failed());
  CHECK(r.read(out, 1000).error);  // sticky
}

TEST_CASE("ping-pong of records between two threads loses no wake-up", "[shm][ring]") {
  local_segment s({128, 64, 4096});
  const int rounds = static_cast<int>(jaegis::test::scaled(100000));
  auto bell_a = make_doorbell();
  auto bell_b = make_doorbell();
  std::atomic<int> lost{0};
  std::atomic<bool> bad{false};  // Catch's assertions are for the main thread only

  // Each side sleeps before every record it waits for: the worst case for lost wake-ups.
  auto side = [&](int out_dir, int own_bell, int peer_bell, bool starts) {
    ring_writer w(s.ring(out_dir), s.geometry);
    ring_reader r(s.ring(1 - out_dir), s.geometry);
    bytes in;
    in.reserve(8192);
    std::uint64_t expected = starts ? 1 : 0;
    auto send = [&](std::uint64_t n) {
      while (w.write(std::as_bytes(std::span(&n, 1))) == 0) {
        std::this_thread::yield();  // cannot happen in a ping-pong; a guard only
      }
      if (w.reader_sleeping()) ring_doorbell(peer_bell);
    };
    if (starts) send(0);
    while (expected < static_cast<std::uint64_t>(2 * rounds) && !bad) {
      r.set_sleeping(true);
      if (!r.ready()) {
        pollfd p{own_bell, POLLIN, 0};
        if (::poll(&p, 1, 10000) == 0) {
          lost.fetch_add(1);  // a lost wake-up: recover and count it
        }
        drain_doorbell(own_bell);
      }
      r.set_sleeping(false);
      in.clear();
      const auto got = r.read(in, in.capacity());
      if (got.records == 0 && !got.error) continue;  // woken early
      r.commit();
      std::uint64_t n = 0;
      if (got.bytes == 8) std::memcpy(&n, in.data(), 8);
      if (got.error || got.bytes != 8 || n != expected) {
        bad = true;
        return;
      }
      send(n + 1);
      expected += 2;
    }
  };
  std::thread b(side, 1, bell_b.get(), bell_a.get(), false);
  side(0, bell_a.get(), bell_b.get(), true);
  b.join();
  CHECK_FALSE(bad);
  CHECK(lost == 0);
}
