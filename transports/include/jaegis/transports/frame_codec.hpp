#pragma once

// Encoding frames into a caller's buffer (no allocation) and decoding a byte stream, delivered in
// arbitrary chunks, back into frames. The decoder is the first code that sees a peer's bytes: it
// checks every header field before it waits for a payload, never reads past what it was given,
// and never buffers more than one frame (header + its own payload limit) beyond the last chunk.

#include <cstddef>
#include <cstdint>
#include <jaegis/transports/frame.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jaegis::transports {

enum class encode_error : std::uint8_t {
  none,
  payload_too_large,  ///< over the limit given to encode_frame
  buffer_too_small,   ///< `out` cannot hold header + payload
};

struct encode_result {
  encode_error error = encode_error::none;
  std::size_t size = 0;  ///< bytes written (header + payload) when error is none
  explicit operator bool() const noexcept { return error == encode_error::none; }
};

/// Writes the 48-byte header as given (payload_length included) into `out`.
void encode_header(const frame_header& header,
                   std::span<std::byte, frame_header_size> out) noexcept;

/// Writes `header` (its payload_length replaced by payload.size()) and `payload` into `out`.
/// Carriers that serialise a message in place write the payload at out[frame_header_size] first
/// and then call encode_header.
[[nodiscard]] encode_result encode_frame(frame_header header, std::span<const std::byte> payload,
                                         std::span<std::byte> out,
                                         std::uint32_t max_payload = default_max_payload) noexcept;

enum class decode_error : std::uint8_t {
  none,
  bad_magic,            ///< not "JG": not a JAEGIS peer, or the stream lost its framing
  unsupported_version,  ///< a version other than 1 on a frame other than hello
  unknown_kind,
  unknown_flags,  ///< a flag bit version 1 does not define
  nonzero_reserved,
  oversized,   ///< payload_length over this decoder's limit
  bad_fields,  ///< ids or length that the kind forbids (PROTOCOL.md, "Frame kinds")
  truncated,   ///< the stream ended inside a frame
};

[[nodiscard]] std::string_view to_string(decode_error error) noexcept;

/// Checks one header against the rules of PROTOCOL.md. `message` receives the reason.
[[nodiscard]] decode_error validate_header(const frame_header& header, std::uint32_t max_payload,
                                           std::string& message);

class frame_decoder {
 public:
  enum class status : std::uint8_t { frame, need_more, error };

  explicit frame_decoder(std::uint32_t max_payload = default_max_payload);

  /// Takes the next bytes of the stream, split anywhere. After an error it ignores them.
  void feed(std::span<const std::byte> bytes);

  /// The next complete frame (status::frame, `out` filled), or need_more, or error (sticky: the
  /// connection must be closed; error() and error_message() say why).
  [[nodiscard]] status next(frame_view& out);

  /// The stream has ended: an error (truncated) if it ended inside a frame.
  [[nodiscard]] status finish();

  [[nodiscard]] decode_error error() const noexcept { return error_; }
  [[nodiscard]] const std::string& error_message() const noexcept { return message_; }
  /// Bytes received but not yet returned as frames.
  [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size() - read_pos_; }
  [[nodiscard]] std::uint32_t max_payload() const noexcept { return max_payload_; }

 private:
  status fail(decode_error error, std::string message);

  std::uint32_t max_payload_;
  std::vector<std::byte> buffer_;
  std::size_t read_pos_ = 0;
  decode_error error_ = decode_error::none;
  std::string message_;
};

}  // namespace jaegis::transports
