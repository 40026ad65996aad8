#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/envelope.hpp"
#include "jaegis/framework/error.hpp"
#include "jaegis/framework/pool.hpp"
#include "jaegis/framework/response.hpp"
#include "jaegis/framework/timer_service.hpp"

namespace jaegis {

/// A value or an error: what a request yields.
template <class T>
class result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(error err) : state_(std::in_place_index<1>, std::move(err)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const error& error_value() const { return std::get<1>(state_); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, error> state_;
};

namespace detail {

/// The actor's request-timeout timer fired (see pending_requests): `arm_seq` names which arming.
struct request_timeout_msg {
  std::uint64_t arm_seq;
};

/// A pending request's continuation. Allocated from the pool; destroy() frees it.
struct response_handler {
  virtual void on_response(envelope& e) = 0;
  virtual void on_error(error err) = 0;
  virtual void destroy() noexcept = 0;
  std::int64_t deadline = 0;  ///< steady-clock nanoseconds at which the request times out
  bool exclusive = false;

 protected:
  ~response_handler() = default;
};

/// The steady-clock deadline `timeout` from now, in nanoseconds (saturating).
std::int64_t deadline_after(std::chrono::nanoseconds timeout) noexcept;

/// The open requests of one actor, by request id: an open-addressing table that allocates only
/// when it grows, so steady-state request traffic allocates nothing but its handlers (pool).
///
/// Timeouts: one timer per actor, not one per request. It is armed for the earliest deadline of
/// the open requests and, when it fires, sends the actor a request_timeout_msg; the actor fails
/// every request whose deadline has passed and re-arms for the next. A response just leaves the
/// table: no timer is touched, so a request costs no atomic operation on shared timer state (a
/// timer per request cost a schedule and a cancel, and a wake-up of the timer thread every
/// `cancel_batch` cancels: bench/RESULTS.md, loaded-latency). The timer refers to the actor by
/// id, so it never keeps an actor alive; a fire after the actor is gone does nothing.
struct pending_requests {
  pending_requests() : slots(16) {}
  ~pending_requests();
  pending_requests(const pending_requests&) = delete;
  pending_requests& operator=(const pending_requests&) = delete;

  /// Registers request `id` of `owner` (arming the timer if it is the earliest deadline).
  void add(std::uint64_t id, response_handler* handler, actor_cell& owner);
  /// The response for its request; unknown ids (a timeout won) are ignored.
  void complete(envelope& response);
  /// Fails request `id` with `err`; unknown ids (the response won) are ignored.
  void fail(std::uint64_t id, error err);
  /// The timer armed as `arm_seq` fired: fails the requests whose deadline passed, re-arms.
  void expire(std::uint64_t arm_seq, actor_cell& owner);
  std::size_t exclusive_waits = 0;  ///< open requests that hold back user messages

 private:
  struct slot {
    std::uint64_t id = 0;
    response_handler* handler = nullptr;
  };
  static constexpr std::int64_t never = INT64_MAX;

  void insert(std::uint64_t id, response_handler* handler);
  response_handler* take(std::uint64_t id) noexcept;
  void grow();
  void arm(actor_cell& owner, std::int64_t deadline);
  std::vector<slot> slots;
  std::size_t used = 0;
  timers::timer_handle timer_;      ///< the armed timeout check, if any
  std::int64_t armed_for_ = never;  ///< its deadline
  std::uint64_t arm_seq_ = 0;       ///< which arming it is (a cancelled one may still fire)
};

pending_requests& pending_of(actor_cell& cell);

/// Sends `msg` as request `id` from `self` to `to`, holding a reference to `self` for the reply.
template <class M>
void send_request(actor_cell& self, actor_cell* to, std::uint64_t id, M&& msg) {
  envelope* e = make_envelope<std::remove_cvref_t<M>>(std::forward<M>(msg));
  e->flags = request_message;
  e->request_id = id;
  e->sender = self.id();
  self.retain();
  e->reply_to = &self;
  to->enqueue(e);
}

template <class R>
bool extract_response(envelope& e, std::optional<result<R>>& out) {
  if (e.has(error_response)) {
    out.emplace(e.payload<error>());
  } else if (e.type == type_id<R>()) {
    out.emplace(std::move(e.payload<R>()));
  } else {
    out.emplace(
        error(errc::bad_response, "the response has another type than the request expects"));
  }
  return true;
}

template <class R, class OnValue, class OnError>
struct callback_handler final : response_handler {
  callback_handler(OnValue v, OnError e) : on_value_(std::move(v)), on_error_(std::move(e)) {}
  void on_response(envelope& e) override {
    std::optional<result<R>> r;
    extract_response<R>(e, r);
    if (r->has_value()) {
      on_value_(r->value());
    } else {
      on_error_(r->error_value());
    }
  }
  void on_error(error err) override { on_error_(err); }
  void destroy() noexcept override { mem::destroy(this); }
  OnValue on_value_;
  OnError on_error_;
};

template <class R>
struct resume_handler final : response_handler {
  explicit resume_handler(std::coroutine_handle<> h, std::optional<result<R>>* slot)
      : waiter(h), out(slot) {}
  void on_response(envelope& e) override {
    extract_response<R>(e, *out);
    resume();
  }
  void on_error(error err) override {
    out->emplace(std::move(err));
    resume();
  }
  void resume() {
    resumed = true;
    waiter.resume();  // may register new handlers; this one is freed by our caller afterwards
  }
  void destroy() noexcept override {
    // Destroyed without a response (the actor stopped): the waiting coroutine dies too.
    if (!resumed && waiter) waiter.destroy();
    mem::destroy(this);
  }
  std::coroutine_handle<> waiter;
  std::optional<result<R>>* out;
  bool resumed = false;
};

}  // namespace detail

/// The handle request() returns: attach continuations with then(), or co_await it in a coroutine
/// handler (jaegis::task). Either way the outcome arrives exactly once: the value, or an error
/// (request_timeout, actor_down, unexpected_message, bad_response). While the request is open the
/// actor keeps handling other messages, unless exclusively() was called: then user messages wait
/// until the response or the timeout.
template <class R>
class [[nodiscard]] request_handle {
 public:
  request_handle(detail::actor_cell& self, std::uint64_t id, std::chrono::nanoseconds timeout)
      : self_(&self), id_(id), timeout_(timeout) {}

  request_handle&& exclusively() && {
    exclusive_ = true;
    return std::move(*this);
  }

  /// `on_value(R&)` or `on_error(const error&)` runs on this actor's thread, exactly once.
  template <class OnValue, class OnError>
  void then(OnValue&& on_value, OnError&& on_error) && {
    using handler = detail::callback_handler<R, std::decay_t<OnValue>, std::decay_t<OnError>>;
    register_handler(
        mem::make<handler>(std::forward<OnValue>(on_value), std::forward<OnError>(on_error)));
  }

  // Awaitable: `result<R> r = co_await request(...)`.
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> waiter) {
    register_handler(mem::make<detail::resume_handler<R>>(waiter, &outcome_));
  }
  result<R> await_resume() { return std::move(*outcome_); }

 private:
  void register_handler(detail::response_handler* h) {
    h->exclusive = exclusive_;
    h->deadline = detail::deadline_after(timeout_);
    detail::pending_of(*self_).add(id_, h, *self_);
  }

  detail::actor_cell* self_;
  std::uint64_t id_;
  std::chrono::nanoseconds timeout_;
  bool exclusive_ = false;
  std::optional<result<R>> outcome_;
};

}  // namespace jaegis
