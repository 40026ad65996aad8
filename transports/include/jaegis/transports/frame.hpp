#pragma once

// The unit of the wire protocol: a fixed 48-byte header and a payload. The layout, the kinds and
// the rules each kind obeys are specified in transports/PROTOCOL.md; this header is its C++ form.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace jaegis::transports {

/// Version 1 of the protocol. Bytes 0-11 of the header (magic, version, kind, flags, reserved,
/// payload length) keep their meaning in every later version, so that any peer can read far
/// enough to reject a version it does not speak.
inline constexpr std::uint8_t protocol_version = 1;

/// "JG": the first two bytes of every frame; a stray connection (HTTP, TLS) fails on them.
inline constexpr std::byte frame_magic_0{0x4A};
inline constexpr std::byte frame_magic_1{0x47};

inline constexpr std::size_t frame_header_size = 48;

/// The default limit on a frame's payload. Large enough for any message an agent should send in
/// one piece, small enough that a hostile length costs at most this much buffer per connection.
/// Each side chooses its own limit and announces it in the handshake.
inline constexpr std::uint32_t default_max_payload = 16u << 20;

enum class frame_kind : std::uint8_t {
  // handshake (PROTOCOL.md, "Handshake")
  hello = 1,
  challenge = 2,
  auth_response = 3,
  accept = 4,
  reject = 5,
  // actor traffic
  message = 16,
  request = 17,
  response = 18,
  error_response = 19,
  // remoting services: names, monitors, exits across nodes
  lookup = 20,
  lookup_result = 21,
  monitor = 22,
  down = 23,
  exit = 24,
  // connection management
  heartbeat = 32,
  goodbye = 33,
  // flow control for carriers with receive rings (RDMA, shared memory); TCP never sends it
  credit = 48,
};

[[nodiscard]] bool is_known_frame_kind(std::uint8_t kind) noexcept;
[[nodiscard]] bool is_handshake_kind(frame_kind kind) noexcept;
[[nodiscard]] std::string_view to_string(frame_kind kind) noexcept;

/// Header flag bits. Bits not named here must be zero in version 1.
namespace frame_flags {
/// A system message (down, exit): delivered on the receiver's urgent lane.
inline constexpr std::uint16_t urgent = 0x0001;
inline constexpr std::uint16_t known = urgent;
}  // namespace frame_flags

/// The decoded header. Actor ids are the framework's 64-bit ids; 0 means "none".
struct frame_header {
  std::uint8_t version = protocol_version;
  frame_kind kind = frame_kind::heartbeat;
  std::uint16_t flags = 0;
  std::uint32_t payload_length = 0;
  std::uint64_t type_id = 0;
  std::uint64_t sender = 0;
  std::uint64_t receiver = 0;
  std::uint64_t request_id = 0;

  friend bool operator==(const frame_header&, const frame_header&) = default;
};

/// A decoded frame. The payload points into the decoder's buffer: valid until the decoder is
/// next called.
struct frame_view {
  frame_header header;
  std::span<const std::byte> payload;
};

}  // namespace jaegis::transports
