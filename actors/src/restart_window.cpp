#include "jaegis/actors/restart_window.hpp"

#include <stdexcept>

namespace jaegis::actors {

restart_window::restart_window(std::size_t max_restarts, std::chrono::nanoseconds within)
    : max_(max_restarts), within_(within) {
  if (within <= std::chrono::nanoseconds::zero()) {
    throw std::invalid_argument("restart_window: the period must be positive");
  }
}

void restart_window::expire(clock::time_point now) {
  while (!restarts_.empty() && now - restarts_.front() >= within_)
    restarts_.pop_front();
}

bool restart_window::record(clock::time_point now) {
  expire(now);
  restarts_.push_back(now);
  if (restarts_.size() <= max_) return true;
  restarts_.pop_front();  // keep the bound: only the last max_ matter
  return false;
}

std::size_t restart_window::recent(clock::time_point now) {
  expire(now);
  return restarts_.size();
}

}  // namespace jaegis::actors
