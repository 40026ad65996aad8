#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"
#include "jaegis/framework/error.hpp"
#include "jaegis/framework/ref.hpp"
#include "jaegis/framework/response.hpp"
#include "jaegis/samples/countdown.hpp"

namespace jaegis::samples {

/// What gather() brought back: one answer per target (empty where its request failed) and the
/// first failure, if any.
template <class R>
struct gathered {
  std::vector<std::optional<R>> answers;
  std::size_t failures = 0;
  error first_failure;
};

namespace detail {

struct start_gathering {};

/// Sends one request to each target at once and collects the answers, then says so and quits.
template <class A, class M, class R>
struct gatherer : actor<gatherer<A, M, R>, start_gathering> {
  gatherer(std::vector<ref<A>> t, M m, std::chrono::nanoseconds to, gathered<R>* o, countdown* d)
      : targets(std::move(t)), message(std::move(m)), timeout(to), out(o), done(d) {}

  void on(start_gathering&) {
    left = targets.size();
    out->answers.resize(targets.size());
    if (left == 0) {
      finish();
      return;
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
      this->request(targets[i], M(message), timeout)
          .then(
              [this, i](R& answer) {
                out->answers[i] = std::move(answer);
                arrived();
              },
              [this](const error& e) {
                if (out->failures++ == 0) out->first_failure = e;
                arrived();
              });
    }
  }

  void arrived() {
    if (--left == 0) finish();
  }
  void finish() {
    targets.clear();
    done->count_down();
    this->quit();
  }

  std::vector<ref<A>> targets;
  M message;
  std::chrono::nanoseconds timeout;
  gathered<R>* out;
  countdown* done;
  std::size_t left = 0;
};

}  // namespace detail

/// Asks every actor in `targets` the same question (a request each, all in flight at once) from
/// a thread outside the actor system, and waits for every answer or failure. Every request has
/// `timeout`, so this returns. The framework has no blocking request for non-actor threads (no
/// scoped actor): a short-lived actor asks on the caller's behalf.
template <class A, class M>
auto gather(actor_system& system, std::vector<ref<A>> targets, M message,
            std::chrono::nanoseconds timeout) {
  using R = typename jaegis::detail::response_of<decltype(std::declval<A&>().on(
      std::declval<M&>()))>::type;
  gathered<R> out;
  countdown done(1);
  system
      .spawn<detail::gatherer<A, M, R>>(std::move(targets), std::move(message), timeout, &out,
                                        &done)
      .send(detail::start_gathering{});
  done.wait();
  return out;
}

/// One question to one actor: its answer; std::runtime_error with the reason if it failed.
template <class A, class M>
auto ask(actor_system& system, const ref<A>& target, M message, std::chrono::nanoseconds timeout) {
  auto out = gather(system, std::vector<ref<A>>{target}, std::move(message), timeout);
  if (!out.answers[0]) throw std::runtime_error(out.first_failure.to_string());
  return std::move(*out.answers[0]);
}

}  // namespace jaegis::samples
