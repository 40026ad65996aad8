#pragma once

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <jaegis/jaegis.hpp>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>

#include "actor_test_support.hpp"
#include "test_support.hpp"

namespace jaegis::test {

using namespace std::chrono_literals;

/// Sends `msg` to `to` as a request from a short-lived actor and hands the outcome to `out`.
template <class R, class M>
struct asker : actor<asker<R, M>> {
  asker(actor_ref to, M msg, std::chrono::nanoseconds timeout, std::promise<result<R>>* out)
      : to_(std::move(to)), msg_(std::move(msg)), timeout_(timeout), out_(out) {}
  void on_start() override {
    this->template request<R>(to_, std::move(msg_), timeout_)
        .then(
            [this](R& value) {
              out_->set_value(result<R>(std::move(value)));
              this->quit();
            },
            [this](const error& err) {
              out_->set_value(result<R>(err));
              this->quit();
            });
  }
  actor_ref to_;
  M msg_;
  std::chrono::nanoseconds timeout_;
  std::promise<result<R>>* out_;
};

/// A request from outside the actors, for tests: blocks the calling (non-worker) thread until the
/// answer, an error, or `timeout` (the request's own timeout: a lost answer is an error value).
template <class R, class M>
result<R> ask(actor_system& system, const actor_ref& to, M msg,
              std::chrono::nanoseconds timeout = std::chrono::seconds(60)) {
  std::promise<result<R>> promise;
  std::future<result<R>> future = promise.get_future();
  system.spawn<asker<R, M>>(to, std::move(msg), timeout, &promise);
  return future.get();
}

/// Like ask, but starts the request and returns at once; get() the future later.
template <class R, class M>
struct pending_ask {
  std::unique_ptr<std::promise<result<R>>> promise = std::make_unique<std::promise<result<R>>>();
  std::future<result<R>> future = promise->get_future();
};
template <class R, class M>
pending_ask<R, M> ask_later(actor_system& system, const actor_ref& to, M msg,
                            std::chrono::nanoseconds timeout = std::chrono::seconds(60)) {
  pending_ask<R, M> p;
  system.spawn<asker<R, M>>(to, std::move(msg), timeout, p.promise.get());
  return p;
}

/// Opens once; blocks detached workers (never a pool worker thread) until then.
struct gate {
  std::atomic<bool> open{false};
  void wait() const {
    // acquire: pairs with the test's release store, so what the test wrote before opening is
    // visible to the woken worker.
    while (!open.load(std::memory_order_acquire))
      std::this_thread::sleep_for(100us);
  }
  void release() {
    open.store(true, std::memory_order_release);  // release: see wait()
  }
};

}  // namespace jaegis::test
