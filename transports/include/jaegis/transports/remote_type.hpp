#pragma once

// Declaring a type that may cross the wire. A remote type has a stable name, declared once at
// global scope, and its wire type id is the hash of that name (stable_type_id.hpp):
//
//     struct order { ... };                        // serializable (serialization.hpp)
//     JAEGIS_REMOTE_TYPE(order, "shop.order")
//
// Two processes that declare the same name get the same id; a name is a contract, so renaming the
// C++ type keeps the wire format while renaming the string breaks it. Sending code checks
// `is_remote_type_v<T>` at compile time with require_remote_type<T>(), so an undeclared or
// unserializable type is an error at the call site, not a surprise on the receiving node.

#include <concepts>
#include <cstdint>
#include <jaegis/transports/serialization.hpp>
#include <jaegis/transports/stable_type_id.hpp>
#include <string_view>
#include <type_traits>

namespace jaegis::transports {

/// Specialised by JAEGIS_REMOTE_TYPE; the primary template has no `value`.
template <class T>
struct remote_type_name {};

template <class T>
concept has_remote_type_name = requires {
  { remote_type_name<T>::value } -> std::convertible_to<std::string_view>;
};

template <class T>
inline constexpr bool is_remote_type_v =
    has_remote_type_name<std::remove_cvref_t<T>>&& is_serializable_v<std::remove_cvref_t<T>>;

template <class T>
struct is_remote_type : std::bool_constant<is_remote_type_v<T>> {};

template <class T>
requires has_remote_type_name<T>
inline constexpr std::uint64_t remote_type_id = stable_type_id(remote_type_name<T>::value);

/// The check a send to a remote ref makes, with messages that say what to do.
template <class T>
constexpr void require_remote_type() {
  using U = std::remove_cvref_t<T>;
  static_assert(has_remote_type_name<U>,
                "JAEGIS: this message type is not declared for remoting: add "
                "JAEGIS_REMOTE_TYPE(type, \"a.stable.name\") at global scope");
  static_assert(is_serializable_v<U>,
                "JAEGIS: this message type cannot be serialized: give it a "
                "`serialize(Inspector&, T&)` function (see jaegis/transports/serialization.hpp)");
}

}  // namespace jaegis::transports

/// Declares `type` a remote type named `name` (a string literal). Use at global scope, once per
/// type; a type whose name contains commas needs an alias first.
#define JAEGIS_REMOTE_TYPE(type, name)                                                         \
  template <>                                                                                  \
  struct jaegis::transports::remote_type_name<type> {                                          \
    static constexpr std::string_view value = name;                                            \
    static_assert(!value.empty(), "JAEGIS_REMOTE_TYPE: the name must not be empty");           \
    static_assert(::jaegis::transports::stable_type_id(value) != 0,                            \
                  "JAEGIS_REMOTE_TYPE: this name hashes to 0, the id reserved for 'no type'"); \
  };
