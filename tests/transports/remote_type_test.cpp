#include <catch2/catch.hpp>
#include <jaegis/transports/remote_type_registry.hpp>
#include <string>

namespace shop {
struct order {
  std::string item;
  std::uint32_t quantity = 0;
};
template <class Inspector>
bool serialize(Inspector& f, order& o) {
  return f(o.item, o.quantity);
}
struct cancel {
  std::uint64_t order_id = 0;
};
struct other_order {
  int x = 0;
};
struct not_serializable {
  std::string s;
};
}  // namespace shop

JAEGIS_REMOTE_TYPE(shop::order, "shop.order")
JAEGIS_REMOTE_TYPE(shop::cancel, "shop.cancel")
JAEGIS_REMOTE_TYPE(shop::other_order, "shop.order")  // the same name again: caught at registration
JAEGIS_REMOTE_TYPE(shop::not_serializable, "shop.not_serializable")

using namespace jaegis::transports;

TEST_CASE("FNV-1a 64 gives the published values", "[transports][remote_type]") {
  // Reference values of the FNV-1a 64-bit hash (the FNV authors' test vectors).
  STATIC_REQUIRE(stable_type_id("") == 0xcbf29ce484222325ull);
  STATIC_REQUIRE(stable_type_id("a") == 0xaf63dc4c8601ec8cull);
  STATIC_REQUIRE(stable_type_id("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("a remote type's id is the hash of its declared name", "[transports][remote_type]") {
  STATIC_REQUIRE(is_remote_type_v<shop::order>);
  STATIC_REQUIRE(is_remote_type<const shop::cancel&>::value);
  STATIC_REQUIRE(remote_type_id<shop::order> == stable_type_id("shop.order"));
  STATIC_REQUIRE(remote_type_id<shop::order> != remote_type_id<shop::cancel>);
  STATIC_REQUIRE_FALSE(is_remote_type_v<int>);                     // not declared
  STATIC_REQUIRE_FALSE(is_remote_type_v<shop::not_serializable>);  // declared, not serializable
}

TEST_CASE("the registry finds types by wire id", "[transports][remote_type]") {
  remote_type_registry registry;
  const auto& info = registry.add<shop::order>();
  registry.add<shop::cancel>();
  CHECK(info.name == "shop.order");
  CHECK(registry.add<shop::order>().id == info.id);  // again: a no-op
  CHECK(registry.size() == 2);
  CHECK(registry.contains<shop::order>());
  REQUIRE(registry.find(stable_type_id("shop.cancel")) != nullptr);
  CHECK(registry.find(stable_type_id("shop.cancel"))->type == typeid(shop::cancel));
  CHECK(registry.find(stable_type_id("shop.unknown")) == nullptr);
}

TEST_CASE("one name for two types is refused with both named", "[transports][remote_type]") {
  remote_type_registry registry;
  registry.add<shop::order>();
  CHECK_THROWS_WITH(registry.add<shop::other_order>(),
                    Catch::Contains("'shop.order' is declared for two C++ types"));
  CHECK(registry.size() == 1);
}

TEST_CASE("two names with the same hash are refused", "[transports][remote_type]") {
  // A real 64-bit FNV-1a collision is impractical to find for a test (about 2^32 names); the
  // registry's check does not depend on how the ids arose, so the colliding entry is made by hand
  // through add(info), which trusts the id it is given.
  remote_type_registry registry;
  registry.add<shop::order>();
  const remote_type_info forged{stable_type_id("shop.order"), "shop.forged", typeid(shop::cancel)};
  CHECK_THROWS_WITH(registry.add(forged),
                    Catch::Contains("'shop.order' and 'shop.forged' hash to the same id"));
  CHECK_THROWS_WITH(registry.add(remote_type_info{0, "zero", typeid(int)}),
                    Catch::Contains("id 0 is reserved"));
  CHECK(registry.size() == 1);
}

TEST_CASE("a type registered under one name cannot take another", "[transports][remote_type]") {
  remote_type_registry registry;
  registry.add<shop::cancel>();
  remote_type_info renamed{stable_type_id("shop.cancel.v2"), "shop.cancel.v2",
                           typeid(shop::cancel)};
  CHECK_THROWS_WITH(registry.add(renamed),
                    Catch::Contains("is already registered as 'shop.cancel'"));
}
