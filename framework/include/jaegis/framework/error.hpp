#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace jaegis {

/// Why an actor stopped, or why a request failed.
enum class errc : std::uint8_t {
  none = 0,
  normal,               ///< the actor quit on its own; not a failure
  unhandled_exception,  ///< a handler threw; `what` holds the exception's message
  unreachable,          ///< every reference to the actor was dropped
  user_shutdown,        ///< the system was shut down
  killed,               ///< stopped by an exit signal with reason killed
  linked_exit,          ///< reserved for user exit reasons carried through links
  request_timeout,      ///< no response within the request's timeout
  actor_down,           ///< the receiver stopped before it responded
  unexpected_message,   ///< the receiver does not handle this message type
  bad_response,         ///< the response had another type than the request expected
  node_down,            ///< the actor's node was lost (remote refs)
};

std::string_view to_string(errc code) noexcept;

/// An error value: a code and a human-readable detail. Also the exit reason of an actor.
class error {
 public:
  error() = default;
  error(errc code, std::string what = {}) : code_(code), what_(std::move(what)) {}

  errc code() const noexcept { return code_; }
  const std::string& what() const noexcept { return what_; }
  /// "request_timeout: no response from actor 12 within 50 ms"
  std::string to_string() const;
  explicit operator bool() const noexcept { return code_ != errc::none; }
  /// An exit reason that is not a failure: links do not propagate it.
  bool is_normal() const noexcept { return code_ == errc::none || code_ == errc::normal; }

  friend bool operator==(const error& a, const error& b) noexcept { return a.code_ == b.code_; }

 private:
  errc code_ = errc::none;
  std::string what_;
};

using exit_reason = error;

}  // namespace jaegis
