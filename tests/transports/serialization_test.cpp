#include <array>
#include <catch2/catch.hpp>
#include <jaegis/transports/little_endian.hpp>
#include <jaegis/transports/serialization.hpp>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

using namespace jaegis::transports;

namespace test_types {

enum class side : std::uint8_t { buy = 1, sell = 2 };

struct point {  // trivially copyable: goes as its bytes
  std::int32_t x;
  std::int32_t y;
  friend bool operator==(const point&, const point&) = default;
};

struct ping {};  // empty: no bytes at all

struct line_item {
  std::string sku;
  std::uint32_t quantity = 0;
  friend bool operator==(const line_item&, const line_item&) = default;
};
template <class Inspector>
bool serialize(Inspector& f, line_item& x) {
  return f(x.sku, x.quantity);
}

struct order {
  std::string customer;
  side direction = side::buy;
  bool express = false;
  double limit = 0;
  std::vector<line_item> items;  // nested serialize
  std::array<point, 2> corners{};
  std::optional<std::string> note;
  std::map<std::string, std::int64_t> tags;
  std::unordered_map<std::uint32_t, std::vector<std::uint16_t>> lots;
  friend bool operator==(const order&, const order&) = default;
};
template <class Inspector>
void serialize(Inspector& f, order& x) {  // void is accepted as well as bool
  f(x.customer, x.direction, x.express, x.limit, x.items, x.corners, x.note, x.tags, x.lots);
}

struct refuses {
  int value = 0;
};
template <class Inspector>
bool serialize(Inspector& f, refuses& x) {
  if constexpr (Inspector::is_loading) {
    return f(x.value) && x.value >= 0;  // validation on the reading side
  } else {
    return f(x.value);
  }
}

struct with_pointer {
  int* p;
};
struct with_string_no_serialize {
  std::string s;
};

}  // namespace test_types

using namespace test_types;

namespace {

template <class T>
T round_trip(const T& value) {
  std::vector<std::byte> buffer(serialized_size(value));
  const auto written = serialize_to(std::span<std::byte>(buffer), value);
  REQUIRE(written);
  REQUIRE(written.size == buffer.size());
  T back{};
  REQUIRE(deserialize_from(std::span<const std::byte>(buffer), back) == serialization_error::none);
  return back;
}

template <class T>
std::vector<std::byte> encode(const T& value) {
  std::vector<std::byte> buffer(serialized_size(value));
  REQUIRE(serialize_to(std::span<std::byte>(buffer), value));
  return buffer;
}

order sample_order() {
  order o;
  o.customer = "ACME";
  o.direction = side::sell;
  o.express = true;
  o.limit = -12.5;
  o.items = {{"bolt", 100}, {"nut", 250}, {"", 0}};
  o.corners = {point{1, -2}, point{-3, 4}};
  o.note = "leave at the door";
  o.tags = {{"priority", 3}, {"region", -1}};
  o.lots = {{7, {1, 2, 3}}, {9, {}}};
  return o;
}

}  // namespace

TEST_CASE("the compile-time classification of serializable types", "[transports][serialization]") {
  STATIC_REQUIRE(is_serializable_v<int>);
  STATIC_REQUIRE(is_serializable_v<point>);
  STATIC_REQUIRE(is_serializable_v<ping>);
  STATIC_REQUIRE(is_serializable_v<order>);
  STATIC_REQUIRE(is_serializable_v<std::vector<std::map<std::string, std::optional<point>>>>);
  STATIC_REQUIRE_FALSE(is_serializable_v<int*>);
  STATIC_REQUIRE_FALSE(is_serializable_v<with_string_no_serialize>);
  STATIC_REQUIRE_FALSE(is_serializable_v<std::vector<with_string_no_serialize>>);
  STATIC_REQUIRE_FALSE(is_serializable_v<std::vector<ping>>);  // a count no bytes could bound
  STATIC_REQUIRE(is_serializable_v<std::array<ping, 2>>);
  // A trivially copyable struct holding a pointer cannot be told apart from a struct of numbers:
  // PROTOCOL.md and serialization.hpp say so; only top-level pointers are refused.
  STATIC_REQUIRE(is_serializable_v<with_pointer>);
}

TEST_CASE("numbers are little-endian and fixed width", "[transports][serialization]") {
  const auto bytes = encode(std::uint32_t{0x01020304});
  REQUIRE(bytes.size() == 4);
  CHECK(bytes[0] == std::byte{0x04});
  CHECK(encode(side::sell) == std::vector<std::byte>{std::byte{2}});
  CHECK(encode(true) == std::vector<std::byte>{std::byte{1}});
  CHECK(encode(ping{}).empty());
  CHECK(encode(1.5).size() == 8);
  CHECK(encode(1.5f).size() == 4);
  const auto text = encode(std::string("hi"));
  REQUIRE(text.size() == 6);
  CHECK(load_le<std::uint32_t>(text.data()) == 2);
  CHECK(text[4] == std::byte{'h'});
}

