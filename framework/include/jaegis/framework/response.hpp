#pragma once

#include <type_traits>
#include <utility>

#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/envelope.hpp"
#include "jaegis/framework/error.hpp"

namespace jaegis {

/// The response to a request whose handler returns nothing.
struct unit_t {
  friend bool operator==(unit_t, unit_t) noexcept { return true; }
};

template <class T>
class task;

namespace detail {

/// A request that still owes its requester a response: who asked (a counted reference), and the
/// request id. Taken out of the request envelope by whoever will answer.
struct open_request {
  actor_cell* reply_to = nullptr;
  std::uint64_t id = 0;

  explicit operator bool() const noexcept { return reply_to != nullptr; }
  static open_request take(envelope& e) noexcept {
    open_request r{std::exchange(e.reply_to, nullptr), e.request_id};
    e.flags = static_cast<std::uint16_t>(e.flags & ~request_message);
    return r;
  }
};

/// Hands `response` to the requester and releases the reference the request held.
void deliver_response(open_request& request, envelope* response) noexcept;

template <class R>
void respond(open_request& request, R&& value) {
  if (!request) return;
  deliver_response(request, make_envelope<std::remove_cvref_t<R>>(std::forward<R>(value)));
}
void respond_error(open_request& request, error err) noexcept;

/// The same, for a request envelope still in hand (no-ops if it is not an open request).
template <class R>
void respond(envelope& e, R&& value) {
  if (e.reply_to == nullptr) return;
  open_request r = open_request::take(e);
  respond(r, std::forward<R>(value));
}
void respond_error(envelope& e, error err) noexcept;

template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<task<T>> : std::true_type {};

/// Calls handler(payload) and turns its return value, if any, into the response. A void handler
/// leaves the request open (actor_cell answers unit_t after the handler); a coroutine handler
/// (task) takes the request over and answers when it finishes.
template <class M, class Handler>
void invoke_and_respond(envelope& e, Handler&& handler) {
  M& message = e.payload<M>();
  using result = decltype(handler(message));
  if constexpr (std::is_void_v<result> || is_task<result>::value) {
    handler(message);
  } else {
    respond(e, handler(message));
  }
}

/// The response type of a handler result type.
template <class R>
struct response_of {
  using type = R;
};
template <>
struct response_of<void> {
  using type = unit_t;
};
template <class T>
struct response_of<task<T>> {
  using type = typename response_of<T>::type;
};

}  // namespace detail
}  // namespace jaegis
