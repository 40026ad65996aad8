#pragma once

// The shared-memory segment of one connection and its two rings (one per direction), each a
// single-producer single-consumer ring of fixed-size, cache-line-aligned slots that carries a
// byte stream as *records* (README.md in this folder has the whole design).
//
// Segment: [segment header: 64 bytes][ring 0: initiator -> responder][ring 1: the other way].
// Ring:    [consumer line: tail, reader_sleeping, reader_closed][producer line: writer_waiting]
//          [slot 0][slot 1]...[slot count-1]
// Slot:    [seq: u64][length: u32][crc: u32][payload: slot_size - 16 bytes]
//
// A record of L bytes (1 <= L <= max_record) takes k = ceil(L / payload_per_slot) consecutive
// slots (wrapping at the ring's end). Every slot of the ring position p carries seq = p + 1 once
// written; the first slot of a record also carries L and the CRC32C of (seq, L, payload). The
// producer writes the continuation slots, then the first slot's payload, length and crc, and
// publishes the first slot's seq last, with release order: a reader that sees it (acquire) sees
// the whole record. The reader copies the record out of the shared memory and checks the copy
// (seq, length, continuation seqs, CRC) before anything is delivered, so a peer that scribbles
// on the segment meanwhile cannot make it deliver unchecked bytes.
//
// Each shared cache line is written by one side only: the consumer writes tail and its flags,
// the producer its flag and the slots it owns; both cache the other's index (the producer the
// tail, the consumer needs none: it polls the next slot's seq).
//
// Nothing here trusts the peer: indices come from the process's own counters, the geometry was
// checked once and copied, and every length read from shared memory is checked before use.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace jaegis::transports::shm {

inline constexpr std::size_t cache_line = 64;
inline constexpr std::size_t slot_header_size = 16;
/// "JAEGSHM1", little endian.
inline constexpr std::uint64_t segment_magic = 0x314D48534745414AULL;
inline constexpr std::uint32_t segment_version = 1;

/// The shape of both rings of a segment; chosen by the initiator, checked by the responder.
struct ring_geometry {
  std::uint32_t slot_size = 256;         ///< bytes; a multiple of 64, 64 to 65536
  std::uint32_t slot_count = 4096;       ///< a power of two, 4 to 2^22
  std::uint32_t max_record = 64 * 1024;  ///< payload bytes per record; fits in slot_count slots

  [[nodiscard]] std::size_t payload_per_slot() const noexcept {
    return slot_size - slot_header_size;
  }
  [[nodiscard]] std::size_t slots_for(std::size_t length) const noexcept {
    return (length + payload_per_slot() - 1) / payload_per_slot();
  }
  /// Control lines plus slots of one ring.
  [[nodiscard]] std::size_t ring_bytes() const noexcept {
    return 2 * cache_line + std::size_t{slot_count} * slot_size;
  }
  /// Empty when usable; otherwise what is wrong, for an error message.
  [[nodiscard]] std::string check() const;
};

/// The header plus both rings.
std::size_t segment_size(const ring_geometry& g) noexcept;
/// Writes the header of a fresh (zeroed) segment of segment_size(g) bytes.
void format_segment(std::span<std::byte> segment, const ring_geometry& g) noexcept;
/// Reads and checks the header of a segment the peer made (once: later changes by the peer are
/// ignored); throws std::runtime_error with the reason (bad magic, version, geometry, size).
ring_geometry read_segment_header(std::span<const std::byte> segment);
/// Where ring `direction` (0: initiator to responder, 1: back) starts.
std::byte* ring_at(std::span<std::byte> segment, const ring_geometry& g, int direction) noexcept;

/// The shared control lines of one ring (in the segment).
struct ring_control {
  // The consumer's line.
  alignas(cache_line) std::atomic<std::uint64_t> tail;  ///< positions below it are free again
  std::atomic<std::uint32_t> reader_sleeping;           ///< 1: ring its doorbell after publishing
  std::atomic<std::uint32_t> reader_closed;             ///< 1: its side closed normally
  // The producer's line.
  alignas(cache_line) std::atomic<std::uint32_t> writer_waiting;  ///< 1: ring it after consuming
};
static_assert(sizeof(ring_control) == 2 * cache_line);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "shared-memory atomics must be lock-free to work between processes");

