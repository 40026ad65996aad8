#include "shm_ring.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

#include "crc32c.hpp"

namespace jaegis::transports::shm {

static_assert(std::endian::native == std::endian::little,
              "the segment layout is little endian (as the wire format)");

namespace {

/// The segment's first cache line.
struct segment_header {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t slot_size;
  std::uint32_t slot_count;
  std::uint32_t max_record;
};
static_assert(sizeof(segment_header) <= cache_line);

constexpr std::size_t max_segment = std::size_t{1} << 30;

std::atomic<std::uint64_t>& seq_of(std::byte* slot) noexcept {
  return *reinterpret_cast<std::atomic<std::uint64_t>*>(slot);
}
std::atomic<std::uint32_t>& length_of(std::byte* slot) noexcept {
  return *reinterpret_cast<std::atomic<std::uint32_t>*>(slot + 8);
}
std::atomic<std::uint32_t>& crc_of(std::byte* slot) noexcept {
  return *reinterpret_cast<std::atomic<std::uint32_t>*>(slot + 12);
}

/// The CRC of a record covers its seq and length too: a header from another position or with
/// another length fails it.
std::uint32_t record_crc_start(std::uint64_t seq, std::uint32_t length) noexcept {
  std::byte header[12];
  std::memcpy(header, &seq, 8);  // little endian: static_assert above
  std::memcpy(header + 8, &length, 4);
  return crc32c(header);
}

std::string number(std::uint64_t n) {
  return std::to_string(n);
}

}  // namespace

std::string ring_geometry::check() const {
  std::string why;
  if (slot_size < cache_line || slot_size > 65536 || slot_size % cache_line != 0) {
    why = "slot_size ";
    why += number(slot_size);
    why += " is not a multiple of 64 between 64 and 65536";
  } else if (slot_count < 4 || slot_count > (1U << 22) || !std::has_single_bit(slot_count)) {
    why = "slot_count ";
    why += number(slot_count);
    why += " is not a power of two between 4 and 2^22";
  } else if (max_record == 0 || slots_for(max_record) > slot_count) {
    why = "max_record ";
    why += number(max_record);
    why += " is 0 or needs more slots than the ring has";
  } else if (segment_size(*this) > max_segment) {
    why = "the segment would exceed 1 GiB";
  }
  return why;
}

std::size_t segment_size(const ring_geometry& g) noexcept {
  return cache_line + 2 * g.ring_bytes();
}

void format_segment(std::span<std::byte> segment, const ring_geometry& g) noexcept {
  const segment_header h{segment_magic, segment_version, g.slot_size, g.slot_count, g.max_record};
  std::memcpy(segment.data(), &h, sizeof h);
}

ring_geometry read_segment_header(std::span<const std::byte> segment) {
  if (segment.size() < cache_line) {
    throw std::runtime_error("the shared segment is smaller than its header");
  }
  segment_header h{};
  std::memcpy(&h, segment.data(), sizeof h);  // one copy: the peer may change it later
  if (h.magic != segment_magic) throw std::runtime_error("the shared segment has a bad magic");
  if (h.version != segment_version) {
    std::string why = "the shared segment has version ";
    why += number(h.version);
    why += ", this build speaks ";
    why += number(segment_version);
    throw std::runtime_error(why);
  }
  const ring_geometry g{h.slot_size, h.slot_count, h.max_record};
  if (auto why = g.check(); !why.empty()) {
    throw std::runtime_error("the shared segment has a bad geometry: " + why);
  }
  if (segment_size(g) != segment.size()) {
    std::string why = "the shared segment has ";
    why += number(segment.size());
    why += " bytes, its geometry needs ";
    why += number(segment_size(g));
    throw std::runtime_error(why);
  }
  return g;
}

std::byte* ring_at(std::span<std::byte> segment, const ring_geometry& g, int direction) noexcept {
  return segment.data() + cache_line + static_cast<std::size_t>(direction) * g.ring_bytes();
}

// ---- writer ------------------------------------------------------------------------------------

ring_writer::ring_writer(std::byte* ring, const ring_geometry& g) noexcept
    : control_(reinterpret_cast<ring_control*>(ring)),
      slots_(ring + sizeof(ring_control)),
      geometry_(g),
      mask_(g.slot_count - 1) {}

bool ring_writer::has_space() noexcept {
  if (head_ - cached_tail_ < geometry_.slot_count) return true;
  // acquire: the consumer's copies out of the slots below the tail are done before we reuse them.
  cached_tail_ = control_->tail.load(std::memory_order_acquire);
  return head_ - cached_tail_ < geometry_.slot_count;
}

std::size_t ring_writer::write(std::span<const std::span<const std::byte>> pieces) noexcept {
  std::size_t piece = 0;
  std::size_t offset = 0;  // into pieces[piece]
  auto skip_empty = [&] {
    while (piece < pieces.size() && offset == pieces[piece].size()) {
      ++piece;
      offset = 0;
    }
  };
  std::size_t remaining = 0;
  for (const auto& p : pieces)
    remaining += p.size();
  const std::size_t payload = geometry_.payload_per_slot();
  std::size_t written = 0;
  skip_empty();
  while (remaining > 0) {
    if (!has_space()) break;
    const std::uint64_t free_slots = geometry_.slot_count - (head_ - cached_tail_);
    const std::size_t length =
        std::min({remaining, std::size_t{geometry_.max_record}, free_slots * payload});
    const std::size_t slots = geometry_.slots_for(length);
    const std::uint64_t first = head_;
    const auto length32 = static_cast<std::uint32_t>(length);
    std::uint32_t crc = record_crc_start(first + 1, length32);
    std::size_t left = length;
    for (std::size_t i = 0; i < slots; ++i) {
      std::byte* s = slot(first + i);
      std::byte* out = s + slot_header_size;
      std::size_t room = std::min(payload, left);
      left -= room;
      while (room > 0) {
        const auto& p = pieces[piece];
        const std::size_t n = std::min(room, p.size() - offset);
        std::memcpy(out, p.data() + offset, n);
        crc = crc32c(p.subspan(offset, n), crc);
        out += n;
        offset += n;
        room -= n;
        skip_empty();
      }
      // release: continuation slots are complete before the first slot's seq publishes them.
      if (i > 0) seq_of(s).store(first + i + 1, std::memory_order_release);
    }
    std::byte* head_slot = slot(first);
    // relaxed: published by the release store of seq below.
    length_of(head_slot).store(length32, std::memory_order_relaxed);
    crc_of(head_slot).store(crc, std::memory_order_relaxed);
    // release: publishes the record (payloads, length, crc, continuation seqs) to the reader.
    seq_of(head_slot).store(first + 1, std::memory_order_release);
    head_ += slots;
    remaining -= length;
    written += length;
  }
  return written;
}

bool ring_writer::reader_sleeping() const noexcept {
  // seq_cst fence: orders our seq stores before this load (store-load), pairing with the
  // reader's fence between its sleeping store and its ready() check: one of us sees the other.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // relaxed: the fence above gives the ordering.
  return control_->reader_sleeping.load(std::memory_order_relaxed) != 0;
}

void ring_writer::set_waiting(bool waiting) noexcept {
  // relaxed + fence: the fence orders this store before the has_space() reload that follows (the
  // Dekker pair with ring_reader::writer_waiting).
  control_->writer_waiting.store(waiting ? 1 : 0, std::memory_order_relaxed);
  if (waiting) std::atomic_thread_fence(std::memory_order_seq_cst);
}

bool ring_writer::reader_closed() const noexcept {
  // acquire: pairs with mark_closed's release (nothing else depends on it).
  return control_->reader_closed.load(std::memory_order_acquire) != 0;
}

// ---- reader ------------------------------------------------------------------------------------

ring_reader::ring_reader(std::byte* ring, const ring_geometry& g) noexcept
    : control_(reinterpret_cast<ring_control*>(ring)),
      slots_(ring + sizeof(ring_control)),
      geometry_(g),
      mask_(g.slot_count - 1) {}

read_result ring_reader::fail(read_result r, std::string reason) {
  error_ = reason;
  r.error = true;
  r.reason = std::move(reason);
  return r;
}

read_result ring_reader::read(std::vector<std::byte>& out, std::size_t limit) {
  read_result r;
  if (!error_.empty()) {
    r.error = true;
    r.reason = error_;
    return r;
  }
  const std::size_t payload = geometry_.payload_per_slot();
  for (;;) {
    std::byte* first = slot(position_);
    // acquire: pairs with the writer's release of the first seq: the record is complete.
    const std::uint64_t seq = seq_of(first).load(std::memory_order_acquire);
    if (seq == stale_seq(position_)) return r;  // nothing (more) published
    if (seq != position_ + 1) {
      std::string why = "bad sequence number at ring position ";
      why += number(position_);
      why += ": expected ";
      why += number(position_ + 1);
      why += ", found ";
      why += number(seq);
      return fail(r, why);
    }
    // relaxed: ordered by the acquire of seq.
    const std::uint32_t length = length_of(first).load(std::memory_order_relaxed);
    if (length == 0 || length > geometry_.max_record) {
      std::string why = "impossible record length ";
      why += number(length);
      why += " at ring position ";
      why += number(position_);
      why += " (limit ";
      why += number(geometry_.max_record);
      why += ")";
      return fail(r, why);
    }
    if (out.size() + length > limit && r.records > 0) return r;  // next time
    const std::size_t slots = geometry_.slots_for(length);
    const std::uint32_t stored_crc = crc_of(first).load(std::memory_order_relaxed);  // as length
    const std::size_t start = out.size();
    out.resize(start + length);
    std::size_t left = length;
    for (std::size_t i = 0; i < slots; ++i) {
      std::byte* s = slot(position_ + i);
      if (i > 0) {
        // relaxed: written before the first seq, which we acquired.
        const std::uint64_t cseq = seq_of(s).load(std::memory_order_relaxed);
        if (cseq != position_ + i + 1) {
          out.resize(start);
          std::string why = "bad sequence number in a continuation slot at ring position ";
          why += number(position_ + i);
          why += ": expected ";
          why += number(position_ + i + 1);
          why += ", found ";
          why += number(cseq);
          return fail(r, why);
        }
      }
      const std::size_t n = std::min(payload, left);
      std::memcpy(out.data() + start + (length - left), s + slot_header_size, n);
      left -= n;
    }
    // The check runs on our copy: what we deliver is what we checked.
    const std::uint32_t crc =
        crc32c(std::span(out).subspan(start, length), record_crc_start(position_ + 1, length));
    if (crc != stored_crc) {
      out.resize(start);
      std::string why = "checksum mismatch in the record at ring position ";
      why += number(position_);
      why += " (";
      why += number(length);
      why += " bytes)";
      return fail(r, why);
    }
    position_ += slots;
    ++r.records;
    r.bytes += length;
  }
}

void ring_reader::commit() noexcept {
  if (committed_ == position_) return;
  committed_ = position_;
  // release: our copies out of the freed slots happen before the writer reuses them (acquire).
  control_->tail.store(position_, std::memory_order_release);
}

bool ring_reader::ready() const noexcept {
  // relaxed: a hint for the sleep decision; read() acquires before using anything.
  return seq_of(slot(position_)).load(std::memory_order_relaxed) != stale_seq(position_);
}

void ring_reader::set_sleeping(bool sleeping) noexcept {
  // relaxed + fence: the fence orders this store before the ready() check that follows, pairing
  // with ring_writer::reader_sleeping's fence (Dekker: one of us sees the other).
  control_->reader_sleeping.store(sleeping ? 1 : 0, std::memory_order_relaxed);
  if (sleeping) std::atomic_thread_fence(std::memory_order_seq_cst);
}

bool ring_reader::writer_waiting() const noexcept {
  // seq_cst fence: orders our tail store before this load, pairing with set_waiting's fence.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // relaxed: the fence gives the ordering.
  return control_->writer_waiting.load(std::memory_order_relaxed) != 0;
}

void ring_reader::mark_closed() noexcept {
  // release: a normal close; the peer reads it after our socket closed.
  control_->reader_closed.store(1, std::memory_order_release);
}

}  // namespace jaegis::transports::shm
