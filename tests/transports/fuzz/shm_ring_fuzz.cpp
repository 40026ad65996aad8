// libFuzzer target: the shared-memory ring's reader (transports/src/shm/shm_ring.hpp) fed
// corrupted ring contents. It must never read outside the segment, never deliver more than it
// was allowed, and, when a stream of valid records has one corrupted byte, deliver only a prefix
// of that stream (CRC32C catches every error burst of up to 32 bits) or report an error.
//
// Input: byte 0 picks the mode.
//   even: the rest is raw slot memory (seqs, lengths, crcs, payloads as the fuzzer likes);
//   odd:  bytes 1-2: a ring offset, byte 3: an XOR mask, byte 4: how many bytes to read and hand
//         back before, the rest: the stream written as records (wrapping), then the one flip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../../transports/src/shm/shm_ring.hpp"

using namespace jaegis::transports::shm;

namespace {

constexpr ring_geometry geometry{64, 8, 150};  // 48 payload bytes a slot, records of 1-4 slots

struct segment {
  segment() : bytes(segment_size(geometry) + cache_line) {
    // Aligned inside the vector: atomics need their alignment.
    auto address = reinterpret_cast<std::uintptr_t>(bytes.data());
    base = bytes.data() + (cache_line - address % cache_line) % cache_line;
    format_segment({base, segment_size(geometry)}, geometry);
  }
  std::byte* ring() { return ring_at({base, segment_size(geometry)}, geometry, 0); }
  std::byte* slots() { return ring() + sizeof(ring_control); }
  std::size_t slots_size() const { return std::size_t{geometry.slot_count} * geometry.slot_size; }
  std::vector<std::byte> bytes;
  std::byte* base = nullptr;
};

void check(bool ok) {
  if (!ok) std::abort();
}

bool same(const std::vector<std::byte>& got, const std::byte* stream) {
  return got.empty() || std::memcmp(got.data(), stream, got.size()) == 0;
}

void raw(const std::byte* data, std::size_t size) {
  segment s;
  std::memcpy(s.slots(), data, std::min(size, s.slots_size()));
  ring_reader r(s.ring(), geometry);
  std::vector<std::byte> out;
  out.reserve(400);
  for (int round = 0; round < 4; ++round) {
    out.clear();
    const auto result = r.read(out, 400);
    check(out.size() <= 400 && result.bytes == out.size());
    check(!result.error || !result.reason.empty());
    if (result.error || result.records == 0) return;
    r.commit();
  }
}

void flipped(const std::byte* data, std::size_t size) {
  if (size < 5) return;
  segment s;
  const std::size_t offset =
      (static_cast<std::size_t>(data[1]) | static_cast<std::size_t>(data[2]) << 8) % s.slots_size();
  const auto mask = data[3];
  const std::size_t before = static_cast<std::size_t>(data[4]) * 2;
  const std::byte* stream = data + 5;
  const std::size_t length = size - 5;

  ring_writer w(s.ring(), geometry);
  ring_reader r(s.ring(), geometry);
  std::vector<std::byte> got;
  std::vector<std::byte> out;
  out.reserve(400);
  // Some traffic first, read and handed back, so that the flip may land in a later lap.
  std::size_t written = w.write({stream, std::min(before, length)});
  while (got.size() < written) {
    out.clear();
    const auto result = r.read(out, 400);
    check(!result.error && result.records > 0);
    got.insert(got.end(), out.begin(), out.end());
    r.commit();
  }
  check(same(got, stream));
  written += w.write({stream + written, length - written});
  s.slots()[offset] ^= mask;
  for (;;) {
    out.clear();
    const auto result = r.read(out, 400);
    got.insert(got.end(), out.begin(), out.end());
    if (result.error || result.records == 0) break;
    r.commit();
  }
  // Whatever was delivered is exactly the stream's beginning.
  check(got.size() <= written && same(got, stream));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  if ((data[0] & 1U) == 0) {
    raw(bytes + 1, size - 1);
  } else {
    flipped(bytes, size);
  }
  return 0;
}
