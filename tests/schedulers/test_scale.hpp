#pragma once

#include <cstddef>

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

}  // namespace jaegis::test
