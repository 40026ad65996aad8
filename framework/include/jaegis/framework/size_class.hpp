#pragma once

// The size classes of the memory pools: which block size serves a request of n bytes.
//
// Classes step by 16 bytes up to 128, then by four classes per doubling (as jemalloc's do), so
// rounding up never wastes more than a fifth of a block above 128 bytes, nor more than 15 bytes
// below. Every class is a multiple of 16, which is alignof(std::max_align_t) on x86-64 and AArch64
// (checked below), so every block carved from a slab is aligned for any fundamental type. The
// lookup is one table load: no loop, no branch beyond the caller's "is it small?" test.

#include <array>
#include <cstddef>
#include <cstdint>

namespace jaegis::mem {

// clang-format off
/// Block sizes in bytes, ascending. Envelopes (a header of a few words plus a payload) and actor
/// objects typically fall in the first dozen classes.
inline constexpr std::array<std::uint32_t, 28> size_classes = {
    16,   32,   48,   64,   80,   96,  112,  128,  // 16-byte steps
   160,  192,  224,  256,                          // from here on, 4 classes per doubling
   320,  384,  448,  512,
   640,  768,  896, 1024,
  1280, 1536, 1792, 2048,
  2560, 3072, 3584, 4096};
// clang-format on

inline constexpr std::size_t size_class_count = size_classes.size();

/// The largest request the pools serve from a size class; larger ones go to the backing allocator
/// (jemalloc or libc) directly. 4 KiB keeps at least 15 blocks in each 64 KiB slab (see pool.hpp),
/// so the slab space lost to the header and the tail stays near 6% even for the biggest class;
/// anything bigger is rare on the message path and well served by jemalloc's own large classes.
inline constexpr std::size_t max_small_size = size_classes.back();

/// The granularity of the lookup table: every class is a multiple of it.
inline constexpr std::size_t size_class_quantum = 16;

namespace detail {

// lookup[(n + 15) / 16] = index of the smallest class >= n, for 0 <= n <= max_small_size.
inline constexpr auto size_class_lookup = [] {
  std::array<std::uint8_t, max_small_size / size_class_quantum + 1> table{};
  std::size_t cls = 0;
  for (std::size_t slot = 0; slot < table.size(); ++slot) {
    while (size_classes[cls] < slot * size_class_quantum)
      ++cls;
    table[slot] = static_cast<std::uint8_t>(cls);
  }
  return table;
}();

}  // namespace detail

/// The class serving `size` bytes. Precondition: size <= max_small_size. A request of 0 bytes is
/// served by the smallest class, so that every allocation has a distinct address.
constexpr unsigned size_class_of(std::size_t size) noexcept {
  return detail::size_class_lookup[(size + size_class_quantum - 1) / size_class_quantum];
}

/// The block size of class `cls`. Precondition: cls < size_class_count.
constexpr std::size_t size_class_bytes(unsigned cls) noexcept {
  return size_classes[cls];
}

static_assert(size_class_count <= 255, "class indices are stored in a byte");
static_assert(alignof(std::max_align_t) <= size_class_quantum,
              "every class must be a multiple of the fundamental alignment");
static_assert(
    [] {
      for (std::size_t i = 0; i < size_class_count; ++i) {
        if (size_classes[i] % size_class_quantum != 0) return false;
        if (i > 0 && size_classes[i] <= size_classes[i - 1]) return false;
      }
      return true;
    }(),
    "classes must be ascending multiples of the quantum");
static_assert(size_class_of(0) == 0 && size_class_of(1) == 0 && size_class_of(16) == 0 &&
              size_class_of(17) == 1 && size_class_of(129) == 8 &&
              size_class_of(max_small_size) == size_class_count - 1);

}  // namespace jaegis::mem
