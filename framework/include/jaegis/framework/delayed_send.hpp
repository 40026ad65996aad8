#pragma once

#include <chrono>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/envelope.hpp"
#include "jaegis/framework/pool.hpp"
#include "jaegis/framework/ref.hpp"
#include "jaegis/framework/timer_service.hpp"

namespace jaegis {

namespace detail {

timers::timer_service& timers_of(actor_cell& cell) noexcept;

/// A message waiting on the timer wheel. It holds a reference to its target until it is released,
/// so the target's cell outlives every pending delivery. A periodic one copies its message at
/// each fire and stops by itself once its target has stopped.
template <class M>
struct delayed_message final : timers::timer_node {
  delayed_message(actor_cell* to, actor_id from, M m, bool repeat)
      : timer_node(&fire, &release),
        target(to),
        sender(from),
        message(std::move(m)),
        periodic(repeat) {
    target->retain();
  }

  static void fire(timers::timer_node* node) noexcept {
    auto* self = static_cast<delayed_message*>(node);
    if (self->periodic && self->target->terminated()) {
      timers_of(*self->target).cancel(node);  // allowed from inside fire(): stops the repeats
      return;
    }
    envelope* e = self->periodic ? make_envelope<M>(self->message)
                                 : make_envelope<M>(std::move(self->message));
    e->sender = self->sender;
    self->target->enqueue(e);
  }

  static void release(timers::timer_node* node) noexcept {
    auto* self = static_cast<delayed_message*>(node);
    actor_cell* target = self->target;
    mem::destroy(self);
    target->release();
  }

  actor_cell* target;
  actor_id sender;
  M message;
  bool periodic;
};

template <class M>
timers::timer_handle schedule_send(const actor_ref& to, std::chrono::nanoseconds delay,
                                   std::chrono::nanoseconds period, M&& msg) {
  if (!to) throw_empty_ref();
  using message = std::remove_cvref_t<M>;
  actor_cell* self = actor_cell::running();
  auto* node = mem::make<delayed_message<message>>(to.cell(), self ? self->id() : 0,
                                                   message(std::forward<M>(msg)),
                                                   period != std::chrono::nanoseconds::zero());
  return timers_of(*to.cell())
      .schedule_cancellable(node, timers::timer_service::clock::now() + delay, period);
}

}  // namespace detail

/// Sends `msg` to `to` after `delay` (at the timer tick's resolution, never early). The handle
/// cancels it; dropping the handle does not.
template <class M>
timers::timer_handle delayed_send(const actor_ref& to, std::chrono::nanoseconds delay, M&& msg) {
  return detail::schedule_send(to, delay, std::chrono::nanoseconds::zero(), std::forward<M>(msg));
}
template <class A, class M>
timers::timer_handle delayed_send(const ref<A>& to, std::chrono::nanoseconds delay, M&& msg) {
  static_assert(A::template accepts<std::remove_cvref_t<M>>,
                "jaegis: this actor does not accept this message type (add it to the "
                "message list of its jaegis::actor<...> base)");
  return delayed_send(to.untyped(), delay, std::forward<M>(msg));
}

/// Sends a copy of `msg` to `to` every `period` until the handle cancels it or `to` stops.
template <class M>
timers::timer_handle periodic_send(const actor_ref& to, std::chrono::nanoseconds period, M msg) {
  static_assert(std::is_copy_constructible_v<M>, "jaegis: a periodic message must be copyable");
  if (period <= std::chrono::nanoseconds::zero()) {
    throw std::invalid_argument("jaegis: periodic_send needs a positive period");
  }
  return detail::schedule_send(to, period, period, std::move(msg));
}
template <class A, class M>
timers::timer_handle periodic_send(const ref<A>& to, std::chrono::nanoseconds period, M msg) {
  static_assert(A::template accepts<M>,
                "jaegis: this actor does not accept this message type (add it to the "
                "message list of its jaegis::actor<...> base)");
  return periodic_send(to.untyped(), period, std::move(msg));
}

}  // namespace jaegis
