#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "jaegis/actors/errors.hpp"
#include "jaegis/actors/parked_message.hpp"
#include "jaegis/actors/token_bucket.hpp"
#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"
#include "jaegis/framework/delayed_send.hpp"

namespace jaegis::actors {

/// What a rate limiter does with a message that finds no token.
enum class overflow {
  delay,   ///< queue it (up to queue_capacity; beyond that, reject) until a token comes
  reject,  ///< refuse it at once
};

struct rate_limit {
  double per_second = 100;  ///< the sustained rate
  double burst = 10;        ///< how many may pass at once after a quiet period
  overflow policy = overflow::delay;
  std::size_t queue_capacity = 1024;  ///< delayed messages that may wait
};

/// A request to a rate_limiter: answered with its limiter_stats.
struct get_limiter_stats {};
struct limiter_stats {
  std::uint64_t passed = 0;    ///< handed to the target (at once or after a delay)
  std::uint64_t delayed = 0;   ///< of which waited in the queue
  std::uint64_t rejected = 0;  ///< refused: no token and no queue room (or policy reject)
  std::size_t queued = 0;      ///< waiting now
  std::size_t max_queued = 0;
};

namespace detail_limiter {
struct release {};  ///< the limiter's own timer: tokens may be there for queued messages
}  // namespace detail_limiter

/// A token bucket (token_bucket.hpp) in front of `target`, for the messages `Messages...`.
///
/// - A message that finds a token is forwarded at once (the target sees the original sender and
///   answers a request straight to the requester).
/// - One that finds none is, per policy, queued and delivered, in arrival order, as tokens come
///   (the same way: original sender, request answered by the target), or refused: a request is
///   answered with is(err, reason::overloaded); a plain message is counted and the first logged.
///   Messages never overtake queued ones, so the target sees them in the limiter's arrival order.
/// - Releasing: while messages wait, one delayed_send to itself is pending, due when the next
///   token is (at the timer tick's resolution, never early).
/// - Bound: over any period of length t the target receives at most burst + per_second * t.
/// - If the target stops, waiting requests are answered with actor_down and the limiter stops.
template <class... Messages>
class rate_limiter : public actor<rate_limiter<Messages...>, Messages..., detail_limiter::release,
                                  get_limiter_stats, down_msg> {
 public:
  /// Throws std::invalid_argument for an empty target or a bad rate or burst.
  rate_limiter(rate_limit limit, actor_ref target)
      : limit_(limit),
        target_(std::move(target)),
        bucket_(limit.per_second, limit.burst, token_bucket::clock::now()) {
    if (!target_) throw std::invalid_argument("rate_limiter: empty target ref");
  }

  template <class M>
  requires(std::is_same_v<M, Messages> || ...) void on(M& msg) {
    if (queue_.empty() && bucket_.try_take(token_bucket::clock::now())) {
      ++stats_.passed;
      this->forward(target_);
      return;
    }
    parked_message parked = parked_message::take(this->cell(), std::move(msg));
    if (limit_.policy == overflow::reject || queue_.size() >= limit_.queue_capacity) {
      return reject(std::move(parked));
    }
    queue_.push_back(std::move(parked));
    ++stats_.delayed;
    stats_.max_queued = std::max(stats_.max_queued, queue_.size());
    arm();
  }

  void on(detail_limiter::release&) {
    armed_ = false;
    while (!queue_.empty() && bucket_.try_take(token_bucket::clock::now())) {
      ++stats_.passed;
      queue_.front().deliver(target_);
      queue_.pop_front();
    }
    arm();
  }

  limiter_stats on(get_limiter_stats&) {
    limiter_stats s = stats_;
    s.queued = queue_.size();
    return s;
  }

  void on(down_msg&) {
    for (parked_message& p : queue_)
      p.fail(error(errc::actor_down, "the limited target stopped"));
    queue_.clear();
    this->quit();
  }

 protected:
  void on_start() override { this->monitor(target_); }

 private:
  void arm() {
    if (armed_ || queue_.empty()) return;
    armed_ = true;
    delayed_send(this->self(), bucket_.until_next(token_bucket::clock::now()),
                 detail_limiter::release{});
  }

  void reject(parked_message parked) {
    ++stats_.rejected;
    if (parked.is_request()) {
      parked.fail(make_error(reason::overloaded, "the rate limit is exceeded"));
    } else if (stats_.rejected == 1) {
      this->system().log(
          "jaegis::actors::rate_limiter: a plain message over the limit was dropped");
    }
  }

  rate_limit limit_;
  actor_ref target_;
  token_bucket bucket_;
  std::deque<parked_message> queue_;
  limiter_stats stats_;
  bool armed_ = false;  ///< a release message is pending
};

}  // namespace jaegis::actors
