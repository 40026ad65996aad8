#include <jaegis/transports/frame.hpp>

namespace jaegis::transports {

bool is_known_frame_kind(std::uint8_t kind) noexcept {
  switch (static_cast<frame_kind>(kind)) {
    case frame_kind::hello:
    case frame_kind::challenge:
    case frame_kind::auth_response:
    case frame_kind::accept:
    case frame_kind::reject:
    case frame_kind::message:
    case frame_kind::request:
    case frame_kind::response:
    case frame_kind::error_response:
    case frame_kind::lookup:
    case frame_kind::lookup_result:
    case frame_kind::monitor:
    case frame_kind::down:
    case frame_kind::exit:
    case frame_kind::heartbeat:
    case frame_kind::goodbye:
    case frame_kind::credit:
      return true;
  }
  return false;
}

bool is_handshake_kind(frame_kind kind) noexcept {
  return kind >= frame_kind::hello && kind <= frame_kind::reject;
}

std::string_view to_string(frame_kind kind) noexcept {
  switch (kind) {
    case frame_kind::hello:
      return "hello";
    case frame_kind::challenge:
      return "challenge";
    case frame_kind::auth_response:
      return "auth_response";
    case frame_kind::accept:
      return "accept";
    case frame_kind::reject:
      return "reject";
    case frame_kind::message:
      return "message";
    case frame_kind::request:
      return "request";
    case frame_kind::response:
      return "response";
    case frame_kind::error_response:
      return "error_response";
    case frame_kind::lookup:
      return "lookup";
    case frame_kind::lookup_result:
      return "lookup_result";
    case frame_kind::monitor:
      return "monitor";
    case frame_kind::down:
      return "down";
    case frame_kind::exit:
      return "exit";
    case frame_kind::heartbeat:
      return "heartbeat";
    case frame_kind::goodbye:
      return "goodbye";
    case frame_kind::credit:
      return "credit";
  }
  return "unknown";
}

}  // namespace jaegis::transports
