#pragma once

// Turning values into payload bytes and back (PROTOCOL.md, "Payload encoding").
//
// - Integers, floating-point numbers and enums: fixed width, little-endian. bool: one byte, 0 or 1.
// - std::string: u32 byte count, then the bytes. std::vector, std::map, std::unordered_map: u32
//   element count, then the elements. std::array: its N elements. std::optional: u8 0 or 1, then
//   the value if 1. std::pair: first, then second.
// - A type with a `serialize` function, found by argument-dependent lookup, is written and read by
//   it. One function serves both directions, written against any inspector `f`:
//
//       struct order { std::string item; std::uint32_t quantity; std::optional<double> limit; };
//       template <class Inspector>
//       bool serialize(Inspector& f, order& o) { return f(o.item, o.quantity, o.limit); }
//
//   `Inspector::is_loading` tells a function that must differ (rarely needed). The writer never
//   modifies the object it is given, although the signature takes a non-const reference.
// - Any other trivially copyable type (a struct of numbers) goes as its object bytes, which
//   assumes both peers share the ABI (x86-64 and AArch64 Linux with GCC or Clang do); an empty one
//   (`struct ping {};`) as no bytes at all. Pointers are refused at compile time: an address means
//   nothing in another process.
//
// Reading never trusts a length: a count is checked against the bytes that remain before anything
// is reserved, so a hostile count is an error, not an allocation. A count can therefore never
// exceed the remaining byte count; a std::vector of an empty type is therefore refused at compile
// time, and a serialize function should write at least one byte for types kept in vectors.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <jaegis/transports/little_endian.hpp>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jaegis::transports {

enum class serialization_error : std::uint8_t {
  none,
  buffer_too_small,  ///< writing: the output span is full
  truncated,         ///< reading: the input ended inside a value
  length_too_large,  ///< reading: a count larger than the remaining bytes could hold
  invalid_value,     ///< reading: a bool or optional tag other than 0 or 1
  duplicate_key,     ///< reading: a map with the same key twice
  trailing_bytes,    ///< reading: bytes left after the value
  user_error,        ///< a serialize function returned false
};

[[nodiscard]] std::string_view to_string(serialization_error error) noexcept;

namespace detail {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

template <class T>
struct is_map : std::false_type {};
template <class K, class V, class C, class A>
struct is_map<std::map<K, V, C, A>> : std::true_type {};
template <class K, class V, class H, class E, class A>
struct is_map<std::unordered_map<K, V, H, E, A>> : std::true_type {};

/// Found only by argument-dependent lookup: this namespace declares no `serialize` of its own.
template <class Inspector, class T>
concept has_serialize = requires(Inspector& f, T& value) {
  serialize(f, value);
};

/// Numbers and enums: fixed width, little-endian.
template <class T>
concept wire_number = (std::is_arithmetic_v<T> || std::is_enum_v<T>)&&!std::is_same_v<T, bool>;

/// The fewest bytes one value of T can take on the wire; a count read for T may not exceed
/// remaining / max(1, this).
template <class T>
constexpr std::size_t min_wire_size() {
  if constexpr (std::is_same_v<T, bool>) {
    return 1;
  } else if constexpr (wire_number<T>) {
    return sizeof(T);
  } else if constexpr (std::is_same_v<T, std::string> || is_vector<T>::value || is_map<T>::value) {
    return 4;
  } else if constexpr (is_optional<T>::value) {
    return 1;
  } else if constexpr (is_std_array<T>::value) {
    return std::tuple_size_v<T> * min_wire_size<typename T::value_type>();
  } else if constexpr (is_pair<T>::value) {
    return min_wire_size<typename T::first_type>() + min_wire_size<typename T::second_type>();
  } else {
    return 1;  // user types: at least one byte is assumed, which bounds a hostile count
  }
}

}  // namespace detail

class byte_writer;

/// Whether values of T can be written and read (recursively for containers).
template <class T>
constexpr bool is_serializable() {
  using U = std::remove_cv_t<T>;
  if constexpr (detail::has_serialize<byte_writer, U>) {
    return true;
  } else if constexpr (std::is_same_v<U, bool> || detail::wire_number<U> ||
                       std::is_same_v<U, std::string>) {
    return true;
  } else if constexpr (detail::is_vector<U>::value) {
    // A count of empty elements could not be checked against the bytes that follow.
    return is_serializable<typename U::value_type>() && !std::is_empty_v<typename U::value_type>;
  } else if constexpr (detail::is_std_array<U>::value || detail::is_optional<U>::value) {
    return is_serializable<typename U::value_type>();
  } else if constexpr (detail::is_map<U>::value) {
    return is_serializable<typename U::key_type>() && is_serializable<typename U::mapped_type>();
  } else if constexpr (detail::is_pair<U>::value) {
    return is_serializable<typename U::first_type>() && is_serializable<typename U::second_type>();
  } else if constexpr (std::is_pointer_v<U> || std::is_member_pointer_v<U>) {
    return false;
  } else {
    return std::is_trivially_copyable_v<U>;
  }
}

