#pragma once

#include <utility>

#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/error.hpp"
#include "jaegis/framework/response.hpp"

namespace jaegis::actors {

/// The request behind the message being handled, taken out of it so that a later handler (a
/// response from a worker, a timer) can answer it. Empty when the message was not a request.
///
/// It owns the requester's reference the request held: answer it exactly once with send() or
/// fail(); one dropped unanswered answers `actor_down`, so a requester never waits for its
/// timeout because a pattern forgot it.
class deferred_reply {
 public:
  deferred_reply() noexcept = default;
  deferred_reply(deferred_reply&& other) noexcept : request_(std::exchange(other.request_, {})) {}
  deferred_reply& operator=(deferred_reply&& other) noexcept {
    if (this != &other) {
      fail(error(errc::actor_down, "the request was dropped unanswered"));
      request_ = std::exchange(other.request_, {});
    }
    return *this;
  }
  ~deferred_reply() { fail(error(errc::actor_down, "the request was dropped unanswered")); }

  /// Takes the request out of `self`'s current message (call it from a handler). The runtime then
  /// no longer answers it when the handler returns.
  static deferred_reply take(detail::actor_cell& self) noexcept {
    deferred_reply r;
    if (detail::envelope* e = self.current(); e != nullptr && e->reply_to != nullptr) {
      r.request_ = detail::open_request::take(*e);
    }
    return r;
  }

  explicit operator bool() const noexcept { return static_cast<bool>(request_); }

  template <class R>
  void send(R&& value) {
    detail::respond(request_, std::forward<R>(value));
  }
  void fail(error err) noexcept { detail::respond_error(request_, std::move(err)); }

  /// For code that rebuilds the request envelope (parked_message).
  detail::open_request release() noexcept { return std::exchange(request_, {}); }

 private:
  detail::open_request request_;
};

}  // namespace jaegis::actors