/// The producer's view of one ring.
class ring_writer {
 public:
  ring_writer() = default;
  ring_writer(std::byte* ring, const ring_geometry& g) noexcept;

  /// Copies bytes of `pieces`, in order from their starts, into as many records as fit now, and
  /// publishes them; returns how many bytes went in (0 when the ring is full).
  std::size_t write(std::span<const std::span<const std::byte>> pieces) noexcept;
  std::size_t write(std::span<const std::byte> bytes) noexcept {
    return write(std::span<const std::span<const std::byte>>(&bytes, 1));
  }
  /// True when at least one slot is free (reloads the consumer's tail if the cached one says no).
  [[nodiscard]] bool has_space() noexcept;
  /// After publishing: whether the reader announced that it sleeps (then ring its doorbell). The
  /// fence makes this the second half of a Dekker pair with ring_reader::set_sleeping.
  [[nodiscard]] bool reader_sleeping() const noexcept;
  /// The writer waits for space (before its final has_space check) or stops waiting.
  void set_waiting(bool waiting) noexcept;
  /// The consumer side closed normally (set before it closed its socket).
  [[nodiscard]] bool reader_closed() const noexcept;

 private:
  [[nodiscard]] std::byte* slot(std::uint64_t position) const noexcept {
    return slots_ + (position & mask_) * geometry_.slot_size;
  }

  ring_control* control_ = nullptr;
  std::byte* slots_ = nullptr;
  ring_geometry geometry_{};
  std::uint64_t mask_ = 0;
  std::uint64_t head_ = 0;         ///< next position to write (private)
  std::uint64_t cached_tail_ = 0;  ///< the consumer's tail as last read
};

/// What one ring_reader::read found.
struct read_result {
  std::size_t records = 0;
  std::size_t bytes = 0;
  bool error = false;  ///< bad ring contents: reason says what; the reader stays failed
  std::string reason;
};

/// The consumer's view of one ring.
class ring_reader {
 public:
  ring_reader() = default;
  ring_reader(std::byte* ring, const ring_geometry& g) noexcept;

  /// Appends the bytes of published, checked records to `out` while they fit in `limit` bytes
  /// (limit >= max_record, so one record always fits an empty `out`). Frees nothing: commit().
  read_result read(std::vector<std::byte>& out, std::size_t limit);
  /// Hands the slots read so far back to the producer (release: our copies are done first).
  void commit() noexcept;
  /// Whether the next slot holds something other than the previous lap's contents: a record, or
  /// garbage that read() will report.
  [[nodiscard]] bool ready() const noexcept;
  /// Announces sleeping (with a fence: the first half of the Dekker pair, then check ready()) or
  /// waking.
  void set_sleeping(bool sleeping) noexcept;
  /// After commit(): whether the writer waits for space (then ring its doorbell).
  [[nodiscard]] bool writer_waiting() const noexcept;
  /// Our side closed normally; the peer reads it when our socket closes.
  void mark_closed() noexcept;
  [[nodiscard]] bool failed() const noexcept { return !error_.empty(); }

 private:
  [[nodiscard]] std::byte* slot(std::uint64_t position) const noexcept {
    return slots_ + (position & mask_) * geometry_.slot_size;
  }
  /// The seq a slot of `position` holds before it is written in this lap.
  [[nodiscard]] std::uint64_t stale_seq(std::uint64_t position) const noexcept {
    return position < geometry_.slot_count ? 0 : position + 1 - geometry_.slot_count;
  }
  read_result fail(read_result r, std::string reason);

  ring_control* control_ = nullptr;
  std::byte* slots_ = nullptr;
  ring_geometry geometry_{};
  std::uint64_t mask_ = 0;
  std::uint64_t position_ = 0;   ///< next position to read (private)
  std::uint64_t committed_ = 0;  ///< what the shared tail says
  std::string error_;
};

}  // namespace jaegis::transports::shm
