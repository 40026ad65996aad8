#pragma once

#include <chrono>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/behavior.hpp"
#include "jaegis/framework/delayed_send.hpp"
#include "jaegis/framework/error.hpp"
#include "jaegis/framework/ref.hpp"
#include "jaegis/framework/request.hpp"
#include "jaegis/framework/response.hpp"
#include "jaegis/framework/system_messages.hpp"
#include "jaegis/framework/task.hpp"

namespace jaegis {

/// What every actor derives from (through jaegis::actor<Derived, Messages...>). Its protected
/// members are the operations a handler uses; they act on behalf of this actor and must be called
/// from its own handlers (its thread), never from outside.
class actor_base {
 public:
  actor_base(const actor_base&) = delete;
  actor_base& operator=(const actor_base&) = delete;
  virtual ~actor_base() = default;

  actor_id id() const noexcept { return cell_->id(); }
  actor_system& system() const noexcept { return cell_->system(); }

  /// Handles `e` if this actor accepts its type. Called by the runtime only.
  virtual bool dispatch(detail::envelope& e) = 0;
  /// The runtime's entry points for the hooks.
  void start_hook() { on_start(); }
  void stop_hook(const exit_reason& reason) noexcept;
  void unhandled_hook(detail::envelope& e) { on_unhandled(e.type, e.sender); }

 protected:
  actor_base();

  /// Runs on the actor's thread before its first message.
  virtual void on_start() {}
  /// Runs on the actor's thread (or on the thread that dropped its last reference) when it stops,
  /// before its monitors and links are told. Must not throw.
  virtual void on_stop(const exit_reason& /*reason*/) {}
  /// A message arrived through an untyped ref that no handler accepts. The default counts it and
  /// logs the first one of each type; the message is then dropped (a request gets an
  /// `unexpected_message` error).
  virtual void on_unhandled(type_id_t type, actor_id sender);

  /// Stops this actor after the current handler returns.
  void quit(exit_reason reason = errc::normal) noexcept { cell_->quit(std::move(reason)); }

  /// Untyped send (typed refs check the message type at compile time in their own send).
  template <class M>
  void send(const actor_ref& to, M&& msg) const {
    to.send(std::forward<M>(msg));
  }
  template <class A, class M>
  void send(const ref<A>& to, M&& msg) const {
    to.send(std::forward<M>(msg));
  }

  /// Sends `msg` to `to` as a request. The response type R is what the receiver's handler for M
  /// returns (unit_t for void). Attach continuations with .then(...), or co_await the result in a
  /// coroutine handler. Every request has a timeout; a missing reply becomes an error value.
  template <class A, class M>
  auto request(const ref<A>& to, M&& msg, std::chrono::nanoseconds timeout) {
    using message = std::remove_cvref_t<M>;
    static_assert(A::template accepts<message>,
                  "jaegis: this actor does not accept this message type (add it to the "
                  "message list of its jaegis::actor<...> base)");
    using handler_result = decltype(std::declval<A&>().on(std::declval<message&>()));
    using R = typename detail::response_of<handler_result>::type;
    return request<R>(to.untyped(), std::forward<M>(msg), timeout);
  }
  /// The same through an untyped ref: name the response type.
  template <class R, class M>
  request_handle<R> request(const actor_ref& to, M&& msg, std::chrono::nanoseconds timeout) {
    if (!to) throw std::invalid_argument("jaegis: request through an empty ref");
    const std::uint64_t id = cell_->next_request_id();
    detail::send_request(*cell_, to.cell(), id, std::forward<M>(msg));
    return request_handle<R>(*cell_, id, timeout);
  }

  /// Answers the current message: if it is a request, `msg` becomes its response (the handler's
  /// return value, if any, is then ignored); otherwise `msg` is sent to its sender, if that was an
  /// actor that still exists.
  template <class M>
  void reply(M&& msg) {
    detail::envelope* e = cell_->current();
    if (e == nullptr) return;
    if (e->reply_to != nullptr) {
      detail::respond(*e, std::forward<M>(msg));
    } else if (actor_ref sender = current_sender()) {
      sender.send(std::forward<M>(msg));
    }
  }

  /// Hands the current message, unchanged (its sender, and the request and its requester if it is
  /// one), to `to`: the envelope itself moves, nothing is copied. The handler must not touch the
  /// message after forwarding it.
  void forward(const actor_ref& to) { cell_->forward_current(to.cell()); }

  /// The sender of the current message, if it was an actor that still exists.
  actor_ref current_sender() const;

  /// Watch `whom`: a down_msg arrives when it stops (at once if it is already gone).
  void monitor(const actor_ref& whom);
  void demonitor(const actor_ref& whom);
  /// Link both ways: when either stops with a failure, the other gets an exit_msg.
  void link(const actor_ref& other);
  void unlink(const actor_ref& other);
  /// Receive exit_msg as a message instead of stopping with the partner's reason.
  void trap_exit(bool on);

  detail::actor_cell& cell() const noexcept { return *cell_; }

 private:
  detail::actor_cell* cell_;
};

/// The base of an agent class: `Derived` lists the messages it accepts, and has a member
/// `on(M&)` for each (its return value, if any, is the response to a request).
///
///   struct counter : jaegis::actor<counter, add, get> {
///     void on(add& a) { total += a.n; }
///     int on(get&) { return total; }
///     int total = 0;
///   };
template <class Derived, class... Messages>
class actor : public actor_base {
 public:
  template <class M>
  static constexpr bool accepts = (std::is_same_v<M, Messages> || ...);
  /// The accepted message types, for code that must treat each of them (remoting registers
  /// their wire codecs). Only named, never instantiated.
  using message_types = std::tuple<Messages...>;

  /// A typed reference to this actor (counted).
  ref<Derived> self() const {
    cell().retain();
    return ref<Derived>::adopt(&cell());
  }

  bool dispatch(detail::envelope& e) final {
    if (detail::behavior_holder* b = cell().behavior(); b != nullptr && *b != nullptr) {
      if (b->handle(e)) return true;
    }
    return (try_handle<Messages>(e) || ...);
  }

 protected:
  /// Installs handlers that take precedence over the class's `on` members until unbecome() or
  /// the next become(). Each handler takes one accepted message type by reference.
  template <class... Handlers>
  void become(Handlers&&... handlers) {
    static_assert((accepts<detail::handler_arg_t<Handlers>> && ...),
                  "jaegis: become() handler takes a message type this actor does not accept");
    cell().behavior_for_become().reset(
        new detail::behavior_impl<std::decay_t<Handlers>...>(std::forward<Handlers>(handlers)...));
  }
  void unbecome() noexcept {
    if (detail::behavior_holder* b = cell().behavior()) b->reset();
  }

 private:
  template <class M>
  bool try_handle(detail::envelope& e) {
    if (e.type != type_id<M>()) return false;
    detail::invoke_and_respond<M>(
        e, [this](M& m) -> decltype(auto) { return static_cast<Derived*>(this)->on(m); });
    return true;
  }
};

}  // namespace jaegis
