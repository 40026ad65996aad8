// libFuzzer target: payload deserialization of hostile bytes, into a type that uses every supported
// encoding. Beyond the sanitizers' checks (no overread, no huge allocation: -rss_limit_mb and
// -malloc_limit_mb of the test catch one), it asserts that whatever decodes re-encodes to a
// payload that decodes to the same value.
#include <array>
#include <cstddef>
#include <cstdint>
#include <jaegis/transports/serialization.hpp>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

using namespace jaegis::transports;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

struct point {
  std::int32_t x;
  std::int32_t y;
  friend bool operator==(const point&, const point&) = default;
};

enum class colour : std::uint16_t { red = 1, green = 2 };

struct item {
  std::string name;
  std::optional<std::vector<std::uint16_t>> lots;
  friend bool operator==(const item&, const item&) = default;
};
template <class Inspector>
bool serialize(Inspector& f, item& x) {
  return f(x.name, x.lots);
}

struct everything {
  bool flag = false;
  colour c = colour::red;
  std::uint64_t id = 0;
  std::vector<item> items;
  std::array<point, 2> corners{};
  std::map<std::string, std::int32_t> tags;
  std::unordered_map<std::uint32_t, std::vector<bool>> bits;
  std::pair<std::int8_t, std::string> pair;
  friend bool operator==(const everything&, const everything&) = default;
};
template <class Inspector>
bool serialize(Inspector& f, everything& x) {
  return f(x.flag, x.c, x.id, x.items, x.corners, x.tags, x.bits, x.pair);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  everything value;
  if (deserialize_from(input, value) != serialization_error::none) return 0;

  std::vector<std::byte> encoded(serialized_size(value));
  const auto written = serialize_to(std::span<std::byte>(encoded), value);
  require(written && written.size == encoded.size());
  everything again;
  require(deserialize_from(std::span<const std::byte>(encoded), again) ==
          serialization_error::none);
  require(again == value);
  return 0;
}
