#pragma once

// The outcome of a remoting operation that completes later (a connect, a lookup): ready() polls,
// get() waits. The blocking calls of remote_node are the async ones followed by get(); the async
// ones exist for code that must not block, such as tests that drive a deterministic executor.

#include <chrono>
#include <condition_variable>
#include <jaegis/framework/error.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace jaegis {

/// A remoting operation failed: its error says why (code node_down, request_timeout,
/// unexpected_message...; what() the detail).
class remote_error : public std::runtime_error {
 public:
  explicit remote_error(error e) : std::runtime_error(e.to_string()), error_(std::move(e)) {}
  const jaegis::error& reason() const noexcept { return error_; }

 private:
  jaegis::error error_;
};

namespace detail {
template <class T>
struct remote_op {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<T> value;
  std::optional<error> failure;

  /// The first outcome wins; later ones are ignored (a timeout racing a late answer).
  bool complete(T v) {
    std::lock_guard lock(mutex);
    if (value || failure) return false;
    value.emplace(std::move(v));
    done.notify_all();
    return true;
  }
  bool fail(error e) {
    std::lock_guard lock(mutex);
    if (value || failure) return false;
    failure.emplace(std::move(e));
    done.notify_all();
    return true;
  }
};
}  // namespace detail

template <class T>
class remote_future {
 public:
  explicit remote_future(std::shared_ptr<detail::remote_op<T>> op) : op_(std::move(op)) {}

  bool ready() const {
    std::lock_guard lock(op_->mutex);
    return op_->value.has_value() || op_->failure.has_value();
  }

  /// The value; throws remote_error on failure, or when `timeout` passes first.
  T get(std::chrono::milliseconds timeout) {
    std::unique_lock lock(op_->mutex);
    if (!op_->done.wait_for(lock, timeout, [&] { return op_->value || op_->failure; })) {
      lock.unlock();
      std::string what = "no outcome within ";
      what += std::to_string(timeout.count());
      what += " ms";
      op_->fail(error(errc::request_timeout, std::move(what)));
      lock.lock();
    }
    if (op_->failure) throw remote_error(*op_->failure);
    return *op_->value;
  }

 private:
  std::shared_ptr<detail::remote_op<T>> op_;
};

}  // namespace jaegis
