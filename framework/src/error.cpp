#include "jaegis/framework/error.hpp"

namespace jaegis {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::none:
      return "none";
    case errc::normal:
      return "normal";
    case errc::unhandled_exception:
      return "unhandled_exception";
    case errc::unreachable:
      return "unreachable";
    case errc::user_shutdown:
      return "user_shutdown";
    case errc::killed:
      return "killed";
    case errc::linked_exit:
      return "linked_exit";
    case errc::request_timeout:
      return "request_timeout";
    case errc::actor_down:
      return "actor_down";
    case errc::unexpected_message:
      return "unexpected_message";
    case errc::bad_response:
      return "bad_response";
    case errc::node_down:
      return "node_down";
  }
  return "unknown";
}

std::string error::to_string() const {
  std::string text(jaegis::to_string(code_));
  if (!what_.empty()) {
    text += ": ";
    text += what_;
  }
  return text;
}

}  // namespace jaegis
