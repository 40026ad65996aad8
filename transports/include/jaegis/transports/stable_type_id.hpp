#pragma once

// Type ids on the wire: the 64-bit FNV-1a hash of a declared name (PROTOCOL.md, "Type ids"). The
// same name gives the same id in every process and build, unlike addresses, RTTI or the
// framework's process-local type ids.

#include <cstdint>
#include <string_view>

namespace jaegis::transports {

inline constexpr std::uint64_t fnv1a_offset_basis = 0xcbf29ce484222325ull;
inline constexpr std::uint64_t fnv1a_prime = 0x100000001b3ull;

[[nodiscard]] constexpr std::uint64_t stable_type_id(std::string_view name) noexcept {
  std::uint64_t hash = fnv1a_offset_basis;
  for (char c : name) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= fnv1a_prime;
  }
  return hash;
}

}  // namespace jaegis::transports
