#include "crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace jaegis::transports::shm {

namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit)
      c = (c & 1U) != 0 ? (c >> 1) ^ 0x82F63B78U : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr auto table = make_table();

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::span<const std::byte> data,
                                                             std::uint32_t previous) noexcept {
  std::uint64_t c = ~previous;
  const std::byte* p = data.data();
  std::size_t n = data.size();
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, 8);  // unaligned load without UB
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; --n, ++p)
    c32 = _mm_crc32_u8(c32, static_cast<std::uint8_t>(*p));
  return ~c32;
}
#endif

using crc_function = std::uint32_t (*)(std::span<const std::byte>, std::uint32_t) noexcept;

crc_function pick() noexcept {
  return crc32c_hardware_available() ? &crc32c_hardware : &crc32c_portable;
}

}  // namespace

std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t previous) noexcept {
  std::uint32_t c = ~previous;
  for (const std::byte b : data)
    c = table[(c ^ static_cast<std::uint8_t>(b)) & 0xFFU] ^ (c >> 8);
  return ~c;
}

bool crc32c_hardware_available() noexcept {
#if defined(__x86_64__)
  static const bool available = __builtin_cpu_supports("sse4.2") != 0;
  return available;
#else
  return false;
#endif
}

std::uint32_t crc32c_hardware(std::span<const std::byte> data, std::uint32_t previous) noexcept {
#if defined(__x86_64__)
  if (crc32c_hardware_available()) return crc32c_sse42(data, previous);
#endif
  return crc32c_portable(data, previous);
}

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t previous) noexcept {
  static const crc_function chosen = pick();  // once: a CPU does not lose SSE4.2
  return chosen(data, previous);
}

}  // namespace jaegis::transports::shm
