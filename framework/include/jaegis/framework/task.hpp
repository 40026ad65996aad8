#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <utility>

#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/error.hpp"
#include "jaegis/framework/pool.hpp"
#include "jaegis/framework/response.hpp"

namespace jaegis {

namespace detail {

/// What a coroutine handler's promise shares across return types: it takes over the message it was
/// called for, so that a handler taking it by reference can still read it after a co_await, and
/// the request (if any), which it answers when the coroutine finishes, or with an error if the
/// coroutine dies first (an exception, or the actor stopped while it waited).
class task_promise_base {
 public:
  task_promise_base() noexcept : cell_(actor_cell::running()) {
    if (cell_ != nullptr && cell_->current() != nullptr) {
      message_ = cell_->adopt_current();
      request_ = open_request::take(*message_);
    }
  }
  ~task_promise_base() {
    respond_error(request_, error(errc::actor_down, "the actor stopped before it responded"));
    // Finished inside the handler: the handler's caller still frees the message. Else it is ours.
    if (message_ != nullptr && !cell_->give_back_current(message_)) message_->destroy(message_);
  }
  task_promise_base(const task_promise_base&) = delete;
  task_promise_base& operator=(const task_promise_base&) = delete;

  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_never final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept;

  static void* operator new(std::size_t size) { return mem::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { mem::deallocate(p, size); }

 protected:
  actor_cell* cell_;
  envelope* message_ = nullptr;
  open_request request_;
};

}  // namespace detail

/// The return type of a coroutine handler: `jaegis::task<int> on(query& q) { ... co_await
/// request(...) ...; co_return 42; }`. The coroutine starts at once, runs on the actor's thread,
/// and while it waits the actor handles other messages (unless the request was made
/// exclusively()). Its co_return value is the response to the request that started it.
/// Handlers' tasks are not awaitable by other tasks.
template <class T = void>
class task {
 public:
  struct promise_type : detail::task_promise_base {
    task get_return_object() noexcept { return {}; }
    void return_value(T value) { detail::respond(request_, std::move(value)); }
  };
};

template <>
class task<void> {
 public:
  struct promise_type : detail::task_promise_base {
    task get_return_object() noexcept { return {}; }
    void return_void() { detail::respond(request_, unit_t{}); }
  };
};

}  // namespace jaegis
