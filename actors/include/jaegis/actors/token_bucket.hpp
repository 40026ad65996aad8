#pragma once

#include <chrono>

namespace jaegis::actors {

/// A token bucket: holds at most `burst` tokens, gains `rate` tokens per second, and each message
/// that passes takes one. So over any period of length t at most burst + rate * t messages pass.
/// Time is passed in (not read), so that tests can drive it. Not thread-safe: one actor owns it.
class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  /// Starts full at `now`. Throws std::invalid_argument unless rate > 0 and burst >= 1.
  token_bucket(double rate_per_second, double burst, clock::time_point now);

  /// Takes a token if one is there at `now`.
  bool try_take(clock::time_point now);
  /// How long from `now` until a token is there (zero if one is).
  clock::duration until_next(clock::time_point now);
  /// Tokens at `now` (fractional).
  double tokens(clock::time_point now);

 private:
  void refill(clock::time_point now);

  double rate_;  ///< tokens per second
  double burst_;
  double tokens_;
  clock::time_point last_;
};

}  // namespace jaegis::actors
