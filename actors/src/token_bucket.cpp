#include "jaegis/actors/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace jaegis::actors {

token_bucket::token_bucket(double rate_per_second, double burst, clock::time_point now)
    : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {
  if (!(rate_per_second > 0) || !std::isfinite(rate_per_second)) {
    throw std::invalid_argument("token_bucket: the rate must be positive and finite");
  }
  if (!(burst >= 1) || !std::isfinite(burst)) {
    throw std::invalid_argument("token_bucket: the burst must be at least 1");
  }
}

void token_bucket::refill(clock::time_point now) {
  if (now <= last_) return;  // a caller's clock reading may be older than the last one
  const std::chrono::duration<double> elapsed = now - last_;
  tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
  last_ = now;
}

bool token_bucket::try_take(clock::time_point now) {
  refill(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

token_bucket::clock::duration token_bucket::until_next(clock::time_point now) {
  refill(now);
  if (tokens_ >= 1) return clock::duration::zero();
  const std::chrono::duration<double> wait((1 - tokens_) / rate_);
  // Rounded up, so that a wake-up at now + wait finds the token there.
  return std::chrono::ceil<clock::duration>(wait);
}

double token_bucket::tokens(clock::time_point now) {
  refill(now);
  return tokens_;
}

}  // namespace jaegis::actors
