#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace jaegis {

/// A compact, process-local number for a message type, assigned on first use. Dispatch compares
/// these, so a handler lookup is a few integer compares. Not stable across processes: the wire
/// protocol uses hashes of declared names instead (transports/).
using type_id_t = std::uint32_t;

namespace detail {
/// Assigns the next id and remembers the type's name for logs.
type_id_t next_type_id(std::string_view name) noexcept;

template <class T>
constexpr std::string_view raw_type_name() noexcept {
  return __PRETTY_FUNCTION__;
}
}  // namespace detail

/// The type's name as the compiler spells it, for logs ("ping", "my::request").
template <class T>
constexpr std::string_view type_name() noexcept {
  constexpr std::string_view raw = detail::raw_type_name<std::remove_cvref_t<T>>();
  constexpr std::string_view key = "T = ";
  constexpr auto start = raw.find(key) + key.size();
  constexpr auto end = raw.find_first_of(";]", start);
  return raw.substr(start, end - start);
}

namespace detail {
template <class T>
struct type_id_holder {
  static type_id_t get() noexcept {
    // A function-local static: initialised on first use, thread-safe, and immune to the static
    // initialisation order of other translation units.
    static const type_id_t id = next_type_id(type_name<T>());
    return id;
  }
};
}  // namespace detail

template <class T>
type_id_t type_id() noexcept {
  return detail::type_id_holder<std::remove_cvref_t<T>>::get();
}

/// The name a type id was assigned for ("?" for an unknown id).
std::string_view type_name_of(type_id_t id) noexcept;

}  // namespace jaegis
