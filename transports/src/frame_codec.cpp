#include <cstring>
#include <jaegis/transports/frame_codec.hpp>
#include <jaegis/transports/little_endian.hpp>
#include <sstream>

#include "hex_text.hpp"

namespace jaegis::transports {

namespace {

// Offsets of the header fields (PROTOCOL.md, "Frame header").
constexpr std::size_t at_magic = 0;
constexpr std::size_t at_version = 2;
constexpr std::size_t at_kind = 3;
constexpr std::size_t at_flags = 4;
constexpr std::size_t at_reserved16 = 6;
constexpr std::size_t at_payload_length = 8;
constexpr std::size_t at_reserved32 = 12;
constexpr std::size_t at_type_id = 16;
constexpr std::size_t at_sender = 24;
constexpr std::size_t at_receiver = 32;
constexpr std::size_t at_request_id = 40;
static_assert(at_request_id + 8 == frame_header_size);

}  // namespace

void encode_header(const frame_header& header,
                   std::span<std::byte, frame_header_size> out) noexcept {
  std::byte* p = out.data();
  p[at_magic] = frame_magic_0;
  p[at_magic + 1] = frame_magic_1;
  p[at_version] = static_cast<std::byte>(header.version);
  p[at_kind] = static_cast<std::byte>(header.kind);
  store_le(p + at_flags, header.flags);
  store_le(p + at_reserved16, std::uint16_t{0});
  store_le(p + at_payload_length, header.payload_length);
  store_le(p + at_reserved32, std::uint32_t{0});
  store_le(p + at_type_id, header.type_id);
  store_le(p + at_sender, header.sender);
  store_le(p + at_receiver, header.receiver);
  store_le(p + at_request_id, header.request_id);
}

encode_result encode_frame(frame_header header, std::span<const std::byte> payload,
                           std::span<std::byte> out, std::uint32_t max_payload) noexcept {
  if (payload.size() > max_payload) return {encode_error::payload_too_large, 0};
  const std::size_t total = frame_header_size + payload.size();
  if (out.size() < total) return {encode_error::buffer_too_small, 0};
  header.payload_length = static_cast<std::uint32_t>(payload.size());
  encode_header(header, out.first<frame_header_size>());
  if (!payload.empty()) std::memcpy(out.data() + frame_header_size, payload.data(), payload.size());
  return {encode_error::none, total};
}

std::string_view to_string(decode_error error) noexcept {
  switch (error) {
    case decode_error::none:
      return "none";
    case decode_error::bad_magic:
      return "bad magic";
    case decode_error::unsupported_version:
      return "unsupported version";
    case decode_error::unknown_kind:
      return "unknown frame kind";
    case decode_error::unknown_flags:
      return "unknown flags";
    case decode_error::nonzero_reserved:
      return "reserved field not zero";
    case decode_error::oversized:
      return "oversized frame";
    case decode_error::bad_fields:
      return "fields not allowed for this frame kind";
    case decode_error::truncated:
      return "truncated frame";
  }
  return "unknown decode error";
}

decode_error validate_header(const frame_header& h, std::uint32_t max_payload,
                             std::string& message) {
  const auto kind_value = static_cast<std::uint8_t>(h.kind);
  if (!is_known_frame_kind(kind_value)) {
    message = "unknown frame kind ";
    message += std::to_string(kind_value);
    return decode_error::unknown_kind;
  }
  if (h.payload_length > max_payload) {
    std::ostringstream text;
    text << "frame payload of " << h.payload_length << " bytes exceeds the limit of "
         << max_payload;
    message = text.str();
    return decode_error::oversized;
  }
  if (h.version != protocol_version) {
    // A hello of another version goes through, so that the handshake can answer with a reject
    // that names the version we speak; only bytes 0-11 are read from it.
    if (h.kind == frame_kind::hello) return decode_error::none;
    std::ostringstream text;
    text << "protocol version " << unsigned{h.version} << " on a " << to_string(h.kind)
         << " frame (this node speaks " << unsigned{protocol_version} << ")";
    message = text.str();
    return decode_error::unsupported_version;
  }
  if ((h.flags & ~frame_flags::known) != 0) {
    message = "unknown flag bits ";
    message += hex_text(h.flags & ~frame_flags::known);
    return decode_error::unknown_flags;
  }

  auto bad = [&](const char* why) {
    message = to_string(h.kind);
    message += " frame: ";
    message += why;
    return decode_error::bad_fields;
  };
  if (h.flags != 0 && h.kind != frame_kind::message) return bad("only message frames carry flags");
  const bool no_ids = h.type_id == 0 && h.sender == 0 && h.receiver == 0 && h.request_id == 0;
  switch (h.kind) {
    case frame_kind::hello:
    case frame_kind::challenge:
    case frame_kind::auth_response:
    case frame_kind::accept:
    case frame_kind::reject:
    case frame_kind::goodbye:
      if (!no_ids) return bad("type id, sender, receiver and request id must be 0");
      break;
    case frame_kind::heartbeat:
      if (!no_ids) return bad("type id, sender, receiver and request id must be 0");
      if (h.payload_length != 0) return bad("payload must be empty");
      break;
    case frame_kind::credit:
      if (!no_ids) return bad("type id, sender, receiver and request id must be 0");
      if (h.payload_length != 4) return bad("payload must be 4 bytes");
      break;
    case frame_kind::message:
      if (h.type_id == 0) return bad("type id 0");
      if (h.receiver == 0) return bad("receiver 0");
      if (h.request_id != 0) return bad("request id must be 0");
      break;
    case frame_kind::request:
      if (h.type_id == 0) return bad("type id 0");
      if (h.receiver == 0) return bad("receiver 0");
      if (h.request_id == 0) return bad("request id 0");
      break;
    case frame_kind::response:
      if (h.type_id == 0) return bad("type id 0");
      if (h.request_id == 0) return bad("request id 0");
      break;
    case frame_kind::error_response:
      if (h.type_id != 0) return bad("type id must be 0");
      if (h.request_id == 0) return bad("request id 0");
      break;
    case frame_kind::lookup:
      if (h.type_id != 0 || h.sender != 0 || h.receiver != 0) {
        return bad("type id, sender and receiver must be 0");
      }
      if (h.request_id == 0) return bad("request id 0");
      break;
    case frame_kind::lookup_result:
      if (h.type_id != 0 || h.sender != 0) return bad("type id and sender must be 0");
      if (h.request_id == 0) return bad("request id 0");
      if (h.payload_length != 1) return bad("payload must be 1 byte");
      break;
    case frame_kind::monitor:
      if (h.type_id != 0 || h.sender != 0 || h.request_id != 0) {
        return bad("type id, sender and request id must be 0");
      }
      if (h.receiver == 0) return bad("receiver 0");
      if (h.payload_length != 0) return bad("payload must be empty");
      break;
    case frame_kind::down:
      if (h.type_id != 0 || h.receiver != 0 || h.request_id != 0) {
        return bad("type id, receiver and request id must be 0");
      }
      if (h.sender == 0) return bad("sender 0");
      break;
    case frame_kind::exit:
      if (h.type_id != 0 || h.request_id != 0) return bad("type id and request id must be 0");
      if (h.sender == 0 || h.receiver == 0) return bad("sender and receiver must not be 0");
      break;
  }
  return decode_error::none;
}

frame_decoder::frame_decoder(std::uint32_t max_payload) : max_payload_(max_payload) {}

void frame_decoder::feed(std::span<const std::byte> bytes) {
  if (error_ != decode_error::none || bytes.empty()) return;
  // Drop what earlier frames used; the rest is at most one partial frame.
  if (read_pos_ == buffer_.size()) {
    buffer_.clear();
  } else if (read_pos_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_pos_));
  }
  read_pos_ = 0;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

