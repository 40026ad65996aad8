#pragma once

#include <cstddef>

namespace jaegis::sched {

/// The unit of false sharing on the machines we target (x86-64 and most AArch64). Fields written by
/// different threads live on different lines of this size.
inline constexpr std::size_t cache_line_size = 64;

}  // namespace jaegis::sched
