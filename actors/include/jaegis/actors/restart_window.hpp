#pragma once

#include <chrono>
#include <cstddef>
#include <deque>

namespace jaegis::actors {

/// Restart intensity, as in Erlang/OTP: at most `max_restarts` restarts within any `within`
/// period. record() is called for each restart about to happen and says whether it is allowed.
class restart_window {
 public:
  using clock = std::chrono::steady_clock;

  /// Throws std::invalid_argument for a non-positive period.
  restart_window(std::size_t max_restarts, std::chrono::nanoseconds within);

  /// Records a restart at `now`. False if, counting it, more than max_restarts happened within
  /// the last `within` (the supervisor must give up instead of restarting).
  bool record(clock::time_point now);

  /// Restarts recorded within the last `within` of `now`.
  std::size_t recent(clock::time_point now);

 private:
  void expire(clock::time_point now);

  std::size_t max_;
  std::chrono::nanoseconds within_;
  std::deque<clock::time_point> restarts_;  ///< at most max_ + 1 entries
};

}  // namespace jaegis::actors
