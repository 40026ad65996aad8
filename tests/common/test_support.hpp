#pragma once

#include <chrono>
#include <cstddef>
#include <thread>

namespace jaegis::test {

/// Sanitizer builds run the same tests with fewer iterations: ThreadSanitizer slows atomics by
/// 10-50x, and the full counts are exercised by the Release build of the same suite.
#ifdef JAEGIS_SANITIZED
inline constexpr std::size_t scale_down = 10;
#else
inline constexpr std::size_t scale_down = 1;
#endif

constexpr std::size_t scaled(std::size_t n) {
  return n / scale_down;
}

/// Polls `done()` until it holds or `limit` passes; a lost message or wake-up shows up as a
/// timeout, not a hang. Yields first (the awaited event is usually microseconds away), then backs
/// off to sleeping so that a long wait does not take a core from the workers.
template <class Done>
bool eventually(Done done, std::chrono::milliseconds limit = std::chrono::seconds(120)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (unsigned polls = 0; !done(); ++polls) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (polls < 2000) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  return true;
}

}  // namespace jaegis::test
