#pragma once

#include <type_traits>
#include <utility>

#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/envelope.hpp"

namespace jaegis {

namespace detail {
/// Sends `msg` to `target` from whatever actor runs on this thread (or from outside).
void throw_empty_ref();

template <class M>
void send_message(actor_cell* target, M&& msg) {
  if (target == nullptr) throw_empty_ref();
  envelope* e = make_envelope<std::remove_cvref_t<M>>(std::forward<M>(msg));
  if (actor_cell* self = actor_cell::running()) e->sender = self->id();
  target->enqueue(e);
}
}  // namespace detail

/// A counted reference to an actor that accepts any message type. Sending a type the actor does
/// not handle reaches its unhandled-message hook (counted, logged once per type, dropped; a
/// request gets an `unexpected_message` error). Copying a ref is an atomic increment; sending is
/// not (the hot path touches no reference count).
///
/// A ref keeps the actor's control block alive, not the actor: a stopped actor drops what it is
/// sent. Refs must not outlive their actor_system.
class actor_ref {
 public:
  actor_ref() noexcept = default;
  actor_ref(const actor_ref& other) noexcept : cell_(other.cell_) {
    if (cell_ != nullptr) cell_->retain();
  }
  actor_ref(actor_ref&& other) noexcept : cell_(std::exchange(other.cell_, nullptr)) {}
  actor_ref& operator=(actor_ref other) noexcept {
    std::swap(cell_, other.cell_);
    return *this;
  }
  ~actor_ref() {
    if (cell_ != nullptr) cell_->release();
  }

  /// Takes over a counted reference (the caller's count moves into the ref).
  static actor_ref adopt(detail::actor_cell* cell) noexcept {
    actor_ref r;
    r.cell_ = cell;
    return r;
  }

  explicit operator bool() const noexcept { return cell_ != nullptr; }
  actor_id id() const noexcept { return cell_ != nullptr ? cell_->id() : 0; }
  void reset() noexcept { actor_ref().swap(*this); }
  void swap(actor_ref& other) noexcept { std::swap(cell_, other.cell_); }

  /// Fire and forget. From an actor's handler the receiver sees that actor as the sender. Throws
  /// std::logic_error through an empty ref.
  template <class M>
  void send(M&& msg) const {
    detail::send_message(cell_, std::forward<M>(msg));
  }

  detail::actor_cell* cell() const noexcept { return cell_; }

  friend bool operator==(const actor_ref& a, const actor_ref& b) noexcept {
    return a.cell_ == b.cell_;
  }

 protected:
  detail::actor_cell* cell_ = nullptr;
};

/// A reference to an actor of class A: only the message types A accepts can be sent through it,
/// and that is checked at compile time.
template <class A>
class ref : public actor_ref {
 public:
  using actor_type = A;

  ref() noexcept = default;
  static ref adopt(detail::actor_cell* cell) noexcept {
    ref r;
    r.cell_ = cell;
    return r;
  }

  template <class M>
  void send(M&& msg) const {
    static_assert(A::template accepts<std::remove_cvref_t<M>>,
                  "jaegis: this actor does not accept this message type (add it to the "
                  "message list of its jaegis::actor<...> base)");
    actor_ref::send(std::forward<M>(msg));
  }

  /// The untyped view (for APIs that take any actor).
  const actor_ref& untyped() const noexcept { return *this; }
};

}  // namespace jaegis