template <class T>
inline constexpr bool is_serializable_v = is_serializable<T>();

/// Writes values into a caller-provided span, or only counts their size (counting()).
class byte_writer {
 public:
  static constexpr bool is_loading = false;

  explicit byte_writer(std::span<std::byte> out) noexcept : out_(out), counting_(false) {}
  [[nodiscard]] static byte_writer counting() noexcept { return byte_writer(); }

  template <class... Ts>
  bool operator()(Ts&... values) {
    return (apply(values) && ...);
  }

  bool write_bytes(const void* data, std::size_t n) {
    if (error_ != serialization_error::none) return false;
    if (!counting_) {
      if (out_.size() - size_ < n) return fail(serialization_error::buffer_too_small);
      if (n != 0) std::memcpy(out_.data() + size_, data, n);
    }
    size_ += n;
    return true;
  }

  [[nodiscard]] bool ok() const noexcept { return error_ == serialization_error::none; }
  [[nodiscard]] serialization_error error() const noexcept { return error_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  bool fail(serialization_error error) noexcept {
    if (error_ == serialization_error::none) error_ = error;
    return false;
  }

 private:
  byte_writer() noexcept : counting_(true) {}

  template <class T>
  bool number(T value) {
    if constexpr (std::is_enum_v<T>) {
      return number(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::is_floating_point_v<T>) {
      static_assert(sizeof(T) == 4 || sizeof(T) == 8,
                    "only IEEE binary32 and binary64 go on the wire");
      using bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
      return number(std::bit_cast<bits>(value));
    } else {
      std::array<std::byte, sizeof(T)> le{};
      store_le(le.data(), value);
      return write_bytes(le.data(), le.size());
    }
  }

  bool count(std::size_t n) {
    if (n > std::numeric_limits<std::uint32_t>::max())
      return fail(serialization_error::length_too_large);
    return number(static_cast<std::uint32_t>(n));
  }

  template <class T>
  bool apply(T& value) {
    using U = std::remove_cv_t<T>;
    static_assert(is_serializable_v<U>,
                  "JAEGIS: this type cannot be serialized: give it a `serialize(Inspector&, T&)` "
                  "function (see jaegis/transports/serialization.hpp)");
    if constexpr (detail::has_serialize<byte_writer, U>) {
      auto& mutable_value = const_cast<U&>(value);  // the writer only reads it
      if constexpr (std::is_void_v<decltype(serialize(*this, mutable_value))>) {
        serialize(*this, mutable_value);
        return ok();
      } else {
        if (!serialize(*this, mutable_value)) return fail(serialization_error::user_error);
        return ok();
      }
    } else if constexpr (std::is_same_v<U, bool>) {
      return number(static_cast<std::uint8_t>(value ? 1 : 0));
    } else if constexpr (detail::wire_number<U>) {
      return number(value);
    } else if constexpr (std::is_same_v<U, std::string>) {
      return count(value.size()) && write_bytes(value.data(), value.size());
    } else if constexpr (detail::is_vector<U>::value || detail::is_map<U>::value) {
      if (!count(value.size())) return false;
      if constexpr (std::is_same_v<typename U::value_type, bool>) {
        // std::vector<bool> hands out proxies, not bool&.
        for (const bool element : value) {
          if (!number(static_cast<std::uint8_t>(element ? 1 : 0))) return false;
        }
      } else {
        for (auto& element : value) {
          if (!apply(element)) return false;
        }
      }
      return true;
    } else if constexpr (detail::is_std_array<U>::value) {
      for (auto& element : value) {
        if (!apply(element)) return false;
      }
      return true;
    } else if constexpr (detail::is_optional<U>::value) {
      if (!number(static_cast<std::uint8_t>(value.has_value() ? 1 : 0))) return false;
      return !value.has_value() || apply(*value);
    } else if constexpr (detail::is_pair<U>::value) {
      return apply(value.first) && apply(value.second);
    } else if constexpr (std::is_empty_v<U>) {
      return true;  // a tag type (`struct ping {};`) carries no bytes
    } else {
      return write_bytes(&value, sizeof(U));
    }
  }

  std::span<std::byte> out_;
  std::size_t size_ = 0;
  bool counting_;
  serialization_error error_ = serialization_error::none;
};

/// Reads values from a span, checking every length against what remains.
class byte_reader {
 public:
  static constexpr bool is_loading = true;

  explicit byte_reader(std::span<const std::byte> in) noexcept : in_(in) {}

  template <class... Ts>
  bool operator()(Ts&... values) {
    return (apply(values) && ...);
  }

  bool read_bytes(void* data, std::size_t n) {
    if (error_ != serialization_error::none) return false;
    if (remaining() < n) return fail(serialization_error::truncated);
    if (n != 0) std::memcpy(data, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }

  [[nodiscard]] bool ok() const noexcept { return error_ == serialization_error::none; }
  [[nodiscard]] serialization_error error() const noexcept { return error_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return in_.size() - pos_; }
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }

  bool fail(serialization_error error) noexcept {
    if (error_ == serialization_error::none) error_ = error;
    return false;
  }

 private:
  template <class T>
  bool number(T& value) {
    if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> raw{};
      if (!number(raw)) return false;
      value = static_cast<T>(raw);
      return true;
    } else if constexpr (std::is_floating_point_v<T>) {
      using bits_t = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
      bits_t bits = 0;
      if (!number(bits)) return false;
      value = std::bit_cast<T>(bits);
      return true;
    } else {
      std::array<std::byte, sizeof(T)> le{};
      if (!read_bytes(le.data(), le.size())) return false;
      value = load_le<T>(le.data());
      return true;
    }
  }

  /// A u32 count of elements of at least `min_size` bytes each, checked against what remains.
  bool count(std::size_t& n, std::size_t min_size) {
    std::uint32_t raw = 0;
    if (!number(raw)) return false;
    if (raw > remaining() / (min_size == 0 ? 1 : min_size)) {
      return fail(serialization_error::length_too_large);
    }
    n = raw;
    return true;
  }

  template <class T>
  bool apply(T& value) {
    using U = std::remove_cv_t<T>;
    static_assert(is_serializable_v<U>,
                  "JAEGIS: this type cannot be serialized: give it a `serialize(Inspector&, T&)` "
                  "function (see jaegis/transports/serialization.hpp)");
    if constexpr (detail::has_serialize<byte_reader, U>) {
      if constexpr (std::is_void_v<decltype(serialize(*this, value))>) {
        serialize(*this, value);
        return ok();
      } else {
        if (!serialize(*this, value)) return fail(serialization_error::user_error);
        return ok();
      }
    } else if constexpr (std::is_same_v<U, bool>) {
      std::uint8_t raw = 0;
      if (!number(raw)) return false;
      if (raw > 1) return fail(serialization_error::invalid_value);
      value = raw == 1;
      return true;
    } else if constexpr (detail::wire_number<U>) {
      return number(value);
    } else if constexpr (std::is_same_v<U, std::string>) {
      std::size_t n = 0;
      if (!count(n, 1)) return false;
      value.resize(n);
      return read_bytes(value.data(), n);
    } else if constexpr (detail::is_vector<U>::value) {
      using element = typename U::value_type;
      std::size_t n = 0;
      if (!count(n, detail::min_wire_size<element>())) return false;
      value.clear();
      value.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        element e{};
        if (!apply(e)) return false;
        value.push_back(std::move(e));
      }
      return true;
    } else if constexpr (detail::is_map<U>::value) {
      using key = typename U::key_type;
      using mapped = typename U::mapped_type;
      std::size_t n = 0;
      if (!count(n, detail::min_wire_size<key>() + detail::min_wire_size<mapped>())) return false;
      value.clear();
      for (std::size_t i = 0; i < n; ++i) {
        key k{};
        mapped m{};
        if (!apply(k) || !apply(m)) return false;
        if (!value.emplace(std::move(k), std::move(m)).second) {
          return fail(serialization_error::duplicate_key);
        }
      }
      return true;
    } else if constexpr (detail::is_std_array<U>::value) {
      for (auto& element : value) {
        if (!apply(element)) return false;
      }
      return true;
    } else if constexpr (detail::is_optional<U>::value) {
      std::uint8_t tag = 0;
      if (!number(tag)) return false;
      if (tag > 1) return fail(serialization_error::invalid_value);
      if (tag == 0) {
        value.reset();
        return true;
      }
      return apply(value.emplace());
    } else if constexpr (detail::is_pair<U>::value) {
      return apply(value.first) && apply(value.second);
    } else if constexpr (std::is_empty_v<U>) {
      return true;
    } else {
      return read_bytes(&value, sizeof(U));
    }
  }

  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  serialization_error error_ = serialization_error::none;
};

struct serialize_result {
  serialization_error error = serialization_error::none;
  std::size_t size = 0;  ///< bytes written when error is none
  explicit operator bool() const noexcept { return error == serialization_error::none; }
};

/// The encoded size of `value`, without writing it.
template <class T>
[[nodiscard]] std::size_t serialized_size(const T& value) {
  auto counter = byte_writer::counting();
  counter(value);
  return counter.size();
}

/// Writes `value` into `out` (no allocation of its own).
template <class T>
[[nodiscard]] serialize_result serialize_to(std::span<std::byte> out, const T& value) {
  byte_writer writer(out);
  writer(value);
  return {writer.error(), writer.ok() ? writer.size() : 0};
}

/// Reads `value` from exactly the bytes of `in`: leftover bytes are an error too.
template <class T>
[[nodiscard]] serialization_error deserialize_from(std::span<const std::byte> in, T& value) {
  byte_reader reader(in);
  if (!reader(value)) return reader.error();
  if (reader.remaining() != 0) return serialization_error::trailing_bytes;
  return serialization_error::none;
}

}  // namespace jaegis::transports