frame_decoder::status frame_decoder::fail(decode_error error, std::string message) {
  error_ = error;
  message_ = std::move(message);
  buffer_.clear();
  buffer_.shrink_to_fit();
  read_pos_ = 0;
  return status::error;
}

frame_decoder::status frame_decoder::next(frame_view& out) {
  if (error_ != decode_error::none) return status::error;
  const std::size_t available = buffer_.size() - read_pos_;
  const std::byte* p = buffer_.data() + read_pos_;
  // The magic is checked as soon as it arrives: a stray peer fails on its first bytes.
  if ((available >= 1 && p[0] != frame_magic_0) || (available >= 2 && p[1] != frame_magic_1)) {
    return fail(decode_error::bad_magic, "bad magic: not a JAEGIS frame");
  }
  if (available < frame_header_size) return status::need_more;

  frame_header h;
  h.version = static_cast<std::uint8_t>(p[at_version]);
  h.kind = static_cast<frame_kind>(p[at_kind]);
  h.flags = load_le<std::uint16_t>(p + at_flags);
  h.payload_length = load_le<std::uint32_t>(p + at_payload_length);
  h.type_id = load_le<std::uint64_t>(p + at_type_id);
  h.sender = load_le<std::uint64_t>(p + at_sender);
  h.receiver = load_le<std::uint64_t>(p + at_receiver);
  h.request_id = load_le<std::uint64_t>(p + at_request_id);

  std::string message;
  if (const auto error = validate_header(h, max_payload_, message); error != decode_error::none) {
    return fail(error, std::move(message));
  }
  if (h.version == protocol_version && (load_le<std::uint16_t>(p + at_reserved16) != 0 ||
                                        load_le<std::uint32_t>(p + at_reserved32) != 0)) {
    return fail(decode_error::nonzero_reserved, "reserved header bytes are not zero");
  }
  // The length has passed the limit: only now may the buffer grow towards it.
  const std::size_t total = frame_header_size + h.payload_length;
  if (available < total) {
    return status::need_more;
  }
  out.header = h;
  out.payload = std::span<const std::byte>(p + frame_header_size, h.payload_length);
  read_pos_ += total;
  return status::frame;
}

frame_decoder::status frame_decoder::finish() {
  if (error_ != decode_error::none) return status::error;
  if (buffered() != 0) {
    std::ostringstream text;
    text << "the stream ended inside a frame (" << buffered() << " bytes left over)";
    return fail(decode_error::truncated, text.str());
  }
  return status::need_more;
}

}  // namespace jaegis::transports
