#pragma once

#include <atomic>
#include <cstdint>
#include <new>
#include <utility>

#include "jaegis/framework/pool.hpp"
#include "jaegis/framework/type_id.hpp"

namespace jaegis {

/// A system-wide actor id: (generation << 32) | slot index. 0 is no actor. See actor_table.hpp.
using actor_id = std::uint64_t;

namespace detail {

class actor_cell;

/// The link a mailbox threads through its messages (and through its stub).
struct mailbox_node {
  std::atomic<mailbox_node*> next{nullptr};
};

enum envelope_flags : std::uint16_t {
  system_message = 1,    ///< exit, down, timeout, monitor bookkeeping: handled before user messages
  request_message = 2,   ///< expects a response: `reply_to` holds a reference to the requester
  response_message = 4,  ///< answers request `request_id`
  error_response = 8,    ///< the response carries an `error` instead of a value
};

/// A message in flight: a header and the payload constructed in place after it, in one block from
/// the sending thread's pool.
struct envelope : mailbox_node {
  void (*destroy)(envelope*) noexcept = nullptr;  ///< runs the payload's destructor, frees
  type_id_t type = 0;
  std::uint16_t flags = 0;
  std::uint64_t request_id = 0;
  actor_id sender = 0;             ///< who sent it (0: not an actor); resolved lazily
  actor_cell* reply_to = nullptr;  ///< requests only: a counted reference to the requester

  bool has(envelope_flags f) const noexcept { return (flags & f) != 0; }
  template <class T>
  T& payload() noexcept;
};

template <class T>
struct typed_envelope final : envelope {
  template <class... Args>
  explicit typed_envelope(Args&&... args) : value(std::forward<Args>(args)...) {}
  T value;

  static void destroy_fn(envelope* e) noexcept { mem::destroy(static_cast<typed_envelope*>(e)); }
};

template <class T>
T& envelope::payload() noexcept {
  return static_cast<typed_envelope<T>*>(this)->value;
}

/// One pool allocation, the payload moved (or built) in place.
template <class T, class... Args>
envelope* make_envelope(Args&&... args) {
  auto* e = mem::make<typed_envelope<T>>(std::forward<Args>(args)...);
  e->destroy = &typed_envelope<T>::destroy_fn;
  e->type = type_id<T>();
  return e;
}

}  // namespace detail
}  // namespace jaegis
