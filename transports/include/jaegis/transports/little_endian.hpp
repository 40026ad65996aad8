#pragma once

// Little-endian loads and stores of fixed-width integers: the byte order of every number on the
// wire (PROTOCOL.md). Written with shifts, not memcpy, so that they are correct on any host and
// never read or write a byte outside [p, p + sizeof(T)).

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace jaegis::transports {

template <class T>
requires std::is_integral_v<T>
constexpr void store_le(std::byte* p, T value) noexcept {
  using U = std::make_unsigned_t<T>;
  auto bits = static_cast<U>(value);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    p[i] = static_cast<std::byte>(bits & 0xFFu);
    if constexpr (sizeof(T) > 1) bits = static_cast<U>(bits >> 8);
  }
}

template <class T>
requires std::is_integral_v<T>
constexpr T load_le(const std::byte* p) noexcept {
  using U = std::make_unsigned_t<T>;
  U bits = 0;
  for (std::size_t i = sizeof(T); i-- > 0;) {
    if constexpr (sizeof(T) > 1) bits = static_cast<U>(bits << 8);
    bits = static_cast<U>(bits | static_cast<U>(p[i]));
  }
  return static_cast<T>(bits);
}

}  // namespace jaegis::transports
