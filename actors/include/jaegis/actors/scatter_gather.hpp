#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "jaegis/actors/deferred_reply.hpp"
#include "jaegis/framework/actor.hpp"

namespace jaegis::actors {

/// The request to a scatter_gather<Q, R>: send `query` to every worker, wait at most `deadline`.
/// Throws std::invalid_argument for an empty worker ref or a non-positive deadline.
template <class Q>
struct scatter {
  scatter(std::vector<actor_ref> to, Q q, std::chrono::nanoseconds within)
      : workers(std::move(to)), query(std::move(q)), deadline(within) {
    for (const actor_ref& w : workers) {
      if (!w) throw std::invalid_argument("jaegis::actors::scatter: empty worker ref");
    }
    if (deadline <= std::chrono::nanoseconds::zero()) {
      throw std::invalid_argument("jaegis::actors::scatter: the deadline must be positive");
    }
  }
  std::vector<actor_ref> workers;
  Q query;
  std::chrono::nanoseconds deadline;
};

/// The answer to a scatter: every worker appears in exactly one of the three lists.
template <class R>
struct gathered {
  struct response {
    actor_ref worker;
    R value;
  };
  struct failure {
    actor_ref worker;
    error reason;
  };
  std::vector<response> responses;  ///< in arrival order
  std::vector<actor_ref> missed;    ///< no answer before the deadline
  std::vector<failure> failed;      ///< answered with an error (it threw, stopped, ...)

  bool complete() const noexcept { return missed.empty() && failed.empty(); }
};

/// Scatter-gather: asks a set of workers the same question and answers with one gathered<R>
/// holding the answers that came before the deadline, which workers missed it and which failed.
///
///   auto sg = system.spawn<scatter_gather<bid_request, bid>>();
///   result<gathered<bid>> r = co_await request(sg, scatter<bid_request>{bidders, q, 50ms}, 1s);
///
/// The answer comes as soon as every worker has answered or failed, and at the latest at the
/// deadline (plus a timer tick): each worker's request carries the deadline as its timeout, so a
/// late worker shows up as missed, never as a hang. Give the request to the aggregator a longer
/// timeout than the deadline. Each worker receives a copy of the query (Q must be copyable) and
/// must answer it with an R. One aggregator serves any number of scatters at once; they do not
/// wait for each other. A late answer is dropped.
template <class Q, class R>
class scatter_gather : public actor<scatter_gather<Q, R>, scatter<Q>> {
 public:
  void on(scatter<Q>& s) {
    auto round = std::make_shared<state>(deferred_reply::take(this->cell()), s.workers.size());
    if (s.workers.empty()) return round->finish();
    for (actor_ref& w : s.workers) {
      this->template request<R>(w, s.query, s.deadline)
          .then(
              [round, w](R& value) {
                round->result.responses.push_back({w, std::move(value)});
                round->one_done();
              },
              [round, w](const error& err) {
                if (err.code() == errc::request_timeout) {
                  round->result.missed.push_back(w);
                } else {
                  round->result.failed.push_back({w, err});
                }
                round->one_done();
              });
    }
  }

 private:
  struct state {
    state(deferred_reply r, std::size_t n) : reply(std::move(r)), waiting(n) {}
    void one_done() {
      if (--waiting == 0) finish();
    }
    void finish() { reply.send(std::move(result)); }
    deferred_reply reply;
    std::size_t waiting;
    gathered<R> result;
  };
};

}  // namespace jaegis::actors
