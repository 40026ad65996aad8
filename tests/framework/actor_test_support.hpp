#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "jaegis/framework/actor_system.hpp"

namespace jaegis::test {

using namespace std::chrono_literals;

/// Polls `done()` until it holds or `limit` passes; a lost message shows up as a timeout.
template <class Done>
bool eventually(Done done, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (unsigned polls = 0; !done(); ++polls) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (polls < 1000) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  return true;
}

/// A system with two workers whose warnings go to a counter instead of stderr.
inline actor_system_config quiet_config(std::size_t workers = 2) {
  actor_system_config config;
  config.executor.workers = workers;
  config.log = [](std::string_view) {};
  return config;
}

#ifdef JAEGIS_SANITIZED
inline constexpr std::size_t scale_down = 10;
#else
inline constexpr std::size_t scale_down = 1;
#endif
constexpr std::size_t scaled(std::size_t n) {
  return n / scale_down;
}

}  // namespace jaegis::test
