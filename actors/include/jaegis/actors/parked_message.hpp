#pragma once

#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "jaegis/actors/deferred_reply.hpp"
#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/envelope.hpp"
#include "jaegis/framework/ref.hpp"

namespace jaegis::actors {

/// A message taken out of the handler that received it, to be delivered later exactly as if it
/// had been forwarded then: the receiver sees the original sender, and if it was a request, the
/// receiver's answer goes straight to the original requester. forward() can only hand a message on
/// inside its handler; this is the same for messages that must wait (a rate limiter's queue).
///
/// Move-only. Dropping one undelivered answers its request with `actor_down`; `fail()` answers
/// it with another error.
class parked_message {
 public:
  parked_message() = default;

  /// Moves `msg` (the payload of `self`'s current message) out, with its sender and request.
  template <class M>
  static parked_message take(detail::actor_cell& self, M&& msg) {
    parked_message p;
    detail::envelope* current = self.current();
    p.sender_ = current != nullptr ? current->sender : 0;
    p.reply_ = deferred_reply::take(self);
    p.payload_ = std::make_unique<holder<std::remove_cvref_t<M>>>(std::forward<M>(msg));
    return p;
  }

  explicit operator bool() const noexcept { return payload_ != nullptr; }
  bool is_request() const noexcept { return static_cast<bool>(reply_); }

  /// Delivers the message to `to` (which then owns the request, if any). Leaves this empty.
  void deliver(const actor_ref& to) {
    if (!to) throw std::invalid_argument("jaegis: parked_message delivered to an empty ref");
    detail::envelope* e = payload_.release()->into_envelope();  // frees the holder
    e->sender = sender_;
    if (detail::open_request r = reply_.release()) {
      e->flags = static_cast<std::uint16_t>(e->flags | detail::request_message);
      e->request_id = r.id;
      e->reply_to = r.reply_to;  // the reference the request held moves into the envelope
    }
    to.cell()->enqueue(e);
  }

  /// Answers the request (if any) with `err` and drops the message.
  void fail(error err) noexcept {
    reply_.fail(std::move(err));
    payload_.reset();
  }

 private:
  struct holder_base {
    virtual ~holder_base() = default;
    /// Moves the payload into a new envelope and deletes this holder.
    virtual detail::envelope* into_envelope() = 0;
  };
  template <class M>
  struct holder final : holder_base {
    template <class T>
    explicit holder(T&& m) : message(std::forward<T>(m)) {}
    detail::envelope* into_envelope() override {
      std::unique_ptr<holder> self(this);
      return detail::make_envelope<M>(std::move(message));
    }
    M message;
  };

  std::unique_ptr<holder_base> payload_;
  actor_id sender_ = 0;
  deferred_reply reply_;
};

}  // namespace jaegis::actors