TEST_CASE("values round trip", "[transports][serialization]") {
  CHECK(round_trip(std::int64_t{-5}) == -5);
  CHECK(round_trip(3.25) == 3.25);
  CHECK(round_trip(std::string()) == std::string());
  CHECK(round_trip(std::string(1000, 'z')) == std::string(1000, 'z'));
  CHECK(round_trip(point{7, -8}) == point{7, -8});
  CHECK(round_trip(std::optional<int>{}) == std::nullopt);
  CHECK(round_trip(std::optional<int>{4}) == 4);
  CHECK(round_trip(std::array<std::string, 2>{"a", "bc"}) == std::array<std::string, 2>{"a", "bc"});
  CHECK(round_trip(std::pair<int, std::string>{1, "x"}) == std::pair<int, std::string>{1, "x"});
  CHECK(round_trip(std::vector<bool>{true, false, true}) == std::vector<bool>{true, false, true});
  CHECK(round_trip(sample_order()) == sample_order());
  CHECK(round_trip(order{}) == order{});
}

TEST_CASE("writing into a span that is too small fails without overrunning it",
          "[transports][serialization]") {
  const order o = sample_order();
  const std::size_t size = serialized_size(o);
  for (std::size_t n = 0; n < size; ++n) {
    std::vector<std::byte> buffer(n + 8, std::byte{0xEE});
    const auto result = serialize_to(std::span<std::byte>(buffer).first(n), o);
    CHECK(result.error == serialization_error::buffer_too_small);
    for (std::size_t i = n; i < buffer.size(); ++i)
      REQUIRE(buffer[i] == std::byte{0xEE});
  }
}

TEST_CASE("every truncation of a valid encoding is an error, never a crash",
          "[transports][serialization]") {
  const auto bytes = encode(sample_order());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    order back;
    const auto error = deserialize_from(std::span(bytes).first(n), back);
    INFO("cut at " << n);
    CHECK(error != serialization_error::none);
  }
}

TEST_CASE("hostile lengths are errors, not allocations", "[transports][serialization]") {
  std::vector<std::byte> bytes(4 + 3);
  store_le(bytes.data(), std::uint32_t{0xFFFFFFF0});  // claims 4 billion elements
  SECTION("string") {
    std::string s;
    CHECK(deserialize_from(std::span<const std::byte>(bytes), s) ==
          serialization_error::length_too_large);
    CHECK(s.capacity() < 1024);
  }
  SECTION("vector of numbers: the count times the element size must fit") {
    store_le(bytes.data(), std::uint32_t{2});  // 2 x 4 bytes claimed, 3 present
    std::vector<std::uint32_t> v;
    CHECK(deserialize_from(std::span<const std::byte>(bytes), v) ==
          serialization_error::length_too_large);
  }
  SECTION("vector of strings") {
    std::vector<std::string> v;
    CHECK(deserialize_from(std::span<const std::byte>(bytes), v) ==
          serialization_error::length_too_large);
  }
  SECTION("vector of structs with a serialize function") {
    std::vector<line_item> v;
    CHECK(deserialize_from(std::span<const std::byte>(bytes), v) ==
          serialization_error::length_too_large);
    CHECK(v.capacity() < 1024);
  }
  SECTION("map") {
    std::map<std::string, std::string> m;
    CHECK(deserialize_from(std::span<const std::byte>(bytes), m) ==
          serialization_error::length_too_large);
  }
}

TEST_CASE("invalid encodings are refused with the reason", "[transports][serialization]") {
  bool b = false;
  const std::array<std::byte, 1> two{std::byte{2}};
  CHECK(deserialize_from(std::span<const std::byte>(two), b) == serialization_error::invalid_value);
  std::optional<int> o;
  CHECK(deserialize_from(std::span<const std::byte>(two), o) == serialization_error::invalid_value);

  auto bytes = encode(std::map<std::string, int>{{"a", 1}, {"b", 2}});
  // Rewrite the second key "b" into "a": the same key twice.
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == std::byte{'b'}) bytes[i] = std::byte{'a'};
  }
  std::map<std::string, int> m;
  CHECK(deserialize_from(std::span<const std::byte>(bytes), m) ==
        serialization_error::duplicate_key);

  auto extra = encode(std::uint16_t{5});
  extra.push_back(std::byte{0});
  std::uint16_t u = 0;
  CHECK(deserialize_from(std::span<const std::byte>(extra), u) ==
        serialization_error::trailing_bytes);

  const auto negative = encode(refuses{-1});
  refuses r;
  CHECK(deserialize_from(std::span<const std::byte>(negative), r) ==
        serialization_error::user_error);
  CHECK(to_string(serialization_error::user_error) == "a serialize function reported failure");
}
